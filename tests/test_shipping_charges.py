"""Shipping charged through Stripe Checkout: the rates the shop offers, the one the shopper
picks on Stripe's page, verified to the paisa before the order is paid, and shown
wherever the order is (simulator over HTTP; the sample rates: Standard ₹60, Express ₹150,
free from ₹999)."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from bs4 import BeautifulSoup
from django.test import Client

from store import discounts, emails, order_links, shipping
from store.gst import documents
from store.models import Order, OrderEmail, Product, Refund
from store.payments import checkout
from store.payments.stripe_api import stripe_client
from tests import test_refunds
from tests.conftest import make_product, quantity_field
from tests.gst_support import register_for_gst
from tests.shopping import Shopper, my_orders
from tests.test_refunds import ORDERS, refund

refunder = test_refunds.refunder


def check_out(client, products, **quantities) -> Order:
    """Post the shop's form (T_Shirt=1 for "T-Shirt"): the pending order and its session."""
    by_name = {product.name.replace("-", "_"): product for product in products}
    form = {quantity_field(by_name[name]): str(count) for name, count in quantities.items()}
    client.post("/checkout/", form)
    return Order.objects.order_by("-pk").first()


def come_back(client, order: Order) -> Order:
    client.get("/checkout/success/", {"session_id": order.stripe_session_id})
    order.refresh_from_db()
    return order


def buy(client, stripe_sim, products, shipping_rate=None, **quantities) -> Order:
    order = check_out(client, products, **quantities)
    assert stripe_sim.pay(order.stripe_session_id, shipping_rate=shipping_rate)
    return come_back(client, order)


def charged(order: Order) -> tuple:
    return (
        order.status,
        order.amount_subtotal,
        order.amount_discount,
        order.amount_shipping,
        order.amount_total,
        order.shipping_rate_name,
    )


def test_an_order_under_the_threshold_pays_the_rate_it_chose(
    client, products, stripe_sim, shipping_rates
):
    order = buy(client, stripe_sim, products, shipping_rate="Express", T_Shirt=1, Cap=1)

    assert charged(order) == ("paid", 80000, 0, 15000, 95000, "Express")
    session = stripe_sim.sessions[order.stripe_session_id]
    assert session["amount_total"] == 95000  # what the card was charged


def test_the_cheapest_rate_is_the_default(client, products, stripe_sim, shipping_rates):
    order = buy(client, stripe_sim, products, T_Shirt=1)
    assert charged(order) == ("paid", 50000, 0, 6000, 56000, "Standard")


def test_a_paid_order_seen_again_asks_stripe_for_the_session_alone(
    client, products, stripe_sim, shipping_rates
):
    order = buy(client, stripe_sim, products, shipping_rate="Express", T_Shirt=1)
    asked_before = len(stripe_sim.requests)

    come_back(client, order)  # the success page refreshed, as a redelivered webhook reads it

    asked = [(request.method, request.path) for request in stripe_sim.requests[asked_before:]]
    assert asked == [("GET", f"/v1/checkout/sessions/{order.stripe_session_id}")]
    assert charged(order) == ("paid", 50000, 0, 15000, 65000, "Express")


def test_an_order_from_the_threshold_ships_free_or_pays_for_speed(
    client, products, stripe_sim, shipping_rates
):
    free = buy(client, stripe_sim, products, Shoes=1)
    assert charged(free) == ("paid", 120000, 0, 0, 120000, "Free shipping")

    client.cookies.clear()
    express = buy(client, stripe_sim, products, shipping_rate="Express", Shoes=1)
    assert charged(express) == ("paid", 120000, 0, 15000, 135000, "Express")


def test_the_session_offers_the_rates_with_their_delivery_estimates(
    client, products, stripe_sim, shipping_rates
):
    under = check_out(client, products, T_Shirt=1)
    session = stripe_client().v1.checkout.sessions.retrieve(under.stripe_session_id)
    options = [
        (rate.display_name, rate.fixed_amount.amount, rate.delivery_estimate.minimum.value)
        for rate in (
            stripe_client().v1.shipping_rates.retrieve(option.shipping_rate)
            for option in session.shipping_options
        )
    ]
    assert options == [("Standard", 6000, 3), ("Express", 15000, 1)]
    assert under.shipping_rates_offered[0] == {
        "name": "Standard",
        "amount": 6000,
        "min_business_days": 3,
        "max_business_days": 5,
    }


