"""Refunds through Stripe's Refunds API, and refunds made elsewhere kept in line.

Staff refund from the order's admin page (:func:`refund_order`) in three steps,
so no lock or transaction is held while Stripe answers:

1. Under the order's row lock, a short transaction checks the amount and
   commits the refund row, ``requested`` (awaiting Stripe's answer), with its
   idempotency key. Two staff, or a double click, meet here: one row.
2. Stripe is asked with that key, no transaction open. A refusal deletes the
   row (nothing changed); an answer that never came (a timeout, a dropped
   connection, a 5xx) leaves it awaiting, and nothing is guessed.
3. Under the order's row lock again, :func:`_settle` applies Stripe's answer.

Every other path ends in the same :func:`_settle`: the refund webhooks
(which read from Stripe before their transaction, then :func:`settle_refunds`) and ``sync_orders``
(:func:`reconcile_refunds`), which lists the refunds at Stripe and asks again,
with the same key, for a refund Stripe never received. A refund is one row,
found by Stripe's id or by the id the shop gave it; a refund made in the
Dashboard gets a row of its own. The row's status only moves under the order's
lock (``transitions.apply_refund``), so the ``refund_succeeded`` signal and the
customer's email happen once.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from datetime import timedelta

import stripe
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from store import money, transitions
from store.models import Order, Refund
from store.payments.outcomes import Outcome, PaymentError
from store.payments.stripe_api import describe, longest_stripe_call, payment_error, stripe_client
from store.payments.stripe_fields import object_id, optional

logger = logging.getLogger(__name__)

# Marks a refund as made from this shop's admin, and names its row.
REFUND_METADATA_KEY = "mini_store_refund"
# How far back reconcile reads the account's refunds (a Dashboard refund whose events were lost).
RECENT_REFUNDS = timedelta(days=7)
LIST_PAGE = 100


class RefundRefused(Exception):
    """The refund was not made, and Stripe was not asked; the message says why."""


class RefundFailed(PaymentError):
    """Stripe refused the refund: nothing was made, nothing was recorded."""


class RefundNotKnownYet(PaymentError):
    """Stripe's answer did not come (or is still coming): the refund stays awaiting it.

    It may or may not be made; the webhook or ``sync_orders`` settles it with the
    same idempotency key. Pressing Refund again would not help.
    """

    def __init__(self, refund: Refund, why: str):
        super().__init__(why)
        self.refund = refund


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
    restock: bool = False,
) -> tuple[Refund, bool]:
    """Refund ``amount`` (None: the rest) of a paid order; (the refund, whether Stripe was asked).

    ``outstanding_when_shown`` is what the form said was refunded: if another
    refund happened since, the figures the staff member decided on are stale.
    Raises RefundRefused before asking Stripe, RefundFailed when Stripe says no,
    RefundNotKnownYet when its answer did not come (or is on its way for the
    same form). The same form sent again is the same refund, with the same key.
    """
    refund, new = _requested_refund(
        order, amount, reason, user, form_token, outstanding_when_shown, restock
    )
    if not new and not refund.awaiting_stripe:
        return refund, False
    if not new and not _claim_another_ask(refund):
        raise RefundNotKnownYet(refund, "Stripe is still being asked for this refund.")
    _settle(_ask_stripe(refund))
    refund.refresh_from_db()
    return refund, True


def _requested_refund(
    order: Order,
    amount: int | None,
    reason: str,
    user: AbstractBaseUser,
    form_token: uuid.UUID,
    outstanding_when_shown: int,
    restock: bool,
) -> tuple[Refund, bool]:
    """The form's refund row, committed before Stripe hears of it; whether it is new."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        repeated = Refund.objects.filter(form_token=form_token).first()
        if repeated:
            return repeated, False
        public_id = uuid.uuid4()
        return Refund.objects.create(
            order=order,
            public_id=public_id,
            idempotency_key=f"refund-{public_id}",
            amount=_checked_amount(order, amount, outstanding_when_shown),
            currency=order.currency,
            reason=reason,
            created_by=user,
            form_token=form_token,
            restock=restock,  # applied once it succeeds (store.refund_restock)
            # Marked as being asked from the start: a double click arriving before the call
            # finds it so and waits for the answer instead of asking too.
            stripe_asked_at=timezone.now(),
        ), True


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


