"""/sitemap.xml: the site's live pages (the shop) and every published product's page, all at
the Wagtail site's address, as the pages' canonical URLs are."""

from __future__ import annotations

from django.urls import reverse
from wagtail.contrib.sitemaps import Sitemap as PageSitemap

from store.models import Product


class ProductSitemap(PageSitemap):
    def items(self):
        return Product.objects.filter(live=True).order_by("sort_order", "name")

    def _urls(self, page, protocol, domain):
        root_url = self.get_wagtail_site().root_url
        return [
            {
                "item": product,
                "location": root_url + reverse("product_page", args=[product.slug]),
                "lastmod": product.updated_at,
            }
            for product in self.paginator.page(page).object_list
        ]


SITEMAPS = {"pages": PageSitemap, "products": ProductSitemap}
