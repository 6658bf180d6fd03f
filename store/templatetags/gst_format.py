"""How tax documents write amounts, rates and dates (the shop's locale and time zone)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from babel.dates import format_date
from django import template
from django.conf import settings
from django.utils import timezone

from store import money

register = template.Library()


@register.filter
def amount(value: int, currency: str) -> str:
    """12500000, "inr" -> "₹1,25,000.00"."""
    return money.format_amount(value, currency)


@register.filter
def percent(rate: Decimal | int, share: int = 1) -> str:
    """A rate as invoices write it, or its ``share``: 18 -> "18 %"; 5 with share 2 -> "2.5 %"."""
    text = f"{Decimal(rate) / share:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text} %"


@register.filter
def local_date(value: datetime) -> str:
    """ "1 Apr 2026" in en_IN, the day in the shop's time zone."""
    locale = money.parsed_locale(settings.STORE_LOCALE)
    return format_date(timezone.localtime(value), "medium", locale=locale)
