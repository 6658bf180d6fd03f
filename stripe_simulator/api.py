"""The API's request pipeline, in Stripe's order: authenticate, claim the idempotency key,
validate, execute, save the result for the key, answer.

Stripe saves the status and body of the first request for a key once the
endpoint began executing, 5xx errors included, and replays them
(``Idempotent-Replayed: true``). A request that fails validation saves nothing;
one that arrives while the first is still executing gets a retryable 409.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from stripe.params import (
    ChargeRetrieveParams,
    CouponRetrieveParams,
    DisputeRetrieveParams,
    PaymentIntentRetrieveParams,
    PromotionCodeRetrieveParams,
    RefundRetrieveParams,
    ShippingRateRetrieveParams,
)
from stripe.params.checkout import SessionExpireParams, SessionRetrieveParams
from stripe.params.radar import EarlyFraudWarningRetrieveParams

from stripe_simulator import promotion_rules, rules
from stripe_simulator.disputes import Disputes
from stripe_simulator.faults import Faults
from stripe_simulator.objects import EventRequest, new_id
from stripe_simulator.payments import Payments
from stripe_simulator.promotions import Promotions
from stripe_simulator.refunds import Refunds
from stripe_simulator.sessions import Sessions
from stripe_simulator.state import (
    Claim,
    Clock,
    IdempotencyStore,
    RecordedRequest,
    SavedResponse,
    State,
)
from stripe_simulator.wire import (
    SimulatorApiError,
    check_api_key,
    conform,
    invalid,
    reject_empty_strings,
)

MAX_IDEMPOTENCY_KEY_LENGTH = 255
# The endpoints, as ``hang_next`` names them: an object's id in a path is ``{id}``.
ENDPOINTS = frozenset(
    {
        "POST /v1/checkout/sessions",
        "GET /v1/checkout/sessions/{id}",
        "POST /v1/checkout/sessions/{id}/expire",
        "GET /v1/payment_intents/{id}",
        "POST /v1/refunds",
        "GET /v1/refunds",
        "GET /v1/refunds/{id}",
        "POST /v1/shipping_rates",
        "GET /v1/shipping_rates",
        "GET /v1/shipping_rates/{id}",
        "POST /v1/coupons",
        "GET /v1/coupons/{id}",
        "POST /v1/coupons/{id}",
        "POST /v1/promotion_codes",
        "GET /v1/promotion_codes",
        "GET /v1/promotion_codes/{id}",
        "POST /v1/promotion_codes/{id}",
    }
)
_OBJECT_ID = re.compile(
    r"/(sessions|payment_intents|refunds|shipping_rates|coupons|promotion_codes)/[^/]+"
)
_ID_PLACEHOLDER = r"/\1/{id}"
Execute = Callable[[], dict[str, Any]]


@dataclass(frozen=True)
class Call:
    """One API request: its id, key and arrival time on Stripe's clock."""

    id: str
    idempotency_key: str | None
    arrived_at: float

    @property
    def origin(self) -> EventRequest:
        """What the events this request causes carry as their ``request``."""
        return {"id": self.id, "idempotency_key": self.idempotency_key}


@dataclass(frozen=True)
class ApiResponse:
    status: int
    body: dict[str, Any]
    request_id: str
    headers: tuple[tuple[str, str], ...] = ()
    drop: bool = False  # close the connection instead of answering (a lost response)


@dataclass(frozen=True)
class _Outcome:
    status: int
    body: dict[str, Any]
    saved: bool  # whether Stripe keeps it for the idempotency key


