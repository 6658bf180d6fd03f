"""Checkout rate limits: how many new Checkout Sessions one browser or one client may start.

A sliding window, so a limit of N a minute means at most N in *any* minute. A
fixed window (django-ratelimit's) starts counting afresh when the clock turns,
so a client could spend its allowance just before and again just after: 104
checkouts in 3.4 s against a limit of 60 a minute.

How: the window is cut into ``SLOTS`` slots, each a counter in the default
cache (``add`` then ``incr``: atomic in Redis). A checkout is counted first;
then the slots covering the last window are summed, and over the limit the
count is taken back and the checkout refused. Whole slots are summed, the
oldest one included, so hits up to one slot older than the window may still
count: the limit holds for every window-long stretch, never more. In the
embedded file cache an ``incr`` is a read and a write, so there one
machine's workers take turns under a file lock (60 simultaneous checkouts
against a limit of 10 admitted 15 without it).

Written here because no well-kept library offers a sliding window over
Django's cache API: django-ratelimit and django-fast-ratelimit count fixed
windows, and ``limits`` keeps a moving window only in its own Redis, Memcached
or MongoDB storage, not in the embedded default (files shared by one machine's
workers).
"""

from __future__ import annotations

import fcntl
import hashlib
import math
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

from mysite.client_ip import client_network
from store import shopper

SLOTS = 10
FILE_CACHE = "django.core.cache.backends.filebased.FileBasedCache"
_UNITS = {"s": 1, "m": 60, "h": 60 * 60, "d": 24 * 60 * 60}
_RATE = re.compile(r"^(?P<limit>\d+)/(?P<count>\d*)(?P<unit>[smhd])$")


@dataclass(frozen=True)
class Rate:
    """``limit`` hits per ``window`` seconds, written as django-ratelimit did: 10/m, 100/5m."""

    limit: int
    window: int

    @classmethod
    def parse(cls, text: str) -> Rate:
        match = _RATE.match(text.strip())
        if not match:
            raise ImproperlyConfigured(f"Not a rate: {text!r} (write e.g. 10/m, 60/h, 100/5m)")
        window = int(match["count"] or 1) * _UNITS[match["unit"]]
        return cls(limit=int(match["limit"]), window=window)


@dataclass(frozen=True)
class Hit:
    """One counted attempt: whether it was allowed, and how to take it back."""

    allowed: bool
    retry_after: int  # seconds until one more would be allowed; 0 when allowed
    slot_key: str
    timeout: int

    def undo(self) -> None:
        """Uncount an allowed hit whose action did not happen after all."""
        if self.allowed:
            with _file_cache_lock():
                _add(self.slot_key, -1, self.timeout)


@dataclass(frozen=True)
class SlidingWindowLimit:
    group: str
    rate: Rate

    def hit(self, key: str, now: float | None = None) -> Hit:
        """Count one attempt by ``key``; refused (and not counted) when over the rate."""
        now = time.time() if now is None else now
        slot_seconds = self.rate.window / SLOTS
        current = int(now // slot_seconds)
        keys = [self._slot_key(key, slot) for slot in range(current - SLOTS, current + 1)]
        timeout = math.ceil(self.rate.window + 2 * slot_seconds)
        with _file_cache_lock():
            mine = _add(keys[-1], 1, timeout)
            earlier = cache.get_many(keys[:-1])
            counts = [earlier.get(slot_key, 0) for slot_key in keys[:-1]] + [mine]
            if sum(counts) <= self.rate.limit:
                return Hit(allowed=True, retry_after=0, slot_key=keys[-1], timeout=timeout)
            _add(keys[-1], -1, timeout)
        wait = self._wait(counts, current, slot_seconds, now)
        return Hit(allowed=False, retry_after=wait, slot_key=keys[-1], timeout=timeout)

    def _wait(self, counts: list[int], current: int, slot_seconds: float, now: float) -> int:
        """Seconds until enough of the counted hits are older than the window for one more."""
        excess = sum(counts) - self.rate.limit
        dropped = 0
        for age, count in enumerate(counts):
            dropped += count
            if dropped >= excess:
                # Slot (current - SLOTS + age) stops counting once (current + age + 1) begins.
                return max(1, math.ceil((current + age + 1) * slot_seconds - now))
        return self.rate.window

    def _slot_key(self, key: str, slot: int) -> str:
        digest = hashlib.sha256(key.encode()).hexdigest()[:32]
        return f"rate:{self.group}:{self.rate.window}:{digest}:{slot}"


@contextmanager
def _file_cache_lock() -> Iterator[None]:
    """With the embedded file cache, one machine's workers count one at a time (flock)."""
    config = settings.CACHES["default"]
    if config["BACKEND"] != FILE_CACHE:
        yield
        return
    directory = Path(config["LOCATION"])
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / "rate-limits.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed
        yield


def _add(key: str, delta: int, timeout: int) -> int:
    """``incr`` (atomic in Redis), then the expiry again: Django's file cache resets it.

    A count taken back from a slot that has since expired stays gone: never below zero.
    """
    if delta > 0:
        cache.add(key, 0, timeout)
    try:
        value = cache.incr(key, delta)
    except ValueError:  # not there (expired, or nothing to take back)
        if delta <= 0:
            return 0
        cache.set(key, delta, timeout)
        return delta
    cache.touch(key, timeout)
    return value


class CheckoutLimits:
    """A new checkout counted against this browser's and this client's limits.

    A browser without the shop's cookie gets a new token on every request, so
    the per-client limit (an address, an IPv6 client's /64) is what stops a
    script. ``retry_after`` says how long a refused shopper should wait.
    """

    def __init__(self, request: HttpRequest):
        self.request = request
        self.retry_after = 0

    def admit(self) -> bool:
        by_browser = SlidingWindowLimit(
            "checkout.browser", Rate.parse(settings.STORE_CHECKOUT_RATE_PER_BROWSER)
        ).hit(shopper.browser_token(self.request))
        if not by_browser.allowed:
            self.retry_after = by_browser.retry_after
            return False
        by_client = SlidingWindowLimit(
            "checkout.client", Rate.parse(settings.STORE_CHECKOUT_RATE_PER_IP)
        ).hit(client_network(self.request))
        if not by_client.allowed:
            by_browser.undo()  # this checkout was not started: the browser may still start one
            self.retry_after = by_client.retry_after
            return False
        return True
