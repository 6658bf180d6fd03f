"""Fulfilment staff in a real browser: ship, deliver, undo, and ship many at once."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from store.models import Order
from tests.browser.admin import sign_in
from tests.browser.conftest import axe_violations
from tests.test_orders_admin import make_order

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PACKER, PASSWORD = "packer", "a known password, typed into the real form"


@pytest.fixture
def packer(django_user_model):
    user = django_user_model.objects.create_user(PACKER, password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name="Order fulfilment"))
    return user


def test_staff_ship_deliver_and_undo_from_the_order_page(page, live_server, packer):
    order = make_order("paid", shipping_name="Asha Rao", shipping_city="Bengaluru")
    sign_in(page, live_server.url, PACKER, PASSWORD)
    page.goto(f"{live_server.url}/admin/orders/inspect/{order.pk}/")
    expect(page.get_by_text("Bengaluru")).to_be_visible()
    assert axe_violations(page) == []

    page.get_by_label("Carrier", exact=True).select_option("India Post")
    page.get_by_label("Tracking number").fill("EE123456789IN")
    page.get_by_role("button", name="Mark shipped").click()
    expect(
        page.get_by_text(f"{order} marked shipped; the customer has been emailed.")
    ).to_be_visible()
    expect(page.get_by_text("tracking number EE123456789IN")).to_be_visible()
    assert axe_violations(page) == []

    page.get_by_role("button", name="Mark delivered").click()
    expect(page.get_by_text(f"{order} marked delivered.")).to_be_visible()
    page.get_by_role("button", name="Undo: back to “Shipped”").click()
    expect(page.get_by_text(f"Last step undone: {order} is now “Shipped”.")).to_be_visible()
    order.refresh_from_db()
    assert (order.fulfilment, order.tracking_number) == ("shipped", "EE123456789IN")


def test_staff_mark_several_orders_shipped_at_once(page, live_server, packer):
    orders = [make_order("paid"), make_order("paid")]
    sign_in(page, live_server.url, PACKER, PASSWORD)
    page.goto(f"{live_server.url}/admin/orders/")

    assert axe_violations(page) == []
    for order in orders:
        page.locator(f"input[data-bulk-action-checkbox][data-object-id='{order.pk}']").check()
    page.get_by_role("link", name="Mark the selected orders shipped").click()
    expect(page.get_by_role("heading", name="Mark shipped")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_role("button", name="Yes, mark shipped").click()

    expect(page.get_by_text("2 orders marked shipped")).to_be_visible()
    assert set(Order.objects.values_list("fulfilment", flat=True)) == {"shipped"}
