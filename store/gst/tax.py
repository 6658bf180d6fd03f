"""GST on tax-inclusive prices, in paise, so that every line adds up to what was charged.

Prices are entered inclusive of GST, as Indian shops show them, and Stripe
charges exactly the order's total. An invoice therefore splits each line's
charged amount into taxable value and tax, never adds tax on top.

The rounding rule (one place, used by invoices and credit notes alike):

1. Each line is taxed on its own charged amount ``A`` at its rate ``r`` %.
2. The tax is worked out from ``A`` and rounded half up to the paisa:
   IGST = round(A × r / (100 + r)); within a state CGST and SGST (or UTGST) are
   each round(A × r / 2 / (100 + r)), so both halves are always equal.
3. The taxable value is what is left: A − tax. Each line's taxable value plus
   its tax is its charged amount exactly, so the invoice's total is the sum of
   the charged amounts: what Stripe charged, to the paisa.

An order-level discount (or any amount to share out over lines, such as a
refund over an invoice's lines) is spread in proportion to the lines' amounts
by the largest-remainder method, so the shares add up exactly.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from fractions import Fraction

from store.gst.states import State

# The GST rates (%) goods are taxed at: the slabs of 2017, and 40 % from 22 September 2025.
RATE_SLABS = (0, 5, 12, 18, 28, 40)


class Levy(enum.Enum):
    """Which taxes a supply bears: by whether it stays within the seller's state."""

    INTRA_STATE = "intra_state"  # CGST + SGST (or UTGST)
    INTER_STATE = "inter_state"  # IGST


def levy_for(seller: State, place_of_supply: State) -> Levy:
    return Levy.INTRA_STATE if seller.code == place_of_supply.code else Levy.INTER_STATE


@dataclass(frozen=True)
class GSTClass:
    """What an invoice line needs to know of the goods: their HSN code and GST rate (%)."""

    hsn_code: str
    rate: Decimal | int


@dataclass(frozen=True)
class Supply:
    """One line as charged: ``amount`` is what the buyer paid for it, GST included."""

    description: str
    hsn_code: str
    quantity: int
    unit_amount: int
    amount: int
    rate: Decimal


@dataclass(frozen=True)
class Tax:
    """A charged amount split into taxable value and each tax, in paise."""

    taxable_value: int = 0
    cgst: int = 0
    state_tax: int = 0  # SGST, or UTGST in a union territory without a legislature
    igst: int = 0

    @property
    def total_tax(self) -> int:
        return self.cgst + self.state_tax + self.igst

    @property
    def amount(self) -> int:
        return self.taxable_value + self.total_tax

    def __add__(self, other: Tax) -> Tax:
        return Tax(
            self.taxable_value + other.taxable_value,
            self.cgst + other.cgst,
            self.state_tax + other.state_tax,
            self.igst + other.igst,
        )

    def __sub__(self, other: Tax) -> Tax:
        return Tax(
            self.taxable_value - other.taxable_value,
            self.cgst - other.cgst,
            self.state_tax - other.state_tax,
            self.igst - other.igst,
        )


@dataclass(frozen=True)
class TaxedSupply:
    supply: Supply
    tax: Tax


def split(amount: int, rate: Decimal | int, levy: Levy) -> Tax:
    """Split a GST-inclusive ``amount`` (paise) at ``rate`` % by the rounding rule above."""
    share = Fraction(Decimal(rate)) / (100 + Fraction(Decimal(rate)))
    if levy is Levy.INTER_STATE:
        igst = round_half_up(amount * share)
        return Tax(taxable_value=amount - igst, igst=igst)
    half = round_half_up(amount * share / 2)
    return Tax(taxable_value=amount - 2 * half, cgst=half, state_tax=half)


def tax_supplies(supplies: Sequence[Supply], levy: Levy, *, discount: int = 0) -> list[TaxedSupply]:
    """Each supply taxed, after sharing out an order-level ``discount`` over them.

    The discount lowers each line's charged amount (and so its taxable value and
    tax), so the lines still add up to what was charged.
    """
    shares = spread(discount, [supply.amount for supply in supplies]) if discount else None
    taxed = []
    for index, supply in enumerate(supplies):
        if shares:
            supply = replace(supply, amount=supply.amount - shares[index])
        taxed.append(TaxedSupply(supply, split(supply.amount, supply.rate, levy)))
    return taxed


def reverse_share(remaining: Tax, amount: int) -> Tax:
    """The part of a line's ``remaining`` (not yet credited) tax that ``amount`` takes back.

    Each tax in proportion to the amount, rounded half up; the taxable value is
    what is left. Taking back all that remains reverses it exactly.
    """
    if amount >= remaining.amount:
        return remaining
    part = Fraction(amount, remaining.amount)
    cgst = round_half_up(remaining.cgst * part)
    state_tax = round_half_up(remaining.state_tax * part)
    igst = round_half_up(remaining.igst * part)
    return Tax(amount - cgst - state_tax - igst, cgst, state_tax, igst)


def spread(amount: int, weights: Sequence[int]) -> list[int]:
    """``amount`` shared in proportion to ``weights``, in whole paise that add up to it.

    Largest remainder: everyone gets the floor of their exact share, and the
    paise left over go to the largest fractions (ties: the earlier line). No
    share exceeds its weight while ``amount`` is at most their sum.
    """
    total = sum(weights)
    if amount and total <= 0:
        raise ValueError("nothing to spread the amount over")
    if not amount:
        return [0] * len(weights)
    exact = [Fraction(amount * weight, total) for weight in weights]
    shares = [int(share) for share in exact]
    left_over = amount - sum(shares)
    by_remainder = sorted(range(len(weights)), key=lambda i: (shares[i] - exact[i], i))
    for index in by_remainder[:left_over]:
        shares[index] += 1
    return shares


def round_half_up(value: Fraction) -> int:
    """The nearest whole paisa, halves going up (GST amounts are never negative here)."""
    return int(value + Fraction(1, 2)) if value >= 0 else -int(-value + Fraction(1, 2))
