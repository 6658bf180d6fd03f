"""The simulator's Checkout Session API, driven through the official SDK over real HTTP.

The shop's payment tests trust the simulator to refuse what Stripe refuses, so
each refusal is pinned here; "row N" names the line of issue #8 a test covers.
"""

from __future__ import annotations

import json

import pytest
import stripe

from tests.simulator_support import (
    API_KEY,
    CANCEL_URL,
    SUCCESS_URL,
    browse,
    client_for,
    line,
    session_params,
)


def test_create_returns_a_stripe_shaped_session(sim, sdk):
    session = sdk.v1.checkout.sessions.create(params=session_params())

    assert session.id.startswith("cs_test_")
    assert session.object == "checkout.session"
    assert (session.status, session.payment_status, session.mode) == ("open", "unpaid", "payment")
    assert session.url == f"{sim.api_base}/pay/{session.id}"
    assert (session.amount_total, session.amount_subtotal, session.currency) == (
        130000,
        130000,
        "inr",
    )
    assert session.client_reference_id == "42"
    assert session.metadata["order_id"] == "42"
    assert (session.success_url, session.cancel_url) == (SUCCESS_URL, CANCEL_URL)
    assert session.payment_intent is None and session.customer_details is None
    assert session.shipping_address_collection is None
    assert session.phone_number_collection.enabled is False
    assert session.livemode is False
    assert abs(session.created - sim.now()) <= 1
    assert session.expires_at - session.created == 24 * 3600
    assert sim.sessions[session.id]["amount_total"] == 130000


def test_retrieve_returns_the_session(sdk, checkout_session):
    retrieved = sdk.v1.checkout.sessions.retrieve(checkout_session.id)
    assert retrieved.to_dict() == checkout_session.to_dict()


def test_requests_are_recorded_with_decoded_params(sim, sdk):
    created = sdk.v1.checkout.sessions.create(
        params=session_params(), options={"idempotency_key": "k1"}
    )

    [request] = sim.requests
    assert (request.method, request.path) == ("POST", "/v1/checkout/sessions")
    assert (request.idempotency_key, request.api_key) == ("k1", API_KEY)
    assert request.id == created.last_response.request_id
    assert request.params["line_items"][1]["price_data"]["product_data"]["name"] == "Cap"
    assert request.params["metadata"] == {"order_id": "42"}


@pytest.mark.parametrize(
    "params, param",
    [
        (session_params(foo="bar"), "foo"),
        (
            session_params(line_items=[{**line("Cap", 30000, 1), "foo": "bar"}]),
            "line_items[0][foo]",
        ),
        (
            session_params(
                line_items=[
                    {
                        "quantity": 1,
                        "price_data": {
                            "currency": "inr",
                            "unit_amount": 30000,
                            "product_data": {"name": "Cap", "colour": "red"},
                        },
                    }
                ]
            ),
            "line_items[0][price_data][product_data][colour]",
        ),
    ],
    ids=["top-level", "line-item", "deeply-nested"],
)
def test_unknown_parameters_are_rejected(sim, sdk, params, param):
    with pytest.raises(stripe.InvalidRequestError) as caught:
        sdk.v1.checkout.sessions.create(params=params)

    assert caught.value.http_status == 400
    assert caught.value.param == param
    assert f"Received unknown parameter: {param}" in str(caught.value)
    assert sim.sessions == {}


