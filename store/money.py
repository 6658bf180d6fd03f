"""Money at the edges: minor units (paise, cents, yen) <-> what people read and type.

Everywhere inside the shop an amount is an ``int`` in the currency's minor unit,
with Stripe's exponent for that currency (``store.currencies``). Showing and
reading amounts is Babel's job, in the store's locale (``STORE_LOCALE``,
``en_IN`` by default: ₹1,25,000.00, lakh grouping). The number of decimals
shown is still Stripe's, where Stripe and the locale data disagree (ISK, HUF).
"""

from __future__ import annotations

import copy
import re
import unicodedata
from decimal import Decimal
from functools import cache
from typing import NamedTuple

from babel import Locale
from babel.numbers import (
    NumberFormatError,
    NumberPattern,
    get_currency_symbol,
    get_decimal_symbol,
    get_group_symbol,
    list_currencies,
    parse_decimal,
)
from django.conf import settings

from store.currencies import exponent, maximum_amount, minimum_charge

# Other ways people write the store currency than Babel's symbol and the ISO code.
CURRENCY_ALIASES = {"inr": ("Rs.", "Rs", "rs.", "rs")}

# What may be left of a typed price once the store's own symbol or code is removed.
NUMBER_CHARACTERS = re.compile(r"[\d\s.,'’_\u00a0\u202f-]+")


class MoneyInputError(ValueError):
    """Editor or shopper input that is not a valid amount; the message is for people."""


def to_major(amount: int, currency: str) -> Decimal:
    """50000 paise -> Decimal('500.00'): plain numbers for exports and arithmetic."""
    places = exponent(currency)
    return (Decimal(amount) / (10**places)).quantize(Decimal(1).scaleb(-places))


def format_amount(amount: int, currency: str, locale: str | None = None) -> str:
    """12500000 INR -> '₹1,25,000.00' (en_IN); 1200 JPY -> '¥1,200' (en_US)."""
    formats = _locale_formats(locale or settings.STORE_LOCALE)
    pattern = _fixed_decimals(formats.currency, exponent(currency))
    return pattern.apply(
        to_major(amount, currency), formats.locale, currency=currency.upper(), currency_digits=False
    )


def format_for_input(amount: int, currency: str, locale: str | None = None) -> str:
    """12500000 INR -> '1,25,000.00': what the editor's price field shows; parses back."""
    formats = _locale_formats(locale or settings.STORE_LOCALE)
    pattern = _fixed_decimals(formats.decimal, exponent(currency))
    return pattern.apply(to_major(amount, currency), formats.locale)


def parse_amount(text: str, currency: str, locale: str | None = None) -> int:
    """What an editor typed ('125000', '1,25,000', '₹125,000.50') -> minor units.

    Rejects blanks, other currencies' symbols, non-numbers, negatives and more
    decimals than the currency has; Stripe's limits are :func:`check_chargeable`'s.
    """
    locale = locale or settings.STORE_LOCALE
    number = _without_own_currency(text or "", currency, locale)
    if not number:
        raise MoneyInputError("Enter a price.")
    if not NUMBER_CHARACTERS.fullmatch(number):
        if _names_a_currency(number):
            raise MoneyInputError(
                f"“{text.strip()}” is not in {currency.upper()}. Type the price in "
                f"{currency.upper()}, without another currency's symbol."
            )
        raise MoneyInputError(f"“{text}” is not a number. Type a price such as 500 or 1,250.50.")
    _refuse_ambiguous(number, text, currency, locale)
    try:
        value = parse_decimal(number.replace("_", ""), locale=locale, strict=False)
    except NumberFormatError:
        raise MoneyInputError(
            f"“{text}” is not a number. Type a price such as 500 or 1,250.50."
        ) from None
    if value < 0:
        raise MoneyInputError("A price cannot be negative.")
    places = exponent(currency)
    minor = value.scaleb(places)
    if minor != minor.to_integral_value():
        if places == 0:
            raise MoneyInputError(f"{currency.upper()} has no decimals: type a whole number.")
        raise MoneyInputError(f"Use at most {places} decimals.")
    if minor > maximum_amount(currency) * 10:
        # Far beyond anything chargeable; keeps absurd input out of int().
        raise MoneyInputError(too_large_message(currency))
    return int(minor)


