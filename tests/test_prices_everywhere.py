"""One amount, 12,500,000 paise, as every person reads it: the shopper on the shop page, on
Stripe's page and in My Orders, staff in the admin, the customer in the email; and as a
spreadsheet reads it in the export."""

from __future__ import annotations

import csv
import io

import pytest
from bs4 import BeautifulSoup

from store.models import Order
from tests.conftest import make_product
from tests.mail_server import run_worker, text_and_html
from tests.shopping import Shopper, my_orders

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

LAKH_AND_A_QUARTER = 12_500_000  # paise
IN_INDIAN_NOTATION = "₹1,25,000.00"


def text_of(response) -> str:
    return BeautifulSoup(response.content, "html.parser").get_text(" ", strip=True)


def test_a_price_of_a_lakh_and_a_quarter_reads_the_indian_way_wherever_it_is_shown(
    shop_server, stripe_sim, mail_server, admin_client
):
    make_product("Sofa", LAKH_AND_A_QUARTER, sort_order=-1)
    shopper = Shopper(shop_server.url)

    card = shopper.shop().select_one("li.product")
    assert "Sofa" in card.text and IN_INDIAN_NOTATION in card.text
    checkout_url = shopper.checkout(Sofa=1).headers["Location"]
    assert IN_INDIAN_NOTATION in shopper.get(checkout_url).text  # Stripe's page
    page = shopper.follow_to_shop(shopper.pay(checkout_url))
    (order,) = my_orders(page)
    assert order["total"] == IN_INDIAN_NOTATION

    paid = Order.objects.get(status=Order.Status.PAID)
    assert IN_INDIAN_NOTATION in text_of(admin_client.get("/admin/orders/"))
    assert IN_INDIAN_NOTATION in text_of(admin_client.get(f"/admin/orders/inspect/{paid.pk}/"))
    sales = BeautifulSoup(admin_client.get("/admin/").content, "html.parser").select_one(
        "#store-sales-content"
    )
    assert IN_INDIAN_NOTATION in sales.get_text(" ")

    run_worker()
    (confirmation,) = mail_server.to(paid.customer_email)
    for part in text_and_html(confirmation):
        assert IN_INDIAN_NOTATION in part

    export = admin_client.get("/admin/orders/", {"export": "csv"})
    (row,) = csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode()))
    assert row["Total"] == "125000.00"


def test_a_yen_store_shows_yen_without_decimals(client, settings):
    settings.STORE_CURRENCY, settings.STORE_LOCALE = "jpy", "en_JP"
    make_product("Tea Set", 1200, sort_order=-1)

    card = BeautifulSoup(client.get("/").content, "html.parser").select_one("li.product")

    assert "Tea Set" in card.text and "¥1,200" in card.text and "¥1,200.00" not in card.text
