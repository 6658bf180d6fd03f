"""Events, and their signed delivery to the shop's endpoint, retried with backoff as Stripe does.

Each attempt runs in its own thread, independent of the browser and of the API
request that caused the event. An attempt that ends in anything but a 2xx (or
no answer within the timeout) is tried again after the next delay of the
schedule, on the simulator's clock; a retry carries the same event, signed anew.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from typing import Any

from stripe_simulator import objects
from stripe_simulator.objects import EventRequest
from stripe_simulator.state import Clock, ScheduledDelivery, State, WebhookDelivery

# Stripe retries for up to three days in live mode, each wait longer than the last.
DEFAULT_RETRY_DELAYS: tuple[float, ...] = (
    60,
    5 * 60,
    30 * 60,
    60 * 60,
    3 * 60 * 60,
    6 * 60 * 60,
    12 * 60 * 60,
    24 * 60 * 60,
    24 * 60 * 60,
)
TIMEOUT = 10  # seconds Stripe waits for an endpoint's answer before counting a failure
USER_AGENT = "Stripe/1.0 (+https://stripe.com/docs/webhooks)"


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


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Stripe does not follow redirects: a 3xx is a failed delivery."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


# No proxy: the shop is a local endpoint, whatever HTTP_PROXY says.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirects)


class Webhooks:
    """The account's events and its one webhook endpoint."""

    def __init__(
        self,
        state: State,
        clock: Clock,
        lock: threading.Condition,
        *,
        url: str | None,
        secret: str,
        retry_delays: Sequence[float],
        log: Callable[[str], None],
    ) -> None:
        self._state = state
        self._clock = clock
        self._lock = lock
        self._log = log
        self.url = url or None
        self.secret = secret
        self.retry_delays = tuple(retry_delays)
        self._in_flight = 0

    def build(
        self,
        event_type: str,
        obj: dict[str, Any],
        *,
        request: EventRequest = None,
        previous_attributes: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        return objects.event(
            event_type,
            obj,
            created=int(self._clock.now()),
            request=request,
            pending_webhooks=1 if self.url else 0,
            previous_attributes=previous_attributes,
        )

    def emit(
        self,
        event_type: str,
        obj: dict[str, Any],
        *,
        request: EventRequest = None,
        previous_attributes: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Record an event and start delivering it; the caller holds the lock."""
        event = self.build(
            event_type, obj, request=request, previous_attributes=previous_attributes
        )
        self._state.events.append(event)
        if self.url:
            self._start(event, attempt=1)
        return event

    def run_due(self, now: float) -> None:
        """Start every retry whose backoff has passed; the caller holds the lock."""
        scheduled = self._state.scheduled_deliveries
        due = [delivery for delivery in scheduled if delivery.due <= now]
        for delivery in due:
            scheduled.remove(delivery)
            if self.url:
                self._start(delivery.event, delivery.attempt)

    def wait_for_deliveries(self, count: int, timeout: float) -> list[WebhookDelivery]:
        with self._lock:
            if not self._lock.wait_for(lambda: len(self._state.deliveries) >= count, timeout):
                raise TimeoutError(
                    f"Expected {count} webhook deliveries, got {len(self._state.deliveries)}."
                )
            return list(self._state.deliveries)

    def wait_until_idle(self, timeout: float) -> None:
        """Block until no attempt is on its way; TimeoutError otherwise."""
        with self._lock:
            if not self._lock.wait_for(lambda: self._in_flight == 0, timeout):
                raise TimeoutError(f"{self._in_flight} webhook attempts still on their way.")

    def _start(self, event: dict[str, Any], attempt: int) -> None:
        # The lists of this moment: after a reset, a late answer lands in the old ones.
        records = (self._state.deliveries, self._state.scheduled_deliveries)
        self._in_flight += 1
        threading.Thread(
            target=self._deliver, args=(event, attempt, self.url, *records), daemon=True
        ).start()

    def _deliver(
        self,
        event: dict[str, Any],
        attempt: int,
        url: str,
        deliveries: list[WebhookDelivery],
        scheduled: list[ScheduledDelivery],
    ) -> None:
        delivery = self._post(event, attempt, url)
        self._log(
            f"webhook {event['type']} {event['id']} attempt {attempt} -> "
            f"{delivery.status or delivery.error} ({url})"
        )
        with self._lock:
            self._in_flight -= 1
            deliveries.append(delivery)
            if not delivery.succeeded and attempt <= len(self.retry_delays):
                due = self._clock.now() + self.retry_delays[attempt - 1]
                scheduled.append(ScheduledDelivery(event, attempt + 1, due))
            self._lock.notify_all()

    def _post(self, event: dict[str, Any], attempt: int, url: str) -> WebhookDelivery:
        body = json.dumps(event).encode()
        # Signed with Stripe's clock at sending time, so a retry carries a new signature.
        signature = sign_payload(body, self.secret, int(self._clock.now()))
        request = urllib.request.Request(
            url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Stripe-Signature": signature,
                "User-Agent": USER_AGENT,
            },
        )
        try:
            with _OPENER.open(request, timeout=TIMEOUT) as response:
                return WebhookDelivery(event, response.status, attempt=attempt)
        except urllib.error.HTTPError as error:
            error.close()
            return WebhookDelivery(event, error.code, attempt=attempt)
        except (OSError, ValueError) as error:
            return WebhookDelivery(event, None, f"{type(error).__name__}: {error}", attempt)
