"""Stripe's webhook events, as received."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class WebhookEvent(models.Model):
    """Every Stripe event received: the unique id makes a redelivery a no-op."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=255, blank=True, db_index=True)
    received_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=100, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    # The last processing error, kept for staff while Stripe retries.
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-received_at"]
        indexes = [
            # The admin listing (newest first), its filters, and retention by age.
            models.Index(fields=["received_at", "id"], name="store_event_received"),
            models.Index(fields=["type", "received_at"], name="store_event_type_received"),
            models.Index(fields=["outcome", "received_at"], name="store_event_outcome_received"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"
