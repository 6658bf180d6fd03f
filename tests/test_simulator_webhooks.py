"""Signed webhooks, and Row 8: Stripe retries a failed delivery with backoff, signing it anew."""

from __future__ import annotations

import json
import time

import pytest
import stripe

from stripe_simulator import StripeSimulator, sign_payload
from tests.simulator_support import (
    RETRY_DELAYS,
    WEBHOOK_SECRET,
    WebhookReceiver,
    client_for,
    session_params,
)


def signed_at(signature: str) -> int:
    return int(dict(part.split("=", 1) for part in signature.split(","))["t"])


def test_paying_sends_a_signed_webhook(sim, webhook_receiver, checkout_session):
    sim.pay(checkout_session.id)

    [delivery] = sim.wait_for_deliveries(1)
    assert (delivery.status, delivery.error, delivery.attempt) == (200, None, 1)
    [(body, signature)] = webhook_receiver.received
    event = stripe.Webhook.construct_event(body, signature, WEBHOOK_SECRET)
    assert event.type == "checkout.session.completed"
    assert event.id.startswith("evt_") and event.object == "event" and event.livemode is False
    assert event.data.object.id == checkout_session.id
    assert event.data.object.payment_status == "paid"
    assert event.request.id is None  # the shopper paid on the page, not through the API
    assert sim.events == [json.loads(body)]


def test_row8_a_failed_delivery_is_retried_after_its_backoff_and_signed_anew(
    sim, webhook_receiver, checkout_session
):
    webhook_receiver.reset(500)
    sim.pay(checkout_session.id)
    [failed] = sim.wait_for_deliveries(1)
    assert (failed.status, failed.attempt) == (500, 1)

    sim.advance(RETRY_DELAYS[0] - 1)
    assert len(sim.wait_for_deliveries(1)) == 1  # not yet
    sim.advance(1)

    failed, retried = sim.wait_for_deliveries(2)
    assert (retried.status, retried.attempt) == (200, 2)
    assert retried.event["id"] == failed.event["id"]
    (first_body, first_signature), (body, signature) = webhook_receiver.received
    assert body == first_body
    assert signed_at(signature) - signed_at(first_signature) >= RETRY_DELAYS[0]
    assert stripe.Webhook.construct_event(body, signature, WEBHOOK_SECRET).id == failed.event["id"]


def test_row8_retries_stop_at_the_end_of_the_schedule(sim, webhook_receiver, checkout_session):
    webhook_receiver.reset(*[503] * (len(RETRY_DELAYS) + 2))
    sim.pay(checkout_session.id)

    for attempt, delay in enumerate(RETRY_DELAYS, start=1):
        sim.wait_for_deliveries(attempt)
        sim.advance(delay)
    sim.wait_for_deliveries(len(RETRY_DELAYS) + 1)
    sim.advance(10 * 24 * 3600)

    with pytest.raises(TimeoutError):
        sim.wait_for_deliveries(len(RETRY_DELAYS) + 2, timeout=0.3)
    assert [d.attempt for d in sim.deliveries] == [1, 2, 3]
    assert {d.status for d in sim.deliveries} == {503}


def test_row8_retries_happen_by_themselves_as_time_passes():
    receiver = WebhookReceiver().serve_in_background()
    receiver.reset(500, 500)
    try:
        with StripeSimulator(
            webhook_url=receiver.url,
            webhook_secret=WEBHOOK_SECRET,
            webhook_retry_delays=(0.05, 0.05),
        ) as quick:
            session = client_for(quick).v1.checkout.sessions.create(params=session_params())
            quick.pay(session.id)
            deliveries = quick.wait_for_deliveries(3, timeout=2)
    finally:
        receiver.shutdown()
        receiver.server_close()
    assert [(d.attempt, d.status) for d in deliveries] == [(1, 500), (2, 500), (3, 200)]


def test_row8_an_unreachable_endpoint_is_recorded_and_retried(sim):
    sim.webhook_url = "http://127.0.0.1:9/"
    session = client_for(sim).v1.checkout.sessions.create(params=session_params())
    sim.pay(session.id)
    [delivery] = sim.wait_for_deliveries(1)
    sim.advance(RETRY_DELAYS[0])
    _, retry = sim.wait_for_deliveries(2)

    assert delivery.status is None and delivery.error
    assert retry.attempt == 2


def test_reset_drops_the_retries_still_waiting(sim, webhook_receiver, checkout_session):
    webhook_receiver.reset(500)
    sim.pay(checkout_session.id)
    sim.wait_for_deliveries(1)

    sim.reset()
    sim.advance(RETRY_DELAYS[0])

    with pytest.raises(TimeoutError):
        sim.wait_for_deliveries(1, timeout=0.2)


def test_without_a_webhook_url_events_happen_but_nothing_is_sent():
    with StripeSimulator() as unhooked:
        session = client_for(unhooked).v1.checkout.sessions.create(params=session_params())
        assert unhooked.pay(session.id) is True

        [event] = unhooked.events
        assert (event["type"], event["pending_webhooks"]) == ("checkout.session.completed", 0)
        # Had the event been posted anywhere, the attempt would be recorded by now.
        with pytest.raises(TimeoutError):
            unhooked.wait_for_deliveries(1, timeout=0.3)


def test_tamper_changes_what_the_api_and_webhooks_say(sim, sdk, checkout_session):
    sim.tamper(checkout_session.id, amount_total=1, currency="usd")

    retrieved = sdk.v1.checkout.sessions.retrieve(checkout_session.id)
    assert (retrieved.amount_total, retrieved.currency) == (1, "usd")
    assert sim.sessions[checkout_session.id]["amount_total"] == 130000
    sim.pay(checkout_session.id)
    [delivery] = sim.wait_for_deliveries(1)
    assert delivery.event["data"]["object"]["amount_total"] == 1


# --- Events and signatures ------------------------------------------------------------------


def test_build_event_is_stripe_shaped(sim, checkout_session):
    event = sim.build_event("checkout.session.completed", sim.sessions[checkout_session.id])

    assert set(event) == {
        "id", "object", "api_version", "created", "data", "livemode",
        "pending_webhooks", "request", "type",
    }  # fmt: skip
    assert event["data"]["object"]["id"] == checkout_session.id
    assert event["api_version"] == stripe.api_version
    assert event["request"] == {"id": None, "idempotency_key": None}
    assert sim.events == []  # built, not recorded or sent


def test_sign_payload_is_what_construct_event_accepts():
    body = json.dumps({"id": "evt_1", "object": "event", "type": "ping", "data": {"object": {}}})

    header = sign_payload(body.encode(), WEBHOOK_SECRET)

    assert stripe.Webhook.construct_event(body, header, WEBHOOK_SECRET).type == "ping"
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body, header, "whsec_wrong")
    with pytest.raises(stripe.SignatureVerificationError):
        stale = sign_payload(body.encode(), WEBHOOK_SECRET, timestamp=int(time.time()) - 3600)
        stripe.Webhook.construct_event(body, stale, WEBHOOK_SECRET)