def _claim_another_ask(refund: Refund) -> bool:
    """Whether this request may ask Stripe again for an awaiting refund (same key).

    A conditional UPDATE: of two requests that find the last ask over, one claims it.
    """
    now = timezone.now()
    over = Q(stripe_asked_at__isnull=True) | Q(stripe_asked_at__lte=now - longest_stripe_call())
    claimed = Refund.objects.filter(over, pk=refund.pk).update(stripe_asked_at=now)
    return claimed == 1


def _ask_stripe(refund: Refund):
    """Ask Stripe to make the refund (no transaction open); Stripe's refund object.

    The caller has marked the row as being asked (``stripe_asked_at``), when it was
    created or by ``_claim_another_ask``.

    Raises RefundFailed when Stripe refused (the row is deleted: nothing was
    made) and RefundNotKnownYet when the answer is unknown (the row stays).
    """
    order = refund.order
    try:
        return stripe_client().v1.refunds.create(
            params=_refund_params(order, refund),
            options={"idempotency_key": refund.idempotency_key},
        )
    except stripe.StripeError as error:
        extra = {"order_id": order.pk, "refund_public_id": str(refund.public_id)}
        if _refused(error):
            logger.warning("Stripe refused a refund: %s", error, extra=extra)
            Refund.objects.filter(
                pk=refund.pk, status=Refund.Status.REQUESTED, stripe_refund_id__isnull=True
            ).delete()
            raise RefundFailed(describe(error)) from error
        logger.warning("Stripe's answer to a refund did not come: %s", error, extra=extra)
        raise RefundNotKnownYet(refund, describe(error)) from error


def _refused(error: stripe.StripeError) -> bool:
    """Stripe answered, and made nothing: a 4xx other than a key still in use or mismatched.

    A connection error, a timeout or a 5xx leave the outcome unknown.
    """
    status = error.http_status or 0
    return 400 <= status < 500 and status != 409 and not isinstance(error, stripe.IdempotencyError)


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
    return _settle(retrieve_refund(refund_id))


def retrieve_refund(refund_id: str):
    """The refund as Stripe has it now. Calls Stripe: never inside a transaction."""
    try:
        return stripe_client().v1.refunds.retrieve(refund_id)
    except stripe.StripeError as error:
        raise payment_error(error) from error


def refunds_of_charge(charge) -> list:
    """``charge.refunded`` names a charge: every refund of its payment, from Stripe."""
    payment_intent = object_id(optional(charge, "payment_intent"))
    return _refunds_of(payment_intent) if payment_intent else []


def settle_refunds(refunds: list) -> Outcome:
    """Refunds read from Stripe onto their rows, each under its order's row lock."""
    outcomes = [_settle(made) for made in refunds]
    return Outcome.REFUND_RECORDED if Outcome.REFUND_RECORDED in outcomes else Outcome.UNCHANGED


