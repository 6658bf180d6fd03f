"""Shipping rates, coupons and promotion codes: what the API keeps, and when a code applies.

Stripe never deletes what a session refers to; neither does the simulator. A
code is unique (whatever its case) among active promotion codes. A promotion
code applies while it and its coupon are active, unexpired and not fully
redeemed, and the order reaches its minimum; ``times_redeemed`` counts the
sessions paid with it. Callers hold the simulator's lock.
"""

from __future__ import annotations

import copy
from http import HTTPStatus
from typing import Any

from stripe_simulator import objects
from stripe_simulator.money import format_amount
from stripe_simulator.promotion_rules import (
    CouponRequest,
    PromotionCodeQuery,
    PromotionCodeRequest,
    ShippingRateRequest,
    Update,
)
from stripe_simulator.state import Clock, State
from stripe_simulator.totals import coupon_discount
from stripe_simulator.wire import SimulatorApiError, invalid, not_found

# What Checkout's page says when it refuses a code (the shopper sees nothing else).
INVALID_CODE = "This code is invalid."
EXPIRED_CODE = "This code has expired."
EXHAUSTED_CODE = "This code has already been fully redeemed."
BELOW_MINIMUM = "This code requires a minimum purchase of {minimum}."
SHIPPING_RATES_URL = "/v1/shipping_rates"
PROMOTION_CODES_URL = "/v1/promotion_codes"


