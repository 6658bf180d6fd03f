"""Discount codes as the paid transition sees them: the discount a session should carry.

Minimal version until discount codes exist: a session with any discount is one the shop
cannot account for, so the paid transition flags it instead of marking it paid.
"""

from __future__ import annotations

from dataclasses import dataclass

from store.payments.stripe_fields import optional


@dataclass(frozen=True)
class ExpectedDiscount:
    """The code the session used and the discount its terms give; ``problem`` says why the
    session's discount is not one the shop allows ("" when it is)."""

    code: str
    amount: int
    problem: str = ""


def expected_discount(session, amount_subtotal: int, currency: str) -> ExpectedDiscount:
    if not optional(session, "discounts", default=[]):
        return ExpectedDiscount("", 0)
    return ExpectedDiscount("", 0, problem="discount codes are not supported yet")


def codes_on_offer() -> bool:
    """Whether Checkout should show Stripe's promotion-code box."""
    return False
