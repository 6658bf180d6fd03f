"""Discount codes at checkout: Stripe's page offers a code box while a code is live, the
shopper's code gives the discount its terms say, to the paisa, and a session whose discount
the shop cannot account for is flagged for staff, not paid (simulator over HTTP; the sample
shipping rates: Standard ₹60, free from ₹999)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from bs4 import BeautifulSoup
from django.db import connection
from django.test import Client
from django.utils import timezone

from store import payments
from store.discounts import ExpectedDiscount, expected_discount
from store.models import DiscountCode, Order
from store.payments.discount_sync import record_terms, sync_with_stripe
from stripe_simulator import CodeRefused
from tests.conftest import make_product, requires_postgres
from tests.discount_codes import create_code, edit_code
from tests.test_concurrency import race
from tests.test_shipping_charges import charged, check_out, come_back

pytestmark = pytest.mark.django_db


def live_code(code: str = "DIWALI10", **terms) -> DiscountCode:
    """A code as the admin saves it: its terms recorded, then its coupon made at Stripe."""
    terms.setdefault("percent_off", Decimal(10))
    discount_code = DiscountCode.objects.create(code=code, **terms)
    record_terms(discount_code)
    assert sync_with_stripe(discount_code).at_stripe
    return discount_code


def pay_with_code(client, stripe_sim, order: Order, code: str | None, **details) -> Order:
    assert stripe_sim.pay(order.stripe_session_id, promotion_code=code, **details)
    return come_back(client, order)


@pytest.fixture
def socks(db):
    """A price whose tenth is not a whole number of paise."""
    return make_product("Socks", 19999)


def test_a_ten_percent_code_takes_a_tenth_of_the_subtotal_rounded_to_the_paisa(
    client, products, socks, stripe_sim, shipping_rates
):
    live_code()
    order = check_out(client, [*products, socks], T_Shirt=1, Socks=1)
    assert stripe_sim.sessions[order.stripe_session_id]["allow_promotion_codes"] is True

    order = pay_with_code(client, stripe_sim, order, "diwali10")  # typed in any case

    # 69999 - 7000 (6999.9 rounded) + 6000 Standard shipping (under ₹999)
    assert charged(order) == ("paid", 69999, 7000, 6000, 68999, "Standard")
    assert order.discount_code == "DIWALI10"
    assert stripe_sim.sessions[order.stripe_session_id]["amount_total"] == 68999


def test_a_hundred_rupee_code_takes_a_hundred_rupees(client, products, stripe_sim, shipping_rates):
    live_code("FLAT100", kind=DiscountCode.Kind.FIXED, percent_off=None, amount_off=10000)

    order = pay_with_code(client, stripe_sim, check_out(client, products, T_Shirt=1), "FLAT100")

    assert charged(order) == ("paid", 50000, 10000, 6000, 46000, "Standard")
    assert order.discount_code == "FLAT100"


def test_without_a_live_code_stripes_page_offers_no_code_box(client, products, stripe_sim):
    live_code(active=False)

    order = check_out(client, products, T_Shirt=1)

    assert not stripe_sim.sessions[order.stripe_session_id].get("allow_promotion_codes")


def test_a_discount_that_is_not_one_of_the_shops_codes_is_flagged_not_paid(
    client, products, stripe_sim
):
    live_code()
    order = check_out(client, products, T_Shirt=1)
    # Only the code changes: the amounts still add up, so only the code's check can notice.
    stripe_sim.tamper(
        order.stripe_session_id,
        discounts=[{"coupon": "FORGED", "promotion_code": "promo_forged"}],
    )

    order = pay_with_code(client, stripe_sim, order, None)

    assert order.status == "pending" and order.needs_attention
    assert "promo_forged is not one of the shop's codes" in order.attention_reason


def test_a_discount_larger_than_its_codes_terms_is_flagged_not_paid(client, products, stripe_sim):
    ten_percent = live_code()
    flat = live_code("FLAT100", kind=DiscountCode.Kind.FIXED, percent_off=None, amount_off=10000)
    order = check_out(client, products, T_Shirt=1)
    flat_terms = flat.versions.get()
    assert stripe_sim.pay(order.stripe_session_id, promotion_code="FLAT100")
    # The session claims the 10 % code while ₹100 came off.
    ten_terms = ten_percent.versions.get()
    stripe_sim.tamper(
        order.stripe_session_id,
        discounts=[
            {
                "coupon": ten_terms.stripe_coupon_id,
                "promotion_code": ten_terms.stripe_promotion_code_id,
            }
        ],
    )
    assert flat_terms.stripe_promotion_code_id != ten_terms.stripe_promotion_code_id

    order = come_back(client, order)

    assert order.status == "pending" and order.needs_attention
    assert "amount_discount 10000 != 5000" in order.attention_reason


def test_a_code_used_up_by_one_email_is_flagged_when_that_email_uses_it_again(
    client, products, stripe_sim
):
    live_code(max_uses_per_email=1)
    first = pay_with_code(
        client, stripe_sim, check_out(client, products, T_Shirt=1), "DIWALI10", email="a@x.in"
    )
    client.cookies.clear()
    other = pay_with_code(
        client, stripe_sim, check_out(client, products, Cap=1), "DIWALI10", email="b@x.in"
    )
    client.cookies.clear()

    again = pay_with_code(
        client, stripe_sim, check_out(client, products, Shoes=1), "DIWALI10", email="A@x.in"
    )

    assert (first.status, other.status) == ("paid", "paid")
    assert again.status == "pending" and again.needs_attention
    assert "code DIWALI10 was already used 1 times by A@x.in (limit 1)" in again.attention_reason


@pytest.fixture
def slow_payments(db):
    """Marking an order paid takes 0.3 s, widening the window between counting an email's
    uses of a code and recording this one: two payments overlapping there both pass unless
    the lock orders them."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION store_test_slow_paid() RETURNS trigger AS "
            "$$ BEGIN IF NEW.status = 'paid' THEN PERFORM pg_sleep(0.3); END IF; "
            "RETURN NEW; END $$ LANGUAGE plpgsql"
        )
        cursor.execute(
            "CREATE TRIGGER store_test_slow_paid BEFORE UPDATE ON store_order "
            "FOR EACH ROW EXECUTE FUNCTION store_test_slow_paid()"
        )
    yield
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER store_test_slow_paid ON store_order")
        cursor.execute("DROP FUNCTION store_test_slow_paid()")


