"""An offline stand-in for the part of Stripe's API this shop uses.

CI machines and a laptop on a train cannot reach Stripe, yet the payments code
should still be exercised through the official ``stripe`` SDK over real HTTP:
the SDK's form encoding, headers, idempotency keys, error classes and timeouts
are exactly where integrations break. So this is a small HTTP server that speaks
Stripe's wire format for Checkout Sessions, hosts a payment page at the
session's ``url`` and sends signed webhooks, plus knobs for tests (fail the next
request, answer slowly, tamper with what the API returns).

Only the stdlib and ``stripe`` are needed: no Django settings. Tests start it
in-process on port 0; ``manage.py stripe_simulator`` runs it for the no-keys demo.

Request parameters are checked against the SDK's own ``TypedDict`` params, so a
misspelt or unsupported parameter fails here as it would at Stripe. Responses
follow the shape of Stripe's published example objects (stripe/openapi
fixtures), trimmed to the fields a hosted Checkout payment touches.
"""

from __future__ import annotations

import base64
import copy
import enum
import hashlib
import hmac
import json
import re
import secrets
import string
import sys
import threading
import time
import types
import typing
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import stripe
from stripe.params.checkout import (
    SessionCreateParams,
    SessionExpireParams,
    SessionRetrieveParams,
)
from typing_extensions import is_typeddict

from store import simulator_page as page
from store.money import MAXIMUM_AMOUNT, format_amount, minimum_charge

# --- Constants ---------------------------------------------------------------

TEST_KEY_PREFIX = "sk_test_"
SESSION_LIFETIME = 24 * 60 * 60  # Stripe's default and maximum expires_at, seconds
MIN_SESSION_LIFETIME = 30 * 60  # Stripe's minimum expires_at, seconds
WEBHOOK_TIMEOUT = 10  # seconds; Stripe waits about as long for an endpoint
POLL_INTERVAL = 0.05  # seconds between shutdown checks: stop() returns this fast
SHOPPER_EMAIL = "shopper@example.com"
SESSION_ID_PLACEHOLDER = "{CHECKOUT_SESSION_ID}"
HOSTED_UI_MODE = "hosted_page"  # the API version's name for the redirect flow
MAX_METADATA_KEYS = 50
MAX_METADATA_KEY_LENGTH = 40
MAX_METADATA_VALUE_LENGTH = 500
MAX_CLIENT_REFERENCE_ID_LENGTH = 200
ID_ALPHABET = string.ascii_letters + string.digits

# SDK request options (api_key, idempotency_key, ...) travel as headers and are
# never body parameters, although the params TypedDicts inherit them.
REQUEST_OPTION_NAMES = frozenset(stripe.RequestOptions.__annotations__)

SESSIONS_PATH = re.compile(r"/v1/checkout/sessions")
SESSION_PATH = re.compile(r"/v1/checkout/sessions/(?P<id>[^/]+)")
EXPIRE_PATH = re.compile(r"/v1/checkout/sessions/(?P<id>[^/]+)/expire")
PAY_PATH = re.compile(r"/pay/(?P<id>[^/]+)")
FORM_KEY = re.compile(r"(?P<head>[^\[\]]+)(?P<tail>(?:\[[^\[\]]*\])*)")
FORM_KEY_PART = re.compile(r"\[([^\[\]]*)\]")
CARD_SEPARATORS = re.compile(r"[\s-]")

# The shape follows Stripe's published example checkout.session object
# (stripe/openapi fixtures.json, MIT), trimmed to the fields a hosted payment
# touches and with the example's sample values replaced by a new session's.
SESSION_TEMPLATE: dict[str, Any] = {
    "object": "checkout.session",
    "adaptive_pricing": {"enabled": False},
    "after_expiration": None,
    "allow_promotion_codes": None,
    "automatic_tax": {"enabled": False, "liability": None, "provider": None, "status": None},
    "billing_address_collection": None,
    "client_secret": None,
    "collected_information": None,
    "consent": None,
    "consent_collection": None,
    "custom_fields": [],
    "custom_text": {
        "after_submit": None,
        "shipping_address": None,
        "submit": None,
        "terms_of_service_acceptance": None,
    },
    "customer": None,
    "customer_creation": "if_required",
    "customer_details": None,
    "customer_email": None,
    "discounts": [],
    "invoice": None,
    "invoice_creation": None,
    "livemode": False,
    "locale": None,
    "payment_intent": None,
    "payment_link": None,
    "payment_method_collection": "if_required",
    "payment_method_options": {},
    "payment_method_types": ["card"],
    "payment_status": "unpaid",
    "phone_number_collection": {"enabled": False},
    "recovered_from": None,
    "setup_intent": None,
    "shipping_address_collection": None,
    "shipping_cost": None,
    "shipping_options": [],
    "status": "open",
    "submit_type": None,
    "subscription": None,
    "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
    "ui_mode": HOSTED_UI_MODE,
}

