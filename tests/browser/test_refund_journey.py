"""A refund from the order's admin page, in a real browser."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from store.models import Order
from tests.browser.admin import sign_in
from tests.browser.conftest import axe_violations
from tests.conftest import quantity_field

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

CASHIER, PASSWORD = "cashier", "a known password, typed into the real form"


@pytest.fixture
def cashier(django_user_model):
    user = django_user_model.objects.create_user(CASHIER, password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name="Order refunds"))
    return user


def test_staff_refund_part_of_an_order(page, live_server, cashier, client, products, stripe_sim):
    client.post("/checkout/", {quantity_field(products[1]): "1"})
    order = Order.objects.get()
    stripe_sim.pay(order.stripe_session_id)
    client.get("/checkout/success/", {"session_id": order.stripe_session_id})

    sign_in(page, live_server.url, CASHIER, PASSWORD)
    page.goto(f"{live_server.url}/admin/orders/inspect/{order.pk}/")
    expect(page.get_by_role("heading", name="Refund")).to_be_visible()
    assert axe_violations(page) == []

    page.get_by_label("Amount (INR)").fill("200")
    page.get_by_label("Reason").select_option(label="Requested by the customer")
    page.get_by_role("button", name="Refund…", exact=True).click()

    expect(page.get_by_role("heading", name=f"Refund ₹200.00 of {order}?")).to_be_visible()
    expect(page.get_by_text("₹1,000.00", exact=True)).to_be_visible()  # left after it
    assert axe_violations(page) == []
    assert not order.refunds.exists()
    page.get_by_role("button", name="Yes, refund ₹200.00").click()

    expect(page.get_by_text(f"Refund of ₹200.00 for {order}: succeeded.")).to_be_visible()
    expect(page.get_by_text("₹200.00: succeeded, requested by the customer")).to_be_visible()
    assert axe_violations(page) == []
    order.refresh_from_db()
    assert order.amount_refunded == 20000