def test_without_rates_every_order_ships_free_as_before(client, products, stripe_sim):
    order = buy(client, stripe_sim, products, T_Shirt=1)

    assert charged(order) == ("paid", 50000, 0, 0, 50000, "")
    assert not stripe_sim.sessions[order.stripe_session_id].get("shipping_options")


def test_a_rate_edited_after_checkout_changes_nothing_for_that_order(
    client, products, stripe_sim, shipping_rates
):
    order = check_out(client, products, T_Shirt=1)
    shipping_rates.rates.filter(name="Standard").update(amount=9900)

    assert stripe_sim.pay(order.stripe_session_id)
    assert charged(come_back(client, order)) == ("paid", 50000, 0, 6000, 56000, "Standard")


# Verification: a session that does not add up, or charges what the shop never offered, is
# flagged for staff and not paid. Each tampers with one figure only, so each check is needed.


def refused(client, order: Order) -> Order:
    order = come_back(client, order)
    assert order.status == "pending" and order.paid_at is None
    assert order.needs_attention
    return order


@pytest.mark.parametrize(
    "figure, value, reason",
    [
        ("amount_total", 50000, "amount_total 50000 != 56000"),
        ("amount_subtotal", 40000, "amount_subtotal 40000 != 50000"),
        ("amount_shipping", 0, "amount_shipping 0 != 6000"),
        ("amount_discount", 5000, "amount_discount 5000 != 0"),
    ],
)
def test_a_session_tampered_in_one_figure_is_flagged_not_paid(
    client, products, stripe_sim, shipping_rates, figure, value, reason
):
    order = check_out(client, products, T_Shirt=1)  # ₹500 + ₹60 Standard shipping
    assert stripe_sim.pay(order.stripe_session_id)
    session = stripe_sim.sessions[order.stripe_session_id]
    if figure in session["total_details"]:
        stripe_sim.tamper(
            order.stripe_session_id, total_details=session["total_details"] | {figure: value}
        )
    else:
        stripe_sim.tamper(order.stripe_session_id, **{figure: value})

    assert reason in refused(client, order).attention_reason


def test_a_shipping_rate_the_shop_never_offered_is_flagged(
    client, products, stripe_sim, shipping_rates
):
    order = check_out(client, products, T_Shirt=1)
    assert stripe_sim.pay(order.stripe_session_id)
    # Consistent in itself: "Standard" at ₹1, with a total that adds up.
    cheap = stripe_client().v1.shipping_rates.create(
        params={
            "display_name": "Standard",
            "type": "fixed_amount",
            "fixed_amount": {"amount": 100, "currency": "inr"},
        }
    )
    session = stripe_sim.sessions[order.stripe_session_id]
    stripe_sim.tamper(
        order.stripe_session_id,
        shipping_cost=session["shipping_cost"]
        | {"amount_subtotal": 100, "amount_total": 100, "shipping_rate": cheap.id},
        total_details=session["total_details"] | {"amount_shipping": 100},
        amount_total=50100,
    )

    reason = refused(client, order).attention_reason
    assert "shipping rate 'Standard' at 100 was not offered" in reason


def test_free_shipping_is_flagged_when_the_order_was_not_offered_it(
    client, products, stripe_sim, shipping_rates
):
    """A session made for a basket over the threshold cannot pass for one under it."""
    order = check_out(client, products, T_Shirt=1)
    free = stripe_client().v1.shipping_rates.create(
        params={
            "display_name": "Free shipping",
            "type": "fixed_amount",
            "fixed_amount": {"amount": 0, "currency": "inr"},
        }
    )
    assert stripe_sim.pay(order.stripe_session_id)
    session = stripe_sim.sessions[order.stripe_session_id]
    stripe_sim.tamper(
        order.stripe_session_id,
        shipping_cost=session["shipping_cost"]
        | {"amount_subtotal": 0, "amount_total": 0, "shipping_rate": free.id},
        total_details=session["total_details"] | {"amount_shipping": 0},
        amount_total=50000,
    )

    assert "'Free shipping' at 0 was not offered" in refused(client, order).attention_reason


