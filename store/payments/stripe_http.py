"""The HTTP client the Stripe SDK uses, timing, counting and logging each call.

One log line per attempt (a retry is a line of its own): the endpoint, Stripe's
answer, how long it took, Stripe's request id, and the idempotency key, which
names the order or refund it is for. It is written under the id of the request
being served, so a shop request and the Stripe calls it made can be read
together. Never the body or the headers: they carry the secret key and
customers' details.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Mapping
from urllib.parse import urlsplit

import stripe

from store.telemetry import STRIPE_LATENCY, STRIPE_REQUESTS

logger = logging.getLogger("store.stripe")

# Stripe ids (cs_test_…, pi_…, re_…) in a path become {id}, so endpoints stay a short list.
_OBJECT_ID = re.compile(r"/[a-z]{2,8}_[A-Za-z0-9_]+")


class InstrumentedRequestsClient(stripe.RequestsClient):
    def request(
        self, method: str, url: str, headers: Mapping[str, str] | None, post_data=None
    ) -> tuple[bytes, int, Mapping[str, str]]:
        endpoint = endpoint_of(url)
        started = time.perf_counter()
        status, stripe_request_id = "error", ""
        try:
            content, status_code, response_headers = super().request(
                method, url, headers, post_data
            )
            status = str(status_code)
            stripe_request_id = response_headers.get("Request-Id", "")
            return content, status_code, response_headers
        finally:
            seconds = time.perf_counter() - started
            method = method.upper()
            STRIPE_REQUESTS.labels(method=method, endpoint=endpoint, status=status).inc()
            STRIPE_LATENCY.labels(method=method, endpoint=endpoint).observe(seconds)
            logger.log(
                logging.INFO if status.startswith("2") else logging.WARNING,
                "stripe call",
                extra={
                    "method": method,
                    "endpoint": endpoint,
                    "status": status,
                    "duration_ms": round(seconds * 1000, 1),
                    "stripe_request_id": stripe_request_id,
                    "idempotency_key": (headers or {}).get("Idempotency-Key", ""),
                },
            )


def endpoint_of(url: str) -> str:
    """``/v1/checkout/sessions/{id}/expire`` for any session's expire URL."""
    return _OBJECT_ID.sub("/{id}", urlsplit(url).path)
