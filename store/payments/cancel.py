"""The shopper pressed Cancel on Stripe's page.

Nothing is locked while Stripe answers. The cancel is recorded first
(``Order.cancel_requested_at``, committed), then the session is expired at
Stripe with no transaction open, then :func:`apply_session` or the cancelled
transition runs under the order's row lock in a short transaction. A webhook
or success page meanwhile is not kept waiting: the session at Stripe decides.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from store import transitions
from store.models import Order
from store.payments.finalize import apply_session, read_checkout
from store.payments.outcomes import Outcome, PaymentError
from store.payments.stripe_api import expire_session, longest_stripe_call


class CancelInProgress(PaymentError):
    """Another request is telling Stripe about this cancel right now."""


def cancel_checkout(order: Order) -> Outcome:
    """Expire the session at Stripe, then cancel the order.

    The session is expired first so it cannot be paid later; if it turns out
    to be paid already (another tab), the order is fulfilled instead. If Stripe
    cannot be reached, PaymentError is raised and the recorded cancel is
    finished by ``sync_orders``.
    """
    order.refresh_from_db()
    if order.status != Order.Status.PENDING:
        return Outcome.UNCHANGED
    if not order.request_cancel() and _recently(order.cancel_requested_at):
        raise CancelInProgress("The cancel is being sent to Stripe.")
    if not order.stripe_session_id:
        return close_cancelled(order)
    session = expire_session(order.stripe_session_id, f"order-{order.public_id}-cancel")
    # Expired: cancelled (the recorded cancel decides); paid meanwhile: paid.
    return apply_session(order, read_checkout(session.id, session))


def close_cancelled(order: Order) -> Outcome:
    """The session can no longer be paid: the cancelled transition, under the row lock."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        return Outcome.CANCELLED if transitions.mark_cancelled(order) else Outcome.UNCHANGED


def _recently(moment: datetime | None) -> bool:
    return moment is not None and moment > timezone.now() - longest_stripe_call()
