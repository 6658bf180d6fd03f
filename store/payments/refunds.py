"""Refunds through Stripe's Refunds API, and refunds made elsewhere kept in line.

Staff refund from the order's admin page (:func:`refund_order`): under the
order's row lock, the refund row is written first, then Stripe is asked with
an idempotency key tied to it, all in one transaction, so a Stripe error
leaves nothing half-made and two staff (or a double click) make one refund.
Refunds made in Stripe's Dashboard arrive by webhook or reconcile
(:func:`record_refund`); either way a refund is one row by Stripe's id, and
the order's ``amount_refunded`` is the sum of its succeeded refunds.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

import stripe
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from store import emails, money
from store.models import Order, OrderEmail, Refund
from store.payments.outcomes import Outcome, PaymentError
from store.payments.stripe_api import describe, payment_error, stripe_client
from store.payments.stripe_fields import optional
from store.signals import announce_orders_change, announce_refund_succeeded

logger = logging.getLogger(__name__)

# Marks a refund as made from this shop's admin, and names its row.
REFUND_METADATA_KEY = "mini_store_refund"
# How long after a refund reconcile keeps checking the order's refunds at Stripe.
RECENT_REFUNDS = timedelta(days=7)


class RefundRefused(Exception):
    """The refund was not made, and Stripe was not asked; the message says why."""


class RefundFailed(PaymentError):
    """Stripe refused the refund or could not be reached; nothing was recorded."""


def outstanding(order: Order) -> int:
    """Refunded, being refunded, or asked for: what no longer can be refunded."""
    refunds = order.refunds.filter(status__in=Refund.OUTSTANDING)
    return refunds.aggregate(total=Sum("amount", default=0))["total"]


def refund_order(
    order: Order,
    *,
    amount: int | None,
    reason: str,
    user: AbstractBaseUser,
    form_token: uuid.UUID,
    outstanding_when_shown: int,
) -> tuple[Refund, bool]:
    """Refund ``amount`` (None: the rest) of a paid order; (the refund, whether it is new).

    ``outstanding_when_shown`` is what the form said was refunded: if another
    refund happened since, the figures the staff member decided on are stale.
    Raises RefundRefused before asking Stripe, RefundFailed when Stripe says no.
    """
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        repeated = Refund.objects.filter(form_token=form_token).first()
        if repeated:
            return repeated, False
        amount = _checked_amount(order, amount, outstanding_when_shown)
        refund = Refund.objects.create(
            order=order,
            amount=amount,
            currency=order.currency,
            reason=reason,
            created_by=user,
            form_token=form_token,
        )
        try:
            made = stripe_client().v1.refunds.create(
                params=_refund_params(order, refund),
                options={"idempotency_key": f"refund-{refund.public_id}"},
            )
        except stripe.StripeError as error:
            logger.warning("Stripe refused a refund: %s", error, extra={"order_id": order.pk})
            raise RefundFailed(describe(error)) from error
        _apply(order, refund, made)
    return refund, True


def _checked_amount(order: Order, amount: int | None, outstanding_when_shown: int) -> int:
    if order.status != Order.Status.PAID or not order.stripe_payment_intent_id:
        raise RefundRefused("Only a paid order can be refunded.")
    already = outstanding(order)
    if already != outstanding_when_shown:
        raise RefundRefused(
            f"Another refund was made while this page was open: {_shown(order, already)} is "
            "refunded or being refunded now. Check the figures and try again."
        )
    left = order.amount_total - already
    if left <= 0:
        raise RefundRefused("Nothing is left to refund on this order.")
    amount = left if amount is None else amount
    if amount <= 0:
        raise RefundRefused("Enter an amount above zero, or leave it empty to refund the rest.")
    if amount > left:
        raise RefundRefused(f"Only {_shown(order, left)} is left to refund.")
    return amount


def _refund_params(order: Order, refund: Refund) -> dict:
    params = {
        "payment_intent": order.stripe_payment_intent_id,
        "amount": refund.amount,
        "metadata": {"order_id": str(order.pk), REFUND_METADATA_KEY: str(refund.public_id)},
    }
    if refund.reason:
        params["reason"] = refund.reason
    return params


def record_refund(refund_id: str) -> Outcome:
    """Bring a refund made anywhere (webhook, Dashboard) in line with Stripe; idempotent."""
    try:
        made = stripe_client().v1.refunds.retrieve(refund_id)
    except stripe.StripeError as error:
        raise payment_error(error) from error
    return _record(made)


def record_refunds_of_charge(charge) -> Outcome:
    """``charge.refunded`` names a charge: record every refund of its payment."""
    outcomes = [_record(made) for made in _refunds_at_stripe(charge.payment_intent)]
    return Outcome.REFUND_RECORDED if Outcome.REFUND_RECORDED in outcomes else Outcome.UNCHANGED


def reconcile_refunds() -> tuple[int, int]:
    """Check at Stripe the refunds of orders refunded lately or with refunds in flight.

    Returns (orders checked, refunds changed here). Heals missed refund events.
    """
    recent = timezone.now() - RECENT_REFUNDS
    orders = (
        Order.objects.filter(
            Q(refunds__created_at__gte=recent)
            | Q(refunds__status__in=[Refund.Status.REQUESTED, Refund.Status.PENDING])
        )
        .exclude(stripe_payment_intent_id="")
        .distinct()
    )
    checked = changed = 0
    for order in orders:
        checked += 1
        for made in _refunds_at_stripe(order.stripe_payment_intent_id):
            changed += _record(made) is Outcome.REFUND_RECORDED
    return checked, changed


def _refunds_at_stripe(payment_intent_id: str) -> list:
    try:
        found = stripe_client().v1.refunds.list(
            params={"payment_intent": payment_intent_id, "limit": 100}
        )
    except stripe.StripeError as error:
        raise PaymentError(describe(error)) from error
    return list(found.data)


def _record(made) -> Outcome:
    order = Order.objects.filter(stripe_payment_intent_id=made.payment_intent or "").first()
    if order is None:
        return Outcome.NOT_OURS
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        refund = _row_for(order, made)
        before = (refund.stripe_refund_id, refund.status, refund.failure_reason)
        _apply(order, refund, made)
        after = (refund.stripe_refund_id, refund.status, refund.failure_reason)
    return Outcome.REFUND_RECORDED if before != after else Outcome.UNCHANGED


def _row_for(order: Order, made) -> Refund:
    """The refund's row: by Stripe's id, by the id the shop gave it, or new (the Dashboard)."""
    refund = Refund.objects.filter(stripe_refund_id=made.id).first()
    if refund:
        return refund
    metadata = made.metadata.to_dict() if made.metadata else {}
    refund = Refund.objects.filter(
        order=order, public_id__in=_uuids(metadata.get(REFUND_METADATA_KEY))
    ).first()
    if refund:
        return refund
    return Refund(
        order=order,
        amount=made.amount,
        currency=made.currency,
        reason=made.reason or "",
        status=Refund.Status.REQUESTED,  # _apply sets Stripe's status
    )


def _apply(order: Order, refund: Refund, made) -> None:
    """Stripe's view of one refund onto its row and the order, emails and flags included."""
    was = refund.status if refund.pk else None
    refund.stripe_refund_id = made.id
    refund.status = made.status if made.status in Refund.Status.values else Refund.Status.PENDING
    refund.failure_reason = optional(made, "failure_reason", default="")[:255]
    refund.save()
    succeeded = order.refunds.filter(status=Refund.Status.SUCCEEDED)
    order.amount_refunded = succeeded.aggregate(total=Sum("amount", default=0))["total"]
    order.save(update_fields=["amount_refunded", "updated_at"])
    announce_orders_change(order.browser_token)
    if refund.status == Refund.Status.SUCCEEDED and was != Refund.Status.SUCCEEDED:
        emails.queue(order, OrderEmail.Kind.REFUND, refund=refund)
        announce_refund_succeeded(refund)
    if refund.status == Refund.Status.FAILED and was != Refund.Status.FAILED:
        order.flag_for_attention(
            f"A refund of {refund.display_amount} failed ({refund.failure_reason or 'no reason'})"
            ": the customer has not got this money back."
        )
    logger.info(
        "Refund recorded",
        extra={"order_id": order.pk, "refund_id": made.id, "refund_status": refund.status},
    )


def _shown(order: Order, amount: int) -> str:
    return money.format_amount(amount, order.currency)


def _uuids(text: str | None) -> list[uuid.UUID]:
    try:
        return [uuid.UUID(text or "")]
    except ValueError:
        return []
