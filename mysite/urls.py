from django.conf import settings
from django.http import HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path, re_path
from django.views.static import serve
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.contrib.sitemaps.views import sitemap
from wagtail.documents import urls as wagtaildocs_urls

from home.product_pages import product_page
from home.sitemaps import SITEMAPS
from mysite.health import healthz, worker_healthz
from mysite.metrics import metrics_view


def favicon(request):
    """Browsers ask for /favicon.ico whatever the page says: the static icon (resolved per
    request, as the production manifest may not exist when URLs are first imported)."""
    return HttpResponsePermanentRedirect(static("favicon.svg"))


urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("healthz/worker", worker_healthz, name="worker_healthz"),
    path("metrics", metrics_view, name="metrics"),
    path("favicon.ico", favicon),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("", include("store.urls")),
    path("products/<slug:slug>/", product_page, name="product_page"),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
]

if settings.SERVE_MEDIA:
    # Small deployments serve uploads from Django; larger ones point a web server at MEDIA_ROOT.
    urlpatterns += [
        re_path(
            rf"^{settings.MEDIA_URL.lstrip('/')}(?P<path>.*)$",
            serve,
            {"document_root": settings.MEDIA_ROOT},
        )
    ]

# Wagtail serves the pages (the shop at "/"); it must come last.
urlpatterns += [path("", include(wagtail_urls))]
