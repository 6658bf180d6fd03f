"""Stripe's webhooks: signed, deduplicated, processed with their effect, retried on failure."""

from __future__ import annotations

import json
import time
import uuid
from unittest import mock

import pytest
import stripe
from django.db import DatabaseError

from store.models import Order, WebhookEvent
from stripe_simulator import sign_payload
from tests.conftest import quantity_field

WEBHOOK_URL = "/stripe/webhook/"
# Stripe's default tolerance is five minutes.
STALE = 6 * 60


@pytest.fixture
def pending_order(client, products, stripe_sim) -> Order:
    """A Cap ordered through the shop; the shopper is now on Stripe's page."""
    client.post("/checkout/", {"form_token": str(uuid.uuid4()), quantity_field(products[2]): "1"})
    return Order.objects.get()


def event_for(stripe_sim, event_type: str, order: Order) -> dict:
    return stripe_sim.build_event(event_type, stripe_sim.sessions[order.stripe_session_id])


def deliver(client, event: dict | bytes, *, secret: str | None = None, timestamp=None, **headers):
    body = event if isinstance(event, bytes) else json.dumps(event).encode()
    signature = sign_payload(body, secret or "whsec_test_secret", timestamp)
    headers.setdefault("HTTP_STRIPE_SIGNATURE", signature)
    return client.post(WEBHOOK_URL, data=body, content_type="application/json", **headers)


def test_a_completed_session_delivered_five_times_is_paid_once(
    client, pending_order, stripe_sim, paid_signals, django_capture_on_commit_callbacks
):
    stripe_sim.pay(pending_order.stripe_session_id)
    event = event_for(stripe_sim, "checkout.session.completed", pending_order)

    with django_capture_on_commit_callbacks(execute=True):
        outcomes = [deliver(client, event).json()["outcome"] for _ in range(5)]

    assert outcomes == ["paid", "duplicate", "duplicate", "duplicate", "duplicate"]
    pending_order.refresh_from_db()
    assert pending_order.status == "paid"
    assert paid_signals == [pending_order.pk]
    record = WebhookEvent.objects.get()
    assert (record.event_id, record.outcome, record.attempts) == (event["id"], "paid", 1)
    assert record.object_id == pending_order.stripe_session_id


def test_async_payment_succeeded_pays_the_order(client, pending_order, stripe_sim):
    stripe_sim.pay(pending_order.stripe_session_id)
    event = event_for(stripe_sim, "checkout.session.async_payment_succeeded", pending_order)
    assert deliver(client, event).json()["outcome"] == "paid"
    assert Order.objects.get().status == "paid"


def test_the_webhook_rereads_the_session_instead_of_trusting_the_event(
    client, pending_order, stripe_sim
):
    # An event claiming "paid" for a session Stripe says is unpaid changes nothing.
    session = dict(stripe_sim.sessions[pending_order.stripe_session_id], payment_status="paid")
    event = stripe_sim.build_event("checkout.session.completed", session)
    assert deliver(client, event).json()["outcome"] == "awaiting_payment"
    assert Order.objects.get().status == "pending"


def test_a_delayed_payment_is_processing_until_it_succeeds(
    dollar_shop, client, pending_order, stripe_sim
):
    stripe_sim.pay_delayed(pending_order.stripe_session_id, succeed=True)
    completed = event_for(stripe_sim, "checkout.session.completed", pending_order)
    assert deliver(client, completed).json()["outcome"] == "processing"
    order = Order.objects.get()
    assert (order.status, order.payment_processing) == ("pending", True)

    stripe_sim.settle(pending_order.stripe_session_id)
    succeeded = event_for(stripe_sim, "checkout.session.async_payment_succeeded", pending_order)

    assert deliver(client, succeeded).json()["outcome"] == "paid"
    order.refresh_from_db()
    assert (order.status, order.payment_processing) == ("paid", False)


