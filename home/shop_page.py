"""The shop's public pages, fast: one shared rendering, each visitor's own parts filled in after.

Everything on a shop page is the same for every shopper except four parts: the
CSRF token, the form token, their messages and My Orders. The page is rendered
with a marker in each of those places, from a request that carries no visitor
state at all (no cookies, no session, no user). That rendering (the skeleton) is
kept under the current version in the ``page`` cache and in each worker's
memory, and every answer fills the markers in for the visitor at hand.

Wagtail serves the page as it serves any other: the site lookup, view
restrictions and ``before_serve_page`` hooks run on every request; only the
rendering is shared, and only when it may be (``may_share``): a restricted
page, a signed-in user (an editor) or a preview is rendered for that request
alone and never read from or written to the shared rendering.

The version is a random token in the database (``home.models.RenderingVersion``),
renewed by every change a page shows (home.shop_page_signals); each worker reads it
at most every STORE_PAGE_VERSION_CHECK_SECONDS. Lost cache keys cost a rendering,
never an old page: a skeleton is only trusted for the version it was built for.
The Wagtail lookups behind serving (the site for a host, a page's view
restrictions) are remembered per version too, so a visit costs no query.

Not wagtail-cache: it stores whole responses, and these responses carry per-visitor
tokens; what can be shared is the page around them.

Another page type shares its rendering the same way: ``cached_rendering(request,
page, build)``, where ``build(request)`` renders the page's HTML with ``MARKERS``.
"""

from __future__ import annotations

import hashlib
import io
import re
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache as shared_cache
from django.core.cache import caches
from django.core.handlers.wsgi import WSGIRequest
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.http.request import split_domain_port
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.cache import patch_cache_control
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from wagtail.models import Page, Site
from wagtail.models.sites import get_site_for_hostname

from store import shopper
from store.models import Order

# Where each visitor's own parts go; what the template writes for ``{{ visitor.<part> }}``.
PARTS = ("csrf", "form_token", "messages", "my_orders")
MARKERS = {part: mark_safe(f"<!--shop:{part}-->") for part in PARTS}
MARKER = re.compile(r"<!--shop:(" + "|".join(PARTS) + r")-->")

# The cache alias that holds skeletons only (STORE_PAGE_CACHE_URL): sessions, rate limits
# and My Orders live in the default cache and cannot push them out.
PAGE_CACHE = "page"
# Per worker and version: skeletons and host lookups kept in memory (the most recent).
KEPT_BY_A_WORKER = 256
# A browser's My Orders is kept this long after it was last shown unchanged, and each
# worker keeps the most recently shown ones in memory too.
MY_ORDERS_SECONDS = 10 * 60
MY_ORDERS_KEPT_BY_A_WORKER = 1000
_UNKNOWN = object()


@dataclass(frozen=True)
class Skeleton:
    """The rendered page cut at its markers: text, part, text, part, ..., text."""

    pieces: tuple[str, ...]
    expires_at: float  # time.time(): holds end by themselves, so the page can go stale
    version: str = ""  # the version it was rendered at; "" for a rendering nobody shares
    key: str = ""

    @classmethod
    def from_html(cls, html: str, lifetime: float, version: str = "", key: str = "") -> Skeleton:
        return cls(tuple(MARKER.split(html)), time.time() + lifetime, version, key)

    @property
    def fresh(self) -> bool:
        return time.time() < self.expires_at

    def serves(self, version: str, key: str) -> bool:
        return self.version == version and self.key == key and self.fresh


class _Recent:
    """A bounded mapping, safe across threads, that forgets the least recently kept entry."""

    def __init__(self, most: int) -> None:
        self.most = most
        self.entries: OrderedDict[Any, Any] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: Any, default: Any = None) -> Any:
        return self.entries.get(key, default)

    def keep(self, key: Any, value: Any) -> None:
        with self.lock:
            self.entries[key] = value
            self.entries.move_to_end(key)
            while len(self.entries) > self.most:
                self.entries.popitem(last=False)


@dataclass
class _AtVersion:
    """What a worker remembers at one version: skeletons, sites by host, view restrictions."""

    version: str | None = None
    skeletons: _Recent = field(default_factory=lambda: _Recent(KEPT_BY_A_WORKER))
    sites: _Recent = field(default_factory=lambda: _Recent(KEPT_BY_A_WORKER))
    restrictions: _Recent = field(default_factory=lambda: _Recent(KEPT_BY_A_WORKER))


