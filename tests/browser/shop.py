"""What a shopper does in the browser, found the way a person finds it: by labels and roles.

The Playwright counterpart of ``tests/shopping.py``.
"""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect

from tests.shopping import DECLINED_CARD, SUCCESS_CARD

__all__ = ["DECLINED_CARD", "SUCCESS_CARD"]

PAY_BUTTON = re.compile(r"^Pay ")
PAYMENT_PAGE = re.compile(r"/pay/cs_test_\w+$")


def choose(page: Page, quantities: dict[str, int]) -> None:
    """Type each quantity into the field labelled "Quantity of <name>"."""
    for name, quantity in quantities.items():
        page.get_by_label(f"Quantity of {name}", exact=True).fill(str(quantity))


def checkout_button(page: Page) -> Locator:
    return page.get_by_role("button", name="Checkout", exact=True)


def check_out(page: Page, quantities: dict[str, int]) -> None:
    """Choose quantities, press Checkout and arrive on the (simulated) Stripe page."""
    choose(page, quantities)
    checkout_button(page).click()
    expect(page).to_have_url(PAYMENT_PAGE)


def pay(page: Page, card: str = SUCCESS_CARD) -> None:
    """On the payment page: type the card number and press Pay."""
    page.get_by_label("Card number").fill(card)
    page.get_by_role("button", name=PAY_BUTTON).click()


def messages(page: Page) -> Locator:
    return page.locator(".messages li")


def my_orders(page: Page) -> Locator:
    return page.locator("section.my-orders li.order")


def expect_back_on_the_shop(page: Page, shop_url: str) -> None:
    expect(page).to_have_url(f"{shop_url}/")
    expect(page.get_by_role("heading", name="My Orders")).to_be_visible()


def price_on_the_shop(page: Page, name: str) -> Locator:
    card = page.locator(".product-card").filter(
        has=page.get_by_role("heading", name=name, exact=True)
    )
    return card.locator(".product-price")
