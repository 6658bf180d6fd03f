"""What the simulated Stripe account holds: its clock, its objects, its saved idempotent responses.

Everything here is plain data guarded by the simulator's one lock: callers hold
it. Tests read the containers directly (``sim.sessions``, ``sim.refunds``).
"""

from __future__ import annotations

import enum
import time
from dataclasses import dataclass, field
from typing import Any

from stripe_simulator.rules import SessionRequest

IDEMPOTENCY_KEY_LIFETIME = 24 * 60 * 60  # Stripe prunes keys once they are a day old


class Clock:
    """Stripe's clock: wall time plus however far tests have moved it forward."""

    def __init__(self) -> None:
        self._offset = 0.0

    def now(self) -> float:
        return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("Stripe's clock only moves forward.")
        self._offset += seconds

    def reset(self) -> None:
        self._offset = 0.0


@dataclass(frozen=True)
class RecordedRequest:
    """One API request as the simulator received it, for tests to inspect."""

    method: str
    path: str
    params: dict[str, Any]
    idempotency_key: str | None
    api_key: str | None
    id: str


@dataclass(frozen=True)
class WebhookDelivery:
    """One webhook attempt: the endpoint's status code, or why it was not reached."""

    event: dict[str, Any]
    status: int | None
    error: str | None = None
    attempt: int = 1

    @property
    def succeeded(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass(frozen=True)
class ScheduledDelivery:
    """A webhook attempt waiting for its backoff to pass (simulator clock)."""

    event: dict[str, Any]
    attempt: int
    due: float


@dataclass(frozen=True)
class ScheduledSettlement:
    """A bank debit that settles at ``due``, succeeding or failing."""

    due: float
    succeeds: bool


@dataclass
class State:
    """The account's objects.

    ``reset`` replaces every container rather than clearing it, so a webhook
    still in flight from an earlier test lands in the old list.
    """

    requests: list[RecordedRequest] = field(default_factory=list)
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    # The accepted create request per session: its lines, what its page collects.
    checkouts: dict[str, SessionRequest] = field(default_factory=dict)
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    payment_intents: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    disputes: dict[str, dict[str, Any]] = field(default_factory=dict)
    early_fraud_warnings: dict[str, dict[str, Any]] = field(default_factory=dict)
    shipping_rates: dict[str, dict[str, Any]] = field(default_factory=dict)
    coupons: dict[str, dict[str, Any]] = field(default_factory=dict)
    promotion_codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    deliveries: list[WebhookDelivery] = field(default_factory=list)
    scheduled_deliveries: list[ScheduledDelivery] = field(default_factory=list)
    settlements: dict[str, ScheduledSettlement] = field(default_factory=dict)
    # How many of the next refunds start pending (a test's knob).
    pending_refunds_next: int = 0

    def reset(self) -> None:
        for name, value in vars(State()).items():
            setattr(self, name, value)


# --- Idempotency -------------------------------------------------------------------


class Claim(enum.Enum):
    """What an idempotency key means for a request that carries it."""

    NEW = "new"  # first use: execute, then save the result
    REPLAY = "replay"  # finished before: answer with the saved response
    IN_FLIGHT = "in_flight"  # the first request is still executing: 409
    MISMATCH = "mismatch"  # used before with other parameters: 400


@dataclass(frozen=True)
class SavedResponse:
    status: int
    body: dict[str, Any]


@dataclass
class IdempotencyEntry:
    """One key's first request: what it asked, when, and (once finished) its saved response."""

    fingerprint: tuple[Any, ...]
    started: float
    response: SavedResponse | None = None


class IdempotencyStore:
    """Stripe's idempotency layer: the first response for a key, replayed for a day."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._entries: dict[tuple[str | None, str], IdempotencyEntry] = {}

    def claim(
        self, scope: tuple[str | None, str], fingerprint: tuple[Any, ...]
    ) -> tuple[Claim, IdempotencyEntry]:
        """Mark the key as executing if it is new; otherwise say what it already holds.

        The entry returned is the one to ``save`` into or ``release``: after a reset,
        a request still executing finishes into an entry nobody reads.
        """
        entry = self._entries.get(scope)
        if entry is None or entry.started + IDEMPOTENCY_KEY_LIFETIME <= self._clock.now():
            entry = self._entries[scope] = IdempotencyEntry(fingerprint, self._clock.now())
            return Claim.NEW, entry
        if entry.fingerprint != fingerprint:
            return Claim.MISMATCH, entry
        if entry.response is None:
            return Claim.IN_FLIGHT, entry
        return Claim.REPLAY, entry

    @staticmethod
    def save(entry: IdempotencyEntry, response: SavedResponse) -> None:
        entry.response = response

    def release(self, scope: tuple[str | None, str], entry: IdempotencyEntry) -> None:
        """Forget a claim whose request never began executing (it failed validation)."""
        if self._entries.get(scope) is entry:
            del self._entries[scope]

    def clear(self) -> None:
        self._entries.clear()
