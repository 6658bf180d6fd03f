"""The shop page, fast: one shared rendering, each visitor's own parts filled in after.

Everything on the page is the same for every shopper except four parts: the
CSRF token, the form token, their messages and My Orders. The page is rendered
with a marker in each of those places. That rendering (the skeleton) is kept
under a version number in the shared cache and in each worker's memory, and
every change to what the page shows bumps the version: a publish, an edit, a
new image, a checkout holding units, a release, a sale. ``ShopPageMiddleware``
answers "/" from the skeleton without Wagtail's routing or the database, and
every answer, cached or not, fills the markers in for the visitor at hand, so
no visitor's token, messages or orders are ever stored or shown to another.

Not wagtail-cache: it stores whole responses, and this page's responses carry
per-visitor tokens; what can be shared is the page around them.
"""

from __future__ import annotations

import hashlib
import re
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache as shared_cache
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.cache import patch_cache_control
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from store import shopper
from store.models import Order

# Where each visitor's own parts go; what the template writes for ``{{ visitor.<part> }}``.
PARTS = ("csrf", "form_token", "messages", "my_orders")
MARKERS = {part: mark_safe(f"<!--shop:{part}-->") for part in PARTS}
MARKER = re.compile(r"<!--shop:(" + "|".join(PARTS) + r")-->")

VERSION_KEY = "shop-page:version"
# A browser's My Orders is kept this long after it was last shown unchanged, and each
# worker keeps the most recently shown ones in memory too.
MY_ORDERS_SECONDS = 10 * 60
MY_ORDERS_KEPT_BY_A_WORKER = 1000


@dataclass(frozen=True)
class Skeleton:
    """The rendered page cut at its markers: text, part, text, part, ..., text."""

    pieces: tuple[str, ...]
    expires_at: float  # time.time(): holds end by themselves, so the page can go stale

    @classmethod
    def from_html(cls, html: str, lifetime: float) -> Skeleton:
        return cls(tuple(MARKER.split(html)), time.time() + lifetime)

    @property
    def fresh(self) -> bool:
        return time.time() < self.expires_at


class _WorkerCopy:
    """This worker's copy of the version (re-read now and then) and of the last skeleton.

    Shared by the worker's threads; each attribute is replaced whole, never changed in
    place, so a thread sees an old value or a new one, nothing in between.
    """

    version: int | None = None
    version_checked = 0.0
    skeleton: tuple[tuple[int, str], Skeleton] | None = None

    def __init__(self) -> None:
        # Recently shown My Orders sections, by their key (which names their state).
        self.my_orders: OrderedDict[str, str] = OrderedDict()

    def remember_my_orders(self, key: str, section: str) -> None:
        self.my_orders[key] = section
        self.my_orders.move_to_end(key)
        while len(self.my_orders) > MY_ORDERS_KEPT_BY_A_WORKER:
            self.my_orders.popitem(last=False)


_worker = _WorkerCopy()


def forget_worker_copy() -> None:
    """Drop this worker's copies (the shared cache is untouched): each test starts afresh."""
    global _worker
    _worker = _WorkerCopy()


def current_version() -> int:
    """The shared version, re-read from the cache every STORE_PAGE_VERSION_CHECK_SECONDS."""
    now = time.monotonic()
    checked_long_ago = now - _worker.version_checked > settings.STORE_PAGE_VERSION_CHECK_SECONDS
    if _worker.version is None or checked_long_ago:
        shared_cache.add(VERSION_KEY, 1, timeout=None)
        _worker.version = shared_cache.get(VERSION_KEY) or 1
        _worker.version_checked = now
    return _worker.version


def invalidate(**kwargs) -> None:
    """What the page shows changed: every worker renders it afresh (this one at once)."""
    try:
        version = shared_cache.incr(VERSION_KEY)
    except ValueError:  # the key was evicted or never set
        shared_cache.add(VERSION_KEY, 2, timeout=None)
        version = shared_cache.get(VERSION_KEY)
    _worker.version, _worker.version_checked = version, time.monotonic()


def cached(host: str) -> Skeleton | None:
    """The skeleton for ``host`` at the current version, if any worker has rendered it."""
    key = (current_version(), host)
    if _worker.skeleton and _worker.skeleton[0] == key and _worker.skeleton[1].fresh:
        return _worker.skeleton[1]
    skeleton = shared_cache.get(_cache_key(*key))
    if skeleton is None or not skeleton.fresh:
        return None
    _worker.skeleton = (key, skeleton)
    return skeleton


