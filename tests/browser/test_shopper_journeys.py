"""A shopper in a real browser: the shop, Stripe's hosted page (the simulator), back again.

Mirrors ``tests/test_checkout_flow.py``, which walks the same journeys over plain HTTP.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.core.signals import request_started
from playwright.sync_api import expect

from store.models import Order
from tests.browser.shop import (
    DECLINED_CARD,
    check_out,
    checkout_button,
    choose,
    expect_back_on_the_shop,
    messages,
    my_orders,
    pay,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def shop(page, shop_server):
    page.goto(f"{shop_server.url}/")
    return page


def test_paying_shows_the_order_once_through_reloads_and_back(
    shop, shop_server, stripe_sim, paid_signals
):
    check_out(shop, {"T-Shirt": 2, "Cap": 1})
    expect(shop.get_by_role("heading", name="Pay ₹1,300.00")).to_be_visible()

    pay(shop)

    expect_back_on_the_shop(shop, shop_server.url)
    order = Order.objects.get()
    expect(messages(shop)).to_have_text([f"Payment received — order #{order.number}. Thank you!"])
    expect(my_orders(shop)).to_have_count(1)
    placed = my_orders(shop).first
    expect(placed).to_contain_text(f"Order #{order.number}")
    expect(placed.locator(".order-lines li")).to_have_text(["2 × T-Shirt", "1 × Cap"])
    expect(placed.locator(".order-total")).to_have_text("Total: ₹1,300.00")
    expect(placed.locator(".status")).to_have_text("Paid")
    assert (order.status, order.amount_total) == ("paid", 130000)
    paid_at = order.paid_at

    for _ in range(3):
        shop.reload()
        expect(my_orders(shop)).to_have_count(1)
        expect(messages(shop)).to_have_count(0)  # the thank-you is said once, not per reload
    # Back is Stripe's page, which now says the session is paid and offers only the way back.
    shop.go_back()
    expect(
        shop.get_by_role("heading", name="This checkout session is already paid")
    ).to_be_visible()
    expect(shop.get_by_role("button", name="Pay ₹1,300.00")).to_have_count(0)
    shop.get_by_role("link", name="Continue to the shop").click()

    expect_back_on_the_shop(shop, shop_server.url)
    expect(my_orders(shop)).to_have_count(1)
    (delivery,) = stripe_sim.wait_for_deliveries(1)
    assert (delivery.event["type"], delivery.status) == ("checkout.session.completed", 200)
    order = Order.objects.get()
    assert (order.status, order.paid_at) == ("paid", paid_at)
    assert paid_signals == [order.pk]


def test_a_declined_card_says_so_and_leaves_no_paid_order(shop, shop_server, stripe_sim):
    check_out(shop, {"Cap": 1})

    pay(shop, DECLINED_CARD)

    expect(shop.get_by_role("alert")).to_have_text("Your card was declined. Try another card.")
    expect(shop.get_by_label("Card number")).to_have_attribute("aria-invalid", "true")
    expect(shop.get_by_label("Card number")).to_have_value(DECLINED_CARD)
    assert Order.objects.get().status == "pending"
    assert not Order.objects.filter(status="paid").exists()

    shop.goto(f"{shop_server.url}/")
    expect(my_orders(shop)).to_have_count(0)
    expect(shop.get_by_text("Orders you pay for from this browser appear here.")).to_be_visible()


def test_cancel_on_the_payment_page_says_nothing_was_charged(shop, shop_server, stripe_sim):
    check_out(shop, {"Shoes": 1})

    shop.get_by_role("button", name="Cancel").click()

    expect_back_on_the_shop(shop, shop_server.url)
    order = Order.objects.get()
    expect(messages(shop)).to_have_text(
        [f"Checkout cancelled. Nothing was charged for order #{order.number}."]
    )
    expect(my_orders(shop)).to_have_count(0)
    assert order.status == "cancelled"
    assert not Order.objects.filter(status="paid").exists()
    # Stripe's page can no longer be paid: back shows it expired.
    shop.go_back()
    expect(shop.get_by_role("heading", name="This checkout session has expired")).to_be_visible()
    (delivery,) = stripe_sim.wait_for_deliveries(1)
    assert (delivery.event["type"], delivery.status) == ("checkout.session.expired", 200)


def test_double_clicking_checkout_makes_one_order(shop, shop_server, stripe_sim):
    # Stripe answering slowly keeps the first submission in flight when the second click comes;
    # well within checkout.SESSION_WAIT, which the second request waits for the first's session.
    stripe_sim.delay_seconds = 0.25
    choose(shop, {"Cap": 2})
    button = checkout_button(shop).bounding_box()
    x, y = button["x"] + button["width"] / 2, button["y"] + button["height"] / 2

    with checkouts_received() as received:
        shop.mouse.click(x, y)
        # A person's second click lands while the first is being handled. (Playwright's
        # dblclick() is too fast: Chromium folds both into one submission before sending.)
        assert received.first.wait(timeout=5), "the first click did not reach the shop"
        shop.mouse.click(x, y)
        expect(shop.get_by_role("heading", name="Pay ₹600.00")).to_be_visible()

    assert len(received.started) == 2, "both clicks should have reached the shop"
    assert Order.objects.count() == 1
    assert len(stripe_sim.sessions) == 1
    stripe_sim.delay_seconds = 0
    pay(shop)
    expect_back_on_the_shop(shop, shop_server.url)
    expect(my_orders(shop)).to_have_count(1)
    expect(my_orders(shop).locator(".order-lines li")).to_have_text(["2 × Cap"])
    assert Order.objects.get().status == "paid"
    stripe_sim.wait_for_deliveries(1)


class CheckoutRequests:
    """Called by the live server's threads as each request starts; list.append is thread-safe."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.first = threading.Event()

    def __call__(self, sender, environ, **kwargs) -> None:
        if environ["REQUEST_METHOD"] == "POST" and environ["PATH_INFO"] == "/checkout/":
            self.started.append(environ["PATH_INFO"])
            self.first.set()


@contextmanager
def checkouts_received() -> Iterator[CheckoutRequests]:
    """Count the checkout submissions the live server starts handling."""
    received = CheckoutRequests()
    request_started.connect(received)
    try:
        yield received
    finally:
        request_started.disconnect(received)