def test_a_delayed_payment_that_fails_fails_the_order(
    dollar_shop, client, pending_order, stripe_sim
):
    stripe_sim.pay_delayed(pending_order.stripe_session_id, succeed=False)
    deliver(client, event_for(stripe_sim, "checkout.session.completed", pending_order))
    stripe_sim.settle(pending_order.stripe_session_id)
    event = event_for(stripe_sim, "checkout.session.async_payment_failed", pending_order)

    assert deliver(client, event).json()["outcome"] == "failed"
    order = Order.objects.get()
    assert order.status == "failed"
    assert order.failure_reason.startswith("The payment failed: ")


def test_a_failure_event_for_a_payment_stripe_still_has_open_changes_nothing(
    client, pending_order, stripe_sim
):
    event = event_for(stripe_sim, "checkout.session.async_payment_failed", pending_order)
    assert deliver(client, event).json()["outcome"] == "awaiting_payment"
    assert Order.objects.get().status == "pending"


def test_expired_marks_a_pending_order_expired(client, pending_order, stripe_sim):
    stripe_sim.expire(pending_order.stripe_session_id)
    event = event_for(stripe_sim, "checkout.session.expired", pending_order)
    assert deliver(client, event).json()["outcome"] == "expired"
    assert Order.objects.get().status == "expired"


def test_expired_after_paid_changes_nothing(client, pending_order, stripe_sim):
    stripe_sim.pay(pending_order.stripe_session_id)
    deliver(client, event_for(stripe_sim, "checkout.session.completed", pending_order))
    paid_at = Order.objects.get().paid_at
    late = event_for(stripe_sim, "checkout.session.expired", pending_order)
    late["data"]["object"]["status"] = "expired"

    assert deliver(client, late).json()["outcome"] == "already_paid"
    order = Order.objects.get()
    assert (order.status, order.paid_at) == ("paid", paid_at)


def test_failed_after_paid_changes_nothing(client, pending_order, stripe_sim):
    stripe_sim.pay(pending_order.stripe_session_id)
    deliver(client, event_for(stripe_sim, "checkout.session.completed", pending_order))
    deliver(client, event_for(stripe_sim, "checkout.session.async_payment_failed", pending_order))
    assert Order.objects.get().status == "paid"


def test_other_event_types_are_acknowledged_and_ignored(client, pending_order, stripe_sim):
    event = event_for(stripe_sim, "customer.created", pending_order)
    response = deliver(client, event)
    assert (response.status_code, response.json()["outcome"]) == (200, "ignored")
    assert Order.objects.get().status == "pending"


def test_a_session_that_is_not_ours_is_acknowledged(client, db, stripe_sim):
    foreign = _foreign_session(stripe_sim, metadata={})
    response = deliver(client, stripe_sim.build_event("checkout.session.completed", foreign))
    assert (response.status_code, response.json()["outcome"]) == (200, "not_ours")


def test_another_integrations_session_with_a_plain_order_id_is_not_ours(client, db, stripe_sim):
    """Issue 9: another integration's `order_id`/`client_reference_id` used to give 500 forever."""
    foreign = _foreign_session(
        stripe_sim, metadata={"order_id": "1"}, client_reference_id="user_42"
    )
    response = deliver(client, stripe_sim.build_event("checkout.session.completed", foreign))
    assert (response.status_code, response.json()["outcome"]) == (200, "not_ours")
    assert WebhookEvent.objects.get().processed_at is not None


def test_a_session_naming_an_order_we_do_not_have_is_acknowledged(client, db, stripe_sim, caplog):
    missing = _foreign_session(stripe_sim, metadata={"mini_store_order": str(uuid.uuid4())})
    response = deliver(client, stripe_sim.build_event("checkout.session.completed", missing))
    assert (response.status_code, response.json()["outcome"]) == (200, "not_ours")
    assert "names an order this shop does not have" in caplog.text


