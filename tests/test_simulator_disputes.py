"""Disputes and early fraud warnings in the simulator: opened by a knob or the Dashboard page,
each step sending the events Stripe sends, readable through the SDK."""

from __future__ import annotations

import pytest
import stripe
from bs4 import BeautifulSoup

from tests.simulator_support import browse


@pytest.fixture
def paid(sim, checkout_session) -> str:
    """The PaymentIntent of a paid session."""
    sim.pay(checkout_session.id)
    return sim.sessions[checkout_session.id]["payment_intent"]


def event_types(sim) -> list[str]:
    return [event["type"] for event in sim.events if not event["type"].startswith("checkout.")]


def test_a_chargeback_from_opening_to_a_win(sim, sdk, paid):
    opened = sim.open_dispute(paid, reason="product_not_received")
    assert (opened["status"], opened["payment_intent"]) == ("needs_response", paid)
    assert opened["evidence_details"]["due_by"] > sim.now()
    assert sdk.v1.charges.retrieve(opened["charge"]).disputed is True
    assert event_types(sim) == ["charge.dispute.created", "charge.dispute.funds_withdrawn"]

    sim.submit_dispute_evidence(opened["id"])
    updated = sim.events[-1]
    assert updated["data"]["previous_attributes"] == {"status": "needs_response"}
    sim.close_dispute(opened["id"], won=True)

    dispute = sdk.v1.disputes.retrieve(opened["id"])
    assert dispute.status == "won"
    assert [t["amount"] for t in dispute.balance_transactions] == [-130000, 130000]
    assert event_types(sim)[2:] == [
        "charge.dispute.updated",
        "charge.dispute.funds_reinstated",
        "charge.dispute.closed",
    ]
    with pytest.raises(ValueError, match="is won: it is closed"):
        sim.close_dispute(opened["id"], won=False)


def test_an_inquiry_moves_no_money(sim, paid):
    opened = sim.open_dispute(paid, inquiry=True)
    sim.close_dispute(opened["id"], won=False)
    assert sim.disputes[opened["id"]]["status"] == "warning_closed"
    assert event_types(sim) == ["charge.dispute.created", "charge.dispute.closed"]


def test_only_a_paid_payment_can_be_disputed_once(sim, sdk, paid, dollar_session):
    sim.pay_delayed(dollar_session.id)
    processing = sim.sessions[dollar_session.id]["payment_intent"]
    with pytest.raises(Exception, match="only a paid one is disputed"):
        sim.open_dispute(processing)
    sim.open_dispute(paid)
    with pytest.raises(ValueError, match="already disputed"):
        sim.open_dispute(paid)
    with pytest.raises(stripe.InvalidRequestError):
        sdk.v1.disputes.retrieve("dp_missing")


def test_an_early_fraud_warning_names_the_charge(sim, sdk, paid):
    warning = sim.early_fraud_warning(paid)
    fetched = sdk.v1.radar.early_fraud_warnings.retrieve(warning["id"])
    assert fetched.charge == sim.payment_intents[paid]["latest_charge"]
    assert sdk.v1.charges.retrieve(fetched.charge).payment_intent == paid
    assert event_types(sim) == ["radar.early_fraud_warning.created"]


def test_the_dashboard_opens_and_decides_disputes(sim, paid):
    status, headers, _ = browse(
        f"{sim.api_base}/dashboard/disputes",
        {"action": "open", "payment_intent": paid, "reason": "duplicate"},
    )
    assert (status, headers["Location"]) == (303, "/dashboard")
    [dispute] = sim.disputes.values()
    assert dispute["reason"] == "duplicate"
    assert [e["request"]["id"] for e in sim.events if e["type"].startswith("charge.")] == [
        None,
        None,
    ]  # made by the bank, not by an API request

    browse(f"{sim.api_base}/dashboard/disputes", {"action": "lose", "dispute": dispute["id"]})

    assert dispute["status"] == "lost"
    _, _, html = browse(f"{sim.api_base}/dashboard")
    assert f"{dispute['id']}: lost" in BeautifulSoup(html, "html.parser").text
    status, _, html = browse(
        f"{sim.api_base}/dashboard/disputes", {"action": "win", "dispute": dispute["id"]}
    )
    assert status == 400 and "it is closed" in html
