"""What shipping an order is offered: the shop's active rates, or free from the threshold.

Stripe's hosted page fixes the shipping options when the session is created, and a code
typed there cannot withdraw a free rate already offered: so free shipping counts the
subtotal before such codes. The offer is kept on the order (``shipping_rates_offered``),
the session is made from it and the paid transition accepts only a rate in it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from store import money
from store.models import ShippingRate, ShippingSettings

FREE_SHIPPING_NAME = "Free shipping"
# Stripe accepts at most this many shipping options per Checkout Session.
MOST_OPTIONS = 5


@dataclass(frozen=True)
class OfferedRate:
    """One shipping option as the order's session offered it."""

    name: str
    amount: int
    min_business_days: int | None = None
    max_business_days: int | None = None

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> OfferedRate:
        return cls(**data)

    @property
    def delivery_estimate(self) -> str:
        """ "3–5 business days", "1 business day", or "" when the rate gives none."""
        low, high = self.min_business_days, self.max_business_days
        if low is None and high is None:
            return ""
        if low is None or high is None or low == high:
            days = low if high is None else high
            prefix = "" if low == high else ("at least " if high is None else "up to ")
            return f"{prefix}{days} business day{'' if days == 1 else 's'}"
        return f"{low}–{high} business days"

    def stripe_option(self, currency: str) -> dict:
        """The session's ``shipping_options`` entry: Stripe makes a shipping rate from it."""
        rate = {
            "type": "fixed_amount",
            "display_name": self.name,
            "fixed_amount": {"amount": self.amount, "currency": currency},
        }
        estimate = {
            end: {"unit": "business_day", "value": days}
            for end, days in (
                ("minimum", self.min_business_days),
                ("maximum", self.max_business_days),
            )
            if days is not None
        }
        if estimate:
            rate["delivery_estimate"] = estimate
        return {"shipping_rate_data": rate}


def shop_shipping() -> ShippingSettings | None:
    return ShippingSettings.objects.filter(site__is_default_site=True).first()


def active_rates(shipping: ShippingSettings | None) -> list[ShippingRate]:
    if shipping is None:
        return []
    return list(shipping.rates.filter(active=True).order_by("sort_order", "pk")[:MOST_OPTIONS])


def _as_offered(rate: ShippingRate) -> OfferedRate:
    return OfferedRate(rate.name, rate.amount, rate.min_business_days, rate.max_business_days)


def offer(subtotal: int) -> list[OfferedRate]:
    """The rates an order with this subtotal is offered, the default (cheapest) first.

    From the free-shipping threshold the cheapest rate ships free, with its delivery
    estimate; faster rates still cost what they cost. No active rate: nothing to choose,
    shipping is free (as before the shop charged for it).
    """
    shipping = shop_shipping()
    rates = sorted(map(_as_offered, active_rates(shipping)), key=lambda rate: rate.amount)
    threshold = shipping.free_shipping_threshold if shipping else None
    if rates and threshold is not None and subtotal >= threshold:
        cheapest = rates[0]
        free = OfferedRate(
            FREE_SHIPPING_NAME, 0, cheapest.min_business_days, cheapest.max_business_days
        )
        rates = [free, *rates[1:]]
    return rates


def offered_to(order) -> list[OfferedRate]:
    return [OfferedRate.from_dict(rate) for rate in order.shipping_rates_offered]


@dataclass(frozen=True)
class ShippingNote:
    """What the shop page says about shipping: each rate with its price and estimate, and
    the subtotal from which it is free ("" when never). No rates: it says nothing, as
    shipping is free."""

    rates: list[tuple[OfferedRate, str]]
    free_from: str


def shop_page_note(currency: str) -> ShippingNote:
    shipping = shop_shipping()
    rates = [
        (_as_offered(rate), money.format_amount(rate.amount, currency))
        for rate in active_rates(shipping)
    ]
    threshold = shipping.free_shipping_threshold if shipping else None
    free_from = money.format_amount(threshold, currency) if rates and threshold else ""
    return ShippingNote(rates, free_from)