def reconcile_refunds() -> tuple[int, int]:
    """Settle, from Stripe's side, refunds awaiting an answer and the account's recent refunds.

    Refunds awaiting Stripe (or pending) are found in their PaymentIntent's
    list; one Stripe never received is asked for again with its own key. The
    account's refunds of the last week give orders with no row of theirs (a
    Dashboard refund whose events were lost) one. Returns (orders checked,
    refunds changed here).
    """
    seen: dict[str, object] = {}
    in_flight = Refund.objects.filter(status__in=[Refund.Status.REQUESTED, Refund.Status.PENDING])
    payment_intents = set(
        in_flight.exclude(order__stripe_payment_intent_id="").values_list(
            "order__stripe_payment_intent_id", flat=True
        )
    )
    for payment_intent in payment_intents:
        seen.update((made.id, made) for made in _refunds_of(payment_intent))
    seen.update((made.id, made) for made in _recent_refunds())
    changed = sum(_settle(made) is Outcome.REFUND_RECORDED for made in seen.values())
    changed += _ask_again_for_unanswered()
    orders = {object_id(optional(made, "payment_intent")) for made in seen.values()}
    checked = Order.objects.filter(stripe_payment_intent_id__in=orders - {None}).count()
    return checked, changed


def _ask_again_for_unanswered() -> int:
    """Refunds still awaiting Stripe once listed: Stripe never made them. Ask, same key."""
    stale = Refund.objects.filter(
        status=Refund.Status.REQUESTED,
        stripe_refund_id__isnull=True,
        idempotency_key__isnull=False,
    ).select_related("order")
    changed = 0
    for refund in stale:
        if not _claim_another_ask(refund):
            continue
        try:
            changed += _settle(_ask_stripe(refund)) is Outcome.REFUND_RECORDED
        except (RefundFailed, RefundNotKnownYet) as error:
            logger.warning(
                "A refund awaiting Stripe is still not settled: %s",
                error,
                extra={"order_id": refund.order_id, "refund_public_id": str(refund.public_id)},
            )
    return changed


def _refunds_of(payment_intent_id: str) -> list:
    try:
        found = stripe_client().v1.refunds.list(
            params={"payment_intent": payment_intent_id, "limit": LIST_PAGE}
        )
    except stripe.StripeError as error:
        raise PaymentError(describe(error)) from error
    return list(found.data)


def _recent_refunds() -> Iterator:
    """The account's refunds, newest first, back to RECENT_REFUNDS ago."""
    since = (timezone.now() - RECENT_REFUNDS).timestamp()
    params: dict = {"limit": LIST_PAGE}
    while True:
        try:
            page = stripe_client().v1.refunds.list(params=params)
        except stripe.StripeError as error:
            raise PaymentError(describe(error)) from error
        for made in page.data:
            if made.created < since:
                return
            yield made
        if not page.has_more or not page.data:
            return
        params["starting_after"] = page.data[-1].id


def _settle(made) -> Outcome:
    """Stripe's view of one refund onto its row and its order, under the order's lock."""
    payment_intent = object_id(optional(made, "payment_intent"))
    order = Order.objects.filter(stripe_payment_intent_id=payment_intent or "").first()
    if not payment_intent or order is None:
        return Outcome.NOT_OURS
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        changed = transitions.apply_refund(
            order,
            _row_for(order, made),
            stripe_refund_id=made.id,
            status=made.status if made.status in Refund.Status.values else Refund.Status.PENDING,
            failure_reason=(optional(made, "failure_reason") or "")[:255],
        )
    return Outcome.REFUND_RECORDED if changed else Outcome.UNCHANGED


def _row_for(order: Order, made) -> Refund:
    """The refund's row: by Stripe's id, by the id the shop gave it, or new (the Dashboard)."""
    refund = Refund.objects.filter(stripe_refund_id=made.id).first()
    if refund:
        return refund
    public_id = _uuid(optional(made, "metadata", REFUND_METADATA_KEY))
    refund = Refund.objects.filter(order=order, public_id=public_id).first() if public_id else None
    if refund:
        return refund
    return Refund(
        order=order,
        amount=made.amount,
        currency=made.currency,
        reason=optional(made, "reason", default=""),
        status=Refund.Status.REQUESTED,  # apply_refund sets Stripe's status
    )


def _shown(order: Order, amount: int) -> str:
    return money.format_amount(amount, order.currency)


def _uuid(text: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(text or "")
    except ValueError:
        return None
