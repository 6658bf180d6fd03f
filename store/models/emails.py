"""Emails the shop owes people about orders (sent by ``store.emails``)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from store.models.orders import Order


class OrderEmail(models.Model):
    """An email the shop owes someone about an order, written with the change it reports.

    One row per (order, key): the paid transition happens once, so its
    confirmation is written once, however many webhooks race. The background
    worker sends it and keeps trying until the mail server takes it (store.emails).
    """

    class Kind(models.TextChoices):
        CONFIRMATION = "confirmation", "Order confirmation"
        NEW_ORDER = "new_order", "New order (to staff)"
        SHIPPED = "shipped", "Shipped notice"
        REFUND = "refund", "Refund notice"
        DISPUTE = "dispute", "Dispute opened (to staff)"
        PAYMENT_FAILED = "payment_failed", "Payment failed notice"
        # Asked for on "Find my order": the link to the order's status page.
        STATUS_LINK = "status_link", "Order status link"

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="emails")
    # The refund a refund notice is about (one notice per refund).
    refund = models.ForeignKey(
        "store.Refund", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # The dispute a staff alert is about (one alert per dispute).
    dispute = models.ForeignKey(
        "store.Dispute", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # Which change it reports: the kind, or the kind and the object (one per refund).
    key = models.CharField(max_length=100)
    to = models.TextField(help_text="Comma-separated addresses.")
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    # The Message-ID every attempt sends: if a worker dies after the mail server took the
    # message but before sent_at was written, the one copy sent again carries the same id.
    message_id = models.CharField(max_length=255, blank=True)
    # Set when the shop stopped trying: the address is not one mailbox, or the mail server
    # refused it permanently (5xx) STORE_EMAIL_MAX_REFUSALS times. Shown to staff.
    gave_up_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(fields=["order", "key"], name="store_one_email_per_change")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.order}"

    @property
    def recipients(self) -> list[str]:
        return [address.strip() for address in self.to.split(",") if address.strip()]
