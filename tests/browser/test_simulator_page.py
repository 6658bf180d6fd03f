"""The simulator's pages in a real browser: every state passes axe-core and is labelled.

The shop's journeys cover the card-only page; this one asks for an address and
a phone, says what is missing, and pays by bank debit (a USD session: the only
currency Stripe offers it in). No shop is involved.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import axe_violations
from tests.simulator_support import dollar_params, session_params, shipped_params, shipping_params

pytestmark = pytest.mark.browser


@pytest.fixture
def context_options() -> dict:
    # The page, like Stripe's, forbids scripts (CSP); axe has to be let in.
    return {"bypass_csp": True}


def test_the_address_form_is_labelled_explains_problems_and_passes_axe(page, sim, sdk):
    # Back to the hosted page after paying: it then says what became of the payment.
    params = shipping_params("IN", "US") | {
        "line_items": dollar_params()["line_items"],
        "success_url": f"{sim.api_base}/pay/{{CHECKOUT_SESSION_ID}}",
    }
    session = sdk.v1.checkout.sessions.create(params=params)
    page.goto(session.url)
    for label in ("Email", "Phone", "Full name", "Address line 1", "City", "PIN code", "Country"):
        expect(page.get_by_label(label, exact=True)).to_be_visible()
    expect(page.get_by_label("Country", exact=True)).to_have_value("IN")
    assert axe_violations(page) == []

    page.get_by_label("City", exact=True).fill("")
    page.get_by_role("button", name="Pay $1,300.00").click()

    expect(page.get_by_role("alert")).to_contain_text("Enter the city.")
    expect(page.get_by_label("City", exact=True)).to_have_attribute("aria-invalid", "true")
    assert axe_violations(page) == []
    assert sim.sessions[session.id]["status"] == "open"

    page.get_by_label("City", exact=True).fill("Bengaluru")
    page.get_by_role("button", name="Debit my bank account").click()

    expect(page.get_by_role("heading", name="Your bank debit is processing")).to_be_visible()
    assert axe_violations(page) == []


def test_the_dashboard_and_its_refund_form_pass_axe(page, sim, sdk):
    session = sdk.v1.checkout.sessions.create(params=session_params())
    sim.pay(session.id)
    page.goto(f"{sim.api_base}/dashboard")
    assert axe_violations(page) == []

    intent = sim.sessions[session.id]["payment_intent"]
    page.get_by_label("Amount (empty: all that is left)").fill("300")
    page.get_by_role("button", name=f"Refund {intent}").click()

    expect(page.get_by_role("status")).to_contain_text("Refunded ₹300.00")
    assert axe_violations(page) == []

    page.get_by_label("Dispute reason").select_option("product_not_received")
    page.get_by_role("button", name=f"Dispute {intent}").click()
    expect(page.get_by_text(re.compile(r"dp_\w+: needs response"))).to_be_visible()

    [dispute] = sim.disputes.values()
    assert (dispute["status"], dispute["reason"]) == ("needs_response", "product_not_received")
    expect(page.get_by_role("button", name=f"Lose {dispute['id']}")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_role("button", name=f"Lose {dispute['id']}").click()
    expect(page.get_by_text(f"{dispute['id']}: lost")).to_be_visible()


def test_choosing_a_rate_and_applying_a_code_update_the_totals_and_pass_axe(page, sim, sdk):
    coupon = sdk.v1.coupons.create(params={"percent_off": 10})
    sdk.v1.promotion_codes.create(
        params={"promotion": {"type": "coupon", "coupon": coupon.id}, "code": "DIWALI10"}
    )
    params = shipped_params(allow_promotion_codes=True) | {
        "success_url": f"{sim.api_base}/pay/{{CHECKOUT_SESSION_ID}}",
    }
    session = sdk.v1.checkout.sessions.create(params=params)
    page.goto(session.url)
    expect(page.get_by_label("Standard: ₹60.00, 3–5 business days")).to_be_checked()
    assert axe_violations(page) == []

    page.get_by_label("Express: ₹150.00, 1–2 business days").check()
    page.get_by_role("button", name="Update total").click()
    expect(page.get_by_role("heading", name="Pay ₹1,450.00")).to_be_visible()

    page.get_by_label("Promotion code", exact=True).fill("EXPIRED1")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("alert")).to_have_text("This code is invalid.")
    assert axe_violations(page) == []

    page.get_by_label("Promotion code", exact=True).fill("diwali10")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_text("DIWALI10 applied: −₹130.00")).to_be_visible()
    expect(page.get_by_role("row", name="Discount (DIWALI10) −₹130.00")).to_be_visible()
    expect(page.get_by_role("row", name="Shipping (Express) ₹150.00")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_role("button", name="Pay ₹1,320.00").click()

    expect(
        page.get_by_role("heading", name="This checkout session is already paid")
    ).to_be_visible()
    paid = sdk.v1.checkout.sessions.retrieve(session.id)
    assert (paid.amount_total, paid.total_details.amount_discount) == (132000, 13000)
    assert sdk.v1.payment_intents.retrieve(paid.payment_intent).amount == 132000
