"""Disputes and early fraud warnings, from Stripe's webhooks onto the order they are about.

Each event is handled in two steps. ``fetch_*`` runs outside any transaction: it
re-reads the dispute (or warning) at Stripe, so a late or repeated event applies
Stripe's current state, and finds the order's PaymentIntent: the dispute's own
``payment_intent``, or its charge's when Stripe leaves that out. ``apply_*`` then
writes it under the order's row lock, in the webhook's transaction: the dispute
row by Stripe's id, the order flagged and kept from shipping, and one staff alert
per dispute, however many of its events arrive, in whatever order.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

import stripe
from django.utils import timezone

from store import emails
from store.models import Dispute, EarlyFraudWarning, Order, OrderEmail
from store.payments.outcomes import NotAtStripe, Outcome, PaymentError
from store.payments.stripe_api import payment_error, stripe_client
from store.payments.stripe_fields import object_id, optional
from store.templatetags.store_format import local_datetime

logger = logging.getLogger(__name__)

DISPUTE_EVENTS = (
    "charge.dispute.created",
    "charge.dispute.updated",
    "charge.dispute.closed",
    "charge.dispute.funds_withdrawn",
    "charge.dispute.funds_reinstated",
)
FRAUD_WARNING_EVENT = "radar.early_fraud_warning.created"


@dataclass(frozen=True)
class Fetched:
    """A Stripe object re-read for an event, with the PaymentIntent it is about.

    ``stripe_object`` is None when Stripe has no such object (another account's event).
    """

    object_id: str
    stripe_object: stripe.StripeObject | None
    payment_intent_id: str | None


def fetch_dispute(event_object) -> Fetched:
    client = stripe_client()
    try:
        dispute = client.v1.disputes.retrieve(event_object.id)
    except stripe.StripeError as error:
        return _missing(event_object.id, payment_error(error))
    return Fetched(event_object.id, dispute, _payment_intent_of(dispute))


def fetch_fraud_warning(event_object) -> Fetched:
    client = stripe_client()
    try:
        warning = client.v1.radar.early_fraud_warnings.retrieve(event_object.id)
    except stripe.StripeError as error:
        return _missing(event_object.id, payment_error(error))
    return Fetched(event_object.id, warning, _payment_intent_of(warning))


def _payment_intent_of(disputed) -> str | None:
    """The PaymentIntent a dispute or warning is about, asking Stripe for its charge if need be."""
    named = object_id(optional(disputed, "payment_intent"))
    if named:
        return named
    charge_id = object_id(optional(disputed, "charge"))
    if not charge_id:
        return None
    try:
        charge = stripe_client().v1.charges.retrieve(charge_id)
    except stripe.StripeError as error:
        raise payment_error(error) from error
    return object_id(optional(charge, "payment_intent"))


def _missing(object_id_: str, error: PaymentError) -> Fetched:
    """Stripe has no such object: handled as an unknown one. Anything else fails the event."""
    if isinstance(error, NotAtStripe):
        return Fetched(object_id_, None, None)
    raise error


def apply_dispute(fetched: Fetched) -> Outcome:
    """Stripe's dispute onto its row and its order; call in the webhook's transaction."""
    dispute = fetched.stripe_object
    if dispute is None:
        return _unknown("dispute", fetched.object_id, Dispute.objects, "stripe_dispute_id")
    order = _locked_order(fetched)
    if order is None:
        return Outcome.NOT_OURS
    row = Dispute.objects.filter(stripe_dispute_id=dispute.id).first() or Dispute(
        order=order, stripe_dispute_id=dispute.id
    )
    before = _state_of(row) if row.pk else None
    _copy(dispute, row)
    row.save()
    _keep_order_in_line(order, row)
    if before is None:
        emails.queue(order, OrderEmail.Kind.DISPUTE, dispute=row)
        logger.warning(
            "Payment disputed",
            extra={"order_id": order.pk, "dispute_id": row.stripe_dispute_id},
        )
    return Outcome.DISPUTE_RECORDED if before != _state_of(row) else Outcome.UNCHANGED


def apply_fraud_warning(fetched: Fetched) -> Outcome:
    warning = fetched.stripe_object
    if warning is None:
        return _unknown(
            "early fraud warning",
            fetched.object_id,
            EarlyFraudWarning.objects,
            "stripe_warning_id",
        )
    order = _locked_order(fetched)
    if order is None:
        return Outcome.NOT_OURS
    _, created = EarlyFraudWarning.objects.get_or_create(
        stripe_warning_id=warning.id,
        defaults={
            "order": order,
            "stripe_charge_id": object_id(optional(warning, "charge")) or "",
            "livemode": bool(optional(warning, "livemode")),
            "fraud_type": optional(warning, "fraud_type", default=""),
            "actionable": bool(optional(warning, "actionable")),
        },
    )
    if not created:
        return Outcome.UNCHANGED
    order.flag_for_attention(
        "The card's issuer reported this payment as fraud (an early fraud warning): "
        "a dispute may follow. Check the order before shipping it; refunding avoids a dispute."
    )
    return Outcome.DISPUTE_RECORDED


def _locked_order(fetched: Fetched) -> Order | None:
    if not fetched.payment_intent_id:
        return None
    return (
        Order.objects.select_for_update()
        .filter(stripe_payment_intent_id=fetched.payment_intent_id)
        .first()
    )


def _copy(dispute, row: Dispute) -> None:
    """Stripe's dispute onto its row; the moments money moved and it closed are kept once."""
    now = timezone.now()
    row.stripe_charge_id = object_id(optional(dispute, "charge")) or ""
    row.livemode = bool(optional(dispute, "livemode"))
    row.status = dispute.status
    row.reason = optional(dispute, "reason", default="")
    row.amount = dispute.amount
    row.currency = dispute.currency
    row.evidence_due_by = _moment(optional(dispute, "evidence_details", "due_by"))
    moved = [
        optional(txn, "amount", default=0)
        for txn in optional(dispute, "balance_transactions", default=[])
    ]
    if any(amount < 0 for amount in moved) and not row.funds_withdrawn_at:
        row.funds_withdrawn_at = now
    if any(amount > 0 for amount in moved) and not row.funds_reinstated_at:
        row.funds_reinstated_at = now
    if row.status not in Dispute.OPEN and not row.closed_at:
        row.closed_at = now


def _keep_order_in_line(order: Order, row: Dispute) -> None:
    """The order is disputed while any of its disputes blocks shipping; it needs attention."""
    disputed = order.disputes.filter(status__in=Dispute.BLOCKS_SHIPPING).exists()
    if disputed != order.disputed:
        Order.objects.filter(pk=order.pk).update(disputed=disputed, updated_at=timezone.now())
        order.disputed = disputed
    if row.is_open:
        deadline = local_datetime(row.evidence_due_by) or "the deadline Stripe shows"
        reason = (
            f"Disputed ({row.display_reason}, {row.display_amount}): respond in Stripe by "
            f"{deadline}. Do not ship it."
        )
    elif row.status == Dispute.Status.LOST:
        reason = f"Dispute lost: the bank gave {row.display_amount} back to the cardholder."
    elif row.status == Dispute.Status.WON:
        reason = "Dispute won: the money stays with the shop, and the order may ship."
    else:
        reason = f"Dispute {row.get_status_display().lower()} ({row.display_amount})."
    # Flagged whatever the outcome: someone should look at every disputed order.
    order.flag_for_attention(reason)


def _state_of(row: Dispute) -> tuple:
    return (
        row.status,
        row.amount,
        row.evidence_due_by,
        row.funds_withdrawn_at,
        row.funds_reinstated_at,
        row.closed_at,
    )


def _moment(timestamp: int | None) -> datetime | None:
    return datetime.fromtimestamp(timestamp, tz=UTC) if timestamp else None


def _unknown(kind: str, stripe_id: str, rows, field: str) -> Outcome:
    """Stripe has no such object: another account's or mode's event, acknowledged, unless
    the shop has a row naming it (then the keys are wrong: fail, so Stripe retries)."""
    if rows.filter(**{field: stripe_id}).exists():
        raise PaymentError(f"Stripe has no {kind} {stripe_id}, yet the shop has: check the keys")
    logger.warning(
        "A Stripe event names an object neither Stripe nor the shop knows; acknowledged",
        extra={"stripe_object": kind, "object_id": stripe_id},
    )
    return Outcome.UNKNOWN
