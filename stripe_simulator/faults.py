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
            self._drops_left = 0
            self._lossy = False
            self._answered: set[tuple] = set()

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

    def drop_next_response(self, count: int) -> None:
        with self._lock:
            self._drops_left = count

    def lose_first_answers(self) -> None:
        with self._lock:
            self._lossy = True

    def take_drop(self, request: tuple) -> bool:
        """Whether to lose this answer: a dropped one is due, or it is a first attempt."""
        with self._lock:
            if self._drops_left > 0:
                self._drops_left -= 1
                return True
            if self._lossy and request not in self._answered:
                self._answered.add(request)
                return True
            return False

    def hold(self) -> None:
        """Keep the request executing for ``delay_seconds`` (stop() cuts it short)."""
        self._stopping.wait(self.delay_seconds)

    def start(self) -> None:
        self._stopping = threading.Event()

    def stop(self) -> None:
        self._stopping.set()