def _refuse_ambiguous(number: str, text: str, currency: str, locale: str) -> None:
    """Refuse what one reader takes for thousands and another for decimals.

    In ``en_IN`` the comma groups digits (1,000 or 1,00,000) and the point starts
    decimals, so ``1,5`` and ``1,50`` (a decimal comma, or a group cut short) and
    ``1.000`` (a thousands point, or three decimals) could each be two amounts a
    hundred or a thousand times apart. Groups of two or three digits ending in a
    group of three (1,25,000 or 125,000) are unambiguous; so are at most the
    currency's decimals.
    """
    group, decimal = get_group_symbol(locale=locale), get_decimal_symbol(locale=locale)
    whole, _, fraction = number.strip().partition(decimal)
    groups = whole.split(group)
    badly_grouped = len(groups) > 1 and (
        not 1 <= len(groups[0]) <= 3
        or any(len(part) not in (2, 3) for part in groups[1:-1])
        or len(groups[-1]) != 3
    )
    places = exponent(currency)
    if badly_grouped or (len(fraction) == 3 and places < 3 and group not in whole):
        example = format_for_input(123_456 * 10**places, currency, locale)
        decimals = f"“{decimal}” starts the decimals" if places else "there are no decimals"
        raise MoneyInputError(
            f"“{text.strip()}” is ambiguous: here “{group}” only separates thousands and "
            f"{decimals}, as in {example}. Type it that way."
        )


def too_large_message(currency: str) -> str:
    largest = format_amount(maximum_amount(currency), currency)
    return f"Stripe cannot charge more than {largest} at once."


def check_chargeable(amount: int, currency: str) -> None:
    """Raise MoneyInputError unless Stripe would accept a charge of ``amount``.

    Where Stripe's minimum depends on the exchange rate (``minimum_charge`` is
    None), only a positive amount is required here and Stripe has the last word.
    """
    lowest = minimum_charge(currency) or 1
    if amount < lowest:
        raise MoneyInputError(f"Stripe cannot charge less than {format_amount(lowest, currency)}.")
    if amount > maximum_amount(currency):
        raise MoneyInputError(too_large_message(currency))


class _LocaleFormats(NamedTuple):
    locale: Locale
    currency: NumberPattern
    decimal: NumberPattern


@cache
def parsed_locale(name: str) -> Locale:
    """Babel's locale, parsed once: Babel parses a name on every call, which adds up on a page."""
    return Locale.parse(name)


@cache
def _locale_formats(locale: str) -> _LocaleFormats:
    data = parsed_locale(locale)
    return _LocaleFormats(
        locale=data, currency=data.currency_formats["standard"], decimal=data.decimal_formats[None]
    )


@cache
def _fixed_decimals(pattern: NumberPattern, places: int) -> NumberPattern:
    """The locale's pattern (its grouping: lakhs in en_IN) with Stripe's number of decimals."""
    pattern = copy.copy(pattern)
    pattern.frac_prec = (places, places)
    return pattern


def _without_own_currency(text: str, currency: str, locale: str) -> str:
    """The text without the store currency's symbol or code, wherever it was typed."""
    number = text.strip()
    code = currency.upper()
    marks = {code, get_currency_symbol(code, locale), get_currency_symbol(code, "en")}
    marks.update(CURRENCY_ALIASES.get(currency.lower(), ()))
    for mark in sorted(marks, key=len, reverse=True):
        number = number.replace(mark, "")
    return number.strip()


def _names_a_currency(text: str) -> bool:
    """A currency sign ($, €, ¥) or an ISO code (USD) is in the text."""
    if any(unicodedata.category(character) == "Sc" for character in text):
        return True
    return any(word.upper() in list_currencies() for word in re.findall(r"[A-Za-z]{3}", text))
