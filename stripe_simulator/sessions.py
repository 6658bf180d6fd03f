"""Checkout Sessions: created by the API, ``open`` until paid (``complete``) or expired.

A session expires when the API or a test says so, or by Stripe itself once
``expires_at`` passes on its clock. Callers hold the simulator's lock.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from stripe_simulator import objects
from stripe_simulator.objects import EventRequest
from stripe_simulator.rules import SessionRequest
from stripe_simulator.state import Clock, State
from stripe_simulator.webhooks import Webhooks
from stripe_simulator.wire import SimulatorApiError, not_found


class Sessions:
    def __init__(
        self, state: State, clock: Clock, webhooks: Webhooks, *, page_url: Callable[[str], str]
    ) -> None:
        self._state = state
        self._clock = clock
        self._webhooks = webhooks
        self._page_url = page_url

    def create(self, request: SessionRequest) -> dict[str, Any]:
        session_id = objects.new_id("cs_test", 58)
        self._state.sessions[session_id] = objects.checkout_session(
            session_id, request, created=int(self._clock.now()), url=self._page_url(session_id)
        )
        self._state.checkouts[session_id] = request
        return self.public(session_id)

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


def close(session: dict[str, Any], status: str) -> None:
    session["status"] = status
    session["url"] = None  # Stripe drops the url once a session is no longer open
