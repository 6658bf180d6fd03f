"""Row 5: Stripe's idempotency, and the failures it exists for (errors, slow and lost answers).

Stripe saves the status and body of the first request for a key once the
endpoint began executing, 5xx errors included, and replays them; a request
that fails validation saves nothing; a second request while the first is still
executing gets a retryable 409.
"""

from __future__ import annotations

import threading
import time

import pytest
import stripe

from tests.simulator_support import client_for, session_params


def create(client, key: str = "k1", **overrides):
    return client.v1.checkout.sessions.create(
        params=session_params(**overrides), options={"idempotency_key": key}
    )


def test_repeated_idempotency_key_replays_the_first_session(sim, sdk):
    first = create(sdk)
    again = create(sdk)

    assert again.id == first.id
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.last_response.headers
    assert list(sim.sessions) == [first.id]


def test_idempotency_key_reused_with_other_params_is_an_error(sim, sdk):
    create(sdk)

    with pytest.raises(stripe.IdempotencyError, match="same parameters"):
        create(sdk, client_reference_id="43")
    assert len(sim.sessions) == 1


def test_keys_belong_to_one_api_key(sim, sdk):
    mine = create(sdk)
    theirs = create(client_for(sim, key="sk_test_another_account"))
    assert theirs.id != mine.id


def test_row5_a_500_is_saved_for_its_key_and_replayed(sim, sdk):
    sim.fail_next(500)
    with pytest.raises(stripe.APIError) as first:
        create(sdk)
    assert first.value.http_status == 500
    assert first.value.headers["Stripe-Should-Retry"] == "false"

    with pytest.raises(stripe.APIError) as again:
        create(sdk)

    assert again.value.http_status == 500
    assert again.value.headers["Idempotent-Replayed"] == "true"
    assert again.value.headers["Stripe-Should-Retry"] == "false"
    assert again.value.json_body == first.value.json_body
    assert sim.sessions == {}
    # Only a new key makes a new attempt.
    assert create(sdk, key="k2").id in sim.sessions


def test_row5_an_sdk_that_retries_does_not_retry_a_saved_500(sim, fast_sdk_retries):
    sim.fail_next(500, count=3)
    with pytest.raises(stripe.APIError):
        create(client_for(sim, retries=2))
    assert len(sim.requests) == 1  # Stripe-Should-Retry: false stopped the SDK


def test_row5_a_refused_request_saves_nothing_for_its_key(sim, sdk):
    with pytest.raises(stripe.InvalidRequestError):
        create(sdk, expires_at=int(sim.now()) + 60)

    # Had the refusal been saved, other parameters with this key would be an IdempotencyError.
    session = create(sdk)
    assert list(sim.sessions) == [session.id]


def test_row5_an_injected_4xx_is_not_saved_but_a_retry_executes(sim, sdk):
    sim.fail_next(429, "invalid_request_error", "Too many requests")
    with pytest.raises(stripe.RateLimitError):
        create(sdk)

    session = create(sdk)
    assert "Idempotent-Replayed" not in session.last_response.headers
    assert list(sim.sessions) == [session.id]


def test_row5_a_second_request_while_the_first_executes_gets_a_retryable_409(sim, sdk):
    sim.delay_seconds = 0.4
    first: list = []
    worker = threading.Thread(target=lambda: first.append(create(sdk)))
    worker.start()
    while not sim.requests:
        time.sleep(0.005)

    with pytest.raises(stripe.APIError) as caught:
        create(sdk)

    assert caught.value.http_status == 409
    assert caught.value.json_body["error"]["code"] == "idempotency_key_in_use"
    assert caught.value.headers["Stripe-Should-Retry"] == "true"
    worker.join()
    sim.delay_seconds = 0
    assert create(sdk).id == first[0].id
    assert len(sim.sessions) == 1


def test_row5_a_lost_answer_is_recovered_by_the_sdks_retry_with_the_same_key(sim, fast_sdk_retries):
    sim.drop_next_response()
    client = client_for(sim, retries=1)

    session = client.v1.checkout.sessions.create(params=session_params())

    first, retry = sim.requests
    assert first.idempotency_key == retry.idempotency_key is not None
    assert session.last_response.headers["Idempotent-Replayed"] == "true"
    assert list(sim.sessions) == [session.id]


def test_losing_first_answers_lets_only_retried_requests_through(sim, fast_sdk_retries):
    sim.lose_first_answers()
    patient, impatient = client_for(sim, retries=1), client_for(sim)

    session = patient.v1.checkout.sessions.create(params=session_params())
    assert patient.v1.checkout.sessions.retrieve(session.id).id == session.id
    with pytest.raises(stripe.APIConnectionError):
        impatient.v1.checkout.sessions.expire(session.id)

    assert [(r.method, r.path) for r in sim.requests] == [
        ("POST", "/v1/checkout/sessions"),
        ("POST", "/v1/checkout/sessions"),
        ("GET", f"/v1/checkout/sessions/{session.id}"),
        ("GET", f"/v1/checkout/sessions/{session.id}"),
        ("POST", f"/v1/checkout/sessions/{session.id}/expire"),
    ]
    assert list(sim.sessions) == [session.id]
    assert sim.sessions[session.id]["status"] == "expired"  # the lost answer's work was done


def test_a_lost_answer_without_retries_is_a_connection_error_but_the_work_is_done(sim, sdk):
    sim.drop_next_response()

    with pytest.raises(stripe.APIConnectionError) as caught:
        create(sdk)

    assert caught.value.should_retry
    assert len(sim.sessions) == 1
    assert create(sdk).id in sim.sessions  # the retry the SDK would have made
    assert len(sim.sessions) == 1


def test_slow_answer_times_out_although_the_session_was_created(sim):
    sim.delay_seconds = 0.4
    slow_client = client_for(sim, timeout=0.1)
    with pytest.raises(stripe.APIConnectionError):
        create(slow_client)
    assert len(sim.sessions) == 1

    # Like Stripe, the work may be done although the answer never arrived; once the
    # first request has finished, a retry with the same key returns that session.
    time.sleep(0.4)
    sim.delay_seconds = 0
    session = create(slow_client)
    assert list(sim.sessions) == [session.id]


def test_keys_are_forgotten_after_a_day(sim, sdk):
    first = create(sdk)
    sim.advance(24 * 3600)
    assert create(sdk).id != first.id


def test_reads_are_not_saved_so_a_failed_read_can_be_retried(sdk, sim, checkout_session):
    sim.fail_next(503)
    with pytest.raises(stripe.APIError) as caught:
        sdk.v1.checkout.sessions.retrieve(checkout_session.id)
    assert "Stripe-Should-Retry" not in caught.value.headers  # the SDK may retry a read

    assert sdk.v1.checkout.sessions.retrieve(checkout_session.id).id == checkout_session.id


def test_fail_next_counts_down(sim, sdk, checkout_session):
    sim.fail_next(500, count=2)
    for _ in range(2):
        with pytest.raises(stripe.APIError):
            sdk.v1.checkout.sessions.retrieve(checkout_session.id)
    assert sdk.v1.checkout.sessions.retrieve(checkout_session.id).id == checkout_session.id