def store(host: str, version: int, skeleton: Skeleton) -> None:
    """Keep a skeleton rendered at ``version`` (read before rendering, so never newer)."""
    timeout = max(int(skeleton.expires_at - time.time()), 1)
    shared_cache.set(_cache_key(version, host), skeleton, timeout)
    _worker.skeleton = ((version, host), skeleton)


def _cache_key(version: int, host: str) -> str:
    return f"shop-page:{version}:{host}"


def respond(request: HttpRequest, skeleton: Skeleton) -> HttpResponse:
    """The page for this visitor: the skeleton with their parts filled in."""
    parts = _visitor_parts(request)
    pieces = skeleton.pieces
    # Odd positions hold part names, even ones the page around them.
    html = "".join(piece if index % 2 == 0 else parts[piece] for index, piece in enumerate(pieces))
    response = HttpResponse(html)
    # Tokens and orders are this visitor's: no shared cache may keep the response.
    patch_cache_control(response, private=True, no_cache=True)
    return response


def _visitor_parts(request: HttpRequest) -> dict[str, str]:
    return {
        "csrf": format_html(
            '<input type="hidden" name="csrfmiddlewaretoken" value="{}">', get_token(request)
        ),
        "form_token": str(uuid.uuid4()),
        "messages": _messages(request),
        "my_orders": _my_orders(request),
    }


def _messages(request: HttpRequest) -> SafeString | str:
    # Without a session cookie this reads only the messages cookie: no database.
    stored = messages.get_messages(request)
    if not stored:
        return ""
    return render_to_string("includes/messages.html", {"messages": stored})


def _my_orders(request: HttpRequest) -> str:
    """This browser's My Orders, rendered again only when one of its orders changed.

    Each browser has a version in the shared cache, replaced whenever one of its
    orders changes (``store.signals.orders_changed``). The section rendered at a
    version is kept under a key made from the browser's token, that version and
    the orders being confirmed, so it is only ever this browser's, and never older
    than its orders. The version is read before rendering, so a change during a
    rendering leaves that rendering under the old version, unused.
    """
    from home.models import my_orders  # the page's model imports this module

    if shopper.COOKIE_NAME not in request.COOKIES:  # a new browser has no orders
        return _render_my_orders([])
    token = shopper.browser_token(request)
    version = shared_cache.get(_my_orders_version_key(token))
    if version is None:  # never changed, or forgotten by the cache: start one
        shared_cache.add(_my_orders_version_key(token), uuid.uuid4().hex, MY_ORDERS_SECONDS)
        version = shared_cache.get(_my_orders_version_key(token))
    state = f"{token}|{version}|{','.join(shopper.confirming_order_ids(request))}"
    key = "my-orders:" + hashlib.sha256(state.encode()).hexdigest()
    section = _worker.my_orders.get(key) or shared_cache.get(key)
    if section is None:
        section = _render_my_orders(my_orders(request))
        shared_cache.set(key, section, MY_ORDERS_SECONDS)
    _worker.remember_my_orders(key, section)
    return section


def forget_my_orders(browser_token: str, **kwargs) -> None:
    """One of this browser's orders changed: its My Orders is rendered afresh next time."""
    shared_cache.set(_my_orders_version_key(browser_token), uuid.uuid4().hex, MY_ORDERS_SECONDS)


def _my_orders_version_key(browser_token: str) -> str:
    return "my-orders-version:" + hashlib.sha256(browser_token.encode()).hexdigest()


def _render_my_orders(orders: list[Order]) -> str:
    if not orders:
        return _empty_my_orders()
    return render_to_string("store/includes/my_orders.html", {"my_orders": orders})


@cache
def _empty_my_orders() -> str:
    """What a browser without orders sees (most visitors): the same for all, rendered once."""
    return render_to_string("store/includes/my_orders.html", {"my_orders": []})


class ShopPageMiddleware:
    """Answers GET / from the shared skeleton; anything else (and a miss) goes on as usual.

    Last in MIDDLEWARE: sessions, CSRF, messages, the browser cookie and the
    security headers are all handled around it as for any other response.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method in ("GET", "HEAD") and request.path_info == "/":
            skeleton = cached(request.get_host())
            if skeleton is not None:
                return respond(request, skeleton)
        return self.get_response(request)
