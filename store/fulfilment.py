"""Staff ship and deliver paid orders. Each step is recorded in Wagtail's audit log with who
and when, and shipping owes the customer an email, in the same transaction; My Orders hears
of it once that commits. No Stripe call: the model's conditional UPDATE decides."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from wagtail.log_actions import log

from store import emails
from store.models import Order, OrderEmail
from store.signals import announce_orders_change

SHIPPED = "store.order.shipped"
DELIVERED = "store.order.delivered"
UNDONE = "store.order.fulfilment_undone"


def ship(
    order: Order, *, user: AbstractBaseUser, carrier: str = "", tracking_number: str = ""
) -> bool:
    """Paid and not shipped -> shipped; False when the order was not in that state."""
    with transaction.atomic():
        if not order.mark_shipped(carrier=carrier, tracking_number=tracking_number):
            return False
        log(
            instance=order,
            action=SHIPPED,
            user=user,
            data={"carrier": carrier, "tracking_number": tracking_number},
        )
        emails.queue(order, OrderEmail.Kind.SHIPPED)
        announce_orders_change(order.browser_token)
    return True


def why_not_shippable(order: Order) -> str | None:
    """Why ``order`` cannot be marked shipped now, in words for staff; None if it can.

    Explains a refusal after the fact: ``Order.mark_shipped``'s conditional UPDATE decides.
    """
    if order.status != Order.Status.PAID:
        return "it is not paid"
    if order.fulfilment != Order.Fulfilment.UNFULFILLED:
        return "it has already shipped"
    if order.disputed:
        return (
            "its payment is disputed: the cardholder's bank may take the money back, "
            "so wait for the dispute's outcome (on the order's page)"
        )
    if order.refund_state == "Refunded":
        return "it is fully refunded"
    return None


def deliver(order: Order, *, user: AbstractBaseUser) -> bool:
    with transaction.atomic():
        if not order.mark_delivered():
            return False
        log(instance=order, action=DELIVERED, user=user)
        announce_orders_change(order.browser_token)
    return True


def undo(order: Order, *, user: AbstractBaseUser) -> bool:
    """Take back the last step (delivered or shipped), for a mistake."""
    undone = order.fulfilment
    with transaction.atomic():
        if undone == Order.Fulfilment.UNFULFILLED or not order.undo_fulfilment():
            return False
        log(
            instance=order,
            action=UNDONE,
            user=user,
            data={"undone": undone, "now": order.fulfilment},
        )
        announce_orders_change(order.browser_token)
    return True
