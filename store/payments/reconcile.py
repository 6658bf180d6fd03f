"""Reconcile: settle pending orders from Stripe's side (``manage.py sync_orders``).

Heals missed webhooks, abandoned checkouts and cancels Stripe could not be
told about. The dry run goes through the same decision as the real run and
stops before changing anything, here or at Stripe.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

import stripe
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from store.models import Order
from store.payments.finalize import (
    SETTLED_PAYMENT_STATUSES,
    apply_session,
    delayed_payment_failure,
    mismatches,
)
from store.payments.outcomes import Outcome, PaymentError
from store.payments.stripe_api import (
    describe,
    longest_stripe_call,
    retrieve_session,
    stripe_client,
)

logger = logging.getLogger(__name__)

REPORTED = {
    Outcome.PAID: "paid",
    Outcome.EXPIRED: "expired",
    Outcome.CANCELLED: "cancelled",
    Outcome.FAILED: "failed",
    Outcome.MISMATCH: "needs_attention",
}


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

    def count(self, outcome: Outcome) -> None:
        field = REPORTED.get(outcome, "unchanged")
        setattr(self, field, getattr(self, field) + 1)

    def __str__(self) -> str:
        return (
            f"checked {self.checked} pending orders: {self.paid} paid, {self.expired} expired, "
            f"{self.cancelled} cancelled, {self.failed} failed, {self.unchanged} unchanged, "
            f"{self.needs_attention} need attention, {self.errors} errors"
        )


def reconcile_pending(older_than: timedelta, *, dry_run: bool = False) -> ReconcileReport:
    """Settle pending orders older than ``older_than``, and every cancel left unfinished."""
    report = ReconcileReport()
    cutoff = timezone.now() - older_than
    candidates = Order.objects.filter(status=Order.Status.PENDING).filter(
        Q(created_at__lt=cutoff) | Q(cancel_requested_at__isnull=False)
    )
    for pk in candidates.values_list("pk", flat=True):
        report.checked += 1
        try:
            report.count(_reconcile(pk, dry_run=dry_run))
        except PaymentError as error:
            logger.warning("Could not reconcile the order: %s", error, extra={"order_id": pk})
            report.errors += 1
    return report


def _reconcile(pk: int, *, dry_run: bool) -> Outcome:
    with transaction.atomic():
        # A checkout still being started holds this lock: leave it alone (PostgreSQL).
        order = (
            Order.objects.select_for_update(skip_locked=True)
            .filter(pk=pk, status=Order.Status.PENDING)
            .first()
        )
        if order is None:
            return Outcome.UNCHANGED
        if not order.stripe_session_id:
            return _without_session(order, dry_run=dry_run)
        session = retrieve_session(order.stripe_session_id)
        if dry_run:
            return _plan(order, session)
        ending = _ending(order, session)
        if ending and session.status == "open":
            session = _expire(session)
        if ending is Outcome.CANCELLED and session.status == "expired":
            return Outcome.CANCELLED if order.mark_cancelled() else Outcome.UNCHANGED
        # Paid, processing or failed: the same decision _plan predicts, made by apply_session.
        return apply_session(order, session)


def _without_session(order: Order, *, dry_run: bool) -> Outcome:
    """No session after the longest a Stripe call can take: the process died; nobody can pay."""
    if order.created_at > timezone.now() - longest_stripe_call():
        return Outcome.UNCHANGED
    if not dry_run:
        order.mark_failed("Checkout never started")
    return Outcome.FAILED


def _plan(order: Order, session) -> Outcome:
    """What reconciling this order will do, given its session as Stripe has it now."""
    if session.payment_status in SETTLED_PAYMENT_STATUSES:
        return Outcome.MISMATCH if mismatches(order, session) else Outcome.PAID
    if session.status == "complete":  # a delayed payment: a missed failure is healed here
        return Outcome.FAILED if delayed_payment_failure(session) else Outcome.UNCHANGED
    return _ending(order, session) or Outcome.UNCHANGED


def _ending(order: Order, session) -> Outcome | None:
    """EXPIRED or CANCELLED when the order ends unpaid with this session; else None."""
    if session.payment_status in SETTLED_PAYMENT_STATUSES or session.status == "complete":
        return None
    past_expiry = bool(session.expires_at) and session.expires_at < timezone.now().timestamp()
    ends = session.status == "expired" or (
        session.status == "open" and (past_expiry or order.cancel_requested_at is not None)
    )
    if not ends:
        return None
    return Outcome.CANCELLED if order.cancel_requested_at else Outcome.EXPIRED


def _expire(session):
    """Expire an open session at Stripe; if it was paid meanwhile, the session as it is."""
    try:
        return stripe_client().v1.checkout.sessions.expire(session.id)
    except stripe.InvalidRequestError:
        return retrieve_session(session.id)
    except stripe.StripeError as error:
        raise PaymentError(describe(error)) from error
