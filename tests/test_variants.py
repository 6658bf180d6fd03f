"""Sizes: a T-shirt in S, M and L, each with its own stock, bought side by side in one
checkout, and named "T-Shirt — M" everywhere after (Stripe, My Orders, emails, exports,
the admin)."""

from __future__ import annotations

import csv
import io
import uuid

import pytest
from bs4 import BeautifulSoup
from django.test import Client

from store import emails, refund_restock, stock
from store.gst import documents
from store.models import Order, OrderEmail, Product, ProductVariant, Refund
from tests.conftest import give_sizes
from tests.gst_support import register_for_gst
from tests.shopping import my_orders
from tests.test_stock import form_errors, refused
from tests.test_webhooks import deliver, event_for


@pytest.fixture
def sizes(products) -> dict[str, ProductVariant]:
    """The T-Shirt in S (not counted), M (5 on hand) and L (2 on hand, its own price)."""
    shirt = Product.objects.get(name="T-Shirt")
    give_sizes(shirt, {"S": None, "M": 5, "L": 2}, L=55000)
    return {variant.value_1: variant for variant in shirt.variants.all()}


def shop(client: Client) -> BeautifulSoup:
    return BeautifulSoup(client.get("/").content, "html.parser")


def form_for(page: BeautifulSoup, **quantities: int) -> dict[str, str]:
    """The shop form as a browser posts it: each quantity found by its field's label."""
    form = page.select_one("form.checkout-form")
    data = {field["name"]: field.get("value", "") for field in form.select("input[type=hidden]")}
    data["form_token"] = str(uuid.uuid4())
    for label_text, quantity in quantities.items():
        label = next(
            label for label in form.select("label") if label.text == f"Quantity of {label_text}"
        )
        data[label["for"].removeprefix("id_")] = str(quantity)
    return data


def left(variant: ProductVariant) -> int | None:
    return stock.available(
        stock.with_held_units(ProductVariant.objects.filter(pk=variant.pk)).get()
    )


def test_the_shop_offers_each_size_with_its_own_stock(client, sizes):
    ProductVariant.objects.filter(pk=sizes["L"].pk).update(stock=0)
    card = next(
        product
        for product in shop(client).select("li.product")
        if product.select_one(".product-name").text == "T-Shirt"
    )
    group = card.select_one("fieldset.variant-quantities")
    assert group.select_one("legend").text == "Quantity of T-Shirt by size"
    labels = [label.text for label in group.select("label")]
    assert labels == [
        "Quantity of T-Shirt — S",
        "Quantity of T-Shirt — M",
        "Quantity of T-Shirt — L",
    ]
    fields = {field["id"]: field for field in group.select("input[type=number]")}
    small, medium, large = (fields[f"id_quantity_{sizes[size].pk}"] for size in "SML")
    assert (small["max"], medium["max"]) == ("10", "5")
    assert large.has_attr("disabled") and large["max"] == "0"
    assert group.select_one(f"#availability-{sizes['L'].pk}").text == "Sold out"
    assert large["aria-describedby"] == f"availability-{sizes['L'].pk}"
    assert "Only 5 left" in group.select_one(f"#availability-{sizes['M'].pk}").text


def test_m_and_l_in_one_checkout_paid_once_each_size_counted_apart(client, sizes, stripe_sim):
    response = client.post(
        "/checkout/", form_for(shop(client), **{"T-Shirt — M": 1, "T-Shirt — L": 2})
    )
    assert response.status_code == 303

    order = Order.objects.get()
    create = next(r for r in stripe_sim.requests if r.method == "POST")
    assert [
        (
            line["price_data"]["product_data"]["name"],
            line["price_data"]["unit_amount"],
            line["quantity"],
        )
        for line in create.params["line_items"]
    ] == [("T-Shirt — M", "50000", "1"), ("T-Shirt — L", "55000", "2")]
    assert order.amount_total == 50000 + 2 * 55000
    # Held: each size apart; S (not counted) and the other products are untouched.
    assert (left(sizes["M"]), left(sizes["L"]), left(sizes["S"])) == (4, 0, None)

    stripe_sim.pay(order.stripe_session_id)
    landing = client.get("/checkout/success/", {"session_id": order.stripe_session_id})
    deliver(client, event_for(stripe_sim, "checkout.session.completed", order))
    assert landing.status_code == 303

    on_hand = dict(
        ProductVariant.objects.filter(product__name="T-Shirt").values_list("value_1", "stock")
    )
    assert on_hand == {"S": None, "M": 4, "L": 0}
    lines = list(Order.objects.get().lines.all())
    assert [(line.variant_id, line.product_name, line.variant_name) for line in lines] == [
        (sizes["M"].pk, "T-Shirt", "M"),
        (sizes["L"].pk, "T-Shirt", "L"),
    ]
    assert lines[0].sku == "T-SHIRT-M" and lines[0].option_values == {"Size": "M"}
    assert my_orders(shop(client))[0]["lines"] == ["1 × T-Shirt — M", "2 × T-Shirt — L"]


