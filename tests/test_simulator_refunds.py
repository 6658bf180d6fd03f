"""Refunds: Stripe's rules through the API, the Dashboard's refunds, and the events both send."""

from __future__ import annotations

import pytest
import stripe

from stripe_simulator import SimulatorApiError
from tests.simulator_support import browse, session_params


@pytest.fixture
def paid_intent(sim, checkout_session) -> str:
    """The PaymentIntent of a paid ₹1,300.00 session; the events so far are forgotten."""
    sim.pay(checkout_session.id)
    sim.wait_for_deliveries(1)
    sim.events.clear()
    return sim.sessions[checkout_session.id]["payment_intent"]


def refund(sdk, payment_intent: str, key: str | None = None, **params):
    options = {"idempotency_key": key} if key else {}
    return sdk.v1.refunds.create(
        params={"payment_intent": payment_intent, **params}, options=options
    )


def charge_events(sim) -> list[dict]:
    return [event["data"]["object"] for event in sim.events if event["type"] == "charge.refunded"]


def test_a_partial_refund_then_the_rest(sim, sdk, paid_intent):
    first = refund(sdk, paid_intent, amount=50000, reason="requested_by_customer")
    rest = refund(sdk, paid_intent)

    assert first.id.startswith("re_") and first.object == "refund"
    assert (first.amount, first.status, first.reason) == (
        50000,
        "succeeded",
        "requested_by_customer",
    )
    assert (first.payment_intent, first.currency) == (paid_intent, "inr")
    assert first.charge == sim.payment_intents[paid_intent]["latest_charge"]
    assert (rest.amount, rest.status) == (80000, "succeeded")
    assert [(c["amount_refunded"], c["refunded"]) for c in charge_events(sim)] == [
        (50000, False),
        (130000, True),
    ]


def test_refunding_more_than_is_left_is_refused(sim, sdk, paid_intent):
    refund(sdk, paid_intent, amount=100000)

    with pytest.raises(stripe.InvalidRequestError) as caught:
        refund(sdk, paid_intent, amount=30001)

    assert (caught.value.http_status, caught.value.code) == (400, "amount_too_large")
    assert caught.value.user_message == (
        "Refund amount (₹300.01) is greater than unrefunded amount on charge (₹300.00)"
    )
    assert len(sim.refunds) == 1


def test_a_fully_refunded_charge_cannot_be_refunded_again(sim, sdk, paid_intent):
    refund(sdk, paid_intent)

    with pytest.raises(stripe.InvalidRequestError) as caught:
        refund(sdk, paid_intent, amount=1)

    assert caught.value.code == "charge_already_refunded"
    charge_id = sim.payment_intents[paid_intent]["latest_charge"]
    assert caught.value.user_message == f"Charge {charge_id} has already been refunded."


def test_refunding_an_unknown_payment_intent_is_a_404(sdk):
    with pytest.raises(stripe.InvalidRequestError) as caught:
        refund(sdk, "pi_missing")
    assert (caught.value.http_status, caught.value.code) == (404, "resource_missing")
    assert caught.value.param == "payment_intent"


def test_a_payment_that_has_not_succeeded_cannot_be_refunded(sim, sdk, dollar_session):
    sim.pay_delayed(dollar_session.id)
    processing = sim.sessions[dollar_session.id]["payment_intent"]

    with pytest.raises(stripe.InvalidRequestError) as caught:
        refund(sdk, processing)

    assert caught.value.code == "payment_intent_unexpected_state"
    assert sim.refunds == {}


