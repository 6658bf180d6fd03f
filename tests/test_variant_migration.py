"""Migrating to variants loses nothing: each product's stock moves onto its one variant, and
existing order lines (the holds of pending orders among them) point at it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

BEFORE = [("store", "0020_checkout_started_at")]
AFTER = [("store", "0023_stock_counted_per_variant")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_stock_holds_and_order_lines_survive_the_migration():
    old = migrate(BEFORE)
    Product, Order, OrderLine = (
        old.get_model("store", name) for name in ("Product", "Order", "OrderLine")
    )
    Product.objects.filter(name="T-Shirt").update(stock=7)
    Product.objects.filter(name="Cap").update(stock=0)
    shirt = Product.objects.get(name="T-Shirt")
    holding = Order.objects.create(
        currency="inr",
        amount_total=100000,
        browser_token="a-browser",
        checkout_expires_at=timezone.now() + timedelta(hours=1),
    )
    OrderLine.objects.create(
        order=holding, product=shirt, product_name="T-Shirt", unit_amount=50000, quantity=2
    )

    new = migrate(AFTER)

    Variant, Line = new.get_model("store", "ProductVariant"), new.get_model("store", "OrderLine")
    on_hand = dict(Variant.objects.values_list("product__name", "stock"))
    assert on_hand == {"T-Shirt": 7, "Shoes": None, "Cap": 0}
    assert Variant.objects.filter(product__name="T-Shirt").count() == 1
    line = Line.objects.get(order_id=holding.pk)
    assert line.variant.product_id == shirt.pk and line.quantity == 2
    assert (line.product_name, line.variant_name) == ("T-Shirt", "")

    # And back: the count returns to the product.
    back = migrate(BEFORE)
    assert back.get_model("store", "Product").objects.get(name="T-Shirt").stock == 7
    migrate(latest())  # the schema the tests after this one expect


def latest():
    """Every app's newest migration, whatever came after the ones tested here."""
    return MigrationExecutor(connection).loader.graph.leaf_nodes()