# Shown wherever the order is.


@pytest.fixture
def shipped_order(client, products, stripe_sim, shipping_rates) -> Order:
    """Two T-Shirts (₹1,000.00, free shipping) would be free: a Cap and a T-Shirt with Express."""
    order = check_out(client, products, T_Shirt=1, Cap=1)
    assert stripe_sim.pay(
        order.stripe_session_id, shipping_rate="Express", email="asha@example.com"
    )
    return come_back(client, order)


def text_of(response) -> str:
    return " ".join(BeautifulSoup(response.content, "html.parser").get_text(" ").split())


def test_my_orders_shows_subtotal_shipping_and_total(client, shipped_order):
    page = BeautifulSoup(client.get("/").content, "html.parser")
    order = page.select_one(f"[data-order-number='{shipped_order.number}']")
    charges = [" ".join(row.get_text(" ").split()) for row in order.select(".order-charges div")]
    assert charges == ["Subtotal ₹800.00", "Shipping (Express) ₹150.00"]
    assert " ".join(order.select_one(".order-total").get_text().split()) == "Total: ₹950.00"


def test_the_status_page_and_the_admin_page_show_them(client, admin_client, shipped_order):
    status = client.get(order_links.status_path(shipped_order))
    admin = admin_client.get(f"/admin/orders/inspect/{shipped_order.pk}/")
    for page in (status, admin):
        assert "Subtotal ₹800.00 Shipping (Express) ₹150.00 Total ₹950.00" in text_of(page)


