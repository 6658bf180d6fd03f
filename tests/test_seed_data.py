"""What `migrate` leaves behind on a fresh database."""

import importlib

from django.apps import apps as django_apps
from wagtail.models import Page, Site

from home.models import HomePage
from store.models import Product

sample_products = importlib.import_module("store.migrations.0002_sample_products")
shop_home_page = importlib.import_module("home.migrations.0002_shop_home_page")

SEEDED = [("T-Shirt", 50000, True), ("Shoes", 120000, True), ("Cap", 30000, True)]


def seeded_state():
    return (
        list(Product.objects.order_by("sort_order").values_list("name", "price", "live")),
        list(Page.objects.values_list("path", "slug", "content_type__model")),
        list(Site.objects.values_list("root_page_id", "is_default_site")),
    )


def test_migrations_leave_three_published_products(db):
    assert (
        list(Product.objects.order_by("sort_order").values_list("name", "price", "live")) == SEEDED
    )


def test_site_root_is_the_shop_home_page(db):
    site = Site.objects.get(is_default_site=True)
    assert isinstance(site.root_page.specific, HomePage)
    assert site.root_page.locale_id is not None
    assert HomePage.objects.count() == 1
    # Wagtail's default welcome page is gone.
    assert not Page.objects.filter(depth=2).exclude(pk=site.root_page_id).exists()


def test_running_the_data_migrations_again_changes_nothing(db):
    before = seeded_state()
    sample_products.create_sample_products(django_apps, None)
    shop_home_page.create_shop_home_page(django_apps, None)
    assert seeded_state() == before