class _WorkerCopy:
    """This worker's copy of the version (re-read now and then) and what it remembers at it.

    Shared by the worker's threads; ``memory`` is replaced whole when the version
    changes, so a thread sees the old version's memory or the new one's, never a mix.
    """

    def __init__(self) -> None:
        self.memory = _AtVersion()
        self.version_checked = 0.0
        self.renewals = 0  # how many times this worker renewed the version
        self.lock = threading.Lock()
        # Recently shown My Orders sections, by their key (which names their state).
        self.my_orders = _Recent(MY_ORDERS_KEPT_BY_A_WORKER)

    def adopt(self, version: str) -> None:
        if version != self.memory.version:
            self.memory = _AtVersion(version)
        self.version_checked = time.monotonic()


_worker = _WorkerCopy()


def forget_worker_copy() -> None:
    """Drop this worker's copies (the caches are untouched): each test starts afresh."""
    global _worker
    _worker = _WorkerCopy()


def current_version() -> str:
    """The shared version, re-read from the database every STORE_PAGE_VERSION_CHECK_SECONDS."""
    return _memory().version


def _memory() -> _AtVersion:
    """What this worker remembers at the current version (re-read when due)."""
    from home.models import RenderingVersion  # the page's model imports this module

    worker = _worker
    checked_long_ago = (
        time.monotonic() - worker.version_checked > settings.STORE_PAGE_VERSION_CHECK_SECONDS
    )
    if worker.memory.version is None or checked_long_ago:
        renewals = worker.renewals
        version = RenderingVersion.current()
        with worker.lock:
            if worker.renewals == renewals:  # not renewed here meanwhile: this is not older
                worker.adopt(version)
    return worker.memory


def invalidate(**kwargs) -> None:
    """What the pages show changed: every worker renders them afresh (this one at once)."""
    from home.models import RenderingVersion

    version = RenderingVersion.renew()
    with _worker.lock:
        _worker.renewals += 1
        _worker.adopt(version)


def site_for(request: HttpRequest) -> Site | None:
    """Wagtail's site for this request's host, looked up once per version and host.

    The same lookup as ``Site.find_for_request``, whose place on the request it
    takes; the Site (with its root page, whose specific page Wagtail keeps on it)
    lives as long as the version.
    """
    if hasattr(request, "_wagtail_site"):
        return request._wagtail_site
    hostname = split_domain_port(request._get_raw_host())[0]
    host = (hostname, request.get_port())
    sites = _memory().sites
    site = sites.get(host, _UNKNOWN)
    if site is _UNKNOWN:
        try:
            site = get_site_for_hostname(*host)
        except Site.DoesNotExist:
            site = None
        sites.keep(host, site)
    request._wagtail_site = site
    return site


def view_restrictions(page: Page, read: Callable[[], Any]) -> Any:
    """``read()`` (Wagtail's restrictions on ``page``), evaluated once per version.

    Every version change (a restriction saved or deleted among them) reads them
    again. The result is an evaluated queryset: iterating it asks nothing more,
    and narrowing it (``order_by``, ``filter``) asks the database afresh.
    """
    remembered = _memory().restrictions
    restrictions = remembered.get(page.pk)
    if restrictions is None:
        restrictions = read()
        len(restrictions)  # evaluated now, so every later use reads the same rows
        remembered.keep(page.pk, restrictions)
    return restrictions


