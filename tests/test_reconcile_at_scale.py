"""`sync_orders` on a backlog (issue 21): certainly-over sessions expired without asking Stripe,
a time budget that stops a run and a cursor the next run goes on from, a dry run whose queries
do not grow with the orders."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from store.models import Order, WebhookEvent
from store.signals import checkout_ended
from tests.simulator_support import client_for, dollar_params, session_params
from tests.test_reconcile import place_order, sync_orders

# Past a session's longest life (24 h) and Stripe's webhook retries (3 days).
LONG_AGO = timedelta(days=5)
# Old enough for sync_orders (10 minutes), young enough that its session might be paid.
LATELY = timedelta(hours=2)


def open_sessions(stripe_sim, count: int, params: dict | None = None) -> list[str]:
    client = client_for(stripe_sim)
    return [
        client.v1.checkout.sessions.create(params=params or session_params()).id
        for _ in range(count)
    ]


def pending_orders(session_ids: list[str], age: timedelta, **fields) -> list[Order]:
    """Pending orders made ``age`` ago, their sessions meant to end an hour later."""
    then = timezone.now() - age
    return Order.objects.bulk_create(
        Order(
            **{
                "currency": "inr",
                "amount_total": 30000,
                "browser_token": f"browser-{session_id[-20:]}",
                "stripe_session_id": session_id,
                "created_at": then,
                "checkout_started_at": then,
                "checkout_expires_at": then + timedelta(hours=1),
                **fields,
            }
        )
        for session_id in session_ids
    )


def sessions_asked(stripe_sim) -> list[str]:
    """The Checkout Sessions the shop read, in the order it read them."""
    prefix = "/v1/checkout/sessions/"
    return [
        request.path.removeprefix(prefix)
        for request in stripe_sim.requests
        if request.method == "GET" and request.path.startswith(prefix)
    ]


def test_a_run_out_of_time_stops_and_the_next_goes_on_from_there(db, stripe_sim):
    orders = pending_orders(open_sessions(stripe_sim, 300), LATELY)
    in_turn = [order.stripe_session_id for order in sorted(orders, key=lambda order: order.pk)]

    first_run = sync_orders("--time-budget", "0.2")

    asked = sessions_asked(stripe_sim)
    assert 0 < len(asked) < 300
    assert asked == in_turn[: len(asked)]
    assert first_run.endswith(
        f"stopped at the time budget after order {orders[len(asked) - 1].pk}; "
        "the next run goes on from there"
    )
    for _ in range(300):
        if len(sessions_asked(stripe_sim)) > 300:
            break
        sync_orders("--time-budget", "0.2")
    # Every order asked once, in turn, before the first is asked again.
    assert sessions_asked(stripe_sim)[:301] == [*in_turn, in_turn[0]]
    assert set(Order.objects.values_list("status", flat=True)) == {"pending"}


def test_sessions_certainly_over_are_expired_without_asking_stripe(
    client, products, stripe_sim, django_capture_on_commit_callbacks
):
    over = pending_orders([f"cs_test_over_{n}" for n in range(20)], LONG_AGO)
    recent = pending_orders(open_sessions(stripe_sim, 1), LATELY)
    (debit,) = open_sessions(stripe_sim, 1, dollar_params())
    stripe_sim.pay_delayed(debit)
    processing = pending_orders([debit], LONG_AGO, payment_processing=True, currency="usd")
    webhook_failed = pending_orders(open_sessions(stripe_sim, 1), LONG_AGO)
    WebhookEvent.objects.create(
        event_id="evt_failed",
        type="checkout.session.completed",
        object_id=webhook_failed[0].stripe_session_id,
        attempts=1,
        error="OperationalError: the database restarted",
    )
    # The shopper came back from Stripe's page while Stripe could not be asked.
    returned = place_order(client, products)
    stripe_sim.fail_next(500)
    client.get("/checkout/success/", {"session_id": returned.stripe_session_id})
    then = timezone.now() - LONG_AGO
    Order.objects.filter(pk=returned.pk).update(
        created_at=then, checkout_started_at=then, checkout_expires_at=then
    )
    stripe_sim.requests.clear()
    ended = []
    checkout_ended.connect(
        lambda order, **kwargs: ended.append(order.pk), weak=False, dispatch_uid=__name__
    )

    try:
        with django_capture_on_commit_callbacks(execute=True):
            summary = sync_orders()
    finally:
        checkout_ended.disconnect(dispatch_uid=__name__)

    assert summary.endswith(
        "; 20 more expired without asking Stripe (sessions over for days, no sign of a payment)"
    )
    assert set(Order.objects.filter(pk__in=ended).values_list("status", flat=True)) == {"expired"}
    assert sorted(ended) == sorted(order.pk for order in over)
    asked = sessions_asked(stripe_sim)
    assert not any(session.startswith("cs_test_over_") for session in asked)
    assert sorted(asked) == sorted(
        order.stripe_session_id for order in (*recent, *processing, *webhook_failed, returned)
    )
    assert set(Order.objects.exclude(pk__in=ended).values_list("status", flat=True)) == {"pending"}


def test_the_dry_run_counts_in_bulk_and_reads_orders_in_batches(db, stripe_sim):
    def dry_run_queries() -> int:
        stripe_sim.requests.clear()
        with CaptureQueriesContext(connection) as captured:
            sync_orders("--dry-run")
        assert len(sessions_asked(stripe_sim)) == Order.objects.filter(created_at__gt=ago).count()
        return len(captured)

    ago = timezone.now() - timedelta(days=1)
    for size in (5, 40):
        over = open_sessions(stripe_sim, size)
        for session_id in over:
            stripe_sim.expire(session_id)  # what Stripe would say, were it asked
        pending_orders(over, LONG_AGO)
        pending_orders(open_sessions(stripe_sim, size), LATELY)
        if size == 5:
            few = dry_run_queries()
    assert dry_run_queries() == few
    assert Order.objects.filter(status="pending").count() == 90
