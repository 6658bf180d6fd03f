"""Money given back: each refund of an order, made here or in Stripe's Dashboard."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from store import money
from store.models.orders import Order


class Refund(models.Model):
    """One refund, as Stripe has it; counted once however many events describe it.

    A refund staff make here is written and committed (``requested``: awaiting
    Stripe's answer) with its idempotency key before Stripe is asked, so an answer
    lost to a timeout is settled later with the same key, never made twice. One
    made in Stripe's Dashboard arrives by webhook or reconcile and is found by
    Stripe's id; it has no key and no author.
    """

    class Status(models.TextChoices):
        REQUESTED = "requested", "Awaiting Stripe's answer"
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        CANCELED = "canceled", "Canceled"

    class Reason(models.TextChoices):
        # Stripe's reasons (Refund.reason); "" = none given.
        DUPLICATE = "duplicate", "Duplicate payment"
        FRAUDULENT = "fraudulent", "Fraudulent"
        REQUESTED_BY_CUSTOMER = "requested_by_customer", "Requested by the customer"

    # What still counts against what is left to refund.
    OUTSTANDING = (Status.REQUESTED, Status.PENDING, Status.SUCCEEDED)

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="refunds")
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    stripe_refund_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    amount = models.PositiveIntegerField(help_text="In the currency's minor unit.")
    currency = models.CharField(max_length=3)
    reason = models.CharField(max_length=30, choices=Reason.choices, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REQUESTED)
    failure_reason = models.CharField(max_length=255, blank=True)
    # Who asked for it here; empty for refunds made in Stripe's Dashboard.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Sent with every request for this refund: a retry is the same refund at Stripe.
    idempotency_key = models.CharField(max_length=255, unique=True, null=True, blank=True)
    # When Stripe was last asked to make it: an answer may still be on its way until
    # the longest a Stripe call can take has passed.
    stripe_asked_at = models.DateTimeField(null=True, blank=True)
    # Staff asked to put the order's units back into stock once this refund succeeds; when
    # that was done (once per order: store.refund_restock).
    restock = models.BooleanField(default=False)
    restocked_at = models.DateTimeField(null=True, blank=True)
    # The rendered refund form it came from: a double click is the same refund.
    form_token = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"Refund of {self.display_amount} for {self.order}"

    @property
    def display_amount(self) -> str:
        return money.format_amount(self.amount, self.currency)

    @property
    def made_in_stripe(self) -> bool:
        """Made in Stripe's Dashboard (or another integration), not from this shop's admin."""
        return self.idempotency_key is None

    @property
    def awaiting_stripe(self) -> bool:
        return self.status == self.Status.REQUESTED
