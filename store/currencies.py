"""What Stripe says about currencies: decimals (exponent) and the smallest charge.

Amounts are integers in the currency's minor unit with *Stripe's* exponent,
which differs from ISO 4217 for a few currencies (ISK, HUF, TWD, UGX).
"""

from __future__ import annotations

# Stripe's zero-decimal currencies: the amount is already in whole units.
ZERO_DECIMAL_CURRENCIES = frozenset(
    "bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf".split()
)

# Stripe's minimum charge per currency, in minor units (docs: "Minimum and maximum
# charge amounts"); currencies not listed fall back to a conservative 50.
MINIMUM_CHARGE = {"inr": 50, "usd": 50, "eur": 50, "gbp": 30, "jpy": 50}
DEFAULT_MINIMUM_CHARGE = 50

# Stripe rejects amounts above eight digits in minor units.
MAXIMUM_AMOUNT = 99_999_999


def exponent(currency: str) -> int:
    """Number of decimals in the currency's display unit (INR 2, JPY 0)."""
    return 0 if currency.lower() in ZERO_DECIMAL_CURRENCIES else 2


def minimum_charge(currency: str) -> int:
    return MINIMUM_CHARGE.get(currency.lower(), DEFAULT_MINIMUM_CHARGE)
