"""Reconcile: settle pending orders from Stripe's side (``manage.py sync_orders``).

Heals missed webhooks, abandoned checkouts and cancels Stripe could not be
told about. Orders whose session is certainly over are first expired in bulk
without asking Stripe (``store.payments.overdue``). The rest are read from
Stripe one by one, in batches by pk (keyset), with no transaction open (its
session, a delayed payment's PaymentIntent, an expiry at Stripe); only then is
its row locked, briefly, by :func:`apply_session`. A time budget stops a run
between two orders; where it stopped is kept (the cache) and the next run goes
on from there, round to the start and up to it again, so on a long backlog
every order is asked in turn. The dry run goes through the same decisions
(:func:`session_decision`) and stops before changing anything, here or at
Stripe, counting the bulk expiry with one query.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

from django.core.cache import cache
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from store import transitions
from store.models import Order
from store.payments import overdue
from store.payments.finalize import (
    SETTLED_PAYMENT_STATUSES,
    apply_session,
    read_checkout,
    session_decision,
)
from store.payments.outcomes import Outcome, PaymentError
from store.payments.stripe_api import expire_session, longest_stripe_call
from store.payments.stripe_fields import optional

logger = logging.getLogger(__name__)

REPORTED = {
    Outcome.PAID: "paid",
    Outcome.EXPIRED: "expired",
    Outcome.CANCELLED: "cancelled",
    Outcome.FAILED: "failed",
    Outcome.MISMATCH: "needs_attention",
}
# The pk of the last order a run asked before its time budget ran out; none: start at the start.
CURSOR_KEY = "store:reconcile:asked_up_to"
# Orders read per query while asking Stripe one by one.
BATCH_SIZE = 100


@dataclass
class ReconcileReport:
    checked: int = 0
    paid: int = 0
    expired: int = 0
    cancelled: int = 0
    failed: int = 0
    unchanged: int = 0
    needs_attention: int = 0
    errors: int = 0
    # Expired without asking Stripe: their sessions were certainly over (overdue).
    expired_unasked: int = 0
    # The time budget ran out before every order was reached.
    out_of_time: bool = False
    # The pk of the last order asked (0: none).
    asked_up_to: int = 0

    def count(self, outcome: Outcome) -> None:
        field = REPORTED.get(outcome, "unchanged")
        setattr(self, field, getattr(self, field) + 1)

    def __str__(self) -> str:
        text = (
            f"checked {self.checked} pending orders: {self.paid} paid, {self.expired} expired, "
            f"{self.cancelled} cancelled, {self.failed} failed, {self.unchanged} unchanged, "
            f"{self.needs_attention} need attention, {self.errors} errors"
        )
        if self.expired_unasked:
            text += (
                f"; {self.expired_unasked} more expired without asking Stripe "
                "(sessions over for days, no sign of a payment)"
            )
        if self.out_of_time:
            where = (
                f"after order {self.asked_up_to}"
                if self.asked_up_to
                else "while expiring orders unasked"
            )
            text += f"\nstopped at the time budget {where}; the next run goes on from there"
        return text


class Deadline:
    """When a run must stop starting new work (never, without a budget)."""

    def __init__(self, seconds: float | None):
        self.at = None if seconds is None else time.monotonic() + seconds

    def passed(self) -> bool:
        return self.at is not None and time.monotonic() >= self.at


def reconcile_pending(
    older_than: timedelta, *, dry_run: bool = False, time_budget: float | None = None
) -> ReconcileReport:
    """Settle pending orders older than ``older_than``, and every cancel left unfinished,
    within ``time_budget`` seconds (a Stripe call under way may overrun it)."""
    report = ReconcileReport()
    deadline = Deadline(time_budget)
    now = timezone.now()
    if dry_run:
        report.expired_unasked = overdue.certainly_over(now).count()
    else:
        report.expired_unasked, finished = overdue.expire_certainly_over(now, deadline.passed)
        if not finished:
            report.out_of_time = True
            return report
    candidates = (
        Order.objects.filter(status=Order.Status.PENDING)
        .filter(Q(created_at__lt=now - older_than) | Q(cancel_requested_at__isnull=False))
        .exclude(pk__in=overdue.certainly_over(now).values("pk"))
    )
    for order in _in_turn(candidates, cache.get(CURSOR_KEY, 0)):
        # At least one order per run, so a budget shorter than one call still moves on.
        if report.checked and deadline.passed():
            report.out_of_time = True
            break
        report.checked += 1
        try:
            report.count(_reconcile(order, dry_run=dry_run))
        except PaymentError as error:
            logger.warning("Could not reconcile the order: %s", error, extra={"order_id": order.pk})
            report.errors += 1
        report.asked_up_to = order.pk
    if not dry_run:
        # A finished round: the next run starts at the start.
        cache.set(CURSOR_KEY, report.asked_up_to if report.out_of_time else 0, timeout=None)
    return report


def _in_turn(candidates: QuerySet, after_pk: int) -> Iterator[Order]:
    """Each candidate once: those after ``after_pk``, then round to the start and up to it."""
    yield from _by_pk(candidates.filter(pk__gt=after_pk))
    if after_pk:
        yield from _by_pk(candidates.filter(pk__lte=after_pk))


def _by_pk(orders: QuerySet) -> Iterator[Order]:
    """Keyset pagination: each batch starts after the last pk of the one before (no OFFSET)."""
    after = None
    while True:
        page = orders if after is None else orders.filter(pk__gt=after)
        batch = list(page.order_by("pk")[:BATCH_SIZE])
        yield from batch
        if len(batch) < BATCH_SIZE:
            return
        after = batch[-1].pk


def _reconcile(order: Order, *, dry_run: bool) -> Outcome:
    """One pending order: read Stripe (no transaction open), then decide under its row lock."""
    if not dry_run:
        # Settled since its batch was read (a webhook, the success page)? Then Stripe is not asked.
        order = Order.objects.filter(pk=order.pk, status=Order.Status.PENDING).first()
        if order is None:
            return Outcome.UNCHANGED
    if not order.stripe_session_id:
        return _without_session(order, dry_run=dry_run)
    checkout = read_checkout(order.stripe_session_id)
    ending = _ending(order, checkout.session)
    if dry_run:
        return ending or _predicted(session_decision(order, checkout))
    if ending and optional(checkout.session, "status") == "open":
        session = expire_session(checkout.session.id, f"order-{order.public_id}-expire")
        checkout = read_checkout(session.id, session)
    # Paid, processing, failed, expired or cancelled: the decision _predicted reports.
    return apply_session(order, checkout)


def _without_session(order: Order, *, dry_run: bool) -> Outcome:
    """No session after the longest a Stripe call can take: the process died; nobody can pay.

    A checkout still being started (created or marked lately) is left alone.
    """
    started = max(filter(None, (order.created_at, order.checkout_started_at)))
    if started > timezone.now() - longest_stripe_call():
        return Outcome.UNCHANGED
    if dry_run:
        return Outcome.FAILED
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        failed = not order.stripe_session_id and transitions.mark_failed(
            order, "Checkout never started"
        )
    return Outcome.FAILED if failed else Outcome.UNCHANGED


def _predicted(decision: Outcome) -> Outcome:
    """What the report counts for a decision: a payment still processing changes nothing."""
    return Outcome.UNCHANGED if decision is Outcome.PROCESSING else decision


def _ending(order: Order, session) -> Outcome | None:
    """EXPIRED or CANCELLED when the order ends unpaid with this session; else None."""
    status = optional(session, "status")
    if optional(session, "payment_status") in SETTLED_PAYMENT_STATUSES or status == "complete":
        return None
    expires_at = optional(session, "expires_at")
    past_expiry = bool(expires_at) and expires_at < timezone.now().timestamp()
    ends = status == "expired" or (
        status == "open" and (past_expiry or order.cancel_requested_at is not None)
    )
    if not ends:
        return None
    return Outcome.CANCELLED if order.cancel_requested_at else Outcome.EXPIRED
