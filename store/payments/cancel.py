"""The shopper pressed Cancel on Stripe's page."""

from __future__ import annotations

import stripe
from django.db import transaction

from store.models import Order
from store.payments.finalize import apply_session
from store.payments.outcomes import Outcome, PaymentError
from store.payments.stripe_api import describe, retrieve_session, stripe_client


def cancel_checkout(order: Order) -> Outcome:
    """Expire the session at Stripe, then cancel the order.

    The session is expired first so it cannot be paid later; if it turns out
    to be paid already (another tab), the order is fulfilled instead. The row
    lock makes the "expired" webhook that Stripe sends meanwhile wait, then
    find the order cancelled. If Stripe cannot be reached, the cancel is
    remembered and PaymentError raised: ``sync_orders`` finishes it later.
    """
    try:
        with transaction.atomic():
            order = Order.objects.select_for_update().get(pk=order.pk)
            if order.status != Order.Status.PENDING:
                return Outcome.UNCHANGED
            if order.stripe_session_id:
                outcome = _expire_session(order)
                if outcome is not None:
                    return outcome
            return Outcome.CANCELLED if order.mark_cancelled() else Outcome.UNCHANGED
    except PaymentError:
        order.request_cancel()
        raise


def _expire_session(order: Order) -> Outcome | None:
    """None once the session can no longer be paid; else what became of the order."""
    try:
        stripe_client().v1.checkout.sessions.expire(order.stripe_session_id)
    except stripe.InvalidRequestError:
        # Stripe only expires open sessions: find out what this one is.
        session = retrieve_session(order.stripe_session_id)
        if session.status == "expired":
            return None
        return apply_session(order, session)
    except stripe.StripeError as error:
        raise PaymentError(describe(error)) from error
    return None
