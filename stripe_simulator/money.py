"""Amounts for people: the hosted page and error messages show ``₹1,300.00``, not 130000."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from stripe_simulator import currencies

SYMBOLS = {"inr": "₹", "usd": "$", "eur": "€", "gbp": "£", "jpy": "¥"}


def format_amount(amount: int, currency: str) -> str:
    """130000 INR -> '₹1,300.00'; 1200 JPY -> '¥1,200'; other currencies end with their code."""
    symbol = SYMBOLS.get(currency)
    number = _number(amount, currency)
    return f"{symbol}{number}" if symbol else f"{number} {currency.upper()}"


def format_amount_with_code(amount: int, currency: str) -> str:
    """As Stripe's error messages put it: '₹0.50 inr', '175.00 huf'."""
    return f"{SYMBOLS.get(currency, '')}{_number(amount, currency)} {currency}"


def _number(amount: int, currency: str) -> str:
    places = currencies.exponent(currency)
    return f"{Decimal(amount).scaleb(-places):,.{places}f}"


def parse_amount(text: str, currency: str) -> int:
    """'300.50' INR -> 30050: an amount typed in the currency's units, as minor units."""
    try:
        value = Decimal(text.replace(",", "").strip()).scaleb(currencies.exponent(currency))
    except InvalidOperation:
        raise ValueError(f"“{text}” is not an amount.") from None
    if not value.is_finite() or value != value.to_integral_value() or value <= 0:
        raise ValueError(f"“{text}” is not an amount that can be refunded.")
    return int(value)
