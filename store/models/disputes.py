"""Money the cardholder's bank is taking back (disputes), and Radar's warnings that it may."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from store import money
from store.models.orders import Order


class Dispute(models.Model):
    """One Stripe dispute of an order's payment, as Stripe has it now.

    Written by the webhook (``store.payments.disputes``) from the dispute
    re-read at Stripe, so events arriving late or twice leave the latest state.
    """

    class Status(models.TextChoices):
        WARNING_NEEDS_RESPONSE = "warning_needs_response", "Inquiry: needs a response"
        WARNING_UNDER_REVIEW = "warning_under_review", "Inquiry: under review"
        WARNING_CLOSED = "warning_closed", "Inquiry closed"
        NEEDS_RESPONSE = "needs_response", "Needs a response"
        UNDER_REVIEW = "under_review", "Under review"
        WON = "won", "Won"
        LOST = "lost", "Lost"
        PREVENTED = "prevented", "Prevented (refunded)"

    # Waiting for the shop's evidence or the bank's decision.
    OPEN = (
        Status.WARNING_NEEDS_RESPONSE,
        Status.WARNING_UNDER_REVIEW,
        Status.NEEDS_RESPONSE,
        Status.UNDER_REVIEW,
    )
    # The order must not ship: the dispute is open, or the money is gone.
    BLOCKS_SHIPPING = (*OPEN, Status.LOST, Status.PREVENTED)

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="disputes")
    stripe_dispute_id = models.CharField(max_length=255, unique=True)
    stripe_charge_id = models.CharField(max_length=255, blank=True)
    livemode = models.BooleanField(default=False)
    status = models.CharField(max_length=30, choices=Status.choices)
    # Stripe's reason code (fraudulent, product_not_received, ...): a longer list than we show.
    reason = models.CharField(max_length=50)
    amount = models.PositiveIntegerField(help_text="In the currency's minor unit.")
    currency = models.CharField(max_length=3)
    evidence_due_by = models.DateTimeField(null=True, blank=True)
    funds_withdrawn_at = models.DateTimeField(null=True, blank=True)
    funds_reinstated_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [
            # The dashboard's count of disputes waiting for the shop or the bank.
            models.Index(
                fields=["status"],
                condition=models.Q(status__in=["warning_needs_response", "needs_response"]),
                name="store_dispute_needs_response",
            ),
        ]

    def __str__(self) -> str:
        return f"Dispute of {self.display_amount} on {self.order}"

    @property
    def display_amount(self) -> str:
        return money.format_amount(self.amount, self.currency)

    @property
    def display_reason(self) -> str:
        return self.reason.replace("_", " ")

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN

    @property
    def needs_response(self) -> bool:
        return self.status in (self.Status.NEEDS_RESPONSE, self.Status.WARNING_NEEDS_RESPONSE)

    @property
    def dashboard_url(self) -> str:
        return stripe_dashboard_url(f"disputes/{self.stripe_dispute_id}", self.livemode)


class EarlyFraudWarning(models.Model):
    """Radar's report that the card's issuer flagged the payment as fraud: a dispute may
    follow, and refunding first avoids its fee."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="fraud_warnings")
    stripe_warning_id = models.CharField(max_length=255, unique=True)
    stripe_charge_id = models.CharField(max_length=255, blank=True)
    livemode = models.BooleanField(default=False)
    fraud_type = models.CharField(max_length=50)
    actionable = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"Early fraud warning on {self.order}"

    @property
    def display_fraud_type(self) -> str:
        return self.fraud_type.replace("_", " ")

    @property
    def dashboard_url(self) -> str:
        return stripe_dashboard_url(f"payments/{self.stripe_charge_id}", self.livemode)


def stripe_dashboard_url(path: str, livemode: bool) -> str:
    """The page in Stripe's Dashboard; with the offline simulator, its own Dashboard page."""
    if settings.STRIPE_API_BASE:
        return settings.STRIPE_API_BASE.rstrip("/") + "/dashboard"
    return f"https://dashboard.stripe.com/{'' if livemode else 'test/'}{path}"
