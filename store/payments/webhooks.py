"""Stripe's webhooks: verified, recorded by event id, processed once with their effect.

Stripe is read before any transaction opens; the event row and the order's row
are then locked only for the few milliseconds the effect takes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import stripe
from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from store.models import Order, Refund, WebhookEvent
from store.payments import disputes, event_body
from store.payments.finalize import (
    StripeCheckout,
    apply_session,
    order_for_session,
    read_checkout,
)
from store.payments.outcomes import InvalidWebhook, NotAtStripe, Outcome, PaymentError
from store.payments.refunds import refunds_of_charge, retrieve_refund, settle_refunds

logger = logging.getLogger(__name__)


def verify_event(payload: bytes, signature: str | None) -> stripe.Event:
    """The event, if Stripe signed it with our secret within the default tolerance.

    Limits before parsing (``event_body``): the size first, the nesting once the
    signature holds, so only Stripe can make the shop scan a body. A signed body
    must still look like an event (an id, a type, an object with an id): anything
    else is refused as malformed rather than failing later.
    """
    if not signature:
        raise InvalidWebhook("missing Stripe-Signature header")
    try:
        event_body.check_size(payload)
        stripe.WebhookSignature.verify_header(
            payload, signature, settings.STRIPE_WEBHOOK_SECRET, stripe.Webhook.DEFAULT_TOLERANCE
        )
        event_body.check_depth(payload)
        event = stripe.Webhook.construct_event_without_verification(payload)
    except stripe.SignatureVerificationError as error:
        raise InvalidWebhook(f"bad signature: {error}") from error
    except event_body.BodyRefused as error:
        raise InvalidWebhook(str(error)) from error
    except (ValueError, TypeError, AttributeError) as error:
        raise InvalidWebhook(f"body is not a Stripe event: {error}") from error
    if not _looks_like_an_event(event):
        raise InvalidWebhook("body is not a Stripe event: no id, type or data.object")
    return event


def _looks_like_an_event(event) -> bool:
    if not isinstance(event, stripe.Event):
        return False
    fields = event.to_dict()
    data = fields.get("data")
    payload = data.get("object") if isinstance(data, dict) else None
    return (
        isinstance(fields.get("id"), str)
        and isinstance(fields.get("type"), str)
        and isinstance(payload, dict)
        and isinstance(payload.get("id"), str)
    )


def handle_event(event: stripe.Event) -> Outcome:
    """Process one verified event exactly once.

    What the event needs from Stripe is read first (``FETCH_FIRST``), with no
    transaction open. Then, in one short transaction, the event row is locked
    and written with the effect (``EVENT_HANDLERS``): a redelivery after
    success is a no-op, two deliveries at once make one effect, and a failure
    rolls both back (the error is then kept on the row in a separate
    transaction) so Stripe retries.
    """
    if WebhookEvent.objects.filter(event_id=event.id, processed_at__isnull=False).exists():
        return Outcome.DUPLICATE
    try:
        fetch = FETCH_FIRST.get(event.type)
        subject = fetch(event.data.object) if fetch else event.data.object
        with transaction.atomic():
            record, _ = WebhookEvent.objects.select_for_update().get_or_create(
                event_id=event.id,
                defaults={"type": event.type, "object_id": event.data.object.id},
            )
            if record.processed_at:
                return Outcome.DUPLICATE
            handler = EVENT_HANDLERS.get(event.type)
            outcome = handler(subject) if handler else Outcome.IGNORED
            record.processed_at = timezone.now()
            record.outcome = outcome.value
            record.attempts += 1
            record.error = ""
            record.save()
            return outcome
    except Exception as error:
        _record_failure(event, error)
        raise


@dataclass(frozen=True)
class Missing:
    """Stripe says the event's object does not exist (another account's or mode's event)."""

    kind: str
    object_id: str
    ours: QuerySet


def _read_session(session) -> StripeCheckout | Missing:
    """Whatever the event says, the session as Stripe has it now: a forged, stale or
    out-of-order event cannot pay, fail or expire an order by itself."""
    try:
        return read_checkout(session.id)
    except NotAtStripe:
        ours = Order.objects.filter(stripe_session_id=session.id)
        return Missing("checkout session", session.id, ours)


def _read_refund(refund) -> object:
    """A refund made here or in Stripe's Dashboard, as Stripe has it now."""
    try:
        return retrieve_refund(refund.id)
    except NotAtStripe:
        return Missing("refund", refund.id, Refund.objects.filter(stripe_refund_id=refund.id))


def _on_session_event(checkout: StripeCheckout | Missing) -> Outcome:
    if isinstance(checkout, Missing):
        return _unknown(checkout)
    order = order_for_session(checkout.session)
    if order is None:
        return Outcome.NOT_OURS
    return apply_session(order, checkout)


def _on_refund_event(refund) -> Outcome:
    """Counted once, whichever event (or reconcile, or the admin) brings it first."""
    if isinstance(refund, Missing):
        return _unknown(refund)
    return settle_refunds([refund])


def _unknown(missing: Missing) -> Outcome:
    """Stripe says the event's object does not exist: another account's or mode's event.

    Acknowledged (Stripe would otherwise retry for days) once the shop has no row
    naming it either. If it has one, the shop's key is for another account than
    its orders: fail, so the event is retried and staff see the error.
    """
    if missing.ours.exists():
        raise PaymentError(
            f"Stripe has no {missing.kind} {missing.object_id}, yet the shop has: check the keys"
        )
    logger.warning(
        "A Stripe event names an object neither Stripe nor the shop knows; acknowledged",
        extra={"stripe_object": missing.kind, "object_id": missing.object_id},
    )
    return Outcome.UNKNOWN


SESSION_EVENTS = (
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
)
REFUND_EVENTS = ("refund.created", "refund.updated", "refund.failed")

# What an event needs from Stripe, read before its transaction opens; the handler gets it
# (an event without a read here gets its own object).
FETCH_FIRST: dict[str, Callable[..., object]] = {
    **dict.fromkeys(SESSION_EVENTS, _read_session),
    **dict.fromkeys(REFUND_EVENTS, _read_refund),
    "charge.refunded": refunds_of_charge,
    **dict.fromkeys(disputes.DISPUTE_EVENTS, disputes.fetch_dispute),
    disputes.FRAUD_WARNING_EVENT: disputes.fetch_fraud_warning,
}

# The effect of each event, made in the transaction that records it: no Stripe call here.
EVENT_HANDLERS: dict[str, Callable[..., Outcome]] = {
    **dict.fromkeys(SESSION_EVENTS, _on_session_event),
    **dict.fromkeys(REFUND_EVENTS, _on_refund_event),
    "charge.refunded": settle_refunds,
    **dict.fromkeys(disputes.DISPUTE_EVENTS, disputes.apply_dispute),
    disputes.FRAUD_WARNING_EVENT: disputes.apply_fraud_warning,
}


def _record_failure(event: stripe.Event, error: Exception) -> None:
    """Keep the error visible to staff; never mask the original failure."""
    try:
        record, _ = WebhookEvent.objects.get_or_create(
            event_id=event.id, defaults={"type": event.type, "object_id": event.data.object.id}
        )
        record.attempts += 1
        record.error = f"{type(error).__name__}: {error}"[:10_000]
        record.save(update_fields=["attempts", "error"])
    except Exception:
        logger.exception(
            "Could not record the failure of a Stripe event", extra={"event_id": event.id}
        )
