"""What Stripe does by itself, on its clock: expire sessions, settle bank debits, retry webhooks."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from stripe_simulator.state import Clock

TICK_SECONDS = 0.05  # how often due work is looked for; also how fast stop() returns


class Scheduler:
    def __init__(
        self,
        lock: threading.Condition,
        clock: Clock,
        jobs: Sequence[Callable[[float], None]],
        tick_seconds: float = TICK_SECONDS,
    ) -> None:
        self._lock = lock
        self._clock = clock
        self._jobs = tuple(jobs)
        self._tick_seconds = tick_seconds
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def run_due(self) -> None:
        """Do whatever is due now; each job gets the same instant."""
        with self._lock:
            now = self._clock.now()
            for job in self._jobs:
                job(now)

    def start(self) -> None:
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="stripe-scheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        while not self._stopping.wait(self._tick_seconds):
            self.run_due()
