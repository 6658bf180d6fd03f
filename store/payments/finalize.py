"""Finalizing: one function for the success page, webhooks and reconcile.

:func:`fulfill_checkout` re-reads the Checkout Session from Stripe and moves
the order with a conditional UPDATE under a row lock, so any number of
callers, in any order or at the same moment, make one paid transition.
"""

from __future__ import annotations

import logging

from django.db import transaction

from store import emails, stock
from store.models import Order, OrderEmail
from store.payments.outcomes import Outcome
from store.payments.stripe_api import (
    metadata_of,
    order_public_id,
    retrieve_payment_intent,
    retrieve_session,
)
from store.signals import order_paid

logger = logging.getLogger(__name__)

# Stripe's payment_status values that mean the money is there (or none is owed).
SETTLED_PAYMENT_STATUSES = frozenset({"paid", "no_payment_required"})
# A completed session's PaymentIntent in these states will not be paid: a delayed
# payment (a bank debit) failed, and the shopper would have to start again.
FAILED_INTENT_STATUSES = frozenset({"requires_payment_method", "canceled"})


def fulfill_checkout(session_id: str) -> Outcome:
    """Bring the order for ``session_id`` in line with what Stripe says; idempotent.

    Raises PaymentError when Stripe cannot be asked. Sessions this shop did not
    make (another integration on the same Stripe account) are NOT_OURS.
    """
    session = retrieve_session(session_id)
    order = order_for_session(session)
    if order is None:
        return Outcome.NOT_OURS
    return apply_session(order, session)


def order_for_session(session) -> Order | None:
    """The order a session belongs to: by its session id, else by the shop's metadata key."""
    order = Order.objects.filter(stripe_session_id=session.id).first()
    if order is not None:
        return order
    public_id = order_public_id(session)
    if public_id is None:
        return None
    order = Order.objects.filter(public_id=public_id).first()
    if order is None or (order.stripe_session_id and order.stripe_session_id != session.id):
        logger.warning(
            "Checkout Session names an order this shop does not have",
            extra={"session_id": session.id, "order_public_id": str(public_id)},
        )
        return None
    return order


def apply_session(order: Order, session) -> Outcome:
    with transaction.atomic():
        # Serializes racing finalizers on PostgreSQL; SQLite's IMMEDIATE
        # transactions already do. The conditional UPDATEs in the model decide.
        order = Order.objects.select_for_update().get(pk=order.pk)
        if order.status == Order.Status.PAID:
            return Outcome.ALREADY_PAID
        if session.payment_status in SETTLED_PAYMENT_STATUSES:
            return _mark_paid(order, session)
        if session.status == "complete":
            return _settling_later(order, session)
        if session.status == "expired":
            return Outcome.EXPIRED if order.mark_expired() else Outcome.UNCHANGED
        return Outcome.AWAITING_PAYMENT


def delayed_payment_failure(session) -> str | None:
    """Why a completed but unpaid session's payment failed; None while it is processing.

    The session alone cannot tell (it stays complete and unpaid either way); its
    PaymentIntent can. Raises PaymentError when Stripe cannot be asked.
    """
    if not session.payment_intent:
        return None
    intent = retrieve_payment_intent(session.payment_intent)
    if intent.status not in FAILED_INTENT_STATUSES:
        return None
    error = intent.last_payment_error
    return (error.message if error and error.message else None) or "the bank declined it"


def _settling_later(order: Order, session) -> Outcome:
    """Checkout completed with a delayed payment: keep holding until it succeeds or fails."""
    failure = delayed_payment_failure(session)
    if failure:
        failed = order.mark_failed(f"The payment failed: {failure}")
        if failed:  # with the transition, so one email however many callers race
            emails.queue(order, OrderEmail.Kind.PAYMENT_FAILED)
        return Outcome.FAILED if failed else Outcome.UNCHANGED
    order.mark_processing(
        payment_intent_id=session.payment_intent or "", customer=customer_details(session)
    )
    return Outcome.PROCESSING


def customer_details(session) -> dict[str, str]:
    """Who paid and where to ship, where API version 2026-10-28 puts them on the session."""
    customer = _field(session, "customer_details")
    shipping = _field(session, "collected_information", "shipping_details")
    address = _field(shipping, "address")
    return {
        "customer_email": _field(customer, "email"),
        "customer_name": _field(customer, "name"),
        "customer_phone": _field(customer, "phone"),
        "shipping_name": _field(shipping, "name"),
        "shipping_line1": _field(address, "line1"),
        "shipping_line2": _field(address, "line2"),
        "shipping_city": _field(address, "city"),
        "shipping_postal_code": _field(address, "postal_code"),
        "shipping_state": _field(address, "state"),
        "shipping_country": _field(address, "country"),
    }


def _field(stripe_object, *path: str):
    """A nested value of a StripeObject, or None where any step is missing or null."""
    for key in path:
        if stripe_object is None or key not in stripe_object:
            return None
        stripe_object = stripe_object[key]
    return stripe_object


def mismatches(order: Order, session) -> list[str]:
    """How Stripe's session disagrees with the order; empty when it matches."""
    problems = []
    if session.amount_total != order.amount_total:
        problems.append(f"amount_total {session.amount_total} != {order.amount_total}")
    if (session.currency or "").lower() != order.currency.lower():
        problems.append(f"currency {session.currency} != {order.currency}")
    reference = metadata_of(session).get("order_id") or session.client_reference_id
    if reference != str(order.pk):
        problems.append(f"order reference {reference} != {order.pk}")
    return problems


def _flag_late_payment(order: Order, session, ended_as: str | None, oversold: list[str]) -> None:
    """Money arrived after the order had ended, or for units no longer held: staff decide."""
    logger.warning(
        "Stripe collected payment for an order that had ended or for units no longer held",
        extra={"order_id": order.pk, "session_id": session.id, "ended_as": ended_as},
    )
    reasons = []
    if ended_as:
        reasons.append(f"Paid after it was {ended_as}")
    if oversold:
        reasons.append(f"Oversold: {', '.join(oversold)} (stock is now below zero)")
    order.flag_for_attention("; ".join(reasons) + ". Refund it, or fulfil it as a normal order.")


def _mark_paid(order: Order, session) -> Outcome:
    problems = mismatches(order, session)
    if problems:
        logger.error(
            "NOT marking the order paid: the Checkout Session disagrees: %s",
            "; ".join(problems),
            extra={"order_id": order.pk, "session_id": session.id},
        )
        order.flag_for_attention(f"Stripe's payment does not match the order: {problems[0]}")
        return Outcome.MISMATCH
    ended_as = order.status if order.status != Order.Status.PENDING else None
    was_holding = stock.is_holding(order)
    paid = order.mark_paid(
        payment_intent_id=session.payment_intent or "", customer=customer_details(session)
    )
    if not paid:
        return Outcome.ALREADY_PAID
    oversold = stock.consume(order, was_holding=was_holding)
    if ended_as or oversold:
        _flag_late_payment(order, session, ended_as, oversold)
    # Written with the paid transition, so exactly one of each, however many callers race.
    emails.queue(order, OrderEmail.Kind.CONFIRMATION)
    emails.queue(order, OrderEmail.Kind.NEW_ORDER)
    logger.info("Order paid", extra={"order_id": order.pk, "session_id": session.id})
    transaction.on_commit(lambda: order_paid.send(sender=Order, order=order))
    return Outcome.PAID