@pytest.mark.parametrize(
    "body",
    [
        b"[1, 2]",
        b'"an event"',
        b"null",
        b'{"id": "evt_1"}',
        b'{"id": "evt_1", "type": "checkout.session.completed"}',
        b'{"id": "evt_1", "type": "checkout.session.completed", "data": []}',
        b'{"id": "evt_1", "type": "checkout.session.completed", "data": {"object": {}}}',
        b'{"type": "checkout.session.completed", "data": {"object": {"id": "cs_test_1"}}}',
    ],
    ids=[
        "array",
        "string",
        "null",
        "no-type",
        "no-data",
        "data-not-object",
        "no-id",
        "no-event-id",
    ],
)
def test_signed_but_malformed_events_get_a_400_json_answer(client, db, body):
    response = deliver(client, body)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"].startswith("invalid webhook")
    assert WebhookEvent.objects.count() == 0


def _foreign_session(stripe_sim, metadata: dict, **params) -> dict:
    """A paid session created straight at 'Stripe', by something other than this shop."""
    other_shop = stripe.StripeClient(
        "sk_test_other_shop", base_addresses={"api": stripe_sim.api_base}
    )
    session = other_shop.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": "inr",
                        "unit_amount": 5000,
                        "product_data": {"name": "Elsewhere"},
                    },
                }
            ],
            "metadata": metadata,
            "success_url": "https://elsewhere.example/ok",
            "cancel_url": "https://elsewhere.example/no",
            **params,
        }
    )
    stripe_sim.pay(session.id)
    return stripe_sim.sessions[session.id]


def test_a_processing_failure_returns_500_keeps_the_error_and_a_retry_succeeds(
    client, pending_order, stripe_sim
):
    stripe_sim.pay(pending_order.stripe_session_id)
    event = event_for(stripe_sim, "checkout.session.completed", pending_order)

    with mock.patch.object(Order, "mark_paid", side_effect=DatabaseError("disk full")):
        failed = deliver(client, event)

    assert failed.status_code == 500
    record = WebhookEvent.objects.get()
    assert record.processed_at is None
    assert "disk full" in record.error and record.attempts == 1
    assert Order.objects.get().status == "pending"

    retried = deliver(client, event)

    assert (retried.status_code, retried.json()["outcome"]) == (200, "paid")
    record.refresh_from_db()
    assert record.processed_at is not None and record.error == "" and record.attempts == 2
    assert Order.objects.get().status == "paid"


def test_stripe_unreachable_while_processing_is_retried(client, pending_order, stripe_sim):
    stripe_sim.pay(pending_order.stripe_session_id)
    event = event_for(stripe_sim, "checkout.session.completed", pending_order)
    stripe_sim.fail_next(500)
    assert deliver(client, event).status_code == 500
    assert deliver(client, event).json()["outcome"] == "paid"


@pytest.mark.parametrize(
    "case",
    [
        "wrong secret",
        "stale timestamp",
        "tampered body",
        "missing header",
        "garbage header",
        "not json",
    ],
)
def test_unverifiable_deliveries_are_refused_and_change_nothing(
    client, pending_order, stripe_sim, case
):
    stripe_sim.pay(pending_order.stripe_session_id)
    event = event_for(stripe_sim, "checkout.session.completed", pending_order)
    body = json.dumps(event).encode()
    if case == "wrong secret":
        response = deliver(client, body, secret="whsec_somebody_else")
    elif case == "stale timestamp":
        response = deliver(client, body, timestamp=int(time.time()) - STALE)
    elif case == "tampered body":
        signature = sign_payload(body, "whsec_test_secret")
        tampered = body.replace(b'"livemode": false', b'"livemode": true')
        response = deliver(client, tampered, HTTP_STRIPE_SIGNATURE=signature)
    elif case == "missing header":
        response = client.post(WEBHOOK_URL, data=body, content_type="application/json")
    elif case == "garbage header":
        response = deliver(client, body, HTTP_STRIPE_SIGNATURE="t=1,v1=nope")
    else:
        response = deliver(client, b"this is not json")

    assert response.status_code == 400
    assert WebhookEvent.objects.count() == 0
    assert Order.objects.get().status == "pending"


