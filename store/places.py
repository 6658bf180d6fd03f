"""Names for the codes Stripe gives an address: "MH" is Maharashtra, "IN" is India.

Countries are named by Babel (CLDR's territory names, in ``STORE_LOCALE``); Indian
states by GST's table (store.gst.states), which also knows their older codes. A
code neither knows is shown as given.
"""

from __future__ import annotations

from django.conf import settings

from store import money
from store.gst import states


def country_name(code: str) -> str:
    """ "India" for "IN"; the value itself when it is not a code Babel knows."""
    cleaned = (code or "").strip()
    territories = money.parsed_locale(settings.STORE_LOCALE).territories
    return territories.get(cleaned.upper(), cleaned) if len(cleaned) == 2 else cleaned


def state_name(country: str, state: str) -> str:
    """ "Maharashtra" for ("IN", "MH"); other countries' regions as given."""
    found = states.for_address(country, state)
    return found.name if found else (state or "").strip()