@requires_postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_one_email_paying_twice_at_once_uses_a_once_per_email_code_once(
    products, stripe_sim, slow_payments
):
    live_code(max_uses_per_email=1)
    orders = []
    for name in ("T_Shirt", "Cap"):
        order = check_out(Client(), products, **{name: 1})
        assert stripe_sim.pay(order.stripe_session_id, promotion_code="DIWALI10", email="a@x.in")
        orders.append(order)

    outcomes = race(2, lambda i: payments.fulfill_checkout(orders[i].stripe_session_id))

    assert sorted(outcome.value for outcome in outcomes) == ["mismatch", "paid"]
    flagged = Order.objects.get(status="pending")
    assert "code DIWALI10 was already used 1 times by a@x.in" in flagged.attention_reason


# The terms as of the session's creation, read from a session as Stripe sends it.


def session_with(discount_code: DiscountCode, created: datetime, email: str = "") -> dict:
    terms = discount_code.versions.get()
    return {
        "created": int(created.timestamp()),
        "currency": "inr",
        "customer_details": {"email": email},
        "discounts": [
            {"coupon": terms.stripe_coupon_id, "promotion_code": terms.stripe_promotion_code_id}
        ],
    }


def test_the_terms_are_checked_as_of_the_sessions_creation(stripe_sim):
    now = timezone.now()
    discount_code = live_code(
        minimum_subtotal=99900, starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=1)
    )

    during = session_with(discount_code, now)
    assert expected_discount(during, 100000, "inr") == ExpectedDiscount("DIWALI10", 10000)
    before = expected_discount(session_with(discount_code, now - timedelta(days=2)), 100000, "inr")
    assert before.problem == "code DIWALI10 had not started when the checkout began"
    after = expected_discount(session_with(discount_code, now + timedelta(days=2)), 100000, "inr")
    assert after.problem == "code DIWALI10 had ended when the checkout began"
    below = expected_discount(during, 99899, "inr")
    assert below.problem == "code DIWALI10 needs a subtotal of at least ₹999.00"


def test_a_fixed_code_in_another_currency_is_not_allowed(stripe_sim):
    discount_code = live_code("FLAT100", kind="fixed", percent_off=None, amount_off=10000)

    found = expected_discount(session_with(discount_code, datetime.now(UTC)), 50000, "usd")

    assert found.problem == "code FLAT100 is in INR, the order in USD"


def test_a_session_without_a_discount_expects_none(stripe_sim):
    assert expected_discount({"discounts": []}, 50000, "inr") == ExpectedDiscount("", 0)


