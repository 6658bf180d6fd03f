"""Checkout rate limits: how many new Checkout Sessions one browser or one address may start.

Counted with django-ratelimit in the default cache, which every worker shares
(``CACHE_URL``), so the limits hold however many workers and servers there are.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit.core import is_ratelimited

from store import shopper


def _browser(group: str, request: HttpRequest) -> str:
    return shopper.browser_token(request)


def over_checkout_limit(request: HttpRequest) -> bool:
    """Count one new checkout for this browser and this address; True if either is over.

    A browser without the shop's cookie gets a new token on every request, so
    the per-address limit is what stops a script.
    """
    by_browser = is_ratelimited(
        request,
        group="store.checkout.browser",
        key=_browser,
        rate=settings.STORE_CHECKOUT_RATE_PER_BROWSER,
        increment=True,
    )
    by_address = is_ratelimited(
        request,
        group="store.checkout.address",
        key="ip",
        rate=settings.STORE_CHECKOUT_RATE_PER_IP,
        increment=True,
    )
    return by_browser or by_address