# customer_details of a paid session, shaped like the same example object.
CUSTOMER_DETAILS: dict[str, Any] = {
    "address": {
        "city": None,
        "country": None,
        "line1": None,
        "line2": None,
        "postal_code": None,
        "state": None,
    },
    "business_name": None,
    "email": SHOPPER_EMAIL,
    "individual_name": None,
    "name": None,
    "phone": None,
    "tax_exempt": "none",
    "tax_ids": [],
}


# --- Records and errors ------------------------------------------------------


@dataclass(frozen=True)
class RecordedRequest:
    """One API request as the simulator received it, for tests to inspect."""

    method: str
    path: str
    params: dict[str, Any]
    idempotency_key: str | None
    api_key: str | None


@dataclass(frozen=True)
class WebhookDelivery:
    """One webhook attempt: the endpoint's status code, or why it was not reached."""

    event: dict[str, Any]
    status: int | None
    error: str | None = None


class SimulatorApiError(Exception):
    """A Stripe-shaped API error: raised anywhere, rendered as Stripe's JSON body.

    The SDK picks its exception class from the status and ``type`` (400/404
    InvalidRequestError, 401 AuthenticationError, 5xx APIError, ...).
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        error_type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_type = error_type
        self.code = code
        self.param = param

    def body(self) -> dict[str, Any]:
        error = {"type": self.error_type, "message": self.message}
        if self.code:
            error["code"] = self.code
        if self.param:
            error["param"] = self.param
        return {"error": error}


def _invalid(param: str, message: str, code: str = "parameter_invalid") -> SimulatorApiError:
    return SimulatorApiError(HTTPStatus.BAD_REQUEST, message, code=code, param=param)


def _unknown(param: str) -> SimulatorApiError:
    return _invalid(param, f"Received unknown parameter: {param}", "parameter_unknown")


def _missing(param: str) -> SimulatorApiError:
    return _invalid(param, f"Missing required param: {param}.", "parameter_missing")


def _not_found(session_id: str) -> SimulatorApiError:
    return SimulatorApiError(
        HTTPStatus.NOT_FOUND,
        f"No such checkout.session: '{session_id}'",
        code="resource_missing",
        param="session",
    )


def _new_id(prefix: str, length: int = 24) -> str:
    return f"{prefix}_" + "".join(secrets.choice(ID_ALPHABET) for _ in range(length))


# --- Webhook signatures ------------------------------------------------------


def sign_payload(payload: bytes | str, secret: str, timestamp: int | None = None) -> str:
    """A ``Stripe-Signature`` header value, signed the way Stripe signs webhooks.

    HMAC-SHA256 of ``"{timestamp}.{payload}"`` keyed with the endpoint secret;
    ``stripe.Webhook.construct_event`` accepts it within its tolerance window.
    """
    if isinstance(payload, str):
        payload = payload.encode("utf-8")
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


# --- Stripe's wire format: form decoding and parameter checks ------------------


def decode_form(body: str) -> dict[str, Any]:
    """Stripe's nested form encoding: ``a[b][0][c]=v`` -> ``{"a": {"b": [{"c": "v"}]}}``.

    A key that cannot be nested (malformed brackets, or clashing with a plain
    value) is kept whole, so the parameter check reports it as unknown.
    """
    root: dict[str, Any] = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        match = FORM_KEY.fullmatch(key)
        parts = [match["head"], *FORM_KEY_PART.findall(match["tail"])] if match else [key]
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                root[key] = value
                break
        else:
            node[parts[-1]] = value
    return _lists_from_indexes(root)


def _lists_from_indexes(value: Any) -> Any:
    """Turn dicts keyed "0".."n-1" (how arrays are encoded) into lists."""
    if not isinstance(value, dict):
        return value
    items = {key: _lists_from_indexes(item) for key, item in value.items()}
    if items and sorted(items) == sorted(str(index) for index in range(len(items))):
        return [items[str(index)] for index in range(len(items))]
    return items


@cache
def _fields(typed_dict: type) -> dict[str, Any]:
    """Parameter name -> type hint for one of the SDK's params TypedDicts.

    ``typing.get_type_hints`` on the class itself fails with a NameError: the
    inherited request options name ``StripeContext``, imported there only for
    type checkers. Those are headers, not parameters, so they are dropped and
    the rest resolved in the namespace of the module defining the class.
    """
    own = {
        name: hint
        for name, hint in typed_dict.__annotations__.items()
        if name not in REQUEST_OPTION_NAMES
    }
    module = sys.modules[typed_dict.__module__]
    holder = types.SimpleNamespace(__annotations__=own)
    return typing.get_type_hints(holder, globalns=vars(module), include_extras=True)


def conform(value: Any, hint: Any, param: str = "") -> Any:
    """Check decoded form data against an SDK type hint, as Stripe checks a request.

    Returns the value with integers and booleans converted; raises
    SimulatorApiError naming the offending parameter (``line_items[0][foo]``).
    """
    hint = _strip_qualifiers(hint)
    kind = _kind(hint)
    if kind == "object":
        return _conform_object(value, hint, param)
    if kind == "list":
        return _conform_list(value, typing.get_args(hint)[0], param)
    if kind == "map":
        return _conform_map(value, typing.get_args(hint)[1], param)
    if kind == "union":
        return _conform_union(value, typing.get_args(hint), param)
    return _conform_scalar(value, hint, param)


def _strip_qualifiers(hint: Any) -> Any:
    while typing.get_origin(hint) in (typing.NotRequired, typing.Required, typing.Annotated):
        hint = typing.get_args(hint)[0]
    return hint


def _kind(hint: Any) -> str:
    origin = typing.get_origin(hint)
    if is_typeddict(hint):
        return "object"
    if origin is list:
        return "list"
    if origin is dict:
        return "map"
    if origin is typing.Union:
        return "union"
    if origin is typing.Literal or hint in (str, int, bool, float):
        return "scalar"
    return "other"  # e.g. UntypedStripeObject: a response type, never sent


def _shape_matches(value: Any, kind: str) -> bool:
    if isinstance(value, dict):
        return kind in ("object", "map")
    if isinstance(value, list):
        return kind in ("list", "map")
    return kind == "scalar"


def _child(param: str, key: str | int) -> str:
    return f"{param}[{key}]" if param else str(key)


def _conform_object(value: Any, typed_dict: type, param: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _invalid(param, f"Invalid object: {param}")
    fields = _fields(typed_dict)
    result = {}
    for key, item in value.items():
        if key not in fields:
            raise _unknown(_child(param, key))
        result[key] = conform(item, fields[key], _child(param, key))
    for key in fields:
        if key in typed_dict.__required_keys__ and key not in value:
            raise _missing(_child(param, key))
    return result


def _conform_list(value: Any, item_hint: Any, param: str) -> list[Any]:
    if not isinstance(value, list):
        raise _invalid(param, f"Invalid array: {param}")
    return [conform(item, item_hint, _child(param, index)) for index, item in enumerate(value)]


def _conform_map(value: Any, value_hint: Any, param: str) -> dict[str, Any]:
    if isinstance(value, list):  # a map whose keys happened to be "0", "1", ...
        value = {str(index): item for index, item in enumerate(value)}
    if not isinstance(value, dict):
        raise _invalid(param, f"Invalid object: {param}")
    return {key: conform(item, value_hint, _child(param, key)) for key, item in value.items()}


def _conform_union(value: Any, members: tuple[Any, ...], param: str) -> Any:
    """The first member the value fits; else the error of the first plausible one."""
    plausible = [
        member for member in map(_strip_qualifiers, members) if _shape_matches(value, _kind(member))
    ]
    if not plausible:
        raise _invalid(param, f"Invalid value for {param}")
    first_error = None
    for member in plausible:
        try:
            return conform(value, member, param)
        except SimulatorApiError as error:
            first_error = first_error or error
    raise first_error


def _conform_scalar(value: Any, hint: Any, param: str) -> Any:
    if not isinstance(value, str):
        raise _invalid(param, f"Invalid value for {param}: expected a single value")
    if typing.get_origin(hint) is typing.Literal:
        allowed = [str(option) for option in typing.get_args(hint)]
        if value not in allowed:
            raise _invalid(param, f"Invalid {param}: must be one of {', '.join(allowed)}")
        return value
    if hint is int:
        if not re.fullmatch(r"-?\d+", value):
            raise _invalid(param, f"Invalid integer: {value}", "parameter_invalid_integer")
        return int(value)
    if hint is bool:
        if value not in ("true", "false"):
            raise _invalid(param, f"Invalid boolean: {value}")
        return value == "true"
    return value


# --- Checkout Session rules (what Stripe enforces for this shop's requests) ------


def _checkout_lines(params: dict[str, Any]) -> list[page.Line]:
    items = params.get("line_items")
    if not items:
        raise _missing("line_items")
    lines = [_checkout_line(item, f"line_items[{index}]") for index, item in enumerate(items)]
    if len({line.currency for line in lines}) > 1:
        raise _invalid("line_items", "All line items must use the same currency.")
    return lines


def _checkout_line(item: dict[str, Any], param: str) -> page.Line:
    price_data = item.get("price_data")
    if price_data is None:
        raise _invalid(
            f"{param}[price_data]",
            f"The offline Stripe simulator supports only line items with {param}[price_data].",
        )
    if "product_data" not in price_data:
        raise _missing(f"{param}[price_data][product_data]")
    if "unit_amount" not in price_data:
        raise _missing(f"{param}[price_data][unit_amount]")
    if price_data["unit_amount"] < 0:
        raise _invalid(
            f"{param}[price_data][unit_amount]", "This value must be greater than or equal to 0."
        )
    if "quantity" not in item:
        raise _missing(f"{param}[quantity]")
    if item["quantity"] < 1:
        raise _invalid(f"{param}[quantity]", "This value must be greater than or equal to 1.")
    currency = price_data["currency"].lower()
    if not re.fullmatch(r"[a-z]{3}", currency):
        raise _invalid(f"{param}[price_data][currency]", f"Invalid currency: {currency}")
    return page.Line(
        name=price_data["product_data"]["name"],
        quantity=item["quantity"],
        unit_amount=price_data["unit_amount"],
        currency=currency,
    )


def _check_total(total: int, currency: str) -> None:
    lowest = minimum_charge(currency)
    if total < lowest:
        raise _invalid(
            "line_items",
            "The Checkout Session's total amount due must add up to at least "
            f"{format_amount(lowest, currency)}.",
        )
    if total > MAXIMUM_AMOUNT:
        raise _invalid(
            "line_items",
            "The Checkout Session's total amount due must be no more than "
            f"{format_amount(MAXIMUM_AMOUNT, currency)}.",
        )


def _check_url(params: dict[str, Any], name: str) -> str:
    if name not in params:
        raise _missing(name)
    url = params[name]
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or re.search(r"\s", url):
        raise _invalid(name, "Not a valid URL", "url_invalid")
    return url


def _check_expires_at(params: dict[str, Any], now: int) -> int:
    expires_at = params.get("expires_at", now + SESSION_LIFETIME)
    if not now + MIN_SESSION_LIFETIME <= expires_at <= now + SESSION_LIFETIME:
        raise _invalid(
            "expires_at",
            "The `expires_at` timestamp must be between 30 minutes and 24 hours "
            "after the Checkout Session is created.",
        )
    return expires_at


def _check_metadata(metadata: dict[str, str]) -> None:
    if len(metadata) > MAX_METADATA_KEYS:
        raise _invalid("metadata", f"Metadata can have at most {MAX_METADATA_KEYS} keys.")
    for key, value in metadata.items():
        if len(key) > MAX_METADATA_KEY_LENGTH:
            raise _invalid(f"metadata[{key}]", "Metadata keys can be at most 40 characters.")
        if len(value) > MAX_METADATA_VALUE_LENGTH:
            raise _invalid(f"metadata[{key}]", "Metadata values can be at most 500 characters.")


def _check_supported(params: dict[str, Any]) -> None:
    """Parameters that are valid at Stripe but outside what the simulator models."""
    if "mode" not in params:
        raise _missing("mode")
    if params["mode"] != "payment":
        raise _invalid("mode", "The offline Stripe simulator supports only mode=payment.")
    if params.get("ui_mode", HOSTED_UI_MODE) != HOSTED_UI_MODE:
        raise _invalid(
            "ui_mode", f"The offline Stripe simulator supports only ui_mode={HOSTED_UI_MODE}."
        )
    _reject_expand(params)


def _reject_expand(params: dict[str, Any]) -> None:
    if "expand" in params:
        raise _invalid("expand", "The offline Stripe simulator does not expand fields.")


def _check_client_reference_id(params: dict[str, Any]) -> None:
    if len(params.get("client_reference_id", "")) > MAX_CLIENT_REFERENCE_ID_LENGTH:
        raise _invalid("client_reference_id", "client_reference_id can be at most 200 characters.")


def success_redirect_url(session: dict[str, Any]) -> str:
    """Where Stripe sends the browser after paying: success_url with the id filled in."""
    return session["success_url"].replace(SESSION_ID_PLACEHOLDER, session["id"])


class PaymentOutcome(enum.Enum):
    PAID = "paid"
    DECLINED = "declined"
    UNKNOWN_CARD = "unknown_card"
    NOT_OPEN = "not_open"


# --- The simulator -------------------------------------------------------------


class StripeSimulator:
    """Stripe's Checkout Session API, hosted page and webhooks on a local port.

    All state lives in memory and is guarded by one lock; the HTTP server and
    webhook deliveries run in daemon threads. Public attributes (``requests``,
    ``sessions``, ``deliveries``) are for tests to read.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        webhook_url: str | None = None,
        webhook_secret: str | None = None,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.webhook_url = webhook_url or None
        self.webhook_secret = webhook_secret or ""
        self._log = log or (lambda message: None)
        self._lock = threading.Condition(threading.RLock())
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self.reset()

    # Lifecycle

    def start(self) -> StripeSimulator:
        """Bind (port 0 picks a free port) and serve from a daemon thread."""
        self._stopping = threading.Event()
        self._server = _Server((self.host, self.port), _Handler)
        self._server.simulator = self
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": POLL_INTERVAL},
            name="stripe-simulator",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes responses held back by delay_seconds
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join()
            self._server = self._thread = None

    def __enter__(self) -> StripeSimulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def api_base(self) -> str:
        """What STRIPE_API_BASE should be; the port is known once started."""
        host = "127.0.0.1" if self.host in ("", "0.0.0.0") else self.host
        return f"http://{host}:{self.port}"

    def reset(self) -> None:
        """Forget everything, so one running simulator can serve many tests.

        Lists are replaced rather than cleared, so a webhook still in flight
        from an earlier test lands in the old list, not the new one.
        """
        with self._lock:
            self.requests: list[RecordedRequest] = []
            self.sessions: dict[str, dict[str, Any]] = {}
            self.deliveries: list[WebhookDelivery] = []
            self.delay_seconds = 0.0
            self._lines: dict[str, list[page.Line]] = {}
            self._overrides: dict[str, dict[str, Any]] = {}
            self._idempotent: dict[tuple[str | None, str], tuple[Any, ...]] = {}
            self._failure: tuple[int, str, str] | None = None
            self._failures_left = 0

    # Test knobs

    def fail_next(
        self,
        status: int,
        error_type: str = "api_error",
        message: str = "The offline Stripe simulator was told to fail this request.",
        count: int = 1,
    ) -> None:
        """Answer the next ``count`` API requests with this error, before doing anything."""
        with self._lock:
            self._failure = (status, error_type, message)
            self._failures_left = count

    def tamper(self, session_id: str, **fields: Any) -> None:
        """Overwrite fields the API and webhooks return for a session from now on.

        The stored session (and the hosted page) keep the truth, so tests can
        check that the shop verifies what Stripe tells it (amount, currency, ...).
        """
        with self._lock:
            self._stored(session_id)
            self._overrides.setdefault(session_id, {}).update(fields)

    def pay(self, session_id: str, card: str = page.SUCCESS_CARD) -> bool:
        """What the hosted page's Pay button does; True when the session got paid."""
        return self._pay(session_id, card) is PaymentOutcome.PAID

    def expire(self, session_id: str) -> dict[str, Any]:
        """As ``POST /v1/checkout/sessions/{id}/expire``; raises SimulatorApiError like it."""
        with self._lock:
            return self._expire(session_id)

    def build_event(self, event_type: str, session: dict[str, Any]) -> dict[str, Any]:
        """A Stripe-shaped event (``resources["event"]`` in Stripe's fixtures) about a session."""
        return {
            "id": _new_id("evt"),
            "object": "event",
            "api_version": stripe.api_version,
            "created": int(time.time()),
            "data": {"object": copy.deepcopy(session)},
            "livemode": False,
            "pending_webhooks": 1 if self.webhook_url else 0,
            "request": {"id": None, "idempotency_key": None},
            "type": event_type,
        }

    def wait_for_deliveries(self, count: int, timeout: float = 5) -> list[WebhookDelivery]:
        """Block until ``count`` webhook attempts have finished; TimeoutError otherwise."""
        with self._lock:
            if not self._lock.wait_for(lambda: len(self.deliveries) >= count, timeout):
                raise TimeoutError(
                    f"Expected {count} webhook deliveries, got {len(self.deliveries)}."
                )
            return list(self.deliveries)

    # Session state (callers hold the lock)

    def _stored(self, session_id: str) -> dict[str, Any]:
        """The session, expired first if its time has passed (Stripe does it lazily too)."""
        session = self.sessions.get(session_id)
        if session is None:
            raise _not_found(session_id)
        if session["status"] == "open" and session["expires_at"] <= time.time():
            self._close(session, "expired")
            self._send_event("checkout.session.expired", session)
        return session

    def _public(self, session: dict[str, Any]) -> dict[str, Any]:
        return copy.deepcopy(session) | self._overrides.get(session["id"], {})

    def _create(self, params: dict[str, Any]) -> dict[str, Any]:
        _check_supported(params)
        lines = _checkout_lines(params)
        currency = lines[0].currency
        total = sum(line.amount for line in lines)
        _check_total(total, currency)
        success_url = _check_url(params, "success_url")
        cancel_url = _check_url(params, "cancel_url")
        metadata = params.get("metadata", {})
        _check_metadata(metadata)
        _check_client_reference_id(params)
        now = int(time.time())
        session_id = _new_id("cs_test", 58)
        session = copy.deepcopy(SESSION_TEMPLATE) | {
            "id": session_id,
            "amount_subtotal": total,
            "amount_total": total,
            "cancel_url": cancel_url,
            "client_reference_id": params.get("client_reference_id"),
            "created": now,
            "currency": currency,
            "expires_at": _check_expires_at(params, now),
            "metadata": metadata,
            "mode": params["mode"],
            "success_url": success_url,
            "url": f"{self.api_base}/pay/{session_id}",
        }
        self.sessions[session_id] = session
        self._lines[session_id] = lines
        return self._public(session)

    def _expire(self, session_id: str) -> dict[str, Any]:
        session = self._stored(session_id)
        if session["status"] == "complete":
            raise _invalid(
                "session", "Only Checkout Sessions with a status in [open] can be expired."
            )
        if session["status"] == "open":
            self._close(session, "expired")
            self._send_event("checkout.session.expired", session)
        return self._public(session)

    def _pay(self, session_id: str, card: str) -> PaymentOutcome:
        with self._lock:
            session = self._stored(session_id)
            if session["status"] != "open":
                return PaymentOutcome.NOT_OPEN
            number = CARD_SEPARATORS.sub("", card)
            if number == page.DECLINED_CARD:
                return PaymentOutcome.DECLINED
            if number != page.SUCCESS_CARD:
                return PaymentOutcome.UNKNOWN_CARD
            self._close(session, "complete")
            session["payment_status"] = "paid"
            session["payment_intent"] = _new_id("pi")
            session["customer_details"] = copy.deepcopy(CUSTOMER_DETAILS)
            self._send_event("checkout.session.completed", session)
            return PaymentOutcome.PAID

    @staticmethod
    def _close(session: dict[str, Any], status: str) -> None:
        session["status"] = status
        session["url"] = None  # Stripe drops the url once a session is no longer open

    # Webhooks

    def _send_event(self, event_type: str, session: dict[str, Any]) -> None:
        """Post the event from its own thread, as Stripe does, independent of the browser."""
        if not self.webhook_url:
            return
        event = self.build_event(event_type, self._public(session))
        threading.Thread(target=self._deliver, args=(event, self.deliveries), daemon=True).start()

    def _deliver(self, event: dict[str, Any], deliveries: list[WebhookDelivery]) -> None:
        body = json.dumps(event).encode()
        request = urllib.request.Request(
            self.webhook_url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Stripe-Signature": sign_payload(body, self.webhook_secret),
                "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
            },
        )
        # No proxy: the shop is a local endpoint, whatever HTTP_PROXY says.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(request, timeout=WEBHOOK_TIMEOUT) as response:
                delivery = WebhookDelivery(event, response.status)
        except urllib.error.HTTPError as error:
            error.close()
            delivery = WebhookDelivery(event, error.code)
        except (OSError, ValueError) as error:
            delivery = WebhookDelivery(event, None, f"{type(error).__name__}: {error}")
        self._log(
            f"webhook {event['type']} -> {delivery.status or delivery.error} ({self.webhook_url})"
        )
        with self._lock:
            deliveries.append(delivery)
            self._lock.notify_all()

    # HTTP: the API

    def _serve_api(self, handler: _Handler, path: str, query: str) -> None:
        method = handler.command
        params = decode_form(query if method == "GET" else handler.read_body())
        api_key = _api_key(handler.headers.get("Authorization"))
        idempotency_key = handler.headers.get("Idempotency-Key")
        with self._lock:
            self.requests.append(RecordedRequest(method, path, params, idempotency_key, api_key))
        status, body, headers = self._api_result(method, path, params, api_key, idempotency_key)
        self._stopping.wait(self.delay_seconds)
        handler.send_json(status, body, headers)

    def _api_result(
        self,
        method: str,
        path: str,
        params: dict[str, Any],
        api_key: str | None,
        idempotency_key: str | None,
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        """Status, body and extra headers; successful POSTs are kept for replay.

        Like Stripe, only requests that got as far as executing are saved: an
        injected failure or a validation error can be retried with the same key.
        """
        try:
            self._take_injected_failure()
            _check_api_key(api_key)
            with self._lock:
                replay_key = (
                    (api_key, idempotency_key) if method == "POST" and idempotency_key else None
                )
                if replay_key in self._idempotent:
                    return self._replay(replay_key, method, path, params)
                body = self._route(method, path, params)
                if replay_key:
                    self._idempotent[replay_key] = (method, path, params, body)
                return HTTPStatus.OK, body, {}
        except SimulatorApiError as error:
            return error.status, error.body(), {}

    def _replay(
        self, replay_key: tuple[Any, str], method: str, path: str, params: dict[str, Any]
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        first_method, first_path, first_params, body = self._idempotent[replay_key]
        if (first_method, first_path, first_params) != (method, path, params):
            raise SimulatorApiError(
                HTTPStatus.BAD_REQUEST,
                "Keys for idempotent requests can only be used with the same parameters "
                "they were first used with. Try using a key other than "
                f"'{replay_key[1]}' if you meant to execute a different request.",
                error_type="idempotency_error",
            )
        return HTTPStatus.OK, body, {"Idempotent-Replayed": "true"}

    def _take_injected_failure(self) -> None:
        with self._lock:
            if self._failures_left > 0:
                self._failures_left -= 1
                status, error_type, message = self._failure
                raise SimulatorApiError(status, message, error_type=error_type)

    def _route(self, method: str, path: str, params: dict[str, Any]) -> dict[str, Any]:
        if method == "POST" and SESSIONS_PATH.fullmatch(path):
            return self._create(conform(params, SessionCreateParams))
        if method == "GET" and (match := SESSION_PATH.fullmatch(path)):
            _reject_expand(conform(params, SessionRetrieveParams))
            return self._public(self._stored(match["id"]))
        if method == "POST" and (match := EXPIRE_PATH.fullmatch(path)):
            _reject_expand(conform(params, SessionExpireParams))
            return self._expire(match["id"])
        raise SimulatorApiError(
            HTTPStatus.NOT_FOUND, f"Unrecognized request URL ({method}: {path})."
        )

    # HTTP: the hosted page

    def _serve_page(self, handler: _Handler, session_id: str) -> None:
        with self._lock:
            try:
                session = copy.deepcopy(self._stored(session_id))
            except SimulatorApiError:
                handler.send_html(HTTPStatus.NOT_FOUND, page.not_found_page())
                return
            lines = self._lines[session_id]
        if handler.command == "GET":
            self._show_session(handler, session, lines)
            return
        form = dict(parse_qsl(handler.read_body()))
        if session["status"] != "open":
            self._show_session(handler, session, lines, HTTPStatus.CONFLICT)
        elif form.get("action") == "cancel":
            handler.redirect(session["cancel_url"])
        else:
            self._submit_card(handler, session, lines, form.get("card", ""))

    def _show_session(
        self,
        handler: _Handler,
        session: dict[str, Any],
        lines: list[page.Line],
        status: int = HTTPStatus.OK,
    ) -> None:
        if session["status"] == "open":
            handler.send_html(status, page.checkout_page(session, lines, card=page.PREFILLED_CARD))
        elif session["status"] == "complete":
            handler.send_html(status, page.closed_page(session, success_redirect_url(session)))
        else:
            handler.send_html(status, page.closed_page(session, session["cancel_url"]))

    def _submit_card(
        self, handler: _Handler, session: dict[str, Any], lines: list[page.Line], card: str
    ) -> None:
        outcome = self._pay(session["id"], card)
        if outcome is PaymentOutcome.PAID:
            handler.redirect(success_redirect_url(session))
        elif outcome is PaymentOutcome.DECLINED:
            page_html = page.checkout_page(session, lines, card=card, message=page.DECLINED_MESSAGE)
            handler.send_html(HTTPStatus.PAYMENT_REQUIRED, page_html)
        elif outcome is PaymentOutcome.UNKNOWN_CARD:
            page_html = page.checkout_page(
                session, lines, card=card, message=page.UNKNOWN_CARD_MESSAGE
            )
            handler.send_html(HTTPStatus.BAD_REQUEST, page_html)
        else:  # closed between reading the session and paying
            with self._lock:
                closed = copy.deepcopy(self._stored(session["id"]))
            self._show_session(handler, closed, lines, HTTPStatus.CONFLICT)

    def _serve(self, handler: _Handler) -> None:
        url = urlsplit(handler.path)
        if url.path.startswith("/v1/"):
            self._serve_api(handler, url.path, url.query)
        elif match := PAY_PATH.fullmatch(url.path):
            self._serve_page(handler, match["id"])
        else:
            handler.send_html(HTTPStatus.NOT_FOUND, page.not_found_page())


def _api_key(authorization: str | None) -> str | None:
    """The key from ``Bearer <key>`` (the SDK) or Basic auth with the key as user (curl -u)."""
    scheme, _, credentials = (authorization or "").partition(" ")
    if scheme.lower() == "basic":
        try:
            credentials = base64.b64decode(credentials).decode().partition(":")[0]
        except (ValueError, UnicodeDecodeError):
            return None
    elif scheme.lower() != "bearer":
        return None
    return credentials.strip() or None


def _check_api_key(api_key: str | None) -> None:
    if not api_key:
        raise SimulatorApiError(
            HTTPStatus.UNAUTHORIZED,
            "You did not provide an API key. You need to provide your API key in the "
            "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
            "YOUR_SECRET_KEY').",
        )
    if not api_key.startswith(TEST_KEY_PREFIX):
        masked = api_key[:8] + "*" * max(len(api_key) - 12, 0) + api_key[-4:]
        raise SimulatorApiError(HTTPStatus.UNAUTHORIZED, f"Invalid API Key provided: {masked}")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    simulator: StripeSimulator

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (a timeout test) is expected, not a failure.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "StripeSimulator/1.0"

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self.server.simulator._serve(self)

    do_POST = do_DELETE = do_GET  # noqa: N815

    def read_body(self) -> str:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length).decode("utf-8", "replace")

    def send_json(self, status: int, body: dict[str, Any], headers: dict[str, str]) -> None:
        data = json.dumps(body, indent=2).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Request-Id", _new_id("req", 14))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def send_html(self, status: int, html: str) -> None:
        data = html.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
        self.end_headers()
        self.wfile.write(data)

    def redirect(self, location: str) -> None:
        self.send_response(HTTPStatus.SEE_OTHER)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (http.server's name)
        self.server.simulator._log(format % args)
