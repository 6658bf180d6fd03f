"""A Checkout Session's amounts as Stripe computes them: lines, less a coupon, plus shipping.

A coupon discounts the line items only, never shipping. ``percent_off`` is
rounded to the nearest minor unit (halves away from zero); ``amount_off`` is in
the coupon's currency, capped at the subtotal, and does not apply to a session
in another currency. Tax is not modelled: ``amount_tax`` is always 0.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any


def coupon_discount(coupon: dict[str, Any], subtotal: int, currency: str) -> int | None:
    """What ``coupon`` takes off line items worth ``subtotal``; None if it cannot apply."""
    if coupon["percent_off"] is not None:
        share = Decimal(subtotal) * Decimal(str(coupon["percent_off"])) / 100
        return int(share.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    if coupon["currency"] != currency:
        return None
    return min(coupon["amount_off"], subtotal)


def set_amounts(
    session: dict[str, Any], *, subtotal: int, discount: int, shipping: dict[str, Any] | None
) -> None:
    """Write the session's totals; ``shipping`` is the chosen ``shipping_options`` entry."""
    shipping_amount = shipping["shipping_amount"] if shipping else 0
    session["amount_subtotal"] = subtotal
    session["amount_total"] = subtotal - discount + shipping_amount
    session["total_details"] = {
        "amount_discount": discount,
        "amount_shipping": shipping_amount,
        "amount_tax": 0,
    }
    session["shipping_cost"] = (
        {
            "amount_subtotal": shipping_amount,
            "amount_tax": 0,
            "amount_total": shipping_amount,
            "shipping_rate": shipping["shipping_rate"],
        }
        if shipping
        else None
    )
