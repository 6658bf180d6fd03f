"""Paying a session: its PaymentIntent, delayed bank debits, the details in the API and events."""

from __future__ import annotations

import pytest
import stripe

from tests.shopping import DECLINED_CARD
from tests.simulator_support import (
    WEBHOOK_SECRET,
    session_params,
    shipping_params,
    submit,
)


def event_types(sim) -> list[str]:
    return [event["type"] for event in sim.events]


# --- PaymentIntents -------------------------------------------------------------------------


def test_paying_by_card_makes_a_succeeded_payment_intent(sim, sdk):
    session = sdk.v1.checkout.sessions.create(
        params=session_params(payment_intent_data={"metadata": {"order_id": "42"}})
    )
    sim.pay(session.id)

    paid = sdk.v1.checkout.sessions.retrieve(session.id)
    intent = sdk.v1.payment_intents.retrieve(paid.payment_intent)

    assert intent.id.startswith("pi_") and intent.object == "payment_intent"
    assert intent.latest_charge.startswith("ch_")
    assert (intent.status, intent.amount, intent.amount_received) == ("succeeded", 130000, 130000)
    assert intent.currency == "inr"
    assert intent.metadata.to_dict() == {"order_id": "42"}
    assert intent.payment_method_types == ["card"]
    assert intent.last_payment_error is None
    assert sim.payment_intents[intent.id]["status"] == "succeeded"


def test_an_unknown_payment_intent_is_a_404(sdk):
    with pytest.raises(stripe.InvalidRequestError) as caught:
        sdk.v1.payment_intents.retrieve("pi_missing")
    assert (caught.value.http_status, caught.value.code) == (404, "resource_missing")
    assert "No such payment_intent: 'pi_missing'" in caught.value.user_message


def test_pay_helper_reports_the_outcome(sim, checkout_session):
    assert sim.pay(checkout_session.id, DECLINED_CARD) is False
    assert sim.pay(checkout_session.id) is True
    assert sim.pay(checkout_session.id) is False  # already paid
    assert event_types(sim) == ["checkout.session.completed"]


# --- Row 6: delayed payment methods --------------------------------------------------------------


def test_row6_a_bank_debit_completes_unpaid_then_succeeds(sim, sdk, dollar_session):
    assert sim.pay_delayed(dollar_session.id, succeed=True) is True

    completed = sdk.v1.checkout.sessions.retrieve(dollar_session.id)
    assert (completed.status, completed.payment_status) == ("complete", "unpaid")
    intent = sdk.v1.payment_intents.retrieve(completed.payment_intent)
    assert (intent.status, intent.amount_received) == ("processing", 0)
    assert intent.payment_method_types == ["us_bank_account"]
    [event] = sim.events
    assert event["type"] == "checkout.session.completed"
    assert event["data"]["object"]["payment_status"] == "unpaid"

    sim.advance(sim.delayed_payment_seconds)

    settled = sdk.v1.checkout.sessions.retrieve(dollar_session.id)
    assert settled.payment_status == "paid"
    intent = sdk.v1.payment_intents.retrieve(settled.payment_intent)
    assert (intent.status, intent.amount_received) == ("succeeded", 130000)
    assert event_types(sim) == [
        "checkout.session.completed",
        "checkout.session.async_payment_succeeded",
    ]
    assert sim.events[-1]["data"]["object"]["payment_status"] == "paid"
    delivered = sorted(d.event["type"] for d in sim.wait_for_deliveries(2))
    assert delivered == sorted(event_types(sim))


def test_row6_a_bank_debit_that_fails_leaves_the_session_unpaid(sim, sdk, dollar_session):
    sim.pay_delayed(dollar_session.id, succeed=False)

    sim.settle(dollar_session.id)

    session = sdk.v1.checkout.sessions.retrieve(dollar_session.id)
    assert (session.status, session.payment_status) == ("complete", "unpaid")
    intent = sdk.v1.payment_intents.retrieve(session.payment_intent)
    assert intent.status == "requires_payment_method"
    assert intent.last_payment_error.code == "account_closed"
    assert intent.last_payment_error.payment_method.type == "us_bank_account"
    assert event_types(sim) == [
        "checkout.session.completed",
        "checkout.session.async_payment_failed",
    ]
    assert sim.events[-1]["data"]["object"]["payment_status"] == "unpaid"


