"""Shipping: the rates a shopper chooses from on Stripe's page (a Wagtail site setting).

Rates are offered as they stand when an order is made (``Order.shipping_rates_offered``):
later edits change only later orders. ``store.shipping`` decides what an order is offered.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.contrib.settings.models import BaseSiteSetting
from wagtail.models import Orderable


class ShippingSettings(ClusterableModel, BaseSiteSetting):
    """The shop's shipping rates and the subtotal from which shipping is free.

    No active rate: every order ships free and Checkout asks for no choice (as before
    shipping could be charged).
    """

    free_shipping_threshold = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="In minor units; empty: shipping is never free.",
    )

    class Meta:
        verbose_name = "shipping"

    def __str__(self) -> str:
        return "Shipping"


class ShippingRate(Orderable):
    """One way to ship, as the shopper sees it on Stripe's page: "Standard, 3–5 business days"."""

    settings = ParentalKey(ShippingSettings, on_delete=models.CASCADE, related_name="rates")
    # Stripe's shipping rate display_name: at most 100 characters.
    name = models.CharField(max_length=100)
    amount = models.PositiveIntegerField(help_text="In minor units.")
    min_business_days = models.PositiveSmallIntegerField(null=True, blank=True)
    max_business_days = models.PositiveSmallIntegerField(null=True, blank=True)
    active = models.BooleanField(default=True, help_text="Offered to new orders.")

    class Meta(Orderable.Meta):
        verbose_name = "shipping rate"

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        low, high = self.min_business_days, self.max_business_days
        if low is not None and high is not None and low > high:
            raise ValidationError(
                {"max_business_days": "Make this at least the minimum business days."}
            )
