"""Finalizing: one function for the success page, webhooks and reconcile.

:func:`fulfill_checkout` reads from Stripe first, with no transaction open: the
Checkout Session, and for a completed but unpaid one its PaymentIntent (a
delayed payment that may have failed). Only then :func:`apply_session` takes
the order's row lock in a short transaction, decides with
:func:`session_decision` and makes the transition (``store.transitions``),
whose conditional UPDATE lets any number of callers, in any order or at the
same moment, make one paid transition. Nothing is locked while Stripe answers.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction

from store import transitions
from store.models import Order
from store.payments import amounts
from store.payments.outcomes import Outcome
from store.payments.stripe_api import (
    metadata_of,
    order_public_id,
    retrieve_payment_intent,
    retrieve_session,
)
from store.payments.stripe_fields import object_id, optional

logger = logging.getLogger(__name__)

# Stripe's payment_status values that mean the money is there (or none is owed).
SETTLED_PAYMENT_STATUSES = frozenset({"paid", "no_payment_required"})
# A completed session's PaymentIntent in these states will not be paid: a delayed
# payment (a bank debit) failed, and the shopper would have to start again.
FAILED_INTENT_STATUSES = frozenset({"requires_payment_method", "canceled"})


@dataclass(frozen=True)
class StripeCheckout:
    """What Stripe says of a checkout, read before any transaction: the session, why its
    delayed payment failed (None: it did not, or the session is not waiting for one), and
    for a paid session what it charged (``store.payments.amounts``)."""

    session: object
    payment_failure: str | None = None
    charge: amounts.StripeCharge | None = None


def fulfill_checkout(session_id: str) -> Outcome:
    """Bring the order for ``session_id`` in line with what Stripe says; idempotent.

    Raises PaymentError when Stripe cannot be asked. Sessions this shop did not
    make (another integration on the same Stripe account) are NOT_OURS.
    """
    checkout = read_checkout(session_id)
    order = order_for_session(checkout.session)
    if order is None:
        return Outcome.NOT_OURS
    return apply_session(order, checkout)


def read_checkout(session_id: str, session=None) -> StripeCheckout:
    """The session (re-read unless given) and, if it awaits a delayed payment, its fate.

    Calls Stripe: never inside a transaction. Raises PaymentError (NotAtStripe
    when Stripe has no such session).
    """
    session = session or retrieve_session(session_id)
    if optional(session, "payment_status") in SETTLED_PAYMENT_STATUSES:
        if _nothing_to_check(session):
            return StripeCheckout(session)
        return StripeCheckout(session, charge=amounts.read_charge(session))
    if optional(session, "status") != "complete":
        return StripeCheckout(session)
    return StripeCheckout(session, delayed_payment_failure(session))


def _nothing_to_check(session) -> bool:
    """Whether a paid session's charge needs no reading (no Stripe call for its shipping rate):
    it is not this shop's, or its order is already paid, which never changes back (a redelivered
    webhook, a refreshed success page)."""
    order = order_for_session(session)
    return order is None or order.status == Order.Status.PAID


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


def session_decision(order: Order, checkout: StripeCheckout) -> Outcome:
    """What the order becomes given Stripe's checkout: the one decision that
    :func:`apply_session` makes and reconcile's dry run predicts."""
    session = checkout.session
    if order.status == Order.Status.PAID:
        return Outcome.ALREADY_PAID
    if optional(session, "payment_status") in SETTLED_PAYMENT_STATUSES:
        return Outcome.MISMATCH if mismatches(order, checkout) else Outcome.PAID
    status = optional(session, "status")
    if status == "complete":
        return Outcome.FAILED if checkout.payment_failure else Outcome.PROCESSING
    if status == "expired":
        # The shopper's cancel expired it, or Stripe did; a webhook may tell before the cancel.
        return Outcome.CANCELLED if order.cancel_requested_at else Outcome.EXPIRED
    return Outcome.AWAITING_PAYMENT


