"""A product page in Chromium: choosing a size with the keyboard alone, paying, and axe-core
finding nothing serious on the page or on the shop's size fields."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from store.models import Product
from tests.browser.conftest import axe_violations
from tests.browser.shop import expect_back_on_the_shop, my_orders
from tests.browser.test_accessibility_and_layout import expect_focus_ring, tab_to
from tests.conftest import behind_the_shops_back, give_sizes

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def sizes(products):
    """The T-Shirt in S (sold out), M (3 left) and L (5 left)."""
    give_sizes(Product.objects.get(name="T-Shirt"), {"S": 0, "M": 3, "L": 5})
    behind_the_shops_back()


def test_choosing_a_size_and_paying_with_the_keyboard_alone(page, shop_server, stripe_sim, sizes):
    page.goto(f"{shop_server.url}/")
    assert axe_violations(page) == []
    expect(page.get_by_label("Quantity of T-Shirt — S", exact=True)).to_be_disabled()
    page.get_by_role("link", name="T-Shirt").click()

    expect(page.get_by_role("heading", name="T-Shirt", level=1)).to_be_visible()
    assert axe_violations(page) == []
    size = page.get_by_label("Size", exact=True)
    expect(size.locator("option[disabled]")).to_have_text(["S (sold out)"])
    tab_to(page, size, max_presses=20)
    expect_focus_ring(size)
    expect(size).to_have_value(size.locator("option", has_text="M").get_attribute("value"))
    page.keyboard.press("ArrowDown")  # M -> L
    expect(size.locator("option:checked")).to_have_text("L (only 5 left)")
    quantity = page.get_by_label("Quantity", exact=True)
    tab_to(page, quantity)
    page.keyboard.press("Control+A")
    page.keyboard.type("2")
    buy = page.get_by_role("button", name="Buy now")
    tab_to(page, buy)
    expect_focus_ring(buy)
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Pay ₹1,000.00")).to_be_visible()
    expect(page.get_by_text("T-Shirt — L")).to_be_visible()
    pay_button = page.get_by_role("button", name="Pay ₹1,000.00")
    tab_to(page, pay_button)
    page.keyboard.press("Enter")

    expect_back_on_the_shop(page, shop_server.url)
    expect(my_orders(page).locator(".order-lines li")).to_have_text(["2 × T-Shirt — L"])
    stripe_sim.wait_for_deliveries(1)
