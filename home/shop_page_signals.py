"""Every change to what the shop pages show, or to how Wagtail serves them, renews the
rendering version (home.shop_page).

Saves and deletes of products, their variants, images, pages, the GST settings
(prices say whether they include GST) and the shipping rates (the page lists them),
publishing and moving pages, sites and view restrictions (serving remembers both per
version), and the store's own announcement for changes made with UPDATEs (units held,
released or sold). Each renews once the transaction commits, so no worker keeps the page
as it was just before the change. A change to one of a browser's orders renews that
browser's My Orders.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from wagtail.images import get_image_model
from wagtail.models import Page, PageViewRestriction, Site
from wagtail.signals import page_published, page_unpublished, post_page_move

from home import shop_page
from store.models import GSTSettings, Product, ProductVariant, ShippingRate, ShippingSettings
from store.signals import availability_changed, orders_changed


def invalidate_after_commit(**kwargs) -> None:
    transaction.on_commit(shop_page.invalidate)


SHOWN_MODELS = (
    Product,
    ProductVariant,
    get_image_model(),
    GSTSettings,
    ShippingSettings,
    ShippingRate,
    Site,
    PageViewRestriction,
)
for model in SHOWN_MODELS:
    post_save.connect(invalidate_after_commit, sender=model, weak=False)
    post_delete.connect(invalidate_after_commit, sender=model, weak=False)
m2m_changed.connect(invalidate_after_commit, sender=PageViewRestriction.groups.through, weak=False)
for signal in (page_published, page_unpublished, post_page_move):
    signal.connect(invalidate_after_commit, weak=False)
post_delete.connect(invalidate_after_commit, sender=Page, weak=False)
availability_changed.connect(shop_page.invalidate, weak=False)
orders_changed.connect(shop_page.forget_my_orders, weak=False)
