"""Every object the simulator answers with has the keys of Stripe's example of its kind.

Stripe leaves a field out when it does not apply (a refund's ``failure_reason``
until it fails), and the SDK then raises AttributeError on ``obj.field``. If the
simulator sent fields Stripe leaves out, the shop's code for Stripe's real answers
would never run in the suite. The examples are Stripe's own (fixtures.json in
stripe/openapi), kept in the simulator's package: read here from the file, not
from the simulator's code.
"""

from __future__ import annotations

import json
from pathlib import Path

import stripe_simulator
from tests.simulator_support import EXPRESS_RATE, STANDARD_RATE, dollar_params, session_params

EXAMPLES = json.loads(
    (Path(stripe_simulator.__file__).parent / "stripe_examples.json").read_text()
)["resources"]
# What Stripe adds to an object only when it applies.
WHEN_IT_APPLIES = {("refund", "failed"): {"failure_reason", "failure_balance_transaction"}}


def keys_differ(obj: dict) -> tuple[set, set]:
    """(keys the example has that ``obj`` lacks, keys ``obj`` has that the example does not)."""
    example = set(EXAMPLES[obj["object"]])
    allowed = example | WHEN_IT_APPLIES.get((obj["object"], obj.get("status")), set())
    return example - set(obj), set(obj) - allowed


def test_the_examples_are_stripes():
    source = json.loads(
        (Path(stripe_simulator.__file__).parent / "stripe_examples.json").read_text()
    )["source"]
    assert "github.com/stripe/openapi" in source and "MIT" in source
    assert "failure_reason" not in EXAMPLES["refund"]  # the case issue 17 is about


def test_every_object_over_http_and_in_every_event_has_the_examples_keys(
    sim, sdk, webhook_receiver
):
    answers = []

    def told(obj):
        answers.append(obj.to_dict())
        return obj

    # Shipping rates, coupons and promotion codes: created, retrieved, updated, listed.
    rate = told(sdk.v1.shipping_rates.create(params=STANDARD_RATE))
    told(sdk.v1.shipping_rates.retrieve(rate.id))
    percent = told(sdk.v1.coupons.create(params={"percent_off": 10, "duration": "once"}))
    told(sdk.v1.coupons.update(percent.id, params={"name": "Diwali 10%"}))
    flat = told(sdk.v1.coupons.create(params={"amount_off": 10000, "currency": "inr"}))
    code = told(
        sdk.v1.promotion_codes.create(
            params={"promotion": {"type": "coupon", "coupon": percent.id}, "code": "DIWALI10"}
        )
    )
    told(sdk.v1.promotion_codes.update(code.id, params={"metadata": {"campaign": "diwali"}}))
    for listed in sdk.v1.promotion_codes.list(params={"code": "DIWALI10"}).data:
        told(listed)
    for listed in sdk.v1.shipping_rates.list().data:
        told(listed)

    # Sessions: open, paid by card (with shipping and a code), paid by a bank debit still
    # processing, expired, with a coupon.
    shipped = session_params(
        shipping_options=[{"shipping_rate": rate.id}, {"shipping_rate_data": EXPRESS_RATE}],
        allow_promotion_codes=True,
    )
    card = told(sdk.v1.checkout.sessions.create(params=shipped))
    told(sdk.v1.checkout.sessions.create(params=session_params(discounts=[{"coupon": flat.id}])))
    debit = told(sdk.v1.checkout.sessions.create(params=dollar_params()))
    expired = told(sdk.v1.checkout.sessions.create(params=session_params()))
    sim.pay(card.id, shipping_rate="Express", promotion_code="diwali10")
    sim.pay_delayed(debit.id)
    told(sdk.v1.checkout.sessions.expire(expired.id))
    card = told(sdk.v1.checkout.sessions.retrieve(card.id))
    debit = told(sdk.v1.checkout.sessions.retrieve(debit.id))
    intent = told(sdk.v1.payment_intents.retrieve(card.payment_intent))
    told(sdk.v1.payment_intents.retrieve(debit.payment_intent))

    # Refunds: succeeded, pending then failed; listed; the charge with them.
    made = told(sdk.v1.refunds.create(params={"payment_intent": intent.id, "amount": 1000}))
    sim.make_next_refunds_pending()
    pending = told(sdk.v1.refunds.create(params={"payment_intent": intent.id, "amount": 2000}))
    sim.fail_refund(pending.id)
    failed = told(sdk.v1.refunds.retrieve(pending.id))
    for refund in sdk.v1.refunds.list(params={"payment_intent": intent.id}).data:
        told(refund)
    told(sdk.v1.charges.retrieve(intent.latest_charge))

    # A dispute from opening to closing, and a fraud warning.
    dispute = sim.open_dispute(intent.id)
    sim.submit_dispute_evidence(dispute["id"])
    sim.close_dispute(dispute["id"], won=True)
    told(sdk.v1.disputes.retrieve(dispute["id"]))
    warning = sim.early_fraud_warning(intent.id)
    told(sdk.v1.radar.early_fraud_warnings.retrieve(warning["id"]))

    sim.wait_for_deliveries(len(sim.events))
    events = [json.loads(body) for body, _ in webhook_receiver.received]
    kinds = {answer["object"] for answer in answers} | {
        e["data"]["object"]["object"] for e in events
    }
    assert kinds == set(EXAMPLES) - {"event"}
    assert {event["type"] for event in events} >= {
        "checkout.session.completed",
        "checkout.session.expired",
        "refund.created",
        "refund.updated",
        "refund.failed",
        "charge.refunded",
        "charge.dispute.created",
        "charge.dispute.funds_withdrawn",
        "charge.dispute.updated",
        "charge.dispute.funds_reinstated",
        "charge.dispute.closed",
        "radar.early_fraud_warning.created",
    }
    for obj in answers + events + [event["data"]["object"] for event in events]:
        assert keys_differ(obj) == (set(), set()), f"{obj['object']} {obj['id']}"
    for event in events:
        assert set(event["data"]) <= {"object", "previous_attributes"}
    assert "failure_reason" not in made
    assert failed.failure_reason == "lost_or_stolen_card"
    assert card.shipping_cost.shipping_rate != rate.id  # the shopper chose Express
    assert card.discounts[0].promotion_code == code.id
