"""Shipping rates: the API, a session's ``shipping_options`` (the first one chosen), and the
hosted page's delivery choice, whose price reaches the total before the shopper pays it."""

from __future__ import annotations

import pytest
import stripe
from bs4 import BeautifulSoup

from tests.simulator_support import (
    EXPRESS_RATE,
    STANDARD_RATE,
    browse,
    rendered_form,
    session_params,
    shipped_params,
    success_url_for,
)


def soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def test_a_shipping_rate_is_created_retrieved_and_listed(sim, sdk):
    rate = sdk.v1.shipping_rates.create(params=STANDARD_RATE, options={"idempotency_key": "r1"})
    again = sdk.v1.shipping_rates.create(params=STANDARD_RATE, options={"idempotency_key": "r1"})

    assert rate.id.startswith("shr_") and again.id == rate.id
    fetched = sdk.v1.shipping_rates.retrieve(rate.id)
    assert (fetched.display_name, fetched.fixed_amount.amount, fetched.active) == (
        "Standard",
        6000,
        True,
    )
    assert fetched.delivery_estimate.minimum.to_dict() == {"unit": "business_day", "value": 3}
    assert [listed.id for listed in sdk.v1.shipping_rates.list().data] == [rate.id]
    assert list(sim.shipping_rates) == [rate.id]


@pytest.mark.parametrize(
    ("changes", "param"),
    [
        ({"fixed_amount": None}, "fixed_amount"),
        ({"fixed_amount": {"amount": -1, "currency": "inr"}}, "fixed_amount[amount]"),
        (
            {"delivery_estimate": {"minimum": {"unit": "fortnight", "value": 1}}},
            "delivery_estimate[minimum][unit]",
        ),
    ],
)
def test_shipping_rates_stripe_refuses(sim, sdk, changes, param):
    params = {key: value for key, value in (STANDARD_RATE | changes).items() if value is not None}
    with pytest.raises(stripe.InvalidRequestError) as refused:
        sdk.v1.shipping_rates.create(params=params)

    assert refused.value.param == param
    assert sim.shipping_rates == {}


def test_a_session_offers_its_rates_and_the_first_is_chosen(sim, sdk):
    session = sdk.v1.checkout.sessions.create(params=shipped_params())

    standard, express = session.shipping_options
    assert (standard.shipping_amount, express.shipping_amount) == (6000, 15000)
    assert sim.shipping_rates[express.shipping_rate]["display_name"] == "Express"
    assert session.shipping_cost.to_dict() == {
        "amount_subtotal": 6000,
        "amount_tax": 0,
        "amount_total": 6000,
        "shipping_rate": standard.shipping_rate,
    }
    assert session.total_details.to_dict() == {
        "amount_discount": 0,
        "amount_shipping": 6000,
        "amount_tax": 0,
    }
    assert (session.amount_subtotal, session.amount_total) == (130000, 136000)


def test_a_session_without_rates_ships_for_nothing(sdk):
    session = sdk.v1.checkout.sessions.create(params=session_params())

    assert session.shipping_cost is None
    assert session.shipping_options == []
    assert session.total_details.amount_shipping == 0
    assert session.amount_total == session.amount_subtotal == 130000


def test_an_existing_rate_can_be_offered_by_id(sdk):
    rate = sdk.v1.shipping_rates.create(params=EXPRESS_RATE)

    session = sdk.v1.checkout.sessions.create(
        params=session_params(shipping_options=[{"shipping_rate": rate.id}])
    )

    assert session.shipping_cost.shipping_rate == rate.id
    assert session.amount_total == 145000


