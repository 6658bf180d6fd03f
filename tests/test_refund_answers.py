"""Refunds whose answer from Stripe is sparse, lost or late (issue 17, items 1 and 2).

The refund row is committed, awaiting Stripe's answer, before Stripe is asked:
an answer lost to a timeout or a dropped connection leaves it awaiting, the
admin says so, and the webhook or ``sync_orders`` settles it as one refund,
made by the staff member who asked, with one ``refund_succeeded`` signal.
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from store.models import Order, OrderEmail, Refund
from store.signals import refund_succeeded
from tests import test_refunds
from tests.admin_pages import admin_messages
from tests.test_refunds import refund, refund_form, refund_requests
from tests.test_webhooks import deliver

paid_order = test_refunds.paid_order
refunder = test_refunds.refunder

# Each request commits, as in production, so signals sent on commit are counted as they happen.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

NOT_KNOWN_YET = "not known yet"


@pytest.fixture
def refund_signals():
    """Every refund_succeeded signal sent (after its transaction committed)."""
    received: list[int] = []

    def receiver(sender, refund, **kwargs):
        received.append(refund.pk)

    refund_succeeded.connect(receiver, weak=False)
    yield received
    refund_succeeded.disconnect(receiver)


@pytest.fixture
def slow_stripe(settings, stripe_sim):
    """The shop waits half a second for Stripe; the next refund takes Stripe two."""
    settings.STRIPE_TIMEOUT_SECONDS = 0.5
    stripe_sim.hang_next("POST /v1/refunds", 2)
    return stripe_sim


def events_of(stripe_sim, *types: str) -> list[dict]:
    return [event for event in stripe_sim.events if event["type"] in types]


def test_a_refund_answered_in_stripes_example_shape_records_one_refund(
    refunder, paid_order, stripe_sim, refund_signals
):
    response = refund(refunder, paid_order, amount="300")

    (answer,) = stripe_sim.refunds.values()
    assert "failure_reason" not in answer  # as in Stripe's example refund
    assert response.status_code == 200
    assert admin_messages(response) == [f"Refund of ₹300.00 for {paid_order}: succeeded."]
    (made,) = Refund.objects.all()
    assert (made.status, made.stripe_refund_id, made.failure_reason) == (
        "succeeded",
        answer["id"],
        "",
    )
    assert refund_signals == [made.pk]


def test_an_answer_lost_to_a_timeout_is_not_known_yet_and_the_webhook_settles_it(
    client, refunder, paid_order, slow_stripe, refund_signals
):
    form = refund_form(refunder, paid_order) | {"amount": "300"}

    first = refund(refunder, paid_order, form)

    (message,) = admin_messages(first)
    assert NOT_KNOWN_YET in message and "Do not refund again" in message
    (awaiting,) = Refund.objects.all()
    assert awaiting.status == "requested" and awaiting.created_by.username == "cashier"
    page = refunder.get(f"/admin/orders/inspect/{paid_order.pk}/").content.decode()
    assert "awaiting Stripe's answer" in page
    # Pressed again (the browser resends the form): the same refund, Stripe not asked anew.
    again = refund(refunder, paid_order, form)
    assert NOT_KNOWN_YET in admin_messages(again)[0]

    # Stripe made it meanwhile and says so.
    for event in events_of(slow_stripe, "refund.created", "charge.refunded"):
        deliver(client, event)

    awaiting.refresh_from_db()
    paid_order.refresh_from_db()
    assert (awaiting.status, awaiting.created_by.username) == ("succeeded", "cashier")
    assert awaiting.stripe_refund_id == next(iter(slow_stripe.refunds))
    assert paid_order.amount_refunded == 30000
    assert refund_signals == [awaiting.pk]
    assert OrderEmail.objects.filter(kind="refund").count() == 1
    later = refund(refunder, paid_order, form)
    assert "This form was already sent" in admin_messages(later)[0]
    assert len(refund_requests(slow_stripe)) == 1 and len(slow_stripe.refunds) == 1


def test_an_answer_lost_to_a_timeout_is_settled_by_sync_orders(
    refunder, paid_order, slow_stripe, refund_signals
):
    form = refund_form(refunder, paid_order) | {"amount": "300"}
    refund(refunder, paid_order, form)
    refund(refunder, paid_order, form)

    out = StringIO()
    call_command("sync_orders", stdout=out)

    assert "checked the refunds of 1 orders: 1 updated" in out.getvalue()
    (made,) = Refund.objects.all()
    assert (made.status, made.created_by.username, made.made_in_stripe) == (
        "succeeded",
        "cashier",
        False,
    )
    assert Order.objects.get().amount_refunded == 30000
    assert refund_signals == [made.pk]
    assert len(refund_requests(slow_stripe)) == 1 and len(slow_stripe.refunds) == 1


def test_a_dropped_answer_then_a_press_after_the_longest_call_asks_with_the_same_key(
    refunder, paid_order, stripe_sim, refund_signals
):
    form = refund_form(refunder, paid_order) | {"amount": "300"}
    # The refund's own answer: a request another test left in flight must not take the drop.
    stripe_sim.drop_next_response(endpoint="POST /v1/refunds")

    assert NOT_KNOWN_YET in admin_messages(refund(refunder, paid_order, form))[0]
    Refund.objects.update(stripe_asked_at=None)  # long enough ago: no answer is on its way
    retried = refund(refunder, paid_order, form)

    assert admin_messages(retried) == [f"Refund of ₹300.00 for {paid_order}: succeeded."]
    first, second = refund_requests(stripe_sim)
    assert first.idempotency_key == second.idempotency_key == Refund.objects.get().idempotency_key
    assert len(stripe_sim.refunds) == 1
    assert refund_signals == [Refund.objects.get().pk]


def test_sync_orders_makes_a_refund_stripe_never_received_with_its_own_key(
    refunder, paid_order, stripe_sim, settings, refund_signals
):
    simulator = settings.STRIPE_API_BASE
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens: Stripe never hears of it
    assert NOT_KNOWN_YET in admin_messages(refund(refunder, paid_order, amount="300"))[0]
    settings.STRIPE_API_BASE = simulator
    Refund.objects.update(stripe_asked_at=None)

    call_command("sync_orders", stdout=StringIO())

    (made,) = Refund.objects.all()
    assert (made.status, made.created_by.username) == ("succeeded", "cashier")
    (asked,) = refund_requests(stripe_sim)
    assert asked.idempotency_key == made.idempotency_key
    assert refund_signals == [made.pk]


def test_sync_orders_records_a_dashboard_refund_of_an_order_without_refunds(
    paid_order, stripe_sim, refund_signals
):
    made = stripe_sim.dashboard_refund(paid_order.stripe_payment_intent_id, amount=20000)

    call_command("sync_orders", stdout=StringIO())

    (recorded,) = Refund.objects.all()
    assert (recorded.stripe_refund_id, recorded.made_in_stripe, recorded.created_by) == (
        made["id"],
        True,
        None,
    )
    assert Order.objects.get().amount_refunded == 20000
    assert refund_signals == [recorded.pk]