class Promotions:
    def __init__(self, state: State, clock: Clock) -> None:
        self._state = state
        self._clock = clock

    # Shipping rates

    def create_shipping_rate(self, request: ShippingRateRequest) -> dict[str, Any]:
        rate = objects.shipping_rate(request, created=int(self._clock.now()))
        self._state.shipping_rates[rate["id"]] = rate
        return copy.deepcopy(rate)

    def shipping_rate(self, rate_id: str, param: str = "shipping_rate") -> dict[str, Any]:
        rate = self._state.shipping_rates.get(rate_id)
        if rate is None:
            raise not_found("shipping rate", rate_id, param)
        return copy.deepcopy(rate)

    def list_shipping_rates(self, limit: int) -> dict[str, Any]:
        return _newest_first(SHIPPING_RATES_URL, list(self._state.shipping_rates.values()), limit)

    # Coupons

    def create_coupon(self, request: CouponRequest) -> dict[str, Any]:
        if request.id in self._state.coupons:
            raise SimulatorApiError(
                HTTPStatus.BAD_REQUEST,
                "Coupon already exists.",
                code="resource_already_exists",
                param="id",
            )
        coupon = objects.coupon(request, created=int(self._clock.now()))
        self._state.coupons[coupon["id"]] = coupon
        return self.coupon(coupon["id"])

    def coupon(self, coupon_id: str, param: str = "coupon") -> dict[str, Any]:
        """A copy, ``valid`` as of now: false past ``redeem_by`` or once fully redeemed."""
        coupon = self._state.coupons.get(coupon_id)
        if coupon is None:
            raise not_found("coupon", coupon_id, param)
        redeem_by, most = coupon["redeem_by"], coupon["max_redemptions"]
        expired = redeem_by is not None and redeem_by <= self._clock.now()
        exhausted = most is not None and coupon["times_redeemed"] >= most
        return copy.deepcopy(coupon) | {"valid": not (expired or exhausted)}

    def update_coupon(self, coupon_id: str, update: Update) -> dict[str, Any]:
        self.coupon(coupon_id, "id")
        _apply(self._state.coupons[coupon_id], update)
        return self.coupon(coupon_id)

    # Promotion codes

    def create_promotion_code(self, request: PromotionCodeRequest) -> dict[str, Any]:
        coupon = self.coupon(request.coupon, "promotion[coupon]")
        if not coupon["valid"]:
            raise invalid(
                "promotion[coupon]", f"Coupon {coupon['id']} is no longer valid.", "coupon_expired"
            )
        promotion_code = objects.promotion_code(request, created=int(self._clock.now()))
        if promotion_code["active"]:
            self._check_unique(promotion_code["code"])
        self._state.promotion_codes[promotion_code["id"]] = promotion_code
        return copy.deepcopy(promotion_code)

    def promotion_code(self, code_id: str, param: str = "promotion_code") -> dict[str, Any]:
        promotion_code = self._state.promotion_codes.get(code_id)
        if promotion_code is None:
            raise not_found("promotion code", code_id, param)
        return copy.deepcopy(promotion_code)

    def update_promotion_code(self, code_id: str, update: Update) -> dict[str, Any]:
        promotion_code = self._state.promotion_codes.get(code_id)
        if promotion_code is None:
            raise not_found("promotion code", code_id, "id")
        if update.fields.get("active") and not promotion_code["active"]:
            # Stripe reactivates a code only while its coupon can still be redeemed.
            coupon = self.coupon(promotion_code["promotion"]["coupon"])
            if not coupon["valid"]:
                raise invalid("active", f"Coupon {coupon['id']} is no longer valid.")
            self._check_unique(promotion_code["code"])
        _apply(promotion_code, update)
        return copy.deepcopy(promotion_code)

    def list_promotion_codes(self, query: PromotionCodeQuery) -> dict[str, Any]:
        matching = [
            promotion_code
            for promotion_code in self._state.promotion_codes.values()
            if query.code is None
            or promotion_code["code"].casefold() == query.code.casefold()
            and query.active in (None, promotion_code["active"])
            and query.coupon in (None, promotion_code["promotion"]["coupon"])
        ]
        return _newest_first(PROMOTION_CODES_URL, matching, query.limit)

    def find_code(self, code: str) -> dict[str, Any] | None:
        """The promotion code a shopper typed (any case): the active one, else any."""
        typed = code.strip().casefold()
        matching = [
            promotion_code
            for promotion_code in self._state.promotion_codes.values()
            if promotion_code["code"].casefold() == typed
        ]
        matching.sort(key=lambda promotion_code: promotion_code["active"], reverse=True)
        return copy.deepcopy(matching[0]) if matching else None

    def _check_unique(self, code: str) -> None:
        for promotion_code in self._state.promotion_codes.values():
            if promotion_code["active"] and promotion_code["code"].casefold() == code.casefold():
                raise invalid(
                    "code",
                    f"An active promotion code with `code: {code}` already exists.",
                    "resource_already_exists",
                )

    # Applying and redeeming

    def refusal(
        self, promotion_code: dict[str, Any] | None, subtotal: int, currency: str
    ) -> str | None:
        """Why Checkout would refuse this code for lines worth ``subtotal``; None if it applies."""
        if promotion_code is None or not promotion_code["active"]:
            return INVALID_CODE
        now = self._clock.now()
        expires_at = promotion_code["expires_at"]
        coupon = self.coupon(promotion_code["promotion"]["coupon"])
        if (expires_at is not None and expires_at <= now) or (
            coupon["redeem_by"] is not None and coupon["redeem_by"] <= now
        ):
            return EXPIRED_CODE
        most = promotion_code["max_redemptions"]
        if (most is not None and promotion_code["times_redeemed"] >= most) or not coupon["valid"]:
            return EXHAUSTED_CODE
        if coupon_discount(coupon, subtotal, currency) is None:
            return INVALID_CODE
        restrictions = promotion_code["restrictions"]
        minimum = restrictions["minimum_amount"]
        if minimum is not None:
            if restrictions["minimum_amount_currency"] != currency:
                return INVALID_CODE
            if subtotal < minimum:
                return BELOW_MINIMUM.format(minimum=format_amount(minimum, currency))
        return None

    def redeem(self, discounts: list[dict[str, Any]]) -> None:
        """A session paid with these discounts: count a use of each coupon and code."""
        for discount in discounts:
            self._state.coupons[discount["coupon"]]["times_redeemed"] += 1
            if discount["promotion_code"]:
                self._state.promotion_codes[discount["promotion_code"]]["times_redeemed"] += 1


def _apply(obj: dict[str, Any], update: Update) -> None:
    """Set the updated fields; metadata merges key by key, an empty value unsets a key."""
    obj.update(update.fields)
    if update.metadata is None:
        return
    if not update.metadata:
        obj["metadata"] = {}
    for key, value in update.metadata.items():
        if value:
            obj["metadata"][key] = value
        else:
            obj["metadata"].pop(key, None)


def _newest_first(url: str, items: list[dict[str, Any]], limit: int) -> dict[str, Any]:
    ordered = sorted(reversed(items), key=lambda item: item["created"], reverse=True)
    return objects.list_object(url, copy.deepcopy(ordered[:limit]), has_more=len(ordered) > limit)
