"""A shopper types a discount code on Stripe's hosted page (the simulator) and sees the
discount, with its code, on the order in My Orders."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from store.models import Order
from tests.browser.shop import check_out, expect_back_on_the_shop, my_orders, pay
from tests.test_discount_checkout import live_code

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_a_code_applied_on_stripes_page_shows_on_the_order_in_my_orders(
    page, shop_server, stripe_sim
):
    live_code()
    page.goto(f"{shop_server.url}/")
    check_out(page, {"T-Shirt": 2, "Cap": 1})

    page.get_by_label("Promotion code", exact=True).fill("diwali10")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_text("DIWALI10 applied: −₹130.00")).to_be_visible()
    expect(page.get_by_role("heading", name="Pay ₹1,170.00")).to_be_visible()
    pay(page)

    expect_back_on_the_shop(page, shop_server.url)
    placed = my_orders(page).first
    expect(placed.locator(".order-charges")).to_contain_text("Discount (DIWALI10)")
    expect(placed.locator(".order-charges")).to_contain_text("−₹130.00")
    expect(placed.locator(".order-total")).to_have_text("Total: ₹1,170.00")
    order = Order.objects.get()
    assert (order.status, order.discount_code, order.amount_discount) == ("paid", "DIWALI10", 13000)
