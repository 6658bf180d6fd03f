"""Store events other code can react to (emails, stock, the shop page's cache)."""

from django.db import transaction
from django.dispatch import Signal

# Sent once per order, after the transaction that stored its Checkout Session has committed.
# Receivers get ``order``.
checkout_started = Signal()

# Sent once per order, after the transaction that marked it paid has committed.
# Receivers get ``order``.
order_paid = Signal()

# Sent once per order that ends unpaid (cancelled, expired or failed: ``order.status``),
# after the transaction has committed. Receivers get ``order``.
checkout_ended = Signal()

# What became of an order email: "queued" (after commit), "sent", or "failed" (an attempt
# the mail server refused; it is tried again). Receivers get ``email`` and ``outcome``.
order_email_outcome = Signal()

# Sent after commit when what shoppers see of a product may have changed without the
# product being saved: units held by a checkout, released, sold, or counted by an editor.
availability_changed = Signal()


def announce_availability_change() -> None:
    """Tell receivers once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: availability_changed.send(sender=None))


# Sent after commit when one of a browser's orders changed in a way its shopper sees
# (paid, processing, shipped, delivered, refunded, ended). Receivers get ``browser_token``.
orders_changed = Signal()


def announce_orders_change(browser_token: str) -> None:
    transaction.on_commit(lambda: orders_changed.send(sender=None, browser_token=browser_token))


# Sent once per refund, after the transaction in which it became succeeded has committed
# (wherever that happened: the admin's refund, a webhook, reconcile). Receivers get ``refund``.
refund_succeeded = Signal()


def announce_refund_succeeded(refund) -> None:
    transaction.on_commit(lambda: refund_succeeded.send(sender=None, refund=refund))


def announce_after_commit(signal: Signal, **kwargs) -> None:
    transaction.on_commit(lambda: signal.send(sender=None, **kwargs))
