"""``sync_orders`` on the loaded history: a dry run, then the real run, against the simulator.

The history's pending orders (1.5 % of them, over three years) are mostly long
over: the run expires those without asking Stripe. The ones it must ask (the
last days') get open sessions at the simulator, topped up to ASKED orders from
the last hours, half of them already expired there, so both sizes ask Stripe
about the same number of orders and what grows with the history shows.
Import after ``django.setup()``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from store.models import Order
from store.payments import overdue, reconcile_pending
from store.payments.stripe_api import stripe_client
from stripe_simulator import StripeSimulator

ASKED = 200
# sync_orders' default: pending orders older than this are reconciled.
OLDER_THAN = timedelta(minutes=10)


@dataclass(frozen=True)
class SyncTiming:
    label: str
    seconds: float
    queries: int
    stripe_calls: int
    asked: int
    expired_unasked: int


def measure_sync(simulator: StripeSimulator) -> list[SyncTiming]:
    _open_sessions_for_the_orders_it_asks(simulator)
    return [_run(simulator, "dry run", dry_run=True), _run(simulator, "real run", dry_run=False)]


def _run(simulator: StripeSimulator, label: str, *, dry_run: bool) -> SyncTiming:
    calls_before = len(simulator.requests)
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as captured:
        report = reconcile_pending(OLDER_THAN, dry_run=dry_run)
    seconds = time.perf_counter() - started
    if report.errors:
        raise AssertionError(f"sync_orders {label}: {report}")
    return SyncTiming(
        label=label,
        seconds=seconds,
        queries=len(captured),
        stripe_calls=len(simulator.requests) - calls_before,
        asked=report.checked,
        expired_unasked=report.expired_unasked,
    )


def _open_sessions_for_the_orders_it_asks(simulator: StripeSimulator) -> None:
    """Real sessions for the loaded pending orders sync_orders asks about, then new orders."""
    now = timezone.now()
    asked = list(
        Order.objects.filter(status=Order.Status.PENDING, created_at__lt=now - OLDER_THAN)
        .exclude(pk__in=overdue.certainly_over(now).values("pk"))
        .order_by("pk")[:ASKED]
    )
    for number, order in enumerate(asked):
        order.stripe_session_id = _session(simulator, number)
    Order.objects.bulk_update(asked, ["stripe_session_id"])
    then = now - timedelta(hours=2)
    Order.objects.bulk_create(
        Order(
            currency="inr",
            amount_total=30000,
            browser_token=f"bench-sync-{number}",
            stripe_session_id=_session(simulator, len(asked) + number),
            created_at=then,
            checkout_started_at=then,
            checkout_expires_at=then + timedelta(hours=1),
        )
        for number in range(ASKED - len(asked))
    )


def _session(simulator: StripeSimulator, number: int) -> str:
    session = stripe_client().v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": "inr",
                        "unit_amount": 30000,
                        "product_data": {"name": "Cap"},
                    },
                }
            ],
            "success_url": "https://127.0.0.1/checkout/success/?session_id={CHECKOUT_SESSION_ID}",
            "cancel_url": "https://127.0.0.1/",
        }
    )
    if number % 2:
        simulator.expire(session.id)  # abandoned: Stripe expired it; the run expires the order
    return session.id