class Api:
    def __init__(
        self,
        lock: threading.Condition,
        state: State,
        clock: Clock,
        faults: Faults,
        sessions: Sessions,
        payments: Payments,
        refunds: Refunds,
        disputes: Disputes,
        promotions: Promotions,
    ) -> None:
        self._lock = lock
        self._state = state
        self._clock = clock
        self._faults = faults
        self._sessions = sessions
        self._payments = payments
        self._refunds = refunds
        self._disputes = disputes
        self._promotions = promotions
        self.idempotency = IdempotencyStore(clock)
        routes = [
            ("POST", r"/v1/checkout/sessions", self._create_session),
            ("GET", r"/v1/checkout/sessions/(?P<object_id>[^/]+)", self._retrieve_session),
            ("POST", r"/v1/checkout/sessions/(?P<object_id>[^/]+)/expire", self._expire),
            ("GET", r"/v1/payment_intents/(?P<object_id>[^/]+)", self._retrieve_intent),
            ("POST", r"/v1/refunds", self._create_refund),
            ("GET", r"/v1/refunds", self._list_refunds),
            ("GET", r"/v1/refunds/(?P<object_id>[^/]+)", self._retrieve_refund),
            ("GET", r"/v1/charges/(?P<object_id>[^/]+)", self._retrieve_charge),
            ("GET", r"/v1/disputes/(?P<object_id>[^/]+)", self._retrieve_dispute),
            (
                "GET",
                r"/v1/radar/early_fraud_warnings/(?P<object_id>[^/]+)",
                self._retrieve_early_fraud_warning,
            ),
            ("POST", r"/v1/shipping_rates", self._create_shipping_rate),
            ("GET", r"/v1/shipping_rates", self._list_shipping_rates),
            ("GET", r"/v1/shipping_rates/(?P<object_id>[^/]+)", self._retrieve_shipping_rate),
            ("POST", r"/v1/coupons", self._create_coupon),
            ("GET", r"/v1/coupons/(?P<object_id>[^/]+)", self._retrieve_coupon),
            ("POST", r"/v1/coupons/(?P<object_id>[^/]+)", self._update_coupon),
            ("POST", r"/v1/promotion_codes", self._create_promotion_code),
            ("GET", r"/v1/promotion_codes", self._list_promotion_codes),
            ("GET", r"/v1/promotion_codes/(?P<object_id>[^/]+)", self._retrieve_promotion_code),
            ("POST", r"/v1/promotion_codes/(?P<object_id>[^/]+)", self._update_promotion_code),
        ]
        self._routes = [(method, re.compile(path), prepare) for method, path, prepare in routes]

    def handle(
        self,
        method: str,
        path: str,
        params: dict[str, Any],
        api_key: str | None,
        idempotency_key: str | None,
    ) -> ApiResponse:
        key = idempotency_key if method == "POST" else None
        call = Call(new_id("req", 14), key, self._clock.now())
        with self._lock:
            self._state.requests.append(
                RecordedRequest(method, path, params, idempotency_key, api_key, call.id)
            )
        try:
            check_api_key(api_key)
            prepare = self._route(method, path)
            if key and len(key) > MAX_IDEMPOTENCY_KEY_LENGTH:
                raise invalid("Idempotency-Key", "Idempotency keys can be at most 255 characters.")
        except SimulatorApiError as error:
            return ApiResponse(error.status, error.body(), call.id)
        scope = (api_key, key) if key else None
        if scope:
            with self._lock:
                claim, entry = self.idempotency.claim(scope, (method, path, params))
            if claim is not Claim.NEW:
                return claim_response(claim, entry.response, call)
        outcome = self._execute(prepare, params, call)
        # Still executing: a same-key request meanwhile gets a 409.
        self._faults.hold(endpoint_of(method, path))
        if scope:
            with self._lock:
                if outcome.saved:
                    self.idempotency.save(entry, SavedResponse(outcome.status, outcome.body))
                else:
                    self.idempotency.release(scope, entry)
        headers = (("Stripe-Should-Retry", "false"),) if scope and outcome.status >= 500 else ()
        attempt = (method, path, key or repr(sorted(params.items())))
        drop = self._faults.take_drop(attempt, endpoint_of(method, path))
        return ApiResponse(outcome.status, outcome.body, call.id, headers, drop=drop)

    def _route(self, method: str, path: str) -> Callable[[dict[str, Any], Call], Execute]:
        for route_method, pattern, prepare in self._routes:
            if route_method == method and (match := pattern.fullmatch(path)):
                return lambda params, call: prepare(params, call, **match.groupdict())
        raise SimulatorApiError(
            HTTPStatus.NOT_FOUND, f"Unrecognized request URL ({method}: {path})."
        )

    def _execute(
        self, prepare: Callable[[dict[str, Any], Call], Execute], params: dict[str, Any], call: Call
    ) -> _Outcome:
        try:
            reject_empty_strings(params)
            execute = prepare(params, call)
        except SimulatorApiError as error:
            return _Outcome(error.status, error.body(), saved=False)
        failure = self._faults.take_failure()
        if failure is not None:
            # A 5xx happens while executing (saved); a 4xx such as a rate limit, before.
            return _Outcome(failure.status, failure.body(), saved=failure.status >= 500)
        try:
            with self._lock:
                return _Outcome(HTTPStatus.OK, execute(), saved=True)
        except SimulatorApiError as error:
            return _Outcome(error.status, error.body(), saved=True)

    # Endpoints: each checks its parameters, then returns what executes the request.

    def _create_session(self, params: dict[str, Any], call: Call) -> Execute:
        request = rules.session_request(params, call.arrived_at)
        return lambda: self._sessions.create(request)

    def _retrieve_session(self, params: dict[str, Any], call: Call, object_id: str) -> Execute:
        rules.reject_expand(conform(params, SessionRetrieveParams))
        return lambda: self._sessions.public(object_id)

    def _expire(self, params: dict[str, Any], call: Call, object_id: str) -> Execute:
        rules.reject_expand(conform(params, SessionExpireParams))
        return lambda: self._sessions.expire(object_id, call.origin)

    def _retrieve_intent(self, params: dict[str, Any], call: Call, object_id: str) -> Execute:
        params = conform(params, PaymentIntentRetrieveParams)
        rules.reject_expand(params)
        return lambda: self._payments.payment_intent(object_id)

    def _create_refund(self, params: dict[str, Any], call: Call) -> Execute:
        request = rules.refund_request(params)
        return lambda: self._refunds.create(request, call.origin)

    def _list_refunds(self, params: dict[str, Any], call: Call) -> Execute:
        request = rules.refund_list_request(params)
        return lambda: self._refunds.list(request)

    def _retrieve_refund(self, params: dict[str, Any], call: Call, object_id: str) -> Execute:
        rules.reject_expand(conform(params, RefundRetrieveParams))
        return lambda: self._refunds.retrieve(object_id)

    def _retrieve_charge(self, params: dict[str, Any], call: Call, object_id: str) -> Execute:
        rules.reject_expand(conform(params, ChargeRetrieveParams))
        return lambda: self._refunds.charge_by_id(object_id)

    def _retrieve_dispute(self, params: dict[str, Any], call: Call, object_id: str) -> Execute:
        rules.reject_expand(conform(params, DisputeRetrieveParams))
        return lambda: self._disputes.retrieve(object_id)

    def _retrieve_early_fraud_warning(
        self, params: dict[str, Any], call: Call, object_id: str
    ) -> Execute:
        rules.reject_expand(conform(params, EarlyFraudWarningRetrieveParams))
        return lambda: self._disputes.retrieve_warning(object_id)

    def _create_shipping_rate(self, params: dict[str, Any], call: Call) -> Execute:
        request = promotion_rules.shipping_rate_request(params)
        return lambda: self._promotions.create_shipping_rate(request)

    def _list_shipping_rates(self, params: dict[str, Any], call: Call) -> Execute:
        limit = promotion_rules.shipping_rate_list_limit(params)
        return lambda: self._promotions.list_shipping_rates(limit)

    def _retrieve_shipping_rate(
        self, params: dict[str, Any], call: Call, object_id: str
    ) -> Execute:
        rules.reject_expand(conform(params, ShippingRateRetrieveParams))
        return lambda: self._promotions.shipping_rate(object_id, "shipping_rate_token")

    def _create_coupon(self, params: dict[str, Any], call: Call) -> Execute:
        request = promotion_rules.coupon_request(params, call.arrived_at)
        return lambda: self._promotions.create_coupon(request)

    def _retrieve_coupon(self, params: dict[str, Any], call: Call, object_id: str) -> Execute:
        rules.reject_expand(conform(params, CouponRetrieveParams))
        return lambda: self._promotions.coupon(object_id, "id")

    def _update_coupon(self, params: dict[str, Any], call: Call, object_id: str) -> Execute:
        update = promotion_rules.coupon_update(params)
        return lambda: self._promotions.update_coupon(object_id, update)

    def _create_promotion_code(self, params: dict[str, Any], call: Call) -> Execute:
        request = promotion_rules.promotion_code_request(params, call.arrived_at)
        return lambda: self._promotions.create_promotion_code(request)

    def _list_promotion_codes(self, params: dict[str, Any], call: Call) -> Execute:
        query = promotion_rules.promotion_code_query(params)
        return lambda: self._promotions.list_promotion_codes(query)

    def _retrieve_promotion_code(
        self, params: dict[str, Any], call: Call, object_id: str
    ) -> Execute:
        rules.reject_expand(conform(params, PromotionCodeRetrieveParams))
        return lambda: self._promotions.promotion_code(object_id, "id")

    def _update_promotion_code(self, params: dict[str, Any], call: Call, object_id: str) -> Execute:
        update = promotion_rules.promotion_code_update(params)
        return lambda: self._promotions.update_promotion_code(object_id, update)


