"""Pending orders whose Checkout Session is certainly over: expired in bulk, Stripe not asked.

A session can be paid only until its ``expires_at``, at most 24 hours after
Stripe created it, and Stripe retries a completed session's webhook for up to
three days. A pending order past both, with no sign that it might have been
paid, was not: asking Stripe order by order (issue 21: 9,894 orders, 22 s, one
query and one call each) would only confirm it. The signs that keep an order to
be asked one by one (``store.payments.reconcile``):

- its payment is processing (a bank debit settles days later; its PaymentIntent decides);
- its shopper came back from Stripe's page (the success page could not confirm it);
- a webhook about its session arrived (it may have failed and be retried);
- its shopper cancelled (Stripe is told, and the order ends cancelled, not expired);
- it has no session (reconcile fails those without Stripe).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet

from store import transitions
from store.models import Order, WebhookEvent
from store.payments.checkout import LONGEST_SESSION

# Stripe's retries of an event's delivery; after them, no webhook about the session will come.
WEBHOOK_RETRY_WINDOW = timedelta(days=3)
# Each batch is one short transaction holding its rows' locks (no Stripe call in it).
BATCH_SIZE = 500


def certainly_over(now: datetime) -> QuerySet:
    """Pending orders whose session ended (or could have lived) beyond the webhook retries,
    without any of the signs in this module's docstring."""
    ended_before = now - WEBHOOK_RETRY_WINDOW
    # The session was created after the order and after its latest checkout start.
    started_before = ended_before - LONGEST_SESSION
    webhook_came = WebhookEvent.objects.filter(object_id=OuterRef("stripe_session_id"))
    return (
        Order.objects.filter(
            status=Order.Status.PENDING,
            payment_processing=False,
            returned_from_stripe_at=None,
            cancel_requested_at=None,
            stripe_session_id__isnull=False,
            created_at__lt=started_before,
        )
        .filter(Q(checkout_started_at=None) | Q(checkout_started_at__lt=started_before))
        .filter(Q(checkout_expires_at=None) | Q(checkout_expires_at__lt=ended_before))
        .exclude(Exists(webhook_came))
    )


def expire_certainly_over(now: datetime, out_of_time: Callable[[], bool]) -> tuple[int, bool]:
    """Expire them in batches by pk (keyset); how many, and whether all were reached.

    Rows another process holds (a late webhook, the success page) are skipped: it decides.
    """
    expired, after = 0, 0
    while True:
        with transaction.atomic():
            over = certainly_over(now)
            batch = list(
                over.filter(pk__gt=after)
                .order_by("pk")
                .select_for_update(skip_locked=True)[:BATCH_SIZE]
            )
            if batch:
                expired += transitions.mark_expired_in_bulk(batch, over)
        if len(batch) < BATCH_SIZE:
            return expired, True
        after = batch[-1].pk
        if out_of_time():
            return expired, False
