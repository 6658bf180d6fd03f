"""Reconcile: settle pending orders from Stripe's side (``manage.py sync_orders``).

Heals missed webhooks, abandoned checkouts and cancels Stripe could not be
told about. Each order is read from Stripe with no transaction open (its
session, a delayed payment's PaymentIntent, an expiry at Stripe); only then is
its row locked, briefly, by :func:`apply_session`. The dry run goes through the
same decision (:func:`session_decision`) and stops before changing anything,
here or at Stripe.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from store import transitions
from store.models import Order
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
    """One pending order: read Stripe (no transaction open), then decide under its row lock."""
    order = Order.objects.filter(pk=pk, status=Order.Status.PENDING).first()
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
