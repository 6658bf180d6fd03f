"""Coupons and promotion codes: the API the shop syncs them through, the totals they give, and
the hosted page's code box, which refuses what Checkout refuses and then changes nothing."""

from __future__ import annotations

import pytest
import stripe
from bs4 import BeautifulSoup

from stripe_simulator import CodeRefused
from tests.simulator_support import browse, line, rendered_form, session_params, shipped_params


def soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def percent_code(sdk, code: str = "DIWALI10", percent: float = 10, **terms):
    coupon = sdk.v1.coupons.create(params={"percent_off": percent, "duration": "once"})
    return sdk.v1.promotion_codes.create(
        params={"promotion": {"type": "coupon", "coupon": coupon.id}, "code": code} | terms
    )


def flat_code(sdk, code: str = "FLAT100", amount: int = 10000, currency: str = "inr", **terms):
    coupon = sdk.v1.coupons.create(
        params={"amount_off": amount, "currency": currency, "duration": "once"}
    )
    return sdk.v1.promotion_codes.create(
        params={"promotion": {"type": "coupon", "coupon": coupon.id}, "code": code} | terms
    )


def totals(session) -> tuple[int, int, int, int]:
    """(subtotal, discount, shipping, total) as the session reports them."""
    details = session.total_details
    return (
        session.amount_subtotal,
        details.amount_discount,
        details.amount_shipping,
        session.amount_total,
    )


# --- Coupons and promotion codes over the API ----------------------------------------------


def test_creating_a_coupon_twice_with_one_idempotency_key_makes_one(sim, sdk):
    params = {"amount_off": 10000, "currency": "inr", "duration": "once", "name": "₹100 off"}
    first = sdk.v1.coupons.create(params=params, options={"idempotency_key": "coupon-7-v1"})
    again = sdk.v1.coupons.create(params=params, options={"idempotency_key": "coupon-7-v1"})

    assert again.id == first.id
    assert list(sim.coupons) == [first.id]
    assert sim.requests[-1].path == "/v1/coupons"


def test_a_coupon_id_is_the_shops_to_choose_and_unique(sdk):
    sdk.v1.coupons.create(params={"id": "SUMMER", "percent_off": 5})

    with pytest.raises(stripe.InvalidRequestError) as refused:
        sdk.v1.coupons.create(params={"id": "SUMMER", "percent_off": 5})

    assert refused.value.code == "resource_already_exists"


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({}, "percent_off"),
        ({"percent_off": 10, "amount_off": 100, "currency": "inr"}, "amount_off"),
        ({"amount_off": 10000}, "currency"),
        ({"percent_off": 120}, "percent_off"),
        ({"percent_off": 10, "duration": "repeating"}, "duration_in_months"),
        ({"percent_off": 10, "applies_to": {"products": ["prod_1"]}}, "applies_to"),
    ],
)
def test_coupons_stripe_refuses(sim, sdk, params, param):
    with pytest.raises(stripe.InvalidRequestError) as refused:
        sdk.v1.coupons.create(params=params)

    assert refused.value.param == param
    assert sim.coupons == {}


def test_only_a_coupons_name_and_metadata_change(sdk):
    coupon = sdk.v1.coupons.create(params={"percent_off": 10, "metadata": {"code": "A"}})

    renamed = sdk.v1.coupons.update(
        coupon.id, params={"name": "Ten off", "metadata": {"shop": "1"}}
    )
    with pytest.raises(stripe.InvalidRequestError) as refused:
        sdk.v1.coupons.update(coupon.id, params={"percent_off": 20})

    assert (renamed.name, renamed.metadata.to_dict()) == ("Ten off", {"code": "A", "shop": "1"})
    assert refused.value.param == "percent_off"
    assert sdk.v1.coupons.retrieve(coupon.id).percent_off == 10


def test_a_code_is_unique_among_active_codes_whatever_its_case(sdk):
    first = percent_code(sdk, "DIWALI10")

    with pytest.raises(stripe.InvalidRequestError) as refused:
        percent_code(sdk, "diwali10")
    sdk.v1.promotion_codes.update(first.id, params={"active": False})
    second = percent_code(sdk, "diwali10")

    assert refused.value.param == "code"
    assert "already exists" in refused.value.user_message
    assert second.active and not sdk.v1.promotion_codes.retrieve(first.id).active