@pytest.mark.parametrize(
    "overrides, param",
    [
        ({"mode": "setup"}, "mode"),
        ({"line_items": []}, "line_items"),
        ({"line_items": [line("Cap", 30000, 0)]}, "line_items[0][quantity]"),
        ({"line_items": [line("Cap", -1, 1)]}, "line_items[0][price_data][unit_amount]"),
        ({"line_items": [line("Cap", "30,000", 1)]}, "line_items[0][price_data][unit_amount]"),
        ({"line_items": [line("Cap", 30000, 1), line("Hat", 100, 1, "usd")]}, "line_items"),
        ({"line_items": [line("Sticker", 10, 1)]}, "line_items"),
        ({"success_url": "not a url"}, "success_url"),
        ({"cancel_url": "not a url"}, "cancel_url"),
        ({"client_reference_id": "x" * 201}, "client_reference_id"),
        ({"metadata": {f"k{i}": "v" for i in range(51)}}, "metadata"),
    ],
    ids=[
        "mode",
        "no-lines",
        "quantity",
        "negative-price",
        "not-an-integer",
        "mixed-currencies",
        "below-minimum-charge",
        "bad-success-url",
        "bad-cancel-url",
        "long-reference",
        "too-much-metadata",
    ],
)
def test_requests_stripe_would_refuse_are_refused(sim, sdk, overrides, param):
    with pytest.raises(stripe.InvalidRequestError) as caught:
        sdk.v1.checkout.sessions.create(params=session_params(**overrides))

    assert caught.value.param == param
    assert sim.sessions == {}


def test_missing_success_url_is_refused(sdk):
    params = session_params()
    del params["success_url"]
    with pytest.raises(stripe.InvalidRequestError, match="Missing required param: success_url"):
        sdk.v1.checkout.sessions.create(params=params)


# --- Row 3: only Stripe's presentment currencies ------------------------------------------


@pytest.mark.parametrize("currency", ["xyz", "abc", "eth"])
def test_row3_a_currency_stripe_does_not_support_is_refused(sim, sdk, currency):
    with pytest.raises(stripe.InvalidRequestError) as caught:
        sdk.v1.checkout.sessions.create(
            params=session_params(line_items=[line("Cap", 30000, 1, currency)])
        )

    assert caught.value.http_status == 400
    assert caught.value.param == "line_items[0][price_data][currency]"
    assert f"Invalid currency: {currency}." in caught.value.user_message
    assert sim.sessions == {}


@pytest.mark.parametrize("currency", ["inr", "usd", "jpy", "kes", "ugx"])
def test_row3_stripes_presentment_currencies_are_accepted(sdk, currency):
    session = sdk.v1.checkout.sessions.create(
        params=session_params(line_items=[line("Cap", 500000, 1, currency)])
    )
    assert session.currency == currency


# --- Row 4: the simulator's own minimum charges, from Stripe's table -----------------------


@pytest.mark.parametrize(
    "currency, minimum, shown",
    [
        ("inr", 50, "₹0.50 inr"),
        ("usd", 50, "$0.50 usd"),
        ("gbp", 30, "£0.30 gbp"),
        ("jpy", 50, "¥50 jpy"),
        ("huf", 17500, "175.00 huf"),
        ("mxn", 1000, "10.00 mxn"),
        ("thb", 1000, "10.00 thb"),
        ("czk", 1500, "15.00 czk"),
    ],
)
def test_row4_minimum_charge_per_currency_is_stripes(sim, sdk, currency, minimum, shown):
    with pytest.raises(stripe.InvalidRequestError) as caught:
        sdk.v1.checkout.sessions.create(
            params=session_params(line_items=[line("Sticker", minimum - 1, 1, currency)])
        )
    assert caught.value.param == "line_items"
    assert caught.value.code == "amount_too_small"
    assert f"must add up to at least {shown}." in caught.value.user_message

    session = sdk.v1.checkout.sessions.create(
        params=session_params(line_items=[line("Sticker", minimum, 1, currency)])
    )
    assert session.amount_total == minimum


@pytest.mark.parametrize(
    "currency, maximum",
    [("inr", 999_999_999), ("usd", 99_999_999), ("jpy", 99_999_999)],
)
def test_row4_maximum_amount_per_currency_is_stripes(sdk, currency, maximum):
    session = sdk.v1.checkout.sessions.create(
        params=session_params(line_items=[line("Car", maximum, 1, currency)])
    )
    assert session.amount_total == maximum

    with pytest.raises(stripe.InvalidRequestError) as caught:
        sdk.v1.checkout.sessions.create(
            params=session_params(line_items=[line("Car", maximum + 1, 1, currency)])
        )
    assert caught.value.code == "amount_too_large"


# --- Row 9: at most 100 line items in payment mode ----------------------------------------


