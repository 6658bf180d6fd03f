"""What shoppers type on Stripe's page, kept whole and shown so it cannot rearrange a page.

Issue 20: a 5,000-character address line was cut at 255 without a word, and a
right-to-left override (U+202E) in a name reversed the text after it in the
admin, My Orders and emails.
"""

from __future__ import annotations

import uuid

import pytest
from bs4 import BeautifulSoup

from store import fulfilment, payments
from store.gst import documents, pdf
from store.models import Order
from store.plain_text import header_safe
from tests.conftest import quantity_field
from tests.gst_support import buy, register_for_gst
from tests.mail_server import run_worker, text_and_html

RLO = "\u202e"
LONG_LINE = ("Flat 7, Long Building Name, Long Road, " * 130)[:4995] + "India"
NAME = f"Asha {RLO}Rao"
CUSTOMER = f"asha{RLO}@example.com"


@pytest.fixture
def hostile_order(client, products, stripe_sim) -> Order:
    """A Cap bought by a shopper whose name, address and email carry U+202E and length."""
    products[2].name = f"Cap {RLO}deluxe"
    products[2].save()
    form = {"form_token": str(uuid.uuid4()), quantity_field(products[2]): "1"}
    client.post("/checkout/", form)
    order = Order.objects.get()
    stripe_sim.pay(
        order.stripe_session_id,
        name=NAME,
        email=CUSTOMER,
        line1=LONG_LINE,
        line2=f"Near the {RLO}temple",
        city=f"Bengaluru{RLO}",
    )
    assert payments.fulfill_checkout(order.stripe_session_id) is payments.Outcome.PAID
    order.refresh_from_db()
    return order


def isolated(html: str) -> list[str]:
    """Every piece of text carrying U+202E, each asserted to sit alone in its own <bdi>."""
    page = BeautifulSoup(html, "html.parser")
    carriers = [text for text in page.find_all(string=True) if RLO in text]
    for text in carriers:
        assert text.parent.name == "bdi", f"{text!r} is in <{text.parent.name}>"
    return [str(text) for text in carriers]


def test_a_5000_character_address_line_is_kept_whole(hostile_order):
    assert len(LONG_LINE) == 5000
    assert hostile_order.shipping_line1 == LONG_LINE
    assert (hostile_order.customer_name, hostile_order.customer_email) == (NAME, CUSTOMER)


def test_the_admin_order_page_isolates_each_value(hostile_order, admin_client):
    page = admin_client.get(f"/admin/orders/inspect/{hostile_order.pk}/").content.decode()

    shown = isolated(page)

    for value in (NAME, CUSTOMER, f"Near the {RLO}temple", f"Cap {RLO}deluxe"):
        assert value in shown
    assert LONG_LINE in BeautifulSoup(page, "html.parser").text


def test_the_orders_listing_isolates_the_email(hostile_order, admin_client):
    assert isolated(admin_client.get("/admin/orders/").content.decode()) == [CUSTOMER]


def test_my_orders_isolates_product_names_and_tracking(hostile_order, client, admin_user):
    fulfilment.ship(
        hostile_order, user=admin_user, carrier=f"Blue {RLO}Dart", tracking_number=f"{RLO}123"
    )

    page = BeautifulSoup(client.get("/").content, "html.parser")
    shown = isolated(str(page.select_one("section.my-orders")))

    assert shown == [f"Cap {RLO}deluxe", f"Blue {RLO}Dart", f"{RLO}123"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_emails_isolate_values_in_html_and_keep_controls_out_of_headers(hostile_order, mail_server):
    run_worker()

    (confirmation,) = [m for m in mail_server.received if "confirmed" in m["Subject"]]
    assert confirmation["To"] == "asha@example.com"
    (new_order,) = [m for m in mail_server.received if m["Subject"].startswith("New order")]
    for message in (confirmation, new_order):
        html = text_and_html(message)[1]
        assert NAME in isolated(html) and f"Near the {RLO}temple" in isolated(html)
        assert LONG_LINE in html


@pytest.mark.parametrize(
    ("header", "safe"),
    [
        (f"Order for {RLO}Asha", "Order for Asha"),
        ("Two\nlines\r\nBcc: x@example.com", "Two lines Bcc: x@example.com"),
        (
            "zero\u200bwidth and \u2066isolate\u2069 and\u2028separator",
            "zerowidth and isolate and separator",
        ),
        ("नमस्ते — ₹1,250.00 ✓", "नमस्ते — ₹1,250.00 ✓"),
    ],
)
def test_header_safe_text_has_no_invisible_characters_but_keeps_every_script(header, safe):
    assert header_safe(header) == safe


def test_the_tax_invoice_keeps_the_whole_name_and_address(client, products, stripe_sim):
    """The invoice copies the customer's values: they must fit there too."""
    register_for_gst()
    long_name = ("Asha " * 1000)[:4990] + f"{RLO}Rao"
    order = buy(client, stripe_sim, {products[2]: 1}, name=long_name, line1=LONG_LINE)

    invoice = documents.issue_invoice(order)

    assert invoice.recipient_name == long_name
    assert invoice.recipient_address_lines[0] == LONG_LINE
    assert pdf.render(invoice).startswith(b"%PDF")
