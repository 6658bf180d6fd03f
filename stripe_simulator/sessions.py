"""Checkout Sessions: created by the API, ``open`` until paid (``complete``) or expired.

A session expires when the API or a test says so, or by Stripe itself once
``expires_at`` passes on its clock. While open, the shopper may choose another of
its shipping options and apply or remove a promotion code (when it allows them);
its totals follow. Callers hold the simulator's lock.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from stripe_simulator import objects
from stripe_simulator.objects import EventRequest
from stripe_simulator.promotions import Promotions
from stripe_simulator.rules import Discount, SessionRequest, ShippingOption
from stripe_simulator.state import Clock, State
from stripe_simulator.totals import coupon_discount, set_amounts
from stripe_simulator.webhooks import Webhooks
from stripe_simulator.wire import SimulatorApiError, invalid, not_found


class Sessions:
    def __init__(
        self,
        state: State,
        clock: Clock,
        webhooks: Webhooks,
        promotions: Promotions,
        *,
        page_url: Callable[[str], str],
    ) -> None:
        self._state = state
        self._clock = clock
        self._webhooks = webhooks
        self._promotions = promotions
        self._page_url = page_url

    def create(self, request: SessionRequest) -> dict[str, Any]:
        """The session, its first shipping option chosen, its discount (if any) applied."""
        discounts = [
            self._discount(discount, f"discounts[{index}]", request)
            for index, discount in enumerate(request.discounts)
        ]
        for index, option in enumerate(request.shipping_options):
            self._check_shipping_currency(option, f"shipping_options[{index}]", request.currency)
        options = [self._shipping_option(option) for option in request.shipping_options]
        session_id = objects.new_id("cs_test", 58)
        session = objects.checkout_session(
            session_id, request, created=int(self._clock.now()), url=self._page_url(session_id)
        )
        session |= {"shipping_options": options, "discounts": discounts}
        self._state.sessions[session_id] = session
        self._state.checkouts[session_id] = request
        self._reprice(session, options[0]["shipping_rate"] if options else None)
        return self.public(session_id)

    def _discount(self, discount: Discount, param: str, request: SessionRequest) -> dict[str, Any]:
        if discount.coupon is not None:
            coupon = self._promotions.coupon(discount.coupon, f"{param}[coupon]")
            if not coupon["valid"]:
                raise invalid(f"{param}[coupon]", f"Coupon {coupon['id']} is no longer valid.")
            if coupon_discount(coupon, request.total, request.currency) is None:
                raise invalid(
                    f"{param}[coupon]",
                    f"The coupon's currency ({coupon['currency']}) must match the Checkout "
                    f"Session's currency ({request.currency}).",
                )
            return {"coupon": coupon["id"], "promotion_code": None}
        param = f"{param}[promotion_code]"
        promotion_code = self._promotions.promotion_code(discount.promotion_code, param)
        problem = self._promotions.refusal(promotion_code, request.total, request.currency)
        if problem:
            code = promotion_code["code"]
            raise invalid(param, f"Promotion code {code} cannot be used: {problem}")
        return {
            "coupon": promotion_code["promotion"]["coupon"],
            "promotion_code": promotion_code["id"],
        }

    def _check_shipping_currency(self, option: ShippingOption, param: str, currency: str) -> None:
        if option.shipping_rate_data is not None:
            rate_currency = option.shipping_rate_data.currency
        else:
            rate = self._promotions.shipping_rate(option.shipping_rate, f"{param}[shipping_rate]")
            rate_currency = rate["fixed_amount"]["currency"]
        if rate_currency != currency:
            raise invalid(
                param,
                f"The currency of {param} ({rate_currency}) must match the currency of the "
                f"Checkout Session ({currency}).",
            )

    def _shipping_option(self, option: ShippingOption) -> dict[str, Any]:
        if option.shipping_rate_data is not None:
            rate = self._promotions.create_shipping_rate(option.shipping_rate_data)
        else:
            rate = self._promotions.shipping_rate(option.shipping_rate)
        return {"shipping_amount": rate["fixed_amount"]["amount"], "shipping_rate": rate["id"]}

    def _reprice(self, session: dict[str, Any], shipping_rate: str | None) -> None:
        request = self._state.checkouts[session["id"]]
        discount = 0
        for applied in session["discounts"]:
            coupon = self._promotions.coupon(applied["coupon"])
            discount += coupon_discount(coupon, request.total, request.currency) or 0
        chosen = next(
            (
                option
                for option in session["shipping_options"]
                if option["shipping_rate"] == shipping_rate
            ),
            None,
        )
        set_amounts(session, subtotal=request.total, discount=discount, shipping=chosen)

    # What the shopper changes on the hosted page

    def choose_shipping(self, session_id: str, shipping_rate: str) -> None:
        session = self._open(session_id)
        offered = [option["shipping_rate"] for option in session["shipping_options"]]
        if shipping_rate not in offered:
            raise ValueError(f"{shipping_rate!r} is not one of this session's shipping options.")
        self._reprice(session, shipping_rate)

    def apply_promotion_code(self, session_id: str, code: str) -> str | None:
        """Apply the code a shopper typed; what the page says if it is refused (nothing changes)."""
        session = self._open(session_id)
        request = self._state.checkouts[session_id]
        if not request.allow_promotion_codes:
            raise ValueError(f"Checkout Session {session_id} does not take promotion codes.")
        promotion_code = self._promotions.find_code(code)
        problem = self._promotions.refusal(promotion_code, request.total, request.currency)
        if problem:
            return problem
        session["discounts"] = [
            {
                "coupon": promotion_code["promotion"]["coupon"],
                "promotion_code": promotion_code["id"],
            }
        ]
        self._reprice(session, _chosen_rate(session))
        return None

    def remove_promotion_code(self, session_id: str) -> None:
        session = self._open(session_id)
        if self._state.checkouts[session_id].allow_promotion_codes:
            session["discounts"] = []
            self._reprice(session, _chosen_rate(session))

    def recheck_promotion_code(self, session_id: str) -> str | None:
        """Just before paying: a code used up (or expired) meanwhile comes off; say why."""
        session = self.session(session_id)
        if session["status"] != "open":
            return None  # paying it will say so
        request = self._state.checkouts[session_id]
        for applied in session["discounts"]:
            if applied["promotion_code"]:
                promotion_code = self._promotions.promotion_code(applied["promotion_code"])
                problem = self._promotions.refusal(promotion_code, request.total, request.currency)
                if problem:
                    session["discounts"] = []
                    self._reprice(session, _chosen_rate(session))
                    return problem
        return None

    def applied_code(self, session_id: str) -> str | None:
        """The promotion code on the session, as the shopper would type it."""
        for applied in self.session(session_id)["discounts"]:
            if applied["promotion_code"]:
                return self._promotions.promotion_code(applied["promotion_code"])["code"]
        return None

    def shipping_rates(self, session_id: str) -> list[dict[str, Any]]:
        """The shipping rate objects the session offers, in its order."""
        return [
            self._promotions.shipping_rate(option["shipping_rate"])
            for option in self.session(session_id)["shipping_options"]
        ]

    def _open(self, session_id: str) -> dict[str, Any]:
        session = self.session(session_id)
        if session["status"] != "open":
            raise ValueError(f"Checkout Session {session_id} is {session['status']}, not open.")
        return session

    def session(self, session_id: str) -> dict[str, Any]:
        """The stored session, expired first if its time has passed and no tick caught it yet."""
        session = self._state.sessions.get(session_id)
        if session is None:
            raise not_found("checkout.session", session_id, "session")
        if _overdue(session, self._clock.now()):
            self._expire(session, None)
        return session

    def public(self, session_id: str) -> dict[str, Any]:
        """What the API says: a copy of the session, with any fields a test tampered with."""
        return copy.deepcopy(self._as_told(self.session(session_id)))

    def _as_told(self, session: dict[str, Any]) -> dict[str, Any]:
        """The session with a test's tampered fields on top (not a copy: events copy it)."""
        return session | self._state.overrides.get(session["id"], {})

    def expire(self, session_id: str, request: EventRequest) -> dict[str, Any]:
        session = self.session(session_id)
        if session["status"] != "open":
            raise SimulatorApiError(
                HTTPStatus.BAD_REQUEST,
                'Only Checkout Sessions with a status in ["open"] can be expired.',
                param="session",
            )
        self._expire(session, request)
        return self.public(session_id)

    def expire_overdue(self, now: float) -> None:
        """What Stripe does by itself once ``expires_at`` passes."""
        for session in list(self._state.sessions.values()):
            if _overdue(session, now):
                self._expire(session, None)

    def emit(self, event_type: str, session_id: str) -> None:
        self._webhooks.emit(event_type, self._as_told(self.session(session_id)))

    def _expire(self, session: dict[str, Any], request: EventRequest) -> None:
        close(session, "expired")
        self._webhooks.emit("checkout.session.expired", self._as_told(session), request=request)


def _overdue(session: dict[str, Any], now: float) -> bool:
    return session["status"] == "open" and session["expires_at"] <= now


def _chosen_rate(session: dict[str, Any]) -> str | None:
    return session["shipping_cost"]["shipping_rate"] if session["shipping_cost"] else None


def close(session: dict[str, Any], status: str) -> None:
    session["status"] = status
    session["url"] = None  # Stripe drops the url once a session is no longer open
