"""Store events other code can react to (emails, stock, analytics)."""

from django.dispatch import Signal

# Sent once per order, after the transaction that marked it paid has committed.
# Receivers get ``order``.
order_paid = Signal()