def test_without_a_webhook_secret_every_delivery_is_refused(
    client, pending_order, stripe_sim, settings, caplog
):
    settings.STRIPE_WEBHOOK_SECRET = ""
    stripe_sim.pay(pending_order.stripe_session_id)
    event = event_for(stripe_sim, "checkout.session.completed", pending_order)
    response = deliver(client, event)
    assert response.status_code == 503
    assert "STRIPE_WEBHOOK_SECRET is not configured" in caplog.text
    assert Order.objects.get().status == "pending"


def test_the_webhook_only_accepts_post(client, db):
    assert client.get(WEBHOOK_URL).status_code == 405


# --- Hostile bodies and objects nobody knows (issue 20) ---------------------------------


def _event_around(nested: bytes) -> bytes:
    return (
        b'{"id": "evt_deep", "object": "event", "type": "checkout.session.completed", '
        b'"data": {"object": {"id": "cs_test_deep", "metadata": {"x": ' + nested + b"}}}}"
    )


def test_a_signed_body_nested_5000_deep_answers_400_without_parsing_it(client, db):
    response = deliver(client, _event_around(b"[" * 5000 + b"]" * 5000))

    assert response.status_code == 400
    assert response.json()["error"] == "invalid webhook: JSON nested deeper than 64 levels"
    assert WebhookEvent.objects.count() == 0


def test_brackets_inside_strings_do_not_count_as_nesting(client, pending_order, stripe_sim):
    stripe_sim.pay(pending_order.stripe_session_id)
    event = event_for(stripe_sim, "checkout.session.completed", pending_order)
    event["data"]["object"]["metadata"]["note"] = '[{"\\"' * 5000

    assert deliver(client, event).json()["outcome"] == "paid"


@pytest.mark.parametrize("size", [1024 * 1024 + 1, 3 * 1024 * 1024], ids=["1 MiB", "3 MiB"])
def test_a_signed_body_over_a_megabyte_answers_400(client, db, size):
    body = _event_around(b'"' + b"x" * size + b'"')

    response = deliver(client, body)

    assert response.status_code == 400
    assert response.json()["error"].startswith("invalid webhook: body larger than")
    assert WebhookEvent.objects.count() == 0


def test_an_event_for_a_session_nobody_knows_is_acknowledged_once_and_logged(
    client, db, stripe_sim, caplog
):
    """Issue 20: Stripe answered "no such checkout.session", which gave 500s for three days."""
    ghost = {"id": "cs_test_nobody_made_this", "object": "checkout.session"}
    event = stripe_sim.build_event("checkout.session.completed", ghost)

    first, again = deliver(client, event), deliver(client, event)

    assert (first.status_code, first.json()["outcome"]) == (200, "unknown")
    assert again.json()["outcome"] == "duplicate"
    record = WebhookEvent.objects.get()
    assert (record.outcome, record.attempts, record.error) == ("unknown", 1, "")
    logged = [r for r in caplog.records if "neither Stripe nor the shop knows" in r.getMessage()]
    assert [(r.stripe_object, r.object_id) for r in logged] == [
        ("checkout session", "cs_test_nobody_made_this")
    ]


def test_an_event_for_a_refund_nobody_knows_is_acknowledged(client, db, stripe_sim):
    ghost = {"id": "re_nobody_made_this", "object": "refund", "payment_intent": "pi_x"}
    response = deliver(client, stripe_sim.build_event("refund.updated", ghost))
    assert (response.status_code, response.json()["outcome"]) == (200, "unknown")


def test_a_session_stripe_lost_but_an_order_names_is_retried_not_acknowledged(
    client, pending_order, stripe_sim
):
    """Stripe answering "no such session" for one of our orders means the shop is talking to
    the wrong account (its key): Stripe must retry once that is fixed, and staff see why."""
    session = stripe_sim.sessions[pending_order.stripe_session_id]
    event = stripe_sim.build_event("checkout.session.completed", session)
    stripe_sim.reset()  # Stripe (this account) no longer has the session

    response = deliver(client, event)

    assert response.status_code == 500
    assert "check the keys" in WebhookEvent.objects.get().error
    assert Order.objects.get().status == "pending"
