"""Order transitions and what follows each: stock, emails, flags, signals, the shop page's cache.

One named function per transition (Saleor's ``order/actions.py`` is the model).
The model's conditional UPDATEs decide whether a transition happens; only the
caller that made it happen does what follows, so however many processes race
(success page, webhook, reconcile, staff) there is one email, one stock change
and one signal. Callers hold the order's row lock in a short transaction and
never wait for Stripe in it (``store.payments``); signals and the shop page's
cache hear of a change once that transaction commits.
"""

from __future__ import annotations

import logging

from django.db.models import QuerySet, Sum

from store import emails, stock
from store.models import Order, OrderEmail, Refund
from store.signals import (
    announce_after_commit,
    announce_availability_change,
    announce_orders_change,
    announce_refund_succeeded,
    checkout_ended,
    checkout_started,
    order_paid,
)

logger = logging.getLogger(__name__)


def attach_session(order: Order, *, session_id: str, checkout_url: str) -> bool:
    """The order's Checkout Session exists: the shopper can pay (``checkout_started``)."""
    attached = order.attach_session(session_id, checkout_url)
    if attached:
        announce_after_commit(checkout_started, order=order)
    return attached


def mark_paid(
    order: Order,
    *,
    payment_intent_id: str,
    customer: dict[str, str],
    charged: dict,
    session_id: str,
) -> bool:
    """Pending (or ended, if Stripe still took the money) -> paid, once, with what was charged.

    Takes the units off stock, owes the customer a confirmation and staff a
    new-order email, and sends ``order_paid``. Money for an order that had
    ended, or for units sold to someone else meanwhile, flags it for staff.
    """
    ended_as = order.status if order.status != Order.Status.PENDING else None
    was_holding = stock.is_holding(order)
    if not order.mark_paid(payment_intent_id=payment_intent_id, customer=customer, charged=charged):
        return False
    oversold = stock.consume(order, was_holding=was_holding)
    if ended_as or oversold:
        _flag_late_payment(order, session_id, ended_as, oversold)
    emails.queue(order, OrderEmail.Kind.CONFIRMATION)
    emails.queue(order, OrderEmail.Kind.NEW_ORDER)
    announce_orders_change(order.browser_token)
    logger.info("Order paid", extra={"order_id": order.pk, "session_id": session_id})
    announce_after_commit(order_paid, order=order)
    return True


def mark_processing(order: Order, *, payment_intent_id: str, customer: dict[str, str]) -> bool:
    """Checkout completed with a payment that settles later: it keeps holding its units."""
    processing = order.mark_processing(payment_intent_id=payment_intent_id, customer=customer)
    if processing:
        announce_orders_change(order.browser_token)
    return processing


def mark_cancelled(order: Order) -> bool:
    return _ended(order, order.mark_cancelled())


def mark_expired(order: Order) -> bool:
    return _ended(order, order.mark_expired())


def mark_expired_in_bulk(orders: list[Order], still_over: QuerySet) -> int:
    """Orders whose Checkout Sessions are certainly over -> expired, in one conditional UPDATE
    (still pending and in ``still_over``), each announced as :func:`mark_expired` announces one.

    The caller holds their row locks in its transaction, so the UPDATE ends exactly these.
    """
    expired = still_over.mark_expired(orders)
    for order in orders:
        announce_orders_change(order.browser_token)
        announce_after_commit(checkout_ended, order=order)
    if expired:
        announce_availability_change()
    return expired


def mark_failed(order: Order, reason: str) -> bool:
    return _ended(order, order.mark_failed(reason))


def mark_payment_failed(order: Order, reason: str) -> bool:
    """A delayed payment failed: the order fails, and the shopper is told by email once."""
    failed = mark_failed(order, reason)
    if failed:
        emails.queue(order, OrderEmail.Kind.PAYMENT_FAILED)
    return failed


def _ended(order: Order, ended: bool) -> bool:
    """A pending order ended unpaid: its units, if it held any, are back on sale."""
    if ended:
        announce_availability_change()
        announce_orders_change(order.browser_token)
        announce_after_commit(checkout_ended, order=order)
    return ended


def apply_refund(
    order: Order, refund: Refund, *, stripe_refund_id: str, status: str, failure_reason: str
) -> bool:
    """Stripe's view of one refund onto its row and the order; whether anything changed.

    Called under the order's row lock, so ``refund`` is the row as committed and
    one caller, whichever comes first, sees it become succeeded (one email, one
    ``refund_succeeded``) or failed (the order flagged).
    """
    was = (refund.stripe_refund_id, refund.status, refund.failure_reason) if refund.pk else None
    if was == (stripe_refund_id, status, failure_reason):
        return False
    was_status = was[1] if was else None
    refund.stripe_refund_id, refund.status, refund.failure_reason = (
        stripe_refund_id,
        status,
        failure_reason,
    )
    refund.save()
    succeeded = order.refunds.filter(status=Refund.Status.SUCCEEDED)
    order.amount_refunded = succeeded.aggregate(total=Sum("amount", default=0))["total"]
    order.save(update_fields=["amount_refunded", "updated_at"])
    announce_orders_change(order.browser_token)
    if status == Refund.Status.SUCCEEDED and was_status != Refund.Status.SUCCEEDED:
        emails.queue(order, OrderEmail.Kind.REFUND, refund=refund)
        announce_refund_succeeded(refund)
    if status == Refund.Status.FAILED and was_status != Refund.Status.FAILED:
        order.flag_for_attention(
            f"A refund of {refund.display_amount} failed ({failure_reason or 'no reason'})"
            ": the customer has not got this money back."
        )
    logger.info(
        "Refund recorded",
        extra={"order_id": order.pk, "refund_id": stripe_refund_id, "refund_status": status},
    )
    return True


def _flag_late_payment(order: Order, session_id: str, ended_as: str | None, oversold) -> None:
    """Money arrived after the order had ended, or for units no longer held: staff decide."""
    logger.warning(
        "Stripe collected payment for an order that had ended or for units no longer held",
        extra={"order_id": order.pk, "session_id": session_id, "ended_as": ended_as},
    )
    reasons = []
    if ended_as:
        reasons.append(f"Paid after it was {ended_as}")
    if oversold:
        reasons.append(f"Oversold: {', '.join(oversold)} (stock is now below zero)")
    order.flag_for_attention("; ".join(reasons) + ". Refund it, or fulfil it as a normal order.")