def test_row9_a_hundred_line_items_are_fine_and_a_hundred_and_one_are_refused(sim, sdk):
    hundred = [line(f"Item {number}", 100, 1) for number in range(100)]
    session = sdk.v1.checkout.sessions.create(params=session_params(line_items=hundred))
    assert session.amount_total == 10000

    with pytest.raises(stripe.InvalidRequestError) as caught:
        sdk.v1.checkout.sessions.create(
            params=session_params(line_items=[*hundred, line("One too many", 100, 1)])
        )
    assert caught.value.http_status == 400
    assert caught.value.param == "line_items"
    assert "at most 100 line items" in caught.value.user_message
    assert list(sim.sessions) == [session.id]


# --- Row 10: cancel_url is optional; empty strings are refused ------------------------------


def test_row10_cancel_url_is_optional(sim, sdk):
    params = session_params()
    del params["cancel_url"]

    session = sdk.v1.checkout.sessions.create(params=params)

    assert session.cancel_url is None
    assert sim.sessions[session.id]["status"] == "open"


@pytest.mark.parametrize(
    "params, param",
    [
        (session_params(cancel_url=""), "cancel_url"),
        (session_params(client_reference_id=""), "client_reference_id"),
        (
            session_params(line_items=[line("", 30000, 1)]),
            "line_items[0][price_data][product_data][name]",
        ),
        (
            session_params(shipping_address_collection={"allowed_countries": [""]}),
            "shipping_address_collection[allowed_countries][0]",
        ),
    ],
    ids=["cancel_url", "client_reference_id", "product-name", "allowed-country"],
)
def test_row10_an_empty_string_is_refused_with_stripes_message(sim, sdk, params, param):
    with pytest.raises(stripe.InvalidRequestError) as caught:
        sdk.v1.checkout.sessions.create(params=params)

    assert caught.value.param == param
    assert caught.value.code == "parameter_invalid_empty"
    assert caught.value.user_message == (
        f"You passed an empty string for '{param}'. We assume empty values are an attempt to "
        f"unset a parameter; however '{param}' cannot be unset. You should remove '{param}' "
        "from your request or supply a non-empty value."
    )
    assert sim.sessions == {}


def test_row10_an_empty_metadata_value_is_allowed_and_unsets_the_key(sdk):
    session = sdk.v1.checkout.sessions.create(
        params=session_params(metadata={"order_id": "42", "note": ""})
    )
    assert session.metadata.to_dict() == {"order_id": "42"}


# --- Authentication and unknown things ---------------------------------------------------


def test_retrieving_an_unknown_session_is_a_404(sdk):
    with pytest.raises(stripe.InvalidRequestError) as caught:
        sdk.v1.checkout.sessions.retrieve("cs_test_missing")

    assert caught.value.http_status == 404
    assert caught.value.code == "resource_missing"
    assert "No such checkout.session: 'cs_test_missing'" in str(caught.value)


@pytest.mark.parametrize("key", ["sk_live_123456789", "pk_test_123456789"])
def test_only_secret_test_keys_are_accepted(sim, key):
    with pytest.raises(stripe.AuthenticationError, match="Invalid API Key provided"):
        client_for(sim, key=key).v1.checkout.sessions.create(params=session_params())

    assert sim.sessions == {}
    assert sim.requests[0].api_key == key


def test_a_request_without_a_key_is_a_401(sim):
    status, _, body = browse(f"{sim.api_base}/v1/checkout/sessions/cs_test_x")
    assert status == 401
    assert "You did not provide an API key" in json.loads(body)["error"]["message"]


def test_unknown_api_urls_are_stripe_shaped_404s(sim):
    status, _, body = browse(
        f"{sim.api_base}/v1/customers", headers={"Authorization": f"Bearer {API_KEY}"}
    )

    assert status == 404
    assert json.loads(body)["error"]["type"] == "invalid_request_error"


def test_expanding_is_refused_rather_than_ignored(sdk, checkout_session):
    with pytest.raises(stripe.InvalidRequestError) as caught:
        sdk.v1.checkout.sessions.retrieve(
            checkout_session.id, params={"expand": ["payment_intent"]}
        )
    assert caught.value.param == "expand"
