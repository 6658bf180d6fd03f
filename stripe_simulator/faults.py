"""What can go wrong between the shop and Stripe, on demand: errors, slow answers, lost answers."""

from __future__ import annotations

import threading

from stripe_simulator.wire import SimulatorApiError

INJECTED_MESSAGE = "The offline Stripe simulator was told to fail this request."


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.delay_seconds = 0.0
            self._failure: SimulatorApiError | None = None
            self._failures_left = 0
            # Answers to lose, per endpoint ("POST /v1/refunds"), None for any endpoint.
            self._drops: dict[str | None, int] = {}
            self._lossy = False
            self._answered: set[tuple] = set()
            # Per endpoint ("POST /v1/refunds"), how long each of its next calls hangs.
            self._hangs: dict[str, list[float]] = {}

    def fail_next(self, status: int, error_type: str, message: str, count: int) -> None:
        with self._lock:
            self._failure = SimulatorApiError(status, message, error_type=error_type)
            self._failures_left = count

    def take_failure(self) -> SimulatorApiError | None:
        with self._lock:
            if self._failures_left <= 0:
                return None
            self._failures_left -= 1
            return self._failure

    def drop_next_response(self, count: int, endpoint: str | None = None) -> None:
        with self._lock:
            self._drops[endpoint] = count

    def lose_first_answers(self) -> None:
        with self._lock:
            self._lossy = True

    def take_drop(self, request: tuple, endpoint: str) -> bool:
        """Whether to lose this answer: a dropped one is due, or it is a first attempt."""
        with self._lock:
            for due in (endpoint, None):
                if self._drops.get(due, 0) > 0:
                    self._drops[due] -= 1
                    return True
            if self._lossy and request not in self._answered:
                self._answered.add(request)
                return True
            return False

    def hang_next(self, endpoint: str, seconds: float, count: int) -> None:
        with self._lock:
            self._hangs.setdefault(endpoint, []).extend([seconds] * count)

    def hold(self, endpoint: str) -> None:
        """Keep the request executing for ``delay_seconds``, plus a hang due for its endpoint
        (stop() cuts it short)."""
        with self._lock:
            hangs = self._hangs.get(endpoint)
            hang = hangs.pop(0) if hangs else 0.0
        self._stopping.wait(self.delay_seconds + hang)

    def start(self) -> None:
        self._stopping = threading.Event()

    def stop(self) -> None:
        self._stopping.set()