def test_promotion_codes_are_listed_by_code_and_activity(sdk):
    old = percent_code(sdk, "SALE")
    sdk.v1.promotion_codes.update(old.id, params={"active": False})
    new = percent_code(sdk, "SALE")
    percent_code(sdk, "OTHER")

    active = sdk.v1.promotion_codes.list(params={"code": "SALE", "active": True}).data
    every = sdk.v1.promotion_codes.list(params={"code": "SALE"}).data

    assert [code.id for code in active] == [new.id]
    assert {code.id for code in every} == {old.id, new.id}


def test_a_promotion_code_names_its_coupon_under_promotion(sdk):
    minimum = {"minimum_amount": 50000, "minimum_amount_currency": "inr"}
    code = percent_code(sdk, "MIN500", restrictions=minimum)

    assert code.code == "MIN500"
    assert code.promotion.type == "coupon"
    assert sdk.v1.coupons.retrieve(code.promotion.coupon).percent_off == 10
    assert code.restrictions.minimum_amount == 50000
    assert "coupon" not in code.to_dict()


@pytest.mark.parametrize(
    ("terms", "param"),
    [
        ({"code": "DIWALI-10"}, "code"),
        ({"restrictions": {"minimum_amount": 50000}}, "restrictions[minimum_amount_currency]"),
        (
            {"restrictions": {"first_time_transaction": True}},
            "restrictions[first_time_transaction]",
        ),
    ],
)
def test_promotion_codes_stripe_refuses(sim, sdk, terms, param):
    coupon = sdk.v1.coupons.create(params={"percent_off": 10})
    with pytest.raises(stripe.InvalidRequestError) as refused:
        sdk.v1.promotion_codes.create(
            params={"promotion": {"type": "coupon", "coupon": coupon.id}} | terms
        )

    assert refused.value.param == param
    assert sim.promotion_codes == {}


# --- Totals, to the paisa --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make_code", "rate", "expected"),
    [
        # ₹1,300.00 of lines: 10 % off is ₹130.00, ₹100 off is ₹100.00; shipping never discounted.
        (percent_code, "Standard", (130000, 13000, 6000, 123000)),
        (percent_code, "Express", (130000, 13000, 15000, 132000)),
        (flat_code, "Standard", (130000, 10000, 6000, 126000)),
    ],
)
def test_a_code_discounts_the_lines_and_shipping_is_added(sim, sdk, make_code, rate, expected):
    code = make_code(sdk)
    session = sdk.v1.checkout.sessions.create(params=shipped_params(allow_promotion_codes=True))

    assert sim.pay(session.id, shipping_rate=rate, promotion_code=code.code.lower())

    paid = sdk.v1.checkout.sessions.retrieve(session.id)
    assert totals(paid) == expected
    assert paid.discounts[0].promotion_code == code.id
    assert paid.discounts[0].coupon == code.promotion.coupon
    assert paid.shipping_cost.amount_total == expected[2]
    assert sdk.v1.payment_intents.retrieve(paid.payment_intent).amount == expected[3]


def test_percent_off_rounds_to_the_nearest_paisa(sdk):
    # 12.5 % of ₹333.33 is ₹41.66625: ₹41.67 off.
    coupon = sdk.v1.coupons.create(params={"percent_off": 12.5})
    lines = [
        {
            "quantity": 1,
            "price_data": {
                "currency": "inr",
                "unit_amount": 33333,
                "product_data": {"name": "Mug"},
            },
        }
    ]
    session = sdk.v1.checkout.sessions.create(
        params=session_params(line_items=lines, discounts=[{"coupon": coupon.id}])
    )

    assert totals(session) == (33333, 4167, 0, 29166)


def test_an_amount_off_is_capped_at_the_lines_and_another_currency_does_not_apply(sdk):
    big = sdk.v1.coupons.create(params={"amount_off": 500000, "currency": "inr"})
    dollars = sdk.v1.coupons.create(params={"amount_off": 1000, "currency": "usd"})

    capped = sdk.v1.checkout.sessions.create(params=shipped_params(discounts=[{"coupon": big.id}]))
    with pytest.raises(stripe.InvalidRequestError) as refused:
        sdk.v1.checkout.sessions.create(params=session_params(discounts=[{"coupon": dollars.id}]))

    assert totals(capped) == (130000, 130000, 6000, 6000)
    assert refused.value.param == "discounts[0][coupon]"


