"""Where a shopper follows a parcel: the carrier's tracking page for a tracking number.

``STORE_TRACKING_URLS`` maps a carrier's name (as staff pick it when shipping)
to its tracking page, with ``{number}`` where the tracking number goes. The
shop knows India's common carriers; an operator adds or corrects one with
``STORE_TRACKING_URLS`` in the environment (JSON). A carrier without a page
(or "Other") shows the number alone.
"""

from __future__ import annotations

from urllib.parse import quote

from django.conf import settings


def carriers() -> list[str]:
    """The carriers staff can pick from, in the order the setting lists them."""
    return list(settings.STORE_TRACKING_URLS)


def tracking_url(carrier: str, tracking_number: str) -> str:
    """The carrier's page for this parcel, or "" when the carrier has none or no number."""
    template = settings.STORE_TRACKING_URLS.get(carrier.strip())
    number = tracking_number.strip()
    if not template or not number:
        return ""
    return template.replace("{number}", quote(number, safe=""))