def test_row6_a_debit_does_not_settle_before_its_time(sim, dollar_session):
    sim.pay_delayed(dollar_session.id)
    sim.advance(sim.delayed_payment_seconds - 1)
    assert sim.sessions[dollar_session.id]["payment_status"] == "unpaid"
    assert event_types(sim) == ["checkout.session.completed"]


@pytest.mark.parametrize("account_succeeds, forced", [(True, False), (False, True)])
def test_row6_settle_can_force_the_outcome(sim, dollar_session, account_succeeds, forced):
    sim.pay_delayed(dollar_session.id, succeed=account_succeeds)

    sim.settle(dollar_session.id, succeed=forced)

    expected = "paid" if forced else "unpaid"
    assert sim.sessions[dollar_session.id]["payment_status"] == expected
    with pytest.raises(ValueError, match="no bank debit waiting"):
        sim.settle(dollar_session.id)


def test_row6_the_page_settles_by_the_account_number_used(sim, dollar_session):
    submit(dollar_session.url, "pay_by_bank_debit", account="000111111113")
    sim.advance(sim.delayed_payment_seconds)
    assert event_types(sim)[-1] == "checkout.session.async_payment_failed"


def test_row6_no_payment_required_when_a_discount_covers_everything(sim, sdk, checkout_session):
    sim.complete_without_payment(checkout_session.id)

    session = sdk.v1.checkout.sessions.retrieve(checkout_session.id)
    assert (session.status, session.payment_status) == ("complete", "no_payment_required")
    assert (session.amount_total, session.total_details.amount_discount) == (0, 130000)
    assert session.payment_intent is None
    assert event_types(sim) == ["checkout.session.completed"]


# --- What the shopper typed, in the API and the webhook ------------------------------------------


def test_without_collection_only_the_email_comes_back(sim, sdk, checkout_session):
    sim.pay(checkout_session.id)

    session = sdk.v1.checkout.sessions.retrieve(checkout_session.id)

    details = session.customer_details.to_dict()
    assert details["email"] == "shopper@example.com"
    assert (details["name"], details["phone"]) == (None, None)
    assert set(details["address"].values()) == {None}
    assert session.collected_information.shipping_details is None


def test_collected_address_and_phone_are_in_the_api_and_the_webhook(sim, sdk, webhook_receiver):
    session = sdk.v1.checkout.sessions.create(params=shipping_params("IN", "US"))
    assert session.shipping_address_collection.allowed_countries == ["IN", "US"]
    assert session.phone_number_collection.enabled is True

    submit(
        session.url,
        name="Ravi Kumar",
        line1="4 Park Street",
        line2="Flat 2",
        city="Kolkata",
        postal_code="700016",
        state="WB",
        phone="+91 90000 00001",
        email="ravi@example.com",
    )

    address = {
        "city": "Kolkata",
        "country": "IN",
        "line1": "4 Park Street",
        "line2": "Flat 2",
        "postal_code": "700016",
        "state": "WB",
    }
    paid = sdk.v1.checkout.sessions.retrieve(session.id)
    assert paid.collected_information.to_dict() == {
        "business_name": None,
        "individual_name": None,
        "shipping_details": {"name": "Ravi Kumar", "address": address},
    }
    assert paid.customer_details.to_dict() == {
        "address": address,
        "business_name": None,
        "email": "ravi@example.com",
        "individual_name": None,
        "name": "Ravi Kumar",
        "phone": "+919000000001",
        "tax_exempt": "none",
        "tax_ids": [],
    }
    [delivery] = sim.wait_for_deliveries(1)
    [(body, signature)] = webhook_receiver.received
    event = stripe.Webhook.construct_event(body, signature, WEBHOOK_SECRET)
    assert event.data.object.collected_information.shipping_details.address.city == "Kolkata"
    assert event.data.object.customer_details.phone == "+919000000001"
    intent = sdk.v1.payment_intents.retrieve(paid.payment_intent)
    assert intent.shipping.name == "Ravi Kumar"


def test_pay_helper_takes_the_same_details_with_defaults(sim, sdk):
    session = sdk.v1.checkout.sessions.create(params=shipping_params())

    assert sim.pay(session.id, city="Mysuru", postal_code="570001")

    shipping = sim.sessions[session.id]["collected_information"]["shipping_details"]
    assert shipping["address"]["city"] == "Mysuru"
    assert (shipping["name"], shipping["address"]["state"]) == ("Asha Rao", "KA")
    with pytest.raises(ValueError, match="does not deliver to US"):
        sim.pay(sdk.v1.checkout.sessions.create(params=shipping_params()).id, country="US")
