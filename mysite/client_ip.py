"""The address a request came from, for login throttling and checkout rate limits.

Not django-ipware: its ``proxy_count`` wants exactly that many forwarded
entries, so a client that adds one more makes it give up. The rule here is
the usual one: each trusted proxy appends the address it saw, so the client is
the ``TRUSTED_PROXY_COUNT``-th entry from the right, whatever came before it.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest

UNKNOWN = "0.0.0.0"


def client_ip(request: HttpRequest) -> str:
    """REMOTE_ADDR; behind ``TRUSTED_PROXY_COUNT`` proxies, the address the first one saw."""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = [
            entry.strip()
            for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if entry.strip()
        ]
        if len(forwarded) >= proxies and _is_address(forwarded[-proxies]):
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR") or UNKNOWN


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
