"""Dates as people in the shop read them: its time zone, its locale (``STORE_LOCALE``)."""

from __future__ import annotations

from datetime import datetime

from babel.dates import format_date, format_time, get_datetime_format
from django import template
from django.conf import settings
from django.utils import timezone

from store import money

register = template.Library()


@register.filter
def local_datetime(value: datetime | None) -> str:
    """'30 Nov 2026, 2:05 pm' in en_IN, in the store's time zone."""
    if value is None:
        return ""
    moment = timezone.localtime(value)
    locale = money.parsed_locale(settings.STORE_LOCALE)
    return (
        get_datetime_format("medium", locale=locale)
        .replace("{1}", format_date(moment, "medium", locale=locale))
        .replace("{0}", format_time(moment, "short", locale=locale))
    )
