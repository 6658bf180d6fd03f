"""Limits on a webhook's JSON, checked before it is parsed.

Python's parser recurses once per nesting level: a body nested a few thousand
levels deep ends in a RecursionError (a 500) instead of an answer. Stripe's
objects nest a handful of levels, so anything past :data:`MAX_DEPTH` is
refused, as is anything larger than :data:`MAX_BYTES`.
"""

from __future__ import annotations

import re

# Stripe's events about a Checkout Session or a charge are a few kilobytes.
MAX_BYTES = 1024 * 1024
# Stripe's example objects nest at most 7 levels; an event wraps them in 2 more.
MAX_DEPTH = 64

# A JSON string, escapes included: brackets inside one do not nest anything.
_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+"', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")
_OPENING = frozenset(b"[{")


class BodyRefused(ValueError):
    """Too large or too deeply nested to parse."""


def check_size(payload: bytes) -> None:
    if len(payload) > MAX_BYTES:
        raise BodyRefused(f"body larger than {MAX_BYTES} bytes")


def check_depth(payload: bytes) -> None:
    """Raise BodyRefused when ``payload``'s arrays and objects nest deeper than MAX_DEPTH."""
    depth = 0
    for bracket in _BRACKET.finditer(_STRING.sub(b"", payload)):
        depth += 1 if bracket[0][0] in _OPENING else -1
        if depth > MAX_DEPTH:
            raise BodyRefused(f"JSON nested deeper than {MAX_DEPTH} levels")
