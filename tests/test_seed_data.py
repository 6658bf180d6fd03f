"""What `migrate` leaves behind on a fresh database."""

import importlib

import pytest
from django.apps import apps as django_apps
from wagtail.models import Page, Site

from home.models import HomePage
from store.models import Product, ShippingRate, ShippingSettings

sample_products = importlib.import_module("store.migrations.0002_sample_products")
shipping_migration = importlib.import_module("store.migrations.0025_shipping_and_discount_amounts")
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


@pytest.mark.seeded_shipping
def test_migrations_leave_the_sample_shipping_rates(db):
    shipping = ShippingSettings.objects.get(site__is_default_site=True)
    assert shipping.free_shipping_threshold == 99900
    assert list(
        shipping.rates.values_list("name", "amount", "min_business_days", "max_business_days")
    ) == [("Standard", 6000, 3, 5), ("Express", 15000, 1, 2)]


@pytest.mark.seeded_shipping
def test_running_the_shipping_migration_again_changes_nothing(db):
    before = list(ShippingRate.objects.values_list("pk", "name", "amount"))
    shipping_migration.create_sample_rates(django_apps, None)
    assert list(ShippingRate.objects.values_list("pk", "name", "amount")) == before
