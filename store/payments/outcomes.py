"""What a payment operation did, and the ways it can fail."""

from __future__ import annotations

import enum

from store.models import Order


class Outcome(enum.StrEnum):
    """What one call did to an order; also what the webhook log records."""

    PAID = "paid"
    ALREADY_PAID = "already_paid"
    AWAITING_PAYMENT = "awaiting_payment"
    PROCESSING = "processing"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    FAILED = "failed"
    MISMATCH = "mismatch"
    UNCHANGED = "unchanged"
    IGNORED = "ignored"
    DUPLICATE = "duplicate"
    NOT_OURS = "not_ours"
    # Stripe has no such object and neither has the shop: acknowledged, never retried.
    UNKNOWN = "unknown"
    REFUND_RECORDED = "refund_recorded"
    DISPUTE_RECORDED = "dispute_recorded"


class PaymentError(Exception):
    """Stripe could not be reached or refused the request; nothing was charged by us."""


class NotAtStripe(PaymentError):
    """Stripe answered that the object does not exist (``resource_missing``)."""


class CheckoutUnavailable(PaymentError):
    """The Checkout Session could not be created; the order is marked failed."""


class CheckoutInProgress(Exception):
    """Another request (a double click) is creating this order's Checkout Session right now."""


class TooManyCheckouts(Exception):
    """This browser or address started too many checkouts lately; nothing was created."""


class AlreadyPaid(Exception):
    """The same rendered form was posted again after its order was paid."""

    def __init__(self, order: Order):
        super().__init__(f"Order {order.pk} is already paid")
        self.order = order


class InvalidWebhook(Exception):
    """Missing or bad signature, stale timestamp or a body that is not an event."""
