"""Units of a refunded order back on sale, when staff asked for it on the refund form.

The choice is kept on the Refund row (``restock``) before Stripe is asked; the
units go back when the refund succeeds, whichever path records that (the admin,
a webhook, ``sync_orders``), through the ``refund_succeeded`` signal. They go
back once per order: the claim on the refund row and the check for an earlier
restock of the order happen under the order's row lock.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from store.models import Order, ProductVariant, Refund
from store.signals import announce_availability_change, refund_succeeded

logger = logging.getLogger(__name__)


def restock_once(refund: Refund) -> bool:
    """Put the order's counted units back if this refund asked for it and none of the order's
    refunds did so before; True when units went back."""
    with transaction.atomic():
        Order.objects.select_for_update().get(pk=refund.order_id)
        if Refund.objects.filter(order_id=refund.order_id, restocked_at__isnull=False).exists():
            return False
        claimed = Refund.objects.filter(
            pk=refund.pk, restock=True, restocked_at__isnull=True, status=Refund.Status.SUCCEEDED
        ).update(restocked_at=timezone.now())
        if not claimed:
            return False
        quantities: dict[int, int] = {}
        # Each line's own variant (a size, a colour) gets its units back.
        lines = refund.order.lines.filter(variant__stock__isnull=False)
        for line in lines:
            quantities[line.variant_id] = quantities.get(line.variant_id, 0) + line.quantity
        for pk in sorted(quantities):
            ProductVariant.objects.filter(pk=pk).update(stock=F("stock") + quantities[pk])
        announce_availability_change()
    logger.info(
        "Refunded units back in stock",
        extra={"order_id": refund.order_id, "refund_id": refund.pk, "units": quantities},
    )
    return True


def _on_refund_succeeded(sender, refund: Refund, **kwargs) -> None:
    restock_once(refund)


def connect() -> None:
    """Called once, when the store app is ready."""
    refund_succeeded.connect(_on_refund_succeeded, dispatch_uid="store-refund-restock")