def test_discounts_and_allow_promotion_codes_exclude_each_other(sim, sdk):
    coupon = sdk.v1.coupons.create(params={"percent_off": 10})
    with pytest.raises(stripe.InvalidRequestError) as refused:
        sdk.v1.checkout.sessions.create(
            params=session_params(discounts=[{"coupon": coupon.id}], allow_promotion_codes=True)
        )

    assert refused.value.user_message == (
        "You may only specify one of these parameters: allow_promotion_codes, discounts."
    )
    assert refused.value.param == "allow_promotion_codes"
    assert sim.sessions == {}


def test_a_paid_session_counts_a_use_and_a_used_up_code_is_refused(sim, sdk):
    code = percent_code(sdk, max_redemptions=1)
    first = sdk.v1.checkout.sessions.create(params=session_params(allow_promotion_codes=True))
    second = sdk.v1.checkout.sessions.create(params=session_params(allow_promotion_codes=True))

    sim.pay(first.id, promotion_code="DIWALI10")
    with pytest.raises(CodeRefused, match="fully redeemed"):
        sim.pay(second.id, promotion_code="DIWALI10")

    assert sdk.v1.promotion_codes.retrieve(code.id).times_redeemed == 1
    assert sdk.v1.coupons.retrieve(code.promotion.coupon).times_redeemed == 1
    assert sim.sessions[second.id]["status"] == "open"


def test_a_code_used_up_while_a_shopper_had_it_applied_comes_off_before_paying(sim, sdk):
    percent_code(sdk, max_redemptions=1)
    slow = sdk.v1.checkout.sessions.create(params=session_params(allow_promotion_codes=True))
    fast = sdk.v1.checkout.sessions.create(params=session_params(allow_promotion_codes=True))
    _, _, html = browse(slow.url)
    browse(slow.url, rendered_form(html) | {"promotion_code": "DIWALI10", "action": "apply_code"})

    sim.pay(fast.id, promotion_code="DIWALI10")
    status, _, html = browse(slow.url, rendered_form(browse(slow.url)[2]) | {"action": "pay"})

    assert status == 400
    assert "fully redeemed" in soup(html).select_one('[role="alert"]').text
    stored = sim.sessions[slow.id]
    assert (stored["status"], stored["discounts"], stored["amount_total"]) == ("open", [], 130000)


# --- The hosted page's code box --------------------------------------------------------------


def apply(url: str, code: str) -> tuple[int, BeautifulSoup]:
    _, _, html = browse(url)
    status, _, html = browse(
        url, rendered_form(html) | {"promotion_code": code, "action": "apply_code"}
    )
    return status, soup(html)


def test_applying_a_code_on_the_page_shows_the_new_totals(sim, sdk):
    percent_code(sdk)
    session = sdk.v1.checkout.sessions.create(params=shipped_params(allow_promotion_codes=True))

    status, page = apply(session.url, "diwali10")

    assert status == 200
    rows = [" ".join(row.stripped_strings) for row in page.select("tfoot tr")]
    assert rows == [
        "Subtotal ₹1,300.00",
        "Discount (DIWALI10) −₹130.00",
        "Shipping (Standard) ₹60.00",
        "Total ₹1,230.00",
    ]
    assert page.h1.text == "Pay ₹1,230.00"
    assert page.select_one("#applied-code").text == "DIWALI10 applied: −₹130.00"
    assert sim.sessions[session.id]["amount_total"] == 123000


def test_removing_the_code_restores_the_totals(sim, sdk):
    percent_code(sdk)
    session = sdk.v1.checkout.sessions.create(params=shipped_params(allow_promotion_codes=True))
    apply(session.url, "DIWALI10")

    _, _, html = browse(session.url)
    status, _, html = browse(session.url, rendered_form(html) | {"action": "remove_code"})

    assert status == 200
    assert soup(html).h1.text == "Pay ₹1,360.00"
    assert soup(html).select_one('input[name="promotion_code"]') is not None
    assert sim.sessions[session.id]["discounts"] == []