def test_the_export_has_each_part(admin_client, shipped_order):
    response = admin_client.get("/admin/orders/", {"export": "csv"})
    (row,) = csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode()))
    assert (row["Subtotal"], row["Discount"], row["Discount code"]) == ("800.00", "0.00", "")
    assert (row["Shipping"], row["Shipping rate"], row["Total"]) == ("150.00", "Express", "950.00")

    response = admin_client.get("/admin/orders/", {"export": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    header, values = [cell.value for cell in sheet[1]], [cell.value for cell in sheet[2]]
    cells = dict(zip(header, values, strict=True))
    assert (cells["Subtotal"], cells["Shipping"], cells["Total"]) == (800, 150, 950)
    assert cells["Shipping rate"] == "Express"


def test_the_confirmation_email_lists_shipping(shipped_order):
    email = OrderEmail.objects.get(order=shipped_order, kind=OrderEmail.Kind.CONFIRMATION)
    message = emails.message(email)
    text, html = message.body, message.alternatives[0][0]
    assert "Subtotal: ₹800.00\nShipping (Express): ₹150.00\nTotal: ₹950.00" in text
    assert "<bdi>Shipping (Express)</bdi>" in html and "₹950.00" in html


def test_a_refund_of_everything_left_gives_back_the_shipping_too(
    refunder, shipped_order, stripe_sim
):
    page = text_of(refunder.get(f"{ORDERS}inspect/{shipped_order.pk}/"))
    assert "Left to refund ₹950.00" in page

    refund(refunder, shipped_order, amount="", refund_all="on")

    shipped_order.refresh_from_db()
    assert (shipped_order.amount_refunded, shipped_order.refund_state) == (95000, "Refunded")
    assert Refund.objects.get().amount == 95000


def test_a_credit_note_gives_back_the_shipping_line_in_proportion(
    refunder, shipped_order, stripe_sim
):
    register_for_gst(since=shipped_order.created_at)
    refund(refunder, shipped_order, amount="475")  # half of ₹950.00

    note = documents.issue_credit_note(Refund.objects.get())

    shipping = note.lines.get(invoice_line__order_line=None)
    assert (shipping.description, shipping.amount) == ("Shipping (Express)", 7500)
    assert note.amount == 47500


def test_the_tax_invoice_taxes_shipping_at_the_goods_highest_rate(shipped_order):
    register_for_gst(since=shipped_order.created_at)
    invoice = documents.issue_invoice(shipped_order)

    shipping = invoice.lines.get(order_line=None)
    assert (shipping.description, shipping.hsn_code, shipping.rate) == (
        "Shipping (Express)",
        "996812",
        12,  # the Cap's rate; the T-Shirt's is 5 %
    )
    assert shipping.amount == 15000
    assert invoice.amount == sum(line.amount for line in invoice.lines.all()) == 95000


# The shop page states the rates, and an owner's edit shows at once (the cached page renews).

SETTINGS_URL = "/admin/settings/store/shippingsettings/"


def shipping_note(client) -> str:
    section = BeautifulSoup(client.get("/").content, "html.parser").select_one("section.shipping")
    return " ".join(section.get_text(" ").split()) if section else ""


def settings_form(admin_client, shipping_rates) -> tuple[str, dict[str, str]]:
    """Settings → Shipping's address and what a browser would submit from it unchanged."""
    url = f"{SETTINGS_URL}{shipping_rates.site_id}/"
    page = BeautifulSoup(admin_client.get(url).content, "html.parser")
    return url, test_refunds.fields_of(page.select_one("form[method=post]"))


def edit_settings(admin_client, shipping_rates, **changes) -> None:
    """Submit Settings → Shipping as a browser would, with ``changes`` typed in."""
    url, fields = settings_form(admin_client, shipping_rates)
    saved = admin_client.post(url, fields | changes)
    assert saved.status_code == 302, text_of(saved)


def test_the_shop_page_states_the_rates_and_the_free_threshold(client, products, shipping_rates):
    assert shipping_note(client) == (
        "Shipping Standard : ₹60.00, 3–5 business days Express : ₹150.00, 1–2 business days "
        "Free shipping on orders of ₹999.00 or more (before discount codes). "
        "You choose how to ship when you pay."
    )


def test_without_rates_the_shop_page_says_nothing_of_shipping(client, products):
    assert shipping_note(client) == ""


# The rendering is renewed once the edit commits, as in production.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_edited_rate_shows_on_the_cached_shop_page_and_in_the_next_checkout(
    admin_client, products, stripe_sim, shipping_rates
):
    shopper = Client()  # signed out: served the shared (cached) rendering
    assert "Standard : ₹60.00" in shipping_note(shopper)  # now cached

    edit_settings(admin_client, shipping_rates, **{"rates-0-amount": "75.50"})

    assert "Standard : ₹75.50" in shipping_note(shopper)
    order = buy(shopper, stripe_sim, products, T_Shirt=1)
    assert charged(order) == ("paid", 50000, 0, 7550, 57550, "Standard")


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ({"free_shipping_threshold": "nine"}, "“nine” is not a number."),
        ({"rates-0-amount": "-5"}, "A price cannot be negative."),
        ({"rates-0-min_business_days": "7"}, "Make this at least the minimum business days."),
    ],
)
def test_settings_refuse_what_cannot_be_and_change_nothing(
    admin_client, shipping_rates, typed, message
):
    url, fields = settings_form(admin_client, shipping_rates)
    page = admin_client.post(url, fields | typed)

    assert page.status_code == 200
    assert message in text_of(page)
    shipping_rates.refresh_from_db()
    assert shipping_rates.free_shipping_threshold == 99900
    assert list(shipping_rates.rates.values_list("amount", "min_business_days")) == [
        (6000, 3),
        (15000, 1),
    ]


# What an order is offered, and that it stays what its session was made with.


@pytest.mark.parametrize(
    ("subtotal", "offer"),
    [
        (99899, [("Standard", 6000), ("Express", 15000)]),
        (99900, [("Free shipping", 0), ("Express", 15000)]),
    ],
)
def test_free_shipping_starts_at_the_threshold(shipping_rates, subtotal, offer):
    assert [(rate.name, rate.amount) for rate in shipping.offer(subtotal)] == offer


