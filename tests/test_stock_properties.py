"""A property of stock, over random sequences of what shoppers, Stripe and reconcile do.

After every step: on hand = initial − units paid for, and nothing is sold that
is not there (no negative stock or availability without a flagged order).
"""

from __future__ import annotations

import itertools
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)

from store import stock
from store.models import Order, OrderLine, ProductVariant
from stripe_simulator import SimulatorApiError
from tests.conftest import make_product
from tests.test_stock import check_out
from tests.test_webhooks import deliver, event_for

products_made = itertools.count()


class StockMachine(RuleBasedStateMachine):
    """One product, many shoppers; each order remembers the browser that placed it."""

    stripe_sim = None  # set by the test
    orders = Bundle("orders")

    @initialize(on_hand=st.integers(min_value=0, max_value=6))
    def stock_a_product(self, on_hand):
        self.initial = on_hand
        product = make_product(f"Widget {next(products_made)}", 5000, stock=on_hand)
        self.product = product.variants.get()
        self.browsers: dict[int, Client] = {}

    @rule(target=orders, quantity=st.integers(min_value=1, max_value=4))
    def checkout(self, quantity):
        browser = Client()
        response = check_out(browser, self.product, quantity)
        if response["Location"].startswith("/"):  # back to the shop, not on to Stripe
            assert response["Location"] == "/#error-summary"  # sold out, never an error page
            return multiple()
        order = Order.objects.latest("pk")
        self.browsers[order.pk] = browser
        return order.pk

    @rule(order=orders)
    def pay(self, order):
        paid = Order.objects.get(pk=order)
        if self.stripe_sim.pay(paid.stripe_session_id):
            deliver(Client(), event_for(self.stripe_sim, "checkout.session.completed", paid))

    @rule(order=orders)
    def cancel(self, order):
        self.browsers[order].get(f"/checkout/cancel/{Order.objects.get(pk=order).public_id}/")

    @rule(order=orders)
    def expire_at_stripe(self, order):
        expiring = Order.objects.get(pk=order)
        try:
            self.stripe_sim.expire(expiring.stripe_session_id)
        except SimulatorApiError:
            return  # already paid or expired: Stripe refuses, nothing is sent
        deliver(Client(), event_for(self.stripe_sim, "checkout.session.expired", expiring))

    @rule(order=orders)
    def time_runs_out(self, order):
        """The session's time passes with no event at all (here and at Stripe)."""
        past = timezone.now() - timedelta(seconds=1)
        late = Order.objects.get(pk=order)
        if late.status == "pending":
            Order.objects.filter(pk=order).update(checkout_expires_at=past)
            self.stripe_sim.sessions[late.stripe_session_id]["expires_at"] = int(past.timestamp())

    @rule()
    def reconcile(self):
        call_command("sync_orders", "--older-than", "0", stdout=StringIO())

    @invariant()
    def on_hand_is_initial_minus_paid(self):
        if not hasattr(self, "product"):
            return
        variant = stock.with_held_units(ProductVariant.objects.filter(pk=self.product.pk)).get()
        paid = OrderLine.objects.filter(variant=variant, order__status="paid").aggregate(
            units=Sum("quantity", default=0)
        )["units"]
        assert variant.stock == self.initial - paid
        flagged = Order.objects.filter(lines__variant=variant, needs_attention=True).exists()
        assert variant.stock - variant.held_units >= 0 or flagged


@pytest.mark.django_db
def test_stock_is_initial_minus_paid_units_after_every_step(stripe_sim, settings_for_property):
    StockMachine.stripe_sim = stripe_sim
    run_state_machine_as_test(
        StockMachine,
        settings=settings(
            max_examples=30,
            stateful_step_count=15,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )


@pytest.fixture
def settings_for_property(settings):
    # Hundreds of checkouts from one test address: the flood limit is not under test here.
    settings.STORE_CHECKOUT_RATE_PER_IP = "100000/m"
    settings.STORE_CHECKOUT_RATE_PER_BROWSER = "100000/m"
    return settings
