"""A page per published product, /products/<slug>/: photos, description, variant choice and
quantity, the same checkout as the shop page, and what a shared link's preview needs
(OpenGraph and Twitter tags, schema.org/Product JSON-LD, a canonical URL).

Served like the shop page (``home.shop_page.cached_rendering``): one rendering shared by
all shoppers, kept under the rendering version that every change to products, stock and
holds renews, with each visitor's CSRF token, form token and messages filled in per
request. A form with errors is that request's alone. Addresses in the page are the
Wagtail site's (``Site.root_url``), as in the shared rendering and the sitemap.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_http_methods
from wagtail.models import Site

from home import shop_page
from home.models import until_a_hold_ends
from store import money
from store.gst.documents import registration
from store.models import Product
from store.variants import ProductPageForm, for_sale
from store.views import start_checkout

TEMPLATE = "store/product_page.html"
# The size shared link previews use (OpenGraph and Twitter's large card: 1.91:1).
SHARE_IMAGE = "fill-1200x630"
# Products remembered per rendering version by each worker, at most.
KNOWN_PRODUCTS_KEPT = 1000
JSON_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


@require_http_methods(["GET", "HEAD", "POST"])
def product_page(request: HttpRequest, slug: str) -> HttpResponse:
    if request.method == "POST":
        product = _published(slug)
        return start_checkout(
            request,
            lambda: _posted_form(request, product),
            _page_again,
            back_url=reverse("product_page", args=[slug]),
        )

    def build(rendering_request: HttpRequest) -> str:
        context = page_context(rendering_request, _published(slug))
        return render_to_string(TEMPLATE, context, request=rendering_request)

    product = _known_published(slug)
    return shop_page.cached_rendering(request, product, build, lifetime=until_a_hold_ends)


def _published(slug: str) -> Product:
    """The live product; a draft that was never published, or an unpublished one, is 404."""
    return get_object_or_404(Product.objects.published(), slug=slug)


class _PublishedAtVersion:
    """Published products by slug, as at one rendering version (every publish, unpublish or
    edit renews it): a page kept in the shared rendering is served without a query."""

    def __init__(self, version: str) -> None:
        self.version = version
        self.products: dict[str, Product] = {}


_known = _PublishedAtVersion("")


def _known_published(slug: str) -> Product:
    global _known
    version = shop_page.current_version()
    known = _known
    if known.version != version:
        known = _known = _PublishedAtVersion(version)
    product = known.products.get(slug)
    if product is None:
        product = _published(slug)  # a slug never published is looked up each time: 404
        if len(known.products) < KNOWN_PRODUCTS_KEPT:
            known.products[slug] = product
    return product


def _posted_form(request: HttpRequest, product: Product) -> ProductPageForm:
    return ProductPageForm(request.POST, product=product, variants=for_sale(product))


def _page_again(request: HttpRequest, form: ProductPageForm, status: int) -> HttpResponse:
    """The page with the shopper's choice and what went wrong: this request's alone."""

    def build(rendering_request: HttpRequest) -> str:
        context = page_context(rendering_request, form.product, form=form)
        return render_to_string(TEMPLATE, context, request=rendering_request)

    response = shop_page.personal_response(request, build)
    response.status_code = status
    return response


def page_context(
    request: HttpRequest, product: Product, *, form: ProductPageForm | None = None
) -> dict:
    """What the template shows: also the context of an editor's preview of a draft."""
    form = form or ProductPageForm(product=product, variants=for_sale(product))
    # A new product's preview has no address yet.
    canonical = ""
    if product.slug:
        canonical = absolute(request, reverse("product_page", args=[product.slug]))
    image_url = ""
    if product.image:
        image_url = absolute(request, product.image.get_rendition(SHARE_IMAGE).url)
    return {
        "product": product,
        "form": form,
        "canonical_url": canonical,
        "share_image_url": image_url,
        "price_amount": money.to_major(product.price, settings.STORE_CURRENCY),
        "currency": settings.STORE_CURRENCY.upper(),
        "photos": _photos(product),
        "structured_data": _structured_data(product, form, canonical, image_url),
        "prices_include_gst": registration() is not None,
        "visitor": shop_page.MARKERS,
    }


def absolute(request: HttpRequest, url: str) -> str:
    """``url`` at the Wagtail site's address (a media URL may be absolute already)."""
    if "://" in url:
        return url
    site = Site.find_for_request(request)
    return f"{site.root_url}{url}" if site else request.build_absolute_uri(url)


def _photos(product: Product) -> list:
    """The product's photo, then its variants' own photos, each once."""
    images = [product.image] + [variant.image for variant in product.variants.all()]
    seen, photos = set(), []
    for image in images:
        if image is not None and image.pk not in seen:
            seen.add(image.pk)
            photos.append(image)
    return photos


def _structured_data(
    product: Product, form: ProductPageForm, url: str, image_url: str
) -> SafeString:
    """schema.org/Product with one Offer per variant and whether it is in stock."""
    currency = settings.STORE_CURRENCY.upper()
    offers = [
        {
            "@type": "Offer",
            "url": url,
            "price": str(money.to_major(variant.unit_price, currency)),
            "priceCurrency": currency,
            "availability": "https://schema.org/"
            + ("OutOfStock" if form.availability[pk].unavailable else "InStock"),
            **({"name": variant.name} if variant.name else {}),
            **({"sku": variant.sku} if variant.sku else {}),
        }
        for pk, variant in form.variants.items()
    ]
    data = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": product.name,
        "description": product.description,
        "url": url,
        "offers": offers,
    }
    if image_url:
        data["image"] = [image_url]
    return mark_safe(json.dumps(data, ensure_ascii=False).translate(JSON_ESCAPES))


def preview_context(request: HttpRequest, product: Product) -> dict:
    """An editor's preview of a draft: the page as it will be, with no one's token in it."""
    context = page_context(request, product)
    context["visitor"] = {"csrf": "", "form_token": "", "messages": "", "my_orders": ""}
    return context
