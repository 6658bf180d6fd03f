"""Everything that talks to Stripe, and the rules that keep an order paid exactly once.

No flow holds a database lock or an open transaction while Stripe answers: a short
transaction records the intent (with its idempotency key), Stripe is called, and a
second short transaction applies the answer, the model's conditional UPDATEs deciding
(``store.transitions`` does what follows). ``DB_LOCK_TIMEOUT_SECONDS`` bounds any wait.

- ``checkout``: the pending order, then its Checkout Session.
- ``finalize``: :func:`fulfill_checkout`, which the success page, the webhook
  and reconcile all end in; it re-reads the session and marks paid once.
- ``cancel``, ``reconcile``, ``webhooks``: the other ways an order moves.
- ``refunds``: refunds made from the admin, and those made in Stripe's Dashboard.
- ``discount_sync``: discount codes kept in step with Stripe's coupons and promotion codes.
- ``stripe_api``: the client and what the shop writes on a session.
"""

from store.payments.cancel import CancelInProgress, cancel_checkout
from store.payments.checkout import CheckoutLine, session_expiry, start_checkout
from store.payments.finalize import fulfill_checkout
from store.payments.outcomes import (
    AlreadyPaid,
    CheckoutInProgress,
    CheckoutUnavailable,
    InvalidWebhook,
    NotAtStripe,
    Outcome,
    PaymentError,
    TooManyCheckouts,
)
from store.payments.reconcile import ReconcileReport, reconcile_pending
from store.payments.refunds import (
    RefundFailed,
    RefundNotKnownYet,
    RefundRefused,
    outstanding,
    reconcile_refunds,
    record_refund,
    refund_order,
)
from store.payments.webhooks import EVENT_HANDLERS, handle_event, verify_event

__all__ = [
    "EVENT_HANDLERS",
    "AlreadyPaid",
    "CancelInProgress",
    "CheckoutInProgress",
    "CheckoutLine",
    "CheckoutUnavailable",
    "InvalidWebhook",
    "NotAtStripe",
    "Outcome",
    "PaymentError",
    "ReconcileReport",
    "RefundFailed",
    "RefundNotKnownYet",
    "RefundRefused",
    "TooManyCheckouts",
    "cancel_checkout",
    "fulfill_checkout",
    "handle_event",
    "outstanding",
    "reconcile_pending",
    "reconcile_refunds",
    "record_refund",
    "refund_order",
    "session_expiry",
    "start_checkout",
    "verify_event",
]