def apply_session(order: Order, checkout: StripeCheckout) -> Outcome:
    """Make the decision under the order's row lock, in a short transaction (no Stripe call).

    The lock serializes racing finalizers on PostgreSQL (SQLite's IMMEDIATE
    transactions already do); the conditional UPDATEs in the model decide.
    """
    session = checkout.session
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        decision = session_decision(order, checkout)
        if decision is Outcome.MISMATCH:
            return _refuse_mismatch(order, checkout)
        if decision is Outcome.PAID:
            paid = transitions.mark_paid(
                order,
                payment_intent_id=payment_intent_of(session),
                customer=customer_details(session),
                charged=amounts.recorded(order, checkout.charge),
                session_id=session.id,
            )
            return Outcome.PAID if paid else Outcome.ALREADY_PAID
        if decision is Outcome.FAILED:
            failed = transitions.mark_payment_failed(
                order, f"The payment failed: {checkout.payment_failure}"
            )
            return Outcome.FAILED if failed else Outcome.UNCHANGED
        if decision is Outcome.PROCESSING:
            transitions.mark_processing(
                order,
                payment_intent_id=payment_intent_of(session),
                customer=customer_details(session),
            )
        if decision is Outcome.EXPIRED:
            return Outcome.EXPIRED if transitions.mark_expired(order) else Outcome.UNCHANGED
        if decision is Outcome.CANCELLED:
            return Outcome.CANCELLED if transitions.mark_cancelled(order) else Outcome.UNCHANGED
        return decision


def delayed_payment_failure(session) -> str | None:
    """Why a completed but unpaid session's payment failed; None while it is processing.

    The session alone cannot tell (it stays complete and unpaid either way); its
    PaymentIntent can. Calls Stripe; raises PaymentError when it cannot be asked.
    """
    payment_intent = payment_intent_of(session)
    if not payment_intent:
        return None
    intent = retrieve_payment_intent(payment_intent)
    if intent.status not in FAILED_INTENT_STATUSES:
        return None
    return optional(intent, "last_payment_error", "message") or "the bank declined it"


def payment_intent_of(session) -> str:
    return object_id(optional(session, "payment_intent")) or ""


def customer_details(session) -> dict[str, str]:
    """Who paid and where to ship, where API version 2026-10-28 puts them on the session."""
    customer = optional(session, "customer_details")
    shipping = optional(session, "collected_information", "shipping_details")
    address = optional(shipping, "address")
    return {
        "customer_email": optional(customer, "email"),
        "customer_name": optional(customer, "name"),
        "customer_phone": optional(customer, "phone"),
        "shipping_name": optional(shipping, "name"),
        "shipping_line1": optional(address, "line1"),
        "shipping_line2": optional(address, "line2"),
        "shipping_city": optional(address, "city"),
        "shipping_postal_code": optional(address, "postal_code"),
        "shipping_state": optional(address, "state"),
        "shipping_country": optional(address, "country"),
    }


def mismatches(order: Order, checkout: StripeCheckout) -> list[str]:
    """How Stripe's paid session disagrees with the order; empty when it matches."""
    session = checkout.session
    problems = amounts.problems(order, checkout.charge)
    currency = optional(session, "currency", default="")
    if currency.lower() != order.currency.lower():
        problems.append(f"currency {currency or None} != {order.currency}")
    reference = metadata_of(session).get("order_id") or optional(session, "client_reference_id")
    if reference != str(order.pk):
        problems.append(f"order reference {reference} != {order.pk}")
    return problems


def _refuse_mismatch(order: Order, checkout: StripeCheckout) -> Outcome:
    problems = mismatches(order, checkout)
    logger.error(
        "NOT marking the order paid: the Checkout Session disagrees: %s",
        "; ".join(problems),
        extra={"order_id": order.pk, "session_id": checkout.session.id},
    )
    order.flag_for_attention("Stripe's payment does not match the order: " + "; ".join(problems))
    return Outcome.MISMATCH
