"""A Checkout Session's life on Stripe's clock: expiring it, its expiry window, expiring on time."""

from __future__ import annotations

import time

import pytest
import stripe

from stripe_simulator import SimulatorApiError
from tests.simulator_support import client_for, session_params

EXPIRED_MESSAGE = 'Only Checkout Sessions with a status in ["open"] can be expired.'


# --- Row 1: only open sessions can be expired -----------------------------------------


def test_expire_closes_the_session_and_sends_the_expired_webhook(sim, sdk, checkout_session):
    expired = sdk.v1.checkout.sessions.expire(
        checkout_session.id, options={"idempotency_key": "cancel-42"}
    )

    assert (expired.status, expired.payment_status, expired.url) == ("expired", "unpaid", None)
    [delivery] = sim.wait_for_deliveries(1)
    assert delivery.event["type"] == "checkout.session.expired"
    assert delivery.event["data"]["object"]["id"] == checkout_session.id
    assert delivery.event["request"] == {
        "id": expired.last_response.request_id,
        "idempotency_key": "cancel-42",
    }


@pytest.mark.parametrize("close", ["expire", "pay"])
def test_row1_expiring_a_session_that_is_not_open_is_a_400(sim, sdk, checkout_session, close):
    getattr(sim, close)(checkout_session.id)
    status = sim.sessions[checkout_session.id]["status"]

    with pytest.raises(stripe.InvalidRequestError) as caught:
        sdk.v1.checkout.sessions.expire(checkout_session.id)

    assert caught.value.http_status == 400
    assert caught.value.user_message == EXPIRED_MESSAGE
    assert sim.sessions[checkout_session.id]["status"] == status
    assert [event["type"] for event in sim.events].count("checkout.session.expired") == (
        1 if close == "expire" else 0
    )


def test_row1_the_expire_knob_refuses_a_closed_session_as_the_api_does(sim, checkout_session):
    sim.expire(checkout_session.id)
    with pytest.raises(SimulatorApiError) as caught:
        sim.expire(checkout_session.id)
    assert (caught.value.status, caught.value.message) == (400, EXPIRED_MESSAGE)


# --- Row 2: expires_at is 30 minutes to 24 hours after the request arrives ---------------


def test_row2_expires_at_exactly_thirty_minutes_ahead_is_accepted(sim, sdk):
    expires_at = int(sim.now()) + 30 * 60
    session = sdk.v1.checkout.sessions.create(params=session_params(expires_at=expires_at))
    assert session.expires_at == expires_at


def test_row2_a_request_one_second_late_at_exactly_thirty_minutes_is_refused(sim, sdk):
    expires_at = int(sim.now()) + 30 * 60
    sim.advance(1)  # the request reaches Stripe a second after the shop computed expires_at

    with pytest.raises(stripe.InvalidRequestError) as caught:
        sdk.v1.checkout.sessions.create(params=session_params(expires_at=expires_at))

    assert caught.value.param == "expires_at"
    assert "between 30 minutes and 24 hours" in caught.value.user_message
    assert sim.sessions == {}


@pytest.mark.parametrize("ahead", [30 * 60 - 1, 24 * 3600 + 1])
def test_row2_expires_at_outside_the_window_is_refused(sim, sdk, ahead):
    with pytest.raises(stripe.InvalidRequestError) as caught:
        sdk.v1.checkout.sessions.create(params=session_params(expires_at=int(sim.now()) + ahead))
    assert caught.value.param == "expires_at"


def test_row2_an_idempotent_replay_is_not_validated_again(sim, sdk):
    params = session_params(expires_at=int(sim.now()) + 30 * 60)
    first = sdk.v1.checkout.sessions.create(params=params, options={"idempotency_key": "k1"})
    sim.advance(60)  # the window has moved past the saved request's expires_at

    again = sdk.v1.checkout.sessions.create(params=params, options={"idempotency_key": "k1"})

    assert again.id == first.id
    assert again.last_response.headers["Idempotent-Replayed"] == "true"


# --- Row 7: Stripe expires sessions on time, by itself ----------------------------------------


def test_row7_a_session_expires_when_its_time_comes_without_being_read(sim, sdk):
    session = sdk.v1.checkout.sessions.create(
        params=session_params(expires_at=int(sim.now()) + 3600)
    )
    sim.advance(3600 - 5)
    assert sim.sessions[session.id]["status"] == "open"

    sim.advance(5)

    stored = sim.sessions[session.id]
    assert (stored["status"], stored["url"]) == ("expired", None)
    [delivery] = sim.wait_for_deliveries(1)
    assert (delivery.event["type"], delivery.status) == ("checkout.session.expired", 200)
    assert delivery.event["request"] == {"id": None, "idempotency_key": None}
    assert len(sim.requests) == 1  # only the create: nobody read the session


def test_row7_the_scheduler_expires_overdue_sessions_as_real_time_passes(sim, checkout_session):
    sim.sessions[checkout_session.id]["expires_at"] = int(sim.now()) - 1

    [delivery] = sim.wait_for_deliveries(1, timeout=2)

    assert delivery.event["type"] == "checkout.session.expired"
    assert sim.sessions[checkout_session.id]["status"] == "expired"


def test_a_session_past_expires_at_reads_as_expired_at_once(sim, sdk, checkout_session):
    # Between two scheduler ticks a read must not see an open session past its time.
    sim.sessions[checkout_session.id]["expires_at"] = int(sim.now()) - 1

    assert sdk.v1.checkout.sessions.retrieve(checkout_session.id).status == "expired"
    assert sdk.v1.checkout.sessions.retrieve(checkout_session.id).status == "expired"
    assert [event["type"] for event in sim.events] == ["checkout.session.expired"]


def test_a_paid_session_never_expires(sim, checkout_session):
    sim.pay(checkout_session.id)
    sim.advance(2 * 24 * 3600)
    assert sim.sessions[checkout_session.id]["status"] == "complete"


# --- The clock ---------------------------------------------------------------------------------


def test_the_clock_is_wall_time_plus_every_advance(sim):
    before = time.time()
    sim.advance(90)
    assert before + 90 <= sim.now() <= time.time() + 90
    with pytest.raises(ValueError):
        sim.advance(-1)


def test_reset_puts_the_clock_back(sim):
    sim.advance(3600)
    sim.reset()
    assert sim.now() == pytest.approx(time.time(), abs=1)


def test_objects_are_stamped_with_stripes_clock(sim):
    sim.advance(7200)
    session = client_for(sim).v1.checkout.sessions.create(params=session_params())
    assert session.created == pytest.approx(time.time() + 7200, abs=2)