def test_the_order_line_keeps_the_size_as_it_was_after_the_editor_renames_it(
    client, sizes, stripe_sim
):
    client.post("/checkout/", form_for(shop(client), **{"T-Shirt — M": 1}))
    ProductVariant.objects.filter(pk=sizes["M"].pk).update(value_1="Medium", sku="NEW")
    line = Order.objects.get().lines.get()
    assert (line.name, line.sku, line.option_values) == ("T-Shirt — M", "T-SHIRT-M", {"Size": "M"})


def test_the_last_units_of_one_size_do_not_stop_another(client, sizes, stripe_sim):
    client.post("/checkout/", form_for(shop(client), **{"T-Shirt — L": 2}))
    other = Client()
    response = other.post("/checkout/", form_for(shop(other), **{"T-Shirt — L": 1}))
    # Held by the first checkout, not sold: it may come back.
    said = form_errors(refused(other, response))
    assert "Sorry, T-Shirt — L is all held in other shoppers' checkouts right now." in said
    assert other.post("/checkout/", form_for(shop(other), **{"T-Shirt — M": 3})).status_code == 303
    assert Order.objects.count() == 2


def test_emails_exports_and_the_admin_order_page_name_the_size(admin_client, sizes, stripe_sim):
    shopper = Client()
    shopper.post("/checkout/", form_for(shop(shopper), **{"T-Shirt — M": 1}))
    order = Order.objects.get()
    stripe_sim.pay(order.stripe_session_id, email="asha@example.com")
    deliver(shopper, event_for(stripe_sim, "checkout.session.completed", order))

    confirmation = emails.message(OrderEmail.objects.get(order=order, kind="confirmation"))
    assert "1 × T-Shirt — M" in confirmation.body
    assert "T-Shirt — M" in confirmation.alternatives[0][0]

    inspect = admin_client.get(f"/admin/orders/inspect/{order.pk}/")
    assert "T-Shirt — M" in BeautifulSoup(inspect.content, "html.parser").text

    exported = admin_client.get("/admin/orders/", {"export": "csv"})
    rows = list(
        csv.DictReader(io.StringIO(b"".join(exported.streaming_content).decode("utf-8-sig")))
    )
    assert [row for row in rows if "T-Shirt — M" in " ".join(row.values())]


def test_the_tax_invoice_names_the_size_and_keeps_the_products_rate(client, sizes, stripe_sim):
    register_for_gst()
    client.post("/checkout/", form_for(shop(client), **{"T-Shirt — L": 1}))
    order = Order.objects.get()
    stripe_sim.pay(order.stripe_session_id, email="asha@example.com")
    client.get("/checkout/success/", {"session_id": order.stripe_session_id})

    invoice = documents.issue_invoice(Order.objects.get())

    line = invoice.lines.get()
    assert (line.description, line.hsn_code) == ("T-Shirt — L", sizes["L"].product.hsn_code)
    assert (line.amount, line.rate) == (55000, sizes["L"].product.gst_rate)


def test_a_refund_with_restock_puts_each_size_back(client, sizes, stripe_sim):
    client.post("/checkout/", form_for(shop(client), **{"T-Shirt — M": 1, "T-Shirt — L": 2}))
    order = Order.objects.get()
    stripe_sim.pay(order.stripe_session_id)
    client.get("/checkout/success/", {"session_id": order.stripe_session_id})
    assert shirts_on_hand() == {"S": None, "M": 4, "L": 0}
    refund = Refund.objects.create(
        order=order,
        amount=order.amount_total,
        currency="inr",
        status=Refund.Status.SUCCEEDED,
        restock=True,
    )

    assert refund_restock.restock_once(refund)

    assert shirts_on_hand() == {"S": None, "M": 5, "L": 2}


def shirts_on_hand() -> dict[str, int | None]:
    return dict(
        ProductVariant.objects.filter(product__name="T-Shirt").values_list("value_1", "stock")
    )
