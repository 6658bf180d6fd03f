"""Amounts for people: the pages show ``₹1,25,000.00`` (Babel, in the simulator's locale) and
error messages ``₹1,300.00`` as Stripe's API writes them, never 130000."""

from __future__ import annotations

import copy
from decimal import Decimal, InvalidOperation
from functools import cache

from babel import Locale
from babel.numbers import NumberPattern

from stripe_simulator import currencies

# Real Checkout writes amounts in the shopper's browser language; the simulator in one
# locale, the shop's by default (`--locale`), so its page reads like the shop's.
DEFAULT_LOCALE = "en_IN"

SYMBOLS = {"inr": "₹", "usd": "$", "eur": "€", "gbp": "£", "jpy": "¥"}


def format_amount(amount: int, currency: str) -> str:
    """As Stripe's API messages put it: 130000 INR -> '₹1,300.00'; 1200 JPY -> '¥1,200'."""
    symbol = SYMBOLS.get(currency)
    number = _number(amount, currency)
    return f"{symbol}{number}" if symbol else f"{number} {currency.upper()}"


def display_amount(amount: int, currency: str, locale: str) -> str:
    """12500000 INR in en_IN -> '₹1,25,000.00'; 1200 JPY -> '¥1,200' (Stripe's decimals)."""
    places = currencies.exponent(currency)
    pattern, parsed_locale = _currency_pattern(locale, places)
    major = Decimal(amount).scaleb(-places)
    return pattern.apply(major, parsed_locale, currency=currency.upper(), currency_digits=False)


@cache
def _currency_pattern(locale: str, places: int) -> tuple[NumberPattern, Locale]:
    """The locale's currency format with exactly ``places`` decimals (parsed once)."""
    parsed_locale = Locale.parse(locale)
    pattern = copy.copy(parsed_locale.currency_formats["standard"])
    pattern.frac_prec = (places, places)
    return pattern, parsed_locale


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