@pytest.mark.parametrize(
    "params, param",
    [
        ({"amount": 0}, "amount"),
        ({"amount": -5}, "amount"),
        ({"reason": "changed_my_mind"}, "reason"),
        ({"refund_application_fee": True}, "refund_application_fee"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_refund_requests_stripe_would_refuse_are_refused(sim, sdk, paid_intent, params, param):
    with pytest.raises(stripe.InvalidRequestError) as caught:
        refund(sdk, paid_intent, **params)
    assert caught.value.param == param
    assert sim.refunds == {}


def test_refund_events_name_the_api_request(sim, sdk, paid_intent):
    created = refund(sdk, paid_intent, key="refund-42-1", amount=1000, metadata={"order": "42"})

    assert [event["type"] for event in sim.events] == ["refund.created", "charge.refunded"]
    for event in sim.events:
        assert event["request"] == {
            "id": created.last_response.request_id,
            "idempotency_key": "refund-42-1",
        }
    assert sim.events[0]["data"]["object"]["metadata"] == {"order": "42"}
    charge = charge_events(sim)[0]
    assert (charge["object"], charge["payment_intent"], charge["currency"]) == (
        "charge",
        paid_intent,
        "inr",
    )
    # Each event is posted on its own, so they may arrive in either order, as at Stripe.
    assert sorted(d.event["type"] for d in sim.wait_for_deliveries(3)[1:]) == [
        "charge.refunded",
        "refund.created",
    ]


def test_a_repeated_refund_request_is_replayed_not_repeated(sim, sdk, paid_intent):
    first = refund(sdk, paid_intent, key="refund-42-1", amount=1000)
    again = refund(sdk, paid_intent, key="refund-42-1", amount=1000)

    assert again.id == first.id
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
    assert len(sim.refunds) == 1


def test_a_dashboard_refund_sends_events_without_a_request(sim, paid_intent):
    made = sim.dashboard_refund(paid_intent, amount=30000, reason="duplicate")

    assert (made["amount"], made["status"], made["reason"]) == (30000, "succeeded", "duplicate")
    assert [event["type"] for event in sim.events] == ["refund.created", "charge.refunded"]
    assert {event["request"]["id"] for event in sim.events} == {None}
    assert [request.path for request in sim.requests] == ["/v1/checkout/sessions"]


def test_a_dashboard_refund_follows_stripes_rules(sim, paid_intent):
    sim.dashboard_refund(paid_intent)
    with pytest.raises(SimulatorApiError, match="has already been refunded"):
        sim.dashboard_refund(paid_intent)


def test_a_failed_refund_sends_updated_and_failed_and_frees_the_money(sim, sdk, paid_intent):
    made = refund(sdk, paid_intent)
    sim.events.clear()

    failed = sim.fail_refund(made.id)

    assert (failed["status"], failed["failure_reason"]) == ("failed", "lost_or_stolen_card")
    updated, failed_event = sim.events
    assert updated["type"] == "refund.updated"
    assert updated["data"]["previous_attributes"] == {"status": "succeeded"}
    assert failed_event["type"] == "refund.failed"
    assert failed_event["data"]["object"]["status"] == "failed"
    assert sdk.v1.refunds.retrieve(made.id).status == "failed"
    assert refund(sdk, paid_intent).amount == 130000  # the money came back


def test_a_pending_refund_settles_later(sim, sdk, paid_intent):
    sim.make_next_refunds_pending()
    pending = refund(sdk, paid_intent, amount=1000)
    assert pending.status == "pending"
    assert refund(sdk, paid_intent, amount=1000).status == "succeeded"
    sim.events.clear()

    sim.settle_refund(pending.id)

    [updated] = sim.events
    assert updated["type"] == "refund.updated"
    assert updated["data"]["object"]["status"] == "succeeded"
    assert updated["data"]["previous_attributes"] == {"status": "pending"}


def test_a_pending_refund_can_fail(sim, sdk, paid_intent):
    sim.make_next_refunds_pending()
    pending = refund(sdk, paid_intent)
    sim.fail_refund(pending.id, failure_reason="expired_or_canceled_card")
    assert sim.refunds[pending.id]["failure_reason"] == "expired_or_canceled_card"
    with pytest.raises(ValueError):
        sim.fail_refund(pending.id)


def test_refunds_are_listed_by_payment_intent_newest_first(sim, sdk, paid_intent):
    other = sdk.v1.checkout.sessions.create(params=session_params())
    sim.pay(other.id)
    refund(sdk, sim.sessions[other.id]["payment_intent"], amount=1000)
    made = [refund(sdk, paid_intent, amount=100 * (number + 1)).id for number in range(3)]

    listed = sdk.v1.refunds.list(params={"payment_intent": paid_intent, "limit": 2})

    assert (listed.object, listed.url, listed.has_more) == ("list", "/v1/refunds", True)
    assert [item.id for item in listed.data] == [made[2], made[1]]
    rest = sdk.v1.refunds.list(
        params={"payment_intent": paid_intent, "limit": 2, "starting_after": made[1]}
    )
    assert ([item.id for item in rest.data], rest.has_more) == ([made[0]], False)
    every = list(
        sdk.v1.refunds.list(params={"payment_intent": paid_intent, "limit": 1}).auto_paging_iter()
    )
    assert [item.id for item in every] == made[::-1]


def test_retrieving_an_unknown_refund_is_a_404(sdk):
    with pytest.raises(stripe.InvalidRequestError) as caught:
        sdk.v1.refunds.retrieve("re_missing")
    assert caught.value.http_status == 404


# --- The dashboard page (the no-keys demo's Stripe Dashboard) ------------------------------------


def test_the_dashboard_refunds_a_payment_as_the_dashboard_does(sim, paid_intent):
    status, _, html = browse(f"{sim.api_base}/dashboard")
    assert status == 200
    assert paid_intent in html and f'for="amount-{paid_intent}"' in html

    status, headers, _ = browse(
        f"{sim.api_base}/dashboard/refunds",
        {"payment_intent": paid_intent, "amount": "300.00", "reason": "duplicate"},
    )

    assert status == 303
    [made] = sim.refunds.values()
    assert (made["amount"], made["reason"]) == (30000, "duplicate")
    assert headers["Location"] == f"/dashboard?refunded={made['id']}"
    assert {event["request"]["id"] for event in sim.events} == {None}
    _, _, html = browse(f"{sim.api_base}{headers['Location']}")
    assert f"Refunded ₹300.00 of {paid_intent}" in html


@pytest.mark.parametrize(
    "amount, problem",
    [("5000", "greater than unrefunded amount"), ("abc", "is not an amount"), ("-1", "refunded")],
)
def test_the_dashboard_says_what_stripe_refused(sim, paid_intent, amount, problem):
    status, _, html = browse(
        f"{sim.api_base}/dashboard/refunds", {"payment_intent": paid_intent, "amount": amount}
    )

    assert status == 400
    assert 'role="alert"' in html and problem in html
    assert sim.refunds == {}
