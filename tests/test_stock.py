"""Stock: sold-out and few-left on the shop, units held for the life of a Checkout Session."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from store import payments, stock
from store.models import Order, Product, ProductVariant
from tests.conftest import set_stock
from tests.test_webhooks import deliver, event_for

HELD_BADGE = "{} held in other checkouts, back soon if unpaid"
HELD_MESSAGE = "ran short while you were choosing: the rest is held in other shoppers' checkouts"


@pytest.fixture
def shirt(products) -> ProductVariant:
    """The T-Shirt (its one variant: it has no sizes), with three units on hand."""
    set_stock("T-Shirt", 3)
    return ProductVariant.objects.get(product__name="T-Shirt")


def card(client, name: str) -> BeautifulSoup:
    page = BeautifulSoup(client.get("/").content, "html.parser")
    for product in page.select("li.product"):
        if product.select_one(".product-name").text == name:
            return product
    raise AssertionError(f"{name} is not on the shop page")


def availability(client, name: str) -> str:
    badge = card(client, name).select_one(".availability")
    return badge.text if badge else ""


def check_out(client: Client, variant: ProductVariant, quantity: int = 1, *, form_token=None):
    form = {"form_token": str(form_token or uuid.uuid4()), f"quantity_{variant.pk}": str(quantity)}
    return client.post("/checkout/", form)


def left(variant: ProductVariant) -> int:
    return stock.available(
        stock.with_held_units(ProductVariant.objects.filter(pk=variant.pk)).get()
    )


def form_errors(response) -> str:
    page = BeautifulSoup(response.content, "html.parser")
    return " ".join(node.text for node in page.select(".error-summary li, .field-error"))


def refused(client, response):
    """The shop page a refused checkout redirects to (Post/Redirect/Get), as shown then."""
    assert (response.status_code, response["Location"]) == (303, "/#error-summary")
    return client.get("/")


# --- The shop page ---------------------------------------------------------------------


def test_untracked_products_show_no_stock_and_sell_as_before(client, products, stripe_sim):
    only = products[0].variants.get()
    assert only.stock is None
    assert availability(client, "T-Shirt") == ""
    assert card(client, "T-Shirt").select_one("input")["max"] == "10"
    assert check_out(client, only, 10).status_code == 303


@pytest.mark.parametrize(
    "on_hand, badge, maximum",
    [(0, "Sold out", "0"), (1, "Only 1 left", "1"), (5, "Only 5 left", "5"), (6, "", "6")],
)
def test_the_shop_says_what_is_left(client, shirt, on_hand, badge, maximum):
    ProductVariant.objects.filter(pk=shirt.pk).update(stock=on_hand)
    assert availability(client, "T-Shirt") == badge
    field = card(client, "T-Shirt").select_one("input")
    assert field["max"] == maximum
    assert field.has_attr("disabled") == (on_hand == 0)
    if badge:
        assert field["aria-describedby"] == f"availability-{shirt.pk}"


def test_units_in_a_live_checkout_are_not_offered_to_others(
    client, shirt, stripe_sim, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        check_out(client, shirt, 2)
    assert availability(Client(), "T-Shirt") == "Only 1 left"
    with django_capture_on_commit_callbacks(execute=True):
        check_out(Client(), shirt, 1)
    # Held, not sold: "Sold out" only once stock itself is 0.
    assert availability(Client(), "T-Shirt") == HELD_BADGE.format(3)


@pytest.mark.parametrize(
    "on_hand, wanted, message",
    [(2, 3, "Only 2 T-Shirt left: choose at most 2."), (0, 1, "Sorry, T-Shirt is sold out.")],
)
def test_the_form_refuses_more_than_is_left_naming_the_product(
    client, shirt, stripe_sim, on_hand, wanted, message
):
    ProductVariant.objects.filter(pk=shirt.pk).update(stock=on_hand)
    response = check_out(client, shirt, wanted)
    response = refused(client, response)
    assert message in form_errors(response)
    assert Order.objects.count() == 0 and stripe_sim.requests == []


# --- Holding at checkout -----------------------------------------------------------------


def test_a_checkout_that_lost_the_race_creates_nothing_and_asks_stripe_nothing(
    client, shirt, stripe_sim, monkeypatch
):
    # The page was rendered when units were left; another checkout took them since.
    check_out(Client(), shirt, 3)
    monkeypatch.setattr(stock, "available", lambda product: 10)

    response = check_out(client, shirt, 1)

    response = refused(client, response)
    assert f"Sorry, T-Shirt {HELD_MESSAGE}" in form_errors(response)
    assert Order.objects.count() == 1 and len(stripe_sim.sessions) == 1


def test_a_checkout_that_lost_the_race_to_a_sale_is_told_it_sold_out(
    client, shirt, stripe_sim, monkeypatch
):
    # The page was rendered when units were left; they have been sold since.
    ProductVariant.objects.filter(pk=shirt.pk).update(stock=0)
    monkeypatch.setattr(stock, "available", lambda product: 10)

    response = check_out(client, shirt, 1)

    said = form_errors(refused(client, response))
    assert "Sorry, T-Shirt sold out while you were choosing. Nothing was ordered" in said
    assert not Order.objects.exists() and stripe_sim.requests == []


def test_the_hold_ends_when_the_checkout_session_does(client, shirt, stripe_sim):
    before = timezone.now()
    check_out(client, shirt, 2)
    order = Order.objects.get()
    session = stripe_sim.sessions[order.stripe_session_id]

    assert session["expires_at"] == int(order.checkout_expires_at.timestamp())
    # Stripe's shortest session (30 minutes) by default, plus the margin for its clock.
    assert timedelta(minutes=30) <= order.checkout_expires_at - before < timedelta(minutes=35)
    assert left(shirt) == 1
    # Nothing has to run for the hold to end: from that moment it simply stops counting.
    moment = timedelta(microseconds=1)
    assert stock.is_holding(order, now=order.checkout_expires_at - moment)
    assert not stock.is_holding(order, now=order.checkout_expires_at)
    Order.objects.update(checkout_expires_at=timezone.now() - moment)
    assert left(shirt) == 3


def test_posting_the_same_form_again_holds_nothing_more(client, shirt, stripe_sim):
    token = uuid.uuid4()
    check_out(client, shirt, 2, form_token=token)
    check_out(client, shirt, 2, form_token=token)
    assert left(shirt) == 1


# --- Release and consume -------------------------------------------------------------------


def test_cancelling_gives_the_units_back(client, shirt, stripe_sim):
    check_out(client, shirt, 3)
    client.get(f"/checkout/cancel/{Order.objects.get().public_id}/")
    assert left(shirt) == 3


def test_expiry_by_webhook_gives_the_units_back(client, shirt, stripe_sim):
    check_out(client, shirt, 3)
    order = Order.objects.get()
    stripe_sim.expire(order.stripe_session_id)
    deliver(client, event_for(stripe_sim, "checkout.session.expired", order))
    assert left(shirt) == 3


def test_expiry_found_by_reconcile_gives_the_units_back(client, shirt, stripe_sim):
    check_out(client, shirt, 3)
    order = Order.objects.get()
    stripe_sim.expire(order.stripe_session_id)
    call_command("sync_orders", "--older-than", "0", stdout=None)
    order.refresh_from_db()
    assert order.status == "expired" and left(shirt) == 3


def test_time_passing_alone_gives_the_units_back(client, shirt, stripe_sim):
    check_out(client, shirt, 3)
    assert left(shirt) == 0
    Order.objects.update(checkout_expires_at=timezone.now() - timedelta(seconds=1))
    assert left(shirt) == 3
    assert availability(client, "T-Shirt") == "Only 3 left"


def test_a_delayed_payment_holds_until_it_fails_then_gives_the_units_back(
    dollar_shop, client, shirt, stripe_sim
):
    check_out(client, shirt, 3)
    order = Order.objects.get()
    stripe_sim.pay_delayed(order.stripe_session_id, succeed=False)
    deliver(client, event_for(stripe_sim, "checkout.session.completed", order))
    Order.objects.update(checkout_expires_at=timezone.now() - timedelta(seconds=1))
    assert left(shirt) == 0  # the session's time is up, but the payment is still processing

    stripe_sim.settle(order.stripe_session_id)
    deliver(client, event_for(stripe_sim, "checkout.session.async_payment_failed", order))

    assert Order.objects.get().status == "failed"
    assert left(shirt) == 3


def test_paying_takes_the_units_off_stock_once(client, shirt, stripe_sim):
    check_out(client, shirt, 2)
    order = Order.objects.get()
    stripe_sim.pay(order.stripe_session_id)
    for _ in range(3):
        client.get("/checkout/success/", {"session_id": order.stripe_session_id})
        deliver(client, event_for(stripe_sim, "checkout.session.completed", order))

    shirt.refresh_from_db()
    assert shirt.stock == 1 and left(shirt) == 1
    assert not Order.objects.get().needs_attention


def test_money_for_units_no_longer_held_is_flagged_not_silently_oversold(client, shirt, stripe_sim):
    check_out(client, shirt, 3)
    late = Order.objects.get()
    Order.objects.filter(pk=late.pk).update(checkout_expires_at=timezone.now())
    check_out(Client(), shirt, 3)  # the units went to someone else meanwhile
    stripe_sim.pay(late.stripe_session_id)

    assert payments.fulfill_checkout(late.stripe_session_id) is payments.Outcome.PAID

    late.refresh_from_db()
    shirt.refresh_from_db()
    assert late.status == "paid" and late.needs_attention
    assert late.attention_reason.startswith("Oversold: T-Shirt (stock is now below zero)")
    assert shirt.stock == 0 and left(shirt) == 0
    assert stock.with_held_units(ProductVariant.objects.filter(pk=shirt.pk)).get().held_units == 3


def test_a_late_payment_with_units_to_spare_is_not_flagged(client, shirt, stripe_sim):
    check_out(client, shirt, 1)
    late = Order.objects.get()
    Order.objects.filter(pk=late.pk).update(checkout_expires_at=timezone.now())
    stripe_sim.pay(late.stripe_session_id)

    payments.fulfill_checkout(late.stripe_session_id)

    late.refresh_from_db()
    assert late.status == "paid" and not late.needs_attention
    assert left(shirt) == 2


# --- Staff -------------------------------------------------------------------------------


def edit(admin_client, variant: ProductVariant, **fields):
    """Post the product's editor as shown; ``stock`` and ``stock-as-shown`` are its variant's."""
    product = variant.product
    shown = "" if variant.stock is None else str(variant.stock)
    stock_fields = {"stock": shown, "stock-as-shown": shown}
    stock_fields |= {name: fields.pop(name) for name in list(fields) if name in stock_fields}
    data = {
        "name": product.name,
        "slug": product.slug,
        "description": product.description,
        "price": str(product.price // 100),
        "image": "",
        "variants-TOTAL_FORMS": "1",
        "variants-INITIAL_FORMS": "1",
        "variants-MIN_NUM_FORMS": "1",
        "variants-MAX_NUM_FORMS": "1000",
        "variants-0-id": str(variant.pk),
        "variants-0-ORDER": "1",
        "variants-0-DELETE": "",
        "variants-0-sku": variant.sku,
        "variants-0-price": "",
        **{f"variants-0-{name}": value for name, value in stock_fields.items()},
    } | fields
    return admin_client.post(f"/admin/snippets/store/product/edit/{product.pk}/", data)


def test_the_listing_shows_stock_held_and_available(admin_client, shirt, stripe_sim):
    check_out(Client(), shirt, 2)
    set_stock("Cap", -1)
    page = BeautifulSoup(admin_client.get("/admin/snippets/store/product/").content, "html.parser")
    headings = [th.text.strip() for th in page.select("table.listing thead th")]
    rows = {
        row.select_one("td a").text.strip(): [td.text.strip() for td in row.select("td")]
        for row in page.select("table.listing tbody tr")
    }
    columns = [headings.index(name) for name in ("Stock", "Held", "Available")]
    assert [rows["T-Shirt"][column] for column in columns] == ["3", "2", "1"]
    assert [rows["Shoes"][column] for column in columns] == ["—", "—", "—"]
    assert [rows["Cap"][column] for column in columns] == ["-1", "0", "-1"]


def test_an_editors_change_adds_to_what_is_on_hand_now(admin_client, shirt, stripe_sim):
    shown = str(shirt.stock)  # the editor opens the form and sees 3
    check_out(Client(), shirt, 1)
    Order.objects.update(status="paid")
    ProductVariant.objects.filter(pk=shirt.pk).update(stock=2)  # ... while one unit sells

    response = edit(admin_client, shirt, stock="13", **{"stock-as-shown": shown})

    assert response.status_code == 302
    shirt.refresh_from_db()
    assert shirt.stock == 12  # ten more than the editor saw, the sale still counted


def test_publishing_an_old_revision_does_not_bring_back_sold_units(admin_client, shirt):
    edit(admin_client, shirt, price="600")  # a draft, with stock 3 in its content
    ProductVariant.objects.filter(pk=shirt.pk).update(stock=1)  # two units sell
    revision = Product.objects.get(pk=shirt.product_id).latest_revision

    revision.publish()

    shirt.refresh_from_db()
    assert (shirt.product.price, shirt.stock) == (60000, 1)


def test_stock_can_be_left_empty_to_stop_tracking_it(admin_client, shirt):
    edit(admin_client, shirt, stock="", **{"action-publish": "1"})
    shirt.refresh_from_db()
    assert shirt.stock is None


def test_an_editor_cannot_type_a_negative_count(admin_client, shirt):
    response = edit(admin_client, shirt, stock="-2")
    assert response.status_code == 200
    shirt.refresh_from_db()
    assert shirt.stock == 3
