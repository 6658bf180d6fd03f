"""Money at the edges: minor units (paise, cents, yen) <-> display and editor input.

Everywhere inside the shop an amount is an ``int`` in the currency's minor unit.
Only this module knows how many decimals a currency has, how to show an amount,
and which limits Stripe puts on a single charge.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

# Stripe's zero-decimal currencies: the amount is already in whole units.
ZERO_DECIMAL_CURRENCIES = frozenset(
    "bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf".split()
)

SYMBOLS = {"inr": "₹", "usd": "$", "eur": "€", "gbp": "£", "jpy": "¥"}

# Stripe's minimum charge per currency, in minor units (docs: "Minimum and maximum
# charge amounts"); currencies not listed fall back to a conservative 50.
MINIMUM_CHARGE = {"inr": 50, "usd": 50, "eur": 50, "gbp": 30, "jpy": 50}
DEFAULT_MINIMUM_CHARGE = 50

# Stripe rejects amounts above eight digits in minor units.
MAXIMUM_AMOUNT = 99_999_999


class MoneyInputError(ValueError):
    """Editor or shopper input that is not a valid amount; the message is for people."""


def exponent(currency: str) -> int:
    """Number of decimals in the currency's display unit (INR 2, JPY 0)."""
    return 0 if currency.lower() in ZERO_DECIMAL_CURRENCIES else 2


def minimum_charge(currency: str) -> int:
    return MINIMUM_CHARGE.get(currency.lower(), DEFAULT_MINIMUM_CHARGE)


def to_major(amount: int, currency: str) -> Decimal:
    """50000 paise -> Decimal('500.00')."""
    places = exponent(currency)
    return (Decimal(amount) / (10**places)).quantize(Decimal(1).scaleb(-places))


def format_amount(amount: int, currency: str) -> str:
    """50000 INR -> '₹500.00'; 1200 JPY -> '¥1,200'; unknown currencies get their code."""
    major = to_major(amount, currency)
    places = exponent(currency)
    number = f"{major:,.{places}f}"
    symbol = SYMBOLS.get(currency.lower())
    return f"{symbol}{number}" if symbol else f"{number} {currency.upper()}"


def parse_amount(text: str, currency: str) -> int:
    """Editor input in display units ('500', '1,200.50') -> minor units.

    Rejects blanks, non-numbers, negatives and more decimals than the currency has;
    range checks against Stripe's limits are :func:`check_chargeable`'s job.
    """
    cleaned = (text or "").strip().replace(",", "").replace("_", "")
    for symbol in SYMBOLS.values():
        cleaned = cleaned.removeprefix(symbol)
    if not cleaned:
        raise MoneyInputError("Enter a price.")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        raise MoneyInputError(f"“{text}” is not a number. Type a price such as 500 or 1,200.50.")
    if value < 0:
        raise MoneyInputError("A price cannot be negative.")
    places = exponent(currency)
    minor = value.scaleb(places)
    if minor != minor.to_integral_value():
        if places == 0:
            raise MoneyInputError(f"{currency.upper()} has no decimals: type a whole number.")
        raise MoneyInputError(f"Use at most {places} decimals.")
    if minor > MAXIMUM_AMOUNT * 10:
        # Far beyond anything chargeable; keeps absurd input out of int().
        raise MoneyInputError(too_large_message(currency))
    return int(minor)


def too_large_message(currency: str) -> str:
    return f"Stripe cannot charge more than {format_amount(MAXIMUM_AMOUNT, currency)} at once."


def check_chargeable(amount: int, currency: str) -> None:
    """Raise MoneyInputError unless Stripe would accept a charge of ``amount``."""
    lowest = minimum_charge(currency)
    if amount < lowest:
        raise MoneyInputError(f"Stripe cannot charge less than {format_amount(lowest, currency)}.")
    if amount > MAXIMUM_AMOUNT:
        raise MoneyInputError(too_large_message(currency))