def test_a_retried_session_request_sends_what_the_first_sent(
    client, products, stripe_sim, shipping_rates, monkeypatch
):
    """The same idempotency key must carry the same parameters (Stripe refuses others): the
    offer is the order's, not the settings' of the moment."""
    order = check_out(client, products, T_Shirt=1)
    first = checkout._session_params(order, list(order.lines.all()), "https://shop.example")
    shipping_rates.rates.filter(name="Express").update(amount=20000)
    monkeypatch.setattr(discounts, "codes_on_offer", lambda: True)

    again = checkout._session_params(order, list(order.lines.all()), "https://shop.example")
    assert again == first
    assert "allow_promotion_codes" not in again


def test_settings_refuse_more_rates_than_stripe_offers(admin_client, shipping_rates):
    url, fields = settings_form(admin_client, shipping_rates)
    for index in range(2, 6):
        fields |= {
            f"rates-{index}-name": f"Rate {index}",
            f"rates-{index}-amount": "10",
            f"rates-{index}-active": "on",
            f"rates-{index}-ORDER": str(index + 1),
            f"rates-{index}-id": "",
            f"rates-{index}-DELETE": "",
        }
    fields["rates-TOTAL_FORMS"] = "6"

    page = admin_client.post(url, fields)

    assert "Stripe offers at most 5 shipping rates" in text_of(page)
    assert shipping_rates.rates.count() == 2


def test_a_discounted_order_shows_its_code(client, shipped_order):
    Order.objects.filter(pk=shipped_order.pk).update(
        amount_discount=8000, discount_code="SAVE10", amount_total=87000
    )
    shipped_order.refresh_from_db()

    assert shipped_order.charge_rows == [
        ("Subtotal", "₹800.00"),
        ("Discount (SAVE10)", "−₹80.00"),
        ("Shipping (Express)", "₹150.00"),
    ]


# The whole way through Stripe's (simulated) hosted page, as a shopper's browser goes.


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_shoppers_choose_on_stripes_page_and_see_what_they_paid(shop_server, shipping_rates):
    under = Shopper(shop_server.url)
    to_stripe = under.checkout(T_Shirt=1)
    page = BeautifulSoup(under.get(to_stripe.headers["Location"]).text, "html.parser")
    rates = {
        page.select_one(f"label[for={radio['id']}]").text: radio["value"]
        for radio in page.select("input[name=shipping_rate]")
    }
    assert list(rates) == [
        "Standard: ₹60.00, 3–5 business days",
        "Express: ₹150.00, 1–2 business days",
    ]
    express = rates["Express: ₹150.00, 1–2 business days"]
    # Choosing a rate shows its total first ("Update total"), then the shopper pays it.
    under._submit_payment(to_stripe.headers["Location"], shipping_rate=express, action="update")
    landing = under.follow_to_shop(under.pay(to_stripe.headers["Location"]))
    (order,) = my_orders(landing)
    assert order["total"] == "₹650.00"

    over = Shopper(shop_server.url)
    (order,) = my_orders(over.buy(Shoes=1))
    assert order["total"] == "₹1,200.00"
    paid = Order.objects.get(pk=order["number"])
    assert (paid.amount_shipping, paid.shipping_rate_name) == (0, "Free shipping")


def test_a_basket_stripe_could_charge_only_without_shipping_is_refused_first(
    client, stripe_sim, shipping_rates
):
    """Stripe's largest charge (₹99,99,999.99 in INR) counts the shipping: the form says so
    before any order or Checkout Session is made."""
    make_product("Gold bar", 999_999_000)  # ₹99,99,990.00: Express would pass the limit

    page = client.post("/checkout/", {quantity_field(Product.objects.get(name="Gold bar")): "1"})

    assert not Order.objects.exists()
    assert not stripe_sim.sessions
    shop = client.get(page.headers["Location"]) if page.status_code in (302, 303) else page
    assert "Stripe cannot charge more than ₹99,99,999.99 at once." in text_of(shop)