@pytest.mark.parametrize(
    ("options", "param", "status"),
    [
        ([{"shipping_rate_data": STANDARD_RATE}] * 6, "shipping_options", 400),
        (
            [{"shipping_rate": "shr_x", "shipping_rate_data": STANDARD_RATE}],
            "shipping_options[0]",
            400,
        ),
        ([{"shipping_rate": "shr_missing"}], "shipping_options[0][shipping_rate]", 404),
        (
            [
                {"shipping_rate_data": STANDARD_RATE},
                {
                    "shipping_rate_data": STANDARD_RATE
                    | {"fixed_amount": {"amount": 1, "currency": "usd"}}
                },
            ],
            "shipping_options[1]",
            400,
        ),
    ],
    ids=["six", "both", "unknown", "other-currency"],
)
def test_shipping_options_stripe_refuses_make_nothing(sim, sdk, options, param, status):
    with pytest.raises(stripe.InvalidRequestError) as refused:
        sdk.v1.checkout.sessions.create(params=session_params(shipping_options=options))

    assert (refused.value.param, refused.value.http_status) == (param, status)
    assert sim.sessions == {} and sim.shipping_rates == {}


# --- The hosted page ----------------------------------------------------------------------


def test_the_page_offers_each_rate_with_its_price_and_estimate(sdk):
    session = sdk.v1.checkout.sessions.create(params=shipped_params())

    page = soup(browse(session.url)[2])

    choices = [" ".join(choice.stripped_strings) for choice in page.select(".choice")]
    assert choices == [
        "Standard: ₹60.00, 3–5 business days",
        "Express: ₹150.00, 1–2 business days",
    ]
    assert page.select_one('input[name="shipping_rate"][checked]')["value"] == (
        session.shipping_options[0].shipping_rate
    )
    assert page.h1.text == "Pay ₹1,360.00"


def test_choosing_another_rate_updates_the_total_and_paying_charges_it(sim, sdk):
    session = sdk.v1.checkout.sessions.create(params=shipped_params())
    express = session.shipping_options[1].shipping_rate
    form = rendered_form(browse(session.url)[2])

    status, _, html = browse(session.url, form | {"shipping_rate": express, "action": "update"})
    assert status == 200
    assert soup(html).h1.text == "Pay ₹1,450.00"
    status, headers, _ = browse(session.url, rendered_form(html) | {"action": "pay"})

    assert (status, headers["Location"]) == (303, success_url_for(session.id))
    paid = sdk.v1.checkout.sessions.retrieve(session.id)
    assert paid.shipping_cost.shipping_rate == express
    assert (paid.total_details.amount_shipping, paid.amount_total) == (15000, 145000)
    assert sdk.v1.payment_intents.retrieve(paid.payment_intent).amount == 145000


def test_paying_with_a_rate_the_total_does_not_show_yet_shows_it_first(sim, sdk):
    session = sdk.v1.checkout.sessions.create(params=shipped_params())
    express = session.shipping_options[1].shipping_rate
    form = rendered_form(browse(session.url)[2])

    status, _, html = browse(session.url, form | {"shipping_rate": express, "action": "pay"})

    assert status == 200
    assert soup(html).select_one('[role="alert"]').text == (
        "Delivery changed: the total is now ₹1,450.00. Check it, then pay."
    )
    stored = sim.sessions[session.id]
    assert (stored["status"], stored["amount_total"]) == ("open", 145000)
    assert sim.payment_intents == {}


def test_a_rate_the_session_does_not_offer_is_refused(sim, sdk):
    session = sdk.v1.checkout.sessions.create(params=shipped_params())
    other = sdk.v1.shipping_rates.create(params=STANDARD_RATE | {"display_name": "Free"})
    form = rendered_form(browse(session.url)[2])

    status, _, _ = browse(session.url, form | {"shipping_rate": other.id, "action": "update"})

    assert status == 400
    assert sim.sessions[session.id]["amount_total"] == 136000


def test_tampered_totals_reach_the_api_but_not_the_charge(sim, sdk):
    session = sdk.v1.checkout.sessions.create(params=shipped_params())
    sim.tamper(
        session.id,
        amount_total=100,
        total_details={"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
    )

    sim.pay(session.id, shipping_rate="Express")

    told = sdk.v1.checkout.sessions.retrieve(session.id)
    assert (told.amount_total, told.total_details.amount_shipping) == (100, 0)
    assert sdk.v1.payment_intents.retrieve(told.payment_intent).amount == 145000