@pytest.mark.parametrize(
    ("terms", "message"),
    [
        ({"active": False}, "This code is invalid."),
        ({"expires_at": "soon"}, "This code has expired."),
        ({"max_redemptions": 1, "used": True}, "This code has already been fully redeemed."),
        (
            {"restrictions": {"minimum_amount": 200000, "minimum_amount_currency": "inr"}},
            "This code requires a minimum purchase of ₹2,000.00.",
        ),
    ],
    ids=["inactive", "expired", "used-up", "below-minimum"],
)
def test_the_page_refuses_codes_checkout_refuses_and_changes_nothing(sim, sdk, terms, message):
    terms = dict(terms)
    if terms.pop("expires_at", None):
        terms["expires_at"] = int(sim.now()) + 60
    used = terms.pop("used", False)
    code = percent_code(sdk, **terms)
    if used:
        other = sdk.v1.checkout.sessions.create(params=session_params(allow_promotion_codes=True))
        sim.pay(other.id, promotion_code="DIWALI10")
    session = sdk.v1.checkout.sessions.create(params=shipped_params(allow_promotion_codes=True))
    before = dict(sim.sessions[session.id])
    sim.advance(120)  # past the code's expiry, not the session's

    status, page = apply(session.url, "DIWALI10")

    assert status == 400
    assert page.select_one('[role="alert"]').text == message
    box = page.select_one('input[name="promotion_code"]')
    assert (box["value"], box["aria-invalid"]) == ("DIWALI10", "true")
    assert page.h1.text == "Pay ₹1,360.00"
    after = sim.sessions[session.id]
    assert (after["discounts"], after["amount_total"]) == ([], before["amount_total"])
    assert sdk.v1.promotion_codes.retrieve(code.id).times_redeemed == (1 if used else 0)


def test_an_unknown_code_is_invalid(sim, sdk):
    session = sdk.v1.checkout.sessions.create(params=session_params(allow_promotion_codes=True))

    status, page = apply(session.url, "NOSUCHCODE")

    assert status == 400
    assert page.select_one('[role="alert"]').text == "This code is invalid."


def test_a_session_without_allow_promotion_codes_has_no_code_box(sdk):
    session = sdk.v1.checkout.sessions.create(params=session_params())

    _, _, html = browse(session.url)

    assert soup(html).select_one('input[name="promotion_code"]') is None


def test_the_dashboard_lists_codes_with_their_terms_and_uses(sim, sdk):
    minimum = {"minimum_amount": 50000, "minimum_amount_currency": "inr"}
    percent_code(sdk, max_redemptions=5, restrictions=minimum)
    flat_code(sdk)
    session = sdk.v1.checkout.sessions.create(params=session_params(allow_promotion_codes=True))
    sim.pay(session.id, promotion_code="DIWALI10")

    _, _, html = browse(f"{sim.api_base}/dashboard")

    rows = [
        [cell.text for cell in row.select("td")]
        for row in soup(html).select("table")[1].select("tbody tr")
    ]
    assert rows == [
        ["FLAT100", "₹100.00 off", "yes", "0", ""],
        ["DIWALI10", "10 % off, orders from ₹500.00", "yes", "1 of 5", ""],
    ]


def test_a_session_created_with_a_code_below_its_minimum_is_refused(sim, sdk):
    minimum = {"minimum_amount": 200000, "minimum_amount_currency": "inr"}
    code = percent_code(sdk, restrictions=minimum)

    with pytest.raises(stripe.InvalidRequestError) as refused:
        sdk.v1.checkout.sessions.create(
            params=session_params(discounts=[{"promotion_code": code.id}])
        )
    session = sdk.v1.checkout.sessions.create(
        params=session_params(
            line_items=[line("Shoes", 120000, 2)], discounts=[{"promotion_code": code.id}]
        )
    )

    assert refused.value.param == "discounts[0][promotion_code]"
    assert "minimum purchase of ₹2,000.00" in refused.value.user_message
    assert totals(session) == (240000, 24000, 0, 216000)
    assert session.discounts[0].to_dict() == {
        "coupon": code.promotion.coupon,
        "promotion_code": code.id,
    }


def test_a_code_whose_coupon_is_used_up_cannot_be_reactivated(sim, sdk):
    coupon = sdk.v1.coupons.create(params={"percent_off": 10, "max_redemptions": 1})
    code = sdk.v1.promotion_codes.create(
        params={"promotion": {"type": "coupon", "coupon": coupon.id}, "code": "ONCE"}
    )
    session = sdk.v1.checkout.sessions.create(params=session_params(allow_promotion_codes=True))
    sim.pay(session.id, promotion_code="ONCE")
    sdk.v1.promotion_codes.update(code.id, params={"active": False})

    with pytest.raises(stripe.InvalidRequestError) as refused:
        sdk.v1.promotion_codes.update(code.id, params={"active": True})

    assert refused.value.param == "active"
    assert sdk.v1.coupons.retrieve(coupon.id).valid is False
    assert sdk.v1.promotion_codes.retrieve(code.id).active is False
