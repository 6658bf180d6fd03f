"""``StripeSimulator``: the pieces of the offline Stripe put together and served over HTTP."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from stripe_simulator.api import Api
from stripe_simulator.dashboard import Dashboard
from stripe_simulator.disputes import Disputes
from stripe_simulator.faults import Faults
from stripe_simulator.hosted import HostedPage
from stripe_simulator.knobs import TestKnobs
from stripe_simulator.money import DEFAULT_LOCALE
from stripe_simulator.payments import DEFAULT_DELAYED_PAYMENT_SECONDS, Payments
from stripe_simulator.promotions import Promotions
from stripe_simulator.refunds import Refunds
from stripe_simulator.scheduler import TICK_SECONDS, Scheduler
from stripe_simulator.server import SimulatorServer
from stripe_simulator.sessions import Sessions
from stripe_simulator.state import Clock, State
from stripe_simulator.webhooks import DEFAULT_RETRY_DELAYS, Webhooks


class _Delegated:
    """An attribute that lives on one of the simulator's parts (``sim.sessions`` is the state's)."""

    def __init__(self, part: str, name: str) -> None:
        self._part, self._name = part, name

    def __get__(self, simulator: Any, owner: type) -> Any:
        return getattr(getattr(simulator, self._part), self._name)

    def __set__(self, simulator: Any, value: Any) -> None:
        with simulator._lock:  # a request being served reads it under the lock
            setattr(getattr(simulator, self._part), self._name, value)


class StripeSimulator(TestKnobs):
    """Stripe's Checkout Session, PaymentIntent, Charge, Refund, Dispute, Shipping Rate, Coupon
    and Promotion Code APIs, hosted page, Dashboard and webhooks.

    All state lives in memory behind one lock; the HTTP server, the scheduler and
    webhook deliveries run in daemon threads. Tests start it on port 0 and read
    the public containers below; the knobs come from TestKnobs.
    """

    requests = _Delegated("_state", "requests")
    sessions = _Delegated("_state", "sessions")
    payment_intents = _Delegated("_state", "payment_intents")
    refunds = _Delegated("_state", "refunds")
    disputes = _Delegated("_state", "disputes")
    early_fraud_warnings = _Delegated("_state", "early_fraud_warnings")
    shipping_rates = _Delegated("_state", "shipping_rates")
    coupons = _Delegated("_state", "coupons")
    promotion_codes = _Delegated("_state", "promotion_codes")
    events = _Delegated("_state", "events")
    deliveries = _Delegated("_state", "deliveries")
    webhook_url = _Delegated("_webhooks", "url")
    webhook_secret = _Delegated("_webhooks", "secret")
    delay_seconds = _Delegated("_faults", "delay_seconds")
    delayed_payment_seconds = _Delegated("_payments", "delayed_payment_seconds")

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        webhook_url: str | None = None,
        webhook_secret: str | None = None,
        log: Callable[[str], None] | None = None,
        *,
        delayed_payment_seconds: float = DEFAULT_DELAYED_PAYMENT_SECONDS,
        webhook_retry_delays: Sequence[float] = DEFAULT_RETRY_DELAYS,
        tick_seconds: float = TICK_SECONDS,
        locale: str = DEFAULT_LOCALE,
    ) -> None:
        self.host, self.port = host, port
        self._log = log or (lambda message: None)
        self._lock = threading.Condition(threading.RLock())
        self._clock, self._state, self._faults = Clock(), State(), Faults()
        self._webhooks = Webhooks(
            self._state,
            self._clock,
            self._lock,
            url=webhook_url,
            secret=webhook_secret or "",
            retry_delays=webhook_retry_delays,
            log=self._log,
        )
        self._promotions = Promotions(self._state, self._clock)
        self._sessions = Sessions(
            self._state, self._clock, self._webhooks, self._promotions, page_url=self._page_url
        )
        self._payments = Payments(
            self._state, self._clock, self._sessions, self._promotions, delayed_payment_seconds
        )
        self._refunds = Refunds(self._state, self._clock, self._webhooks)
        self._disputes = Disputes(self._state, self._clock, self._webhooks)
        self._api = Api(
            self._lock,
            self._state,
            self._clock,
            self._faults,
            self._sessions,
            self._payments,
            self._refunds,
            self._disputes,
            self._promotions,
        )
        self._hosted = HostedPage(self._lock, self._state, self._sessions, self._payments, locale)
        self._dashboard = Dashboard(self._lock, self._state, self._refunds, self._disputes, locale)
        self._scheduler = Scheduler(
            self._lock,
            self._clock,
            (self._sessions.expire_overdue, self._payments.settle_due, self._webhooks.run_due),
            tick_seconds,
        )
        self._server: SimulatorServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> StripeSimulator:
        """Bind (port 0 picks a free port) and serve from daemon threads."""
        if self._server is not None:
            raise RuntimeError("The simulator is already serving.")
        self._server = SimulatorServer(
            (self.host, self.port), self._api, self._hosted, self._dashboard, self._log
        )
        self.port = self._server.server_address[1]
        self._faults.start()
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": TICK_SECONDS},
            name="stripe-simulator",
            daemon=True,
        )
        self._thread.start()
        self._scheduler.start()
        return self

    def stop(self) -> None:
        self._faults.stop()  # wakes requests held back by delay_seconds
        self._scheduler.stop()
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

    def _page_url(self, session_id: str) -> str:
        return f"{self.api_base}/pay/{session_id}"

    def reset(self) -> None:
        """Forget every object, key, fault and clock change, so one simulator serves many tests.

        Configuration (webhook URL and secret, delays) stays.
        """
        with self._lock:
            self._state.reset()
            self._api.idempotency.clear()
            self._clock.reset()
            self._faults.reset()

    def now(self) -> float:
        """Stripe's clock: wall time plus every ``advance``."""
        return self._clock.now()

    def advance(self, seconds: float) -> None:
        """Move Stripe's clock forward and do at once whatever became due (webhooks follow)."""
        with self._lock:
            self._clock.advance(seconds)
            self._scheduler.run_due()