def endpoint_of(method: str, path: str) -> str:
    """``GET /v1/refunds/{id}`` for a retrieve of any refund."""
    return f"{method} {_OBJECT_ID.sub(_ID_PLACEHOLDER, path)}"


def claim_response(claim: Claim, saved: SavedResponse | None, call: Call) -> ApiResponse:
    """The answer to a request whose idempotency key was used before."""
    if claim is Claim.REPLAY:
        headers = [("Idempotent-Replayed", "true")]
        if saved.status >= 500:
            headers.append(("Stripe-Should-Retry", "false"))
        return ApiResponse(saved.status, saved.body, call.id, tuple(headers))
    if claim is Claim.IN_FLIGHT:
        error = SimulatorApiError(
            HTTPStatus.CONFLICT,
            "There is currently another in-progress request using this Idempotent Key "
            "(that probably means you submitted twice, and the other request is still "
            f"going through): {call.idempotency_key}. Please try again later.",
            error_type="idempotency_error",
            code="idempotency_key_in_use",
        )
        return ApiResponse(error.status, error.body(), call.id, (("Stripe-Should-Retry", "true"),))
    error = SimulatorApiError(
        HTTPStatus.BAD_REQUEST,
        "Keys for idempotent requests can only be used with the same parameters they were "
        f"first used with. Try using a key other than '{call.idempotency_key}' if you meant "
        "to execute a different request.",
        error_type="idempotency_error",
    )
    return ApiResponse(error.status, error.body(), call.id)