def test_a_codes_uses_show_in_its_listing_and_in_the_sales_panel(
    admin_client, products, stripe_sim
):
    discount_code = live_code()
    shopper = Client()
    used = [
        pay_with_code(shopper, stripe_sim, check_out(shopper, products, **quantities), "DIWALI10")
        for quantities in ({"T_Shirt": 1}, {"Cap": 1})
    ]
    pay_with_code(shopper, stripe_sim, check_out(shopper, products, Shoes=1), None)

    listing = BeautifulSoup(admin_client.get("/admin/discount_codes/").content, "html.parser")
    cells = [cell.text.strip() for cell in listing.select("tbody tr td")]
    assert cells[3:5] == ["2", "₹80.00"]  # uses (paid orders), what they took off
    dashboard = BeautifulSoup(admin_client.get("/admin/").content, "html.parser")
    (codes,) = [t for t in dashboard.select("table") if "Discount codes used" in t.text]
    rows = [
        [cell.text.strip() for cell in row.select("th, td")] for row in codes.select("tbody tr")
    ]
    assert rows == [["DIWALI10", "2", "₹80.00"]]
    inspect = admin_client.get(f"/admin/discount_codes/inspect/{discount_code.pk}/")
    page = BeautifulSoup(inspect.content, "html.parser")
    assert "2 paid orders, ₹80.00 off in all." in page.text
    linked = [a["href"] for a in page.select("a[href^='/admin/orders/inspect/']")]
    assert linked == [f"/admin/orders/inspect/{order.pk}/" for order in reversed(used)]
    assert discount_code.current_terms().stripe_coupon_id in page.text


def test_new_terms_allow_only_the_uses_left_of_the_codes_total(admin_client, products, stripe_sim):
    discount_code = live_code(max_uses=2)
    shopper = Client()
    for quantities in ({"T_Shirt": 1}, {"Cap": 1}):
        pay_with_code(shopper, stripe_sim, check_out(shopper, products, **quantities), "DIWALI10")

    # Used up: new terms would leave Stripe no use to allow (it refuses max_redemptions 0).
    refused = edit_code(admin_client, discount_code, percent_off="15", max_uses="2")
    assert refused.status_code == 200
    assert "The code has been used 2 times already" in refused.content.decode()
    assert edit_code(admin_client, discount_code, percent_off="15", max_uses="3").status_code == 302

    new_terms = discount_code.current_terms()
    assert new_terms.max_redemptions == 1
    promotion_code = stripe_sim.promotion_codes[new_terms.stripe_promotion_code_id]
    assert (
        promotion_code["max_redemptions"]
        == stripe_sim.coupons[new_terms.stripe_coupon_id]["max_redemptions"]
        == 1
    )


# Stripe's page refuses what the code's terms, as sent to Stripe, do not allow.


def test_stripes_page_refuses_a_code_below_its_minimum(client, products, stripe_sim):
    live_code(minimum_subtotal=99900)
    order = check_out(client, products, T_Shirt=1)

    with pytest.raises(CodeRefused, match=r"^This code requires a minimum purchase of ₹999\.00\.$"):
        stripe_sim.pay(order.stripe_session_id, promotion_code="DIWALI10")


def test_stripes_page_refuses_a_code_past_its_total_uses(client, products, stripe_sim):
    live_code(max_uses=1)
    pay_with_code(client, stripe_sim, check_out(client, products, T_Shirt=1), "DIWALI10")
    client.cookies.clear()
    order = check_out(client, products, Cap=1)

    with pytest.raises(CodeRefused, match=r"^This code has already been fully redeemed\.$"):
        stripe_sim.pay(order.stripe_session_id, promotion_code="DIWALI10")


def test_stripes_page_refuses_a_code_that_has_ended(client, products, stripe_sim):
    live_code(ends_at=timezone.now() + timedelta(minutes=5))
    order = check_out(client, products, T_Shirt=1)
    stripe_sim.advance(6 * 60)

    with pytest.raises(CodeRefused, match=r"^This code has expired\.$"):
        stripe_sim.pay(order.stripe_session_id, promotion_code="DIWALI10")


def test_with_every_first_answer_lost_a_code_is_still_made_once(admin_client, stripe_sim, settings):
    settings.STRIPE_MAX_NETWORK_RETRIES = 1  # production's retry, with the same key
    stripe_sim.lose_first_answers()

    discount_code = create_code(admin_client)
    assert edit_code(admin_client, discount_code, percent_off="15").status_code == 302

    assert len(stripe_sim.coupons) == len(stripe_sim.promotion_codes) == 2
    assert [p["active"] for p in stripe_sim.promotion_codes.values()] == [False, True]
