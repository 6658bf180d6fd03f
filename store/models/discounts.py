"""Discount codes the owner runs sales with, and each set of their terms sent to Stripe.

A Stripe coupon's terms cannot change, so a code's terms live in versions
(:class:`DiscountCodeTerms`): editing the terms makes a new version with a new
coupon and promotion code, and the old promotion code is deactivated, never
deleted. An order is checked against the version whose promotion code the
shopper used (``store.discounts``).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from store import money

# What Stripe takes in a promotion code (unique regardless of case): letters and digits.
CODE_CHARACTERS = RegexValidator(
    r"^[A-Za-z0-9]+$", "Use only letters and digits (no spaces or dashes), e.g. DIWALI10."
)


class DiscountCode(models.Model):
    """What the owner edits: a code, its terms, and whether it is on offer."""

    class Kind(models.TextChoices):
        PERCENT = "percent", "Percentage off"
        FIXED = "fixed", "Fixed amount off"

    code = models.CharField(
        max_length=40,
        validators=[CODE_CHARACTERS],
        help_text="What shoppers type on the payment page. Shown in capitals; any case works.",
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.PERCENT)
    percent_off = models.DecimalField(
        "percent off", max_digits=5, decimal_places=2, null=True, blank=True
    )
    amount_off = models.PositiveIntegerField(
        "amount off", null=True, blank=True, help_text="In the currency's minor unit."
    )
    minimum_subtotal = models.PositiveIntegerField(
        null=True, blank=True, help_text="In the currency's minor unit; empty: any subtotal."
    )
    starts_at = models.DateTimeField("starts", null=True, blank=True)
    ends_at = models.DateTimeField("ends", null=True, blank=True)
    max_uses = models.PositiveIntegerField("uses in total", null=True, blank=True)
    max_uses_per_email = models.PositiveIntegerField(
        "uses per customer email", null=True, blank=True
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(
                Lower("code"),
                name="discount_code_unique_any_case",
                violation_error_message="There is already a discount code with this code.",
            )
        ]

    def __str__(self) -> str:
        return self.code.upper()

    def save(self, *args, **kwargs):
        self.code = self.code.upper()
        super().save(*args, **kwargs)

    @property
    def currency(self) -> str:
        return settings.STORE_CURRENCY

    @property
    def display_terms(self) -> str:
        return describe_terms(self.kind, self.percent_off, self.amount_off, self.currency)

    def current_terms(self) -> DiscountCodeTerms | None:
        """The latest version of the terms: the one Stripe should offer."""
        return self.versions.order_by("-created_at", "-pk").first()

    def started(self, now: datetime | None = None) -> bool:
        return self.starts_at is None or self.starts_at <= (now or timezone.now())

    def offered_at_stripe(self, now: datetime | None = None) -> bool:
        """Whether Stripe's page should accept it now: Stripe has no start date, so a code
        that has not started yet stays inactive there until ``sync_orders`` turns it on."""
        return self.active and self.started(now)


class DiscountCodeTerms(models.Model):
    """One set of a code's terms, as sent to Stripe: a coupon and its promotion code.

    Written and committed before Stripe is asked, with the idempotency keys derived from
    ``public_id``, so a retry (a dropped answer, a second save) makes no second coupon.
    """

    # The fields of DiscountCode a Stripe coupon or promotion code fixes for good.
    TERMS = ("kind", "percent_off", "amount_off", "minimum_subtotal", "ends_at", "max_uses")

    discount_code = models.ForeignKey(
        DiscountCode, on_delete=models.PROTECT, related_name="versions"
    )
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    code = models.CharField(max_length=40)
    kind = models.CharField(max_length=10, choices=DiscountCode.Kind.choices)
    percent_off = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    amount_off = models.PositiveIntegerField(null=True, blank=True)
    currency = models.CharField(max_length=3)
    minimum_subtotal = models.PositiveIntegerField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    max_uses = models.PositiveIntegerField(null=True, blank=True)
    # What Stripe was told may still be redeemed: max_uses less the uses before this version.
    max_redemptions = models.PositiveIntegerField(null=True, blank=True)
    stripe_coupon_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    stripe_promotion_code_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    # The promotion code's `active` at Stripe, as last set from here.
    active_at_stripe = models.BooleanField(default=False)
    # Why the last attempt to bring Stripe in line failed; empty once it succeeded.
    sync_error = models.CharField(max_length=255, blank=True)
    # Failed attempts so far: part of the idempotency keys, since Stripe replays a saved 5xx
    # for a key forever (the coupon's own id keeps a new key from making a second coupon).
    stripe_attempt = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    # When newer terms replaced these and their promotion code was deactivated at Stripe.
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name_plural = "discount code terms"

    def __str__(self) -> str:
        return f"{self.code}: {self.display_terms}"

    @property
    def display_terms(self) -> str:
        return describe_terms(self.kind, self.percent_off, self.amount_off, self.currency)

    @property
    def at_stripe(self) -> bool:
        return bool(self.stripe_coupon_id and self.stripe_promotion_code_id)

    def same_terms_as(self, discount_code: DiscountCode) -> bool:
        return all(getattr(self, name) == getattr(discount_code, name) for name in self.TERMS)

    @property
    def stripe_coupon_name(self) -> str:
        """The id the version's coupon is created with, so it can only be made once."""
        return f"mini-store-{self.public_id.hex}"

    def idempotency_key(self, step: str) -> str:
        return f"discount-terms-{self.public_id}-{step}-{self.stripe_attempt}"

    def discount_on(self, subtotal: int) -> int:
        """What Stripe takes off ``subtotal``: a percentage rounded to the nearest minor
        unit (halves up), or the fixed amount, never more than the subtotal."""
        if self.kind == DiscountCode.Kind.PERCENT:
            exact = Decimal(subtotal) * self.percent_off / 100
            return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))
        return min(self.amount_off or 0, subtotal)


def describe_terms(kind: str, percent_off: Decimal | None, amount_off: int | None, currency) -> str:
    if kind == DiscountCode.Kind.PERCENT:
        return f"{(percent_off or 0).normalize():f}% off"
    return f"{money.format_amount(amount_off or 0, currency)} off"
