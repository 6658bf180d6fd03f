"""The address and phone to ship to: asked on Stripe's page, kept on the paid order, shown to
staff and exported with the lines."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from bs4 import BeautifulSoup
from django.utils import timezone

from store.checks import check_store_settings
from store.models import Order
from tests.shopping import Shopper

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

ADDRESS = {
    "name": "Meera Iyer",
    "email": "meera@example.com",
    "phone": "+91 99887 76655",
    "line1": "4 Residency Road",
    "line2": "Flat 12",
    "city": "Chennai",
    "postal_code": "600006",
    "state": "TN",
    "country": "IN",
}


@pytest.fixture
def paid_order(shop_server, stripe_sim) -> Order:
    """Two T-Shirts and a Cap, paid on Stripe's page with Meera's address typed in."""
    shopper = Shopper(shop_server.url)
    to_stripe = shopper.checkout(T_Shirt=2, Cap=1)
    checkout_url = to_stripe.headers["Location"]
    form = shopper.payment_form(checkout_url) | ADDRESS
    paid = shopper.http.post(
        checkout_url,
        data={**form, "card": "4242424242424242", "action": "pay"},
        timeout=10,
        allow_redirects=False,
    )
    shopper.follow_to_shop(paid)
    return Order.objects.get()


def test_stripe_is_asked_to_collect_an_address_in_the_shipping_countries_and_a_phone(
    shop_server, stripe_sim, settings
):
    settings.STORE_SHIPPING_COUNTRIES = ["IN", "LK"]
    Shopper(shop_server.url).checkout(Cap=1)

    (create, *_) = [request for request in stripe_sim.requests if request.method == "POST"]
    assert create.params["shipping_address_collection"] == {"allowed_countries": ["IN", "LK"]}
    assert create.params["phone_number_collection"] == {"enabled": "true"}


def test_the_paid_order_keeps_what_stripe_collected(paid_order):
    assert paid_order.status == "paid"
    # Stripe returns the phone in E.164, as typed numbers are normalised.
    assert (paid_order.customer_name, paid_order.customer_email, paid_order.customer_phone) == (
        "Meera Iyer",
        "meera@example.com",
        "+919988776655",
    )
    assert paid_order.shipping_address == [
        "Meera Iyer",
        "4 Residency Road",
        "Flat 12",
        "Chennai 600006",
        "Tamil Nadu",  # Stripe's "TN" and "IN", by name
        "India",
    ]


def test_the_orders_admin_page_shows_the_address_and_phone(paid_order, admin_client):
    page = admin_client.get(f"/admin/orders/inspect/{paid_order.pk}/")
    text = BeautifulSoup(page.content, "html.parser").select_one("main").text

    assert "4 Residency Road" in text and "Chennai 600006" in text
    assert "+919988776655" in text and "meera@example.com" in text


def test_the_export_has_the_address_the_lines_and_plain_amounts(paid_order, admin_client):
    response = admin_client.get("/admin/orders/", {"export": "csv"})
    content = b"".join(response.streaming_content).decode()
    (row,) = csv.DictReader(io.StringIO(content))

    assert row["Order"] == str(paid_order.number)
    assert row["Total"] == "1300.00" and row["Currency"] == "inr"
    assert row["Lines"] == "2 × T-Shirt; 1 × Cap"
    assert (row["Ship to"], row["Address line 1"], row["City"], row["Postal code"]) == (
        "Meera Iyer",
        "4 Residency Road",
        "Chennai",
        "600006",
    )
    # The apostrophe keeps the phone number text in a spreadsheet (OWASP; issue 20).
    assert (row["State"], row["Country"], row["Phone"]) == (
        "Tamil Nadu",
        "India",
        "'+919988776655",
    )
    # Times in the shop's time zone (Asia/Kolkata), not UTC.
    assert row["Paid"] == timezone.localtime(paid_order.paid_at).strftime("%Y-%m-%d %H:%M:%S")


def test_the_spreadsheet_export_has_them_too(paid_order, admin_client):
    response = admin_client.get("/admin/orders/", {"export": "xlsx"})
    content = b"".join(response.streaming_content)
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    header, values = [cell.value for cell in sheet[1]], [cell.value for cell in sheet[2]]
    row = dict(zip(header, values, strict=True))

    assert float(row["Total"]) == 1300.0
    assert row["Address line 1"] == "4 Residency Road" and row["Phone"] == "+919988776655"
    assert (row["State"], row["Country"]) == ("Tamil Nadu", "India")
    # A real date, in the shop's time zone, shown year first (never 12/03 for 3 December).
    paid = sheet.cell(row=2, column=header.index("Paid") + 1)
    assert paid.is_date and paid.number_format == "yyyy-mm-dd hh:mm:ss"
    assert paid.value == timezone.localtime(paid_order.paid_at).replace(microsecond=0, tzinfo=None)


@pytest.mark.parametrize("countries", [["XX"], ["IN", "India"], []])
def test_countries_checkout_cannot_ship_to_are_a_configuration_error(settings, countries):
    settings.STORE_SHIPPING_COUNTRIES = countries
    assert [problem.id for problem in check_store_settings(None)] == ["store.E003"]
