"""What the store does, counted (Prometheus) and written down (one log line per event).

Everything here listens at the edges of the payment code, so that code stays
about payments: the store's signals (a checkout started, paid, ended; an email
queued, sent, refused), the refund rows as they are saved, the webhook view's
answer, and each HTTP call to Stripe (``store.payments.stripe_http``). Log lines
name orders by their public id and Stripe objects by their ids; never card
details, addresses, emails or keys.
"""

from __future__ import annotations

import functools
import json
import logging
import time
from collections.abc import Callable

from django.db import transaction
from django.db.models.signals import post_init, post_save
from django.http import HttpRequest, HttpResponse
from django.http.request import RawPostDataException
from prometheus_client import Counter, Histogram

from store.models import Order, Refund
from store.signals import checkout_ended, checkout_started, order_email_outcome, order_paid

events = logging.getLogger("store.events")

CHECKOUTS = Counter(
    "store_checkouts_total",
    "Checkouts by what happened: started (Checkout Session made), paid, or ended unpaid "
    "(cancelled, expired, failed).",
    ["event"],
)
WEBHOOKS = Counter(
    "store_webhooks_total",
    "Stripe webhooks by event type and outcome (error: processing failed, Stripe retries).",
    ["type", "outcome"],
)
REFUNDS = Counter("store_refunds_total", "Refunds by the status they reached.", ["status"])
EMAILS = Counter(
    "store_emails_total",
    "Order emails queued, sent, and attempts the mail server refused.",
    ["kind", "event"],
)
STRIPE_REQUESTS = Counter(
    "store_stripe_requests_total",
    "HTTP requests to Stripe by endpoint and status (error: no answer).",
    ["method", "endpoint", "status"],
)
STRIPE_LATENCY = Histogram(
    "store_stripe_request_duration_seconds",
    "Time Stripe took to answer, by endpoint.",
    ["method", "endpoint"],
)


def _on_checkout_started(order: Order, **kwargs) -> None:
    CHECKOUTS.labels(event="started").inc()
    events.info(
        "checkout started",
        extra={
            **_order_fields(order),
            "outcome": "started",
            "stripe_session_id": order.stripe_session_id,
        },
    )


def _on_order_paid(order: Order, **kwargs) -> None:
    CHECKOUTS.labels(event="paid").inc()
    extra = {
        **_order_fields(order),
        "outcome": "paid",
        "stripe_session_id": order.stripe_session_id,
        "stripe_payment_intent_id": order.stripe_payment_intent_id,
    }
    if order.paid_at:
        extra["checkout_seconds"] = round((order.paid_at - order.created_at).total_seconds(), 1)
    events.info("checkout paid", extra=extra)


def _on_checkout_ended(order: Order, **kwargs) -> None:
    CHECKOUTS.labels(event=order.status).inc()
    events.info(
        "checkout ended",
        extra={
            **_order_fields(order),
            "outcome": order.status,
            "stripe_session_id": order.stripe_session_id,
            "reason": order.failure_reason,
        },
    )


def _on_email(email, outcome: str, **kwargs) -> None:
    EMAILS.labels(kind=email.kind, event=outcome).inc()


def _remember_refund_status(instance: Refund, **kwargs) -> None:
    instance._status_as_loaded = instance.status if instance.pk else None


def _on_refund_saved(instance: Refund, **kwargs) -> None:
    """A refund reached a status (asked for, pending at Stripe, succeeded, failed): once."""
    if instance.status == getattr(instance, "_status_as_loaded", None):
        return
    instance._status_as_loaded = instance.status
    fields = {
        "order_id": instance.order_id,
        "refund_public_id": str(instance.public_id),
        "stripe_refund_id": instance.stripe_refund_id or "",
        "outcome": instance.status,
        "amount": instance.amount,
        "currency": instance.currency,
    }

    def counted() -> None:
        REFUNDS.labels(status=fields["outcome"]).inc()
        events.info("refund", extra=fields)

    # Counted once committed: a refund asked for is counted as such even if Stripe refuses it.
    transaction.on_commit(counted)


def observe_webhook(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Count and log each webhook by its event and the view's answer."""

    @functools.wraps(view)
    def observed(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        started = time.perf_counter()
        response = view(request, *args, **kwargs)
        seconds = time.perf_counter() - started
        # 200 and 500 come after the signature was checked: the body is Stripe's.
        event = _event_fields(request) if response.status_code in (200, 500) else {}
        outcome = _webhook_outcome(response)
        WEBHOOKS.labels(type=event.get("event_type", "unverified"), outcome=outcome).inc()
        events.log(
            logging.ERROR if outcome == "error" else logging.INFO,
            "webhook",
            extra={
                **event,
                "outcome": outcome,
                "status": response.status_code,
                "duration_ms": round(seconds * 1000, 1),
            },
        )
        return response

    return observed


def _webhook_outcome(response: HttpResponse) -> str:
    if response.status_code == 200:
        try:
            return str(json.loads(response.content)["outcome"])
        except (ValueError, KeyError, TypeError):
            return "received"
    return {400: "invalid", 500: "error", 503: "unconfigured"}.get(response.status_code, "refused")


def _event_fields(request: HttpRequest) -> dict[str, str]:
    try:
        event = json.loads(request.body)
        return {
            "event_id": str(event["id"]),
            "event_type": str(event["type"]),
            "stripe_object_id": str(event["data"]["object"]["id"]),
        }
    except (ValueError, KeyError, TypeError, RawPostDataException):
        return {}


def _order_fields(order: Order) -> dict:
    return {
        "order_id": order.pk,
        "order_public_id": str(order.public_id),
        "amount_total": order.amount_total,
        "currency": order.currency,
    }


checkout_started.connect(_on_checkout_started, weak=False)
order_paid.connect(_on_order_paid, weak=False)
checkout_ended.connect(_on_checkout_ended, weak=False)
order_email_outcome.connect(_on_email, weak=False)
post_init.connect(_remember_refund_status, sender=Refund, weak=False)
post_save.connect(_on_refund_saved, sender=Refund, weak=False)
