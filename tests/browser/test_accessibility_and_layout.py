"""Every state a shopper meets passes axe-core, works by keyboard and fits a phone."""

from __future__ import annotations

import itertools

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import DESKTOP, axe_violations
from tests.browser.shop import (
    DECLINED_CARD,
    check_out,
    checkout_button,
    expect_back_on_the_shop,
    messages,
    my_orders,
    pay,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PHONE = {"width": 375, "height": 740}


def test_the_shop_and_payment_pages_pass_axe_through_a_purchase(page, shop_server, stripe_sim):
    page.goto(f"{shop_server.url}/")
    assert axe_violations(page) == []

    checkout_button(page).click()  # nothing chosen: the form explains
    expect(page.get_by_role("alert")).to_contain_text("Choose at least one product.")
    assert axe_violations(page) == []

    check_out(page, {"Shoes": 1})
    assert axe_violations(page) == []

    pay(page, DECLINED_CARD)
    expect(page.get_by_role("alert")).to_contain_text("Your card was declined")
    assert axe_violations(page) == []

    pay(page)
    expect_back_on_the_shop(page, shop_server.url)
    expect(messages(page)).to_contain_text(["Payment received"])
    expect(my_orders(page)).to_have_count(1)
    assert axe_violations(page) == []
    stripe_sim.wait_for_deliveries(1)


def test_shipping_rates_and_an_orders_charges_pass_axe(
    page, shop_server, stripe_sim, shipping_rates
):
    page.goto(f"{shop_server.url}/")
    expect(page.locator("section.shipping")).to_contain_text("Free shipping on orders of ₹999.00")
    assert axe_violations(page) == []

    check_out(page, {"Cap": 1})
    pay(page)
    expect_back_on_the_shop(page, shop_server.url)
    expect(my_orders(page).first.locator(".order-charges")).to_contain_text("Shipping (Standard)")
    assert axe_violations(page) == []
    stripe_sim.wait_for_deliveries(1)


def test_the_shop_after_cancelling_passes_axe(page, shop_server, stripe_sim):
    page.goto(f"{shop_server.url}/")
    check_out(page, {"Cap": 1})
    page.get_by_role("button", name="Cancel").click()

    expect_back_on_the_shop(page, shop_server.url)
    expect(messages(page)).to_contain_text(["Nothing was charged"])
    assert axe_violations(page) == []
    stripe_sim.wait_for_deliveries(1)


def test_the_not_found_page_passes_axe(page, shop_server):
    response = page.goto(f"{shop_server.url}/no-such-page/")
    assert response.status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    assert axe_violations(page) == []


def test_checkout_works_with_the_keyboard_alone(page, shop_server, stripe_sim):
    page.goto(f"{shop_server.url}/")
    quantity = page.get_by_label("Quantity of T-Shirt", exact=True)

    tab_to(page, quantity)
    expect_focus_ring(quantity)
    page.keyboard.press("Control+A")
    page.keyboard.type("2")
    expect(quantity).to_have_value("2")
    tab_to(page, checkout_button(page))
    expect_focus_ring(checkout_button(page))
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Pay ₹1,000.00")).to_be_visible()
    pay_button = page.get_by_role("button", name="Pay ₹1,000.00")
    tab_to(page, pay_button)  # the card field comes first, filled with the test card
    expect_focus_ring(pay_button)
    page.keyboard.press("Enter")

    expect_back_on_the_shop(page, shop_server.url)
    expect(my_orders(page).locator(".order-lines li")).to_have_text(["2 × T-Shirt"])
    stripe_sim.wait_for_deliveries(1)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["375px", "1280px"])
def test_the_shop_fits_the_screen_without_overlaps(page, shop_server, viewport):
    page.set_viewport_size(viewport)
    page.goto(f"{shop_server.url}/")

    assert_no_horizontal_scroll(page)
    cards = page.locator("li.product")
    expect(cards).to_have_count(3)
    assert_disjoint([boxed(card) for card in cards.all()])
    for card in cards.all():
        parts = card.locator(".product-card > *, .quantity label, .quantity input")
        assert_disjoint([boxed(part) for part in parts.all()])
    inside = page.get_by_role("spinbutton").all() + [checkout_button(page)]
    for element in inside:
        box = boxed(element)
        assert 0 <= box.left and box.right <= viewport["width"], (box, viewport)


def test_the_payment_page_fits_a_phone(page, shop_server, stripe_sim):
    page.set_viewport_size(PHONE)
    page.goto(f"{shop_server.url}/")
    check_out(page, {"T-Shirt": 1, "Shoes": 2, "Cap": 3})

    assert_no_horizontal_scroll(page)
    for button in page.get_by_role("button").all():
        assert boxed(button).right <= PHONE["width"]


# --- helpers -------------------------------------------------------------------


def tab_to(page: Page, target: Locator, max_presses: int = 12) -> None:
    """Press Tab until ``target`` has the focus, as a keyboard user would."""
    for _ in range(max_presses):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"{target} not reached with {max_presses} presses of Tab")


def expect_focus_ring(element: Locator) -> None:
    """The focused element shows where the focus is."""
    outline = element.evaluate(
        "e => [getComputedStyle(e).outlineStyle, getComputedStyle(e).outlineWidth]"
    )
    assert outline[0] != "none" and outline[1] != "0px", outline


class Box:
    def __init__(self, name: str, box: dict) -> None:
        self.name = name
        self.left, self.top = box["x"], box["y"]
        self.right, self.bottom = box["x"] + box["width"], box["y"] + box["height"]

    def overlaps(self, other: Box) -> bool:
        return (
            self.left < other.right
            and other.left < self.right
            and self.top < other.bottom
            and other.top < self.bottom
        )

    def __repr__(self) -> str:
        return f"<{self.name} {self.left:.0f},{self.top:.0f} – {self.right:.0f},{self.bottom:.0f}>"


def boxed(element: Locator) -> Box:
    box = element.bounding_box()
    assert box is not None, f"{element} is not visible"
    name = element.evaluate("e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : '')")
    return Box(name, box)


def assert_disjoint(boxes: list[Box]) -> None:
    overlapping = [(a, b) for a, b in itertools.combinations(boxes, 2) if a.overlaps(b)]
    assert overlapping == []


def assert_no_horizontal_scroll(page: Page) -> None:
    scroll_width, inner_width = page.evaluate(
        "() => [document.scrollingElement.scrollWidth, window.innerWidth]"
    )
    assert scroll_width <= inner_width