class KnownSitesMiddleware:
    """Gives Wagtail's page serving the site it would look up (``site_for``): no query.

    Only for Wagtail's own view: the admin, ``/healthz`` and the rest look sites up
    as usual, and never wait on the version's row.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> None:
        from wagtail.views import serve  # it needs the models this module is loaded with

        if view_func is serve:
            site_for(request)


def may_share(request: HttpRequest, page: Model) -> bool:
    """Whether this request may be answered from, and may store, the shared rendering."""
    if getattr(request, "is_preview", False) or getattr(request, "is_dummy", False):
        return False
    if request.method not in ("GET", "HEAD"):
        return False
    if _signed_in(request):
        return False  # an editor may be shown more than a shopper (Wagtail's userbar)
    return not (isinstance(page, Page) and page.get_view_restrictions())


def _signed_in(request: HttpRequest) -> bool:
    # Signing in needs a session: without its cookie nobody is (and no session is read).
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return False
    return getattr(request, "user", AnonymousUser()).is_authenticated


def cached_rendering(
    request: HttpRequest,
    page: Model,
    build: Callable[[HttpRequest], str],
    *,
    lifetime: Callable[[], float] | None = None,
) -> HttpResponse:
    """``page`` for this visitor, from the rendering shared by all when it may be.

    ``build(request)`` renders the page's HTML, with ``MARKERS`` where the visitor's
    parts go; for the shared rendering it is given a request with no visitor state.
    ``lifetime()`` says how many seconds the rendering stays right on its own.
    """
    if not may_share(request, page):
        return personal_response(request, build)
    site = site_for(request)
    version = current_version()  # before rendering: a change during it leaves this version
    key = _cache_key(version, site, page)
    skeleton = _cached(version, key)
    if skeleton is None:
        seconds = settings.STORE_PAGE_CACHE_SECONDS
        if lifetime is not None:
            seconds = min(seconds, lifetime())
        html = build(_visitorless_request(request, site))
        skeleton = Skeleton.from_html(html, seconds, version, key)
        _store(skeleton)
    return respond(request, skeleton)


def personal_response(request: HttpRequest, build: Callable[[HttpRequest], str]) -> HttpResponse:
    """A rendering for this request alone (its errors, a preview, an editor): never kept."""
    return respond(request, Skeleton.from_html(build(request), lifetime=0))


def _cache_key(version: str, site: Site | None, page: Model) -> str:
    site_id = site.pk if site else "none"
    return f"shared-rendering:{version}:{site_id}:{page._meta.label_lower}:{page.pk}"


def _cached(version: str, key: str) -> Skeleton | None:
    skeleton = _worker.memory.skeletons.get(key)
    if skeleton is None:
        skeleton = caches[PAGE_CACHE].get(key)
        if isinstance(skeleton, Skeleton) and skeleton.serves(version, key):
            _remember(skeleton)
    if isinstance(skeleton, Skeleton) and skeleton.serves(version, key):
        return skeleton
    return None


def _store(skeleton: Skeleton) -> None:
    timeout = max(int(skeleton.expires_at - time.time()), 1)
    caches[PAGE_CACHE].set(skeleton.key, skeleton, timeout)
    _remember(skeleton)


def _remember(skeleton: Skeleton) -> None:
    memory = _worker.memory
    if memory.version == skeleton.version:  # a rendering that outlived its version is not kept
        memory.skeletons.keep(skeleton.key, skeleton)


def _visitorless_request(request: HttpRequest, site: Site | None) -> HttpRequest:
    """A GET for the same path at the site's own address, with nothing of the visitor.

    No cookies, session, user or query string: whatever a template reads from it
    is the same for everyone, so the rendering can be shown to everyone.
    """
    hostname, port = (site.hostname, site.port) if site else ("localhost", 80)
    scheme = "https" if port == 443 else "http"
    host = hostname if port in (80, 443) else f"{hostname}:{port}"
    visitorless = WSGIRequest(
        {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": request.path_info,
            "SCRIPT_NAME": request.META.get("SCRIPT_NAME", ""),
            "SERVER_NAME": hostname,
            "SERVER_PORT": str(port),
            "HTTP_HOST": host,
            "wsgi.url_scheme": scheme,
            "wsgi.input": io.BytesIO(),
        }
    )
    visitorless.user = AnonymousUser()
    visitorless._wagtail_site = site
    visitorless.is_preview = False
    return visitorless


def respond(request: HttpRequest, skeleton: Skeleton) -> HttpResponse:
    """The page for this visitor: the skeleton with their parts filled in."""
    pieces = skeleton.pieces
    # Odd positions hold part names, even ones the page around them.
    html = "".join(
        piece if index % 2 == 0 else _visitor_part(request, piece)
        for index, piece in enumerate(pieces)
    )
    response = HttpResponse(html)
    # Tokens and orders are this visitor's: no shared cache may keep the response.
    patch_cache_control(response, private=True, no_cache=True)
    return response


def _visitor_part(request: HttpRequest, part: str) -> str:
    if part == "csrf":
        return format_html(
            '<input type="hidden" name="csrfmiddlewaretoken" value="{}">', get_token(request)
        )
    if part == "form_token":
        return str(uuid.uuid4())
    if part == "messages":
        return _messages(request)
    return _my_orders(request)


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
    _worker.my_orders.keep(key, section)
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
