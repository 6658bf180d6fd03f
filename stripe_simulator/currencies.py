"""Stripe's currency rules, read from ``currencies.json`` (copied from docs.stripe.com/currencies).

The data file names its source and what the simulator does where Stripe's rule
needs information it does not have (exchange rates for settlement minimums).
"""

from __future__ import annotations

import json
from pathlib import Path

_DATA = json.loads(Path(__file__).with_name("currencies.json").read_text(encoding="utf-8"))

SUPPORTED = frozenset(_DATA["presentment_currencies"])
ZERO_DECIMAL = frozenset(_DATA["zero_decimal_currencies"])
MINIMUM_CHARGE: dict[str, int] = _DATA["minimum_charge"]
_MAXIMUM_AMOUNT: dict[str, int] = _DATA["maximum_amount"]


def is_supported(currency: str) -> bool:
    """True for a lowercase three-letter code Stripe can present a charge in."""
    return currency in SUPPORTED


def exponent(currency: str) -> int:
    """Decimals of the API's ``amount`` for this currency (JPY 0, INR 2)."""
    return 0 if currency in ZERO_DECIMAL else 2


def minimum_charge(currency: str) -> int:
    """The smallest chargeable amount in minor units; 1 where the table has no row."""
    return MINIMUM_CHARGE.get(currency, 1)


def maximum_amount(currency: str) -> int:
    """The largest ``amount`` Stripe accepts (eight digits, more for INR and IDR)."""
    return _MAXIMUM_AMOUNT.get(currency, _MAXIMUM_AMOUNT["default"])


# The delayed "US bank account" debit (ACH) charges in USD only
# (docs.stripe.com/payments/ach-direct-debit); cards take every currency.
BANK_DEBIT_CURRENCIES = frozenset({"usd"})


def payment_method_types(currency: str) -> list[str]:
    """What a Checkout Session in ``currency`` offers when the shop names no methods."""
    return ["card", "us_bank_account"] if currency in BANK_DEBIT_CURRENCIES else ["card"]
