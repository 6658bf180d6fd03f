"""The address a request came from, for login throttling and checkout rate limits.

Limits count an IPv6 client by its /64 (:func:`client_network`): one home or
one server is given a whole /64, so counting single addresses would hand each
client some 10^19 fresh counters.

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
# The network an IPv6 subscriber or host is normally given (RFC 6177), counted as one client.
IPV6_CLIENT_PREFIX = 64


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


def client_network(request: HttpRequest) -> str:
    """:func:`client_ip`, with an IPv6 address widened to its /64 (written as its first address)."""
    return network_of(client_ip(request))


def network_of(address: str) -> str:
    """An IPv4 address as it is (also when written IPv6-mapped); IPv6: its /64's first address."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 4:
        return str(ip)
    if ip.ipv4_mapped:
        return str(ip.ipv4_mapped)
    return str(ipaddress.IPv6Network((ip, IPV6_CLIENT_PREFIX), strict=False).network_address)


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
