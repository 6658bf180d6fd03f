"""Tax invoices: issued once after the payment (not in the shopper's request), taxed by where
the goods go, adding up to what Stripe charged, numbered per financial year, as a PDF in the
confirmation email, My Orders and the order's admin page."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from bs4 import BeautifulSoup
from django.test import Client

from store import order_links
from store.gst import documents
from store.models import Invoice, OrderEmail, Product
from tests.admin_pages import staff_client
from tests.gst_support import (
    SELLER_GSTIN,
    buy,
    paid_order,
    pdf_text,
    register_for_gst,
    run_tasks,
)

pytestmark = pytest.mark.django_db
# The background worker closes its database connection between tasks, as it should: tests
# that run it commit for real.
with_the_worker = pytest.mark.django_db(transaction=True, serialized_rollback=True)
IST = ZoneInfo("Asia/Kolkata")


@pytest.fixture
def catalogue(products) -> dict[str, Product]:
    """The sample products as the migration classes them: T-Shirt 5 %, Shoes 18 %, Cap 12 %."""
    return {product.name: product for product in products}


@pytest.fixture
def registered(db):
    return register_for_gst()


@with_the_worker
def test_an_order_shipped_within_karnataka_bears_cgst_and_sgst(
    client, stripe_sim, catalogue, registered
):
    order = buy(client, stripe_sim, {catalogue["T-Shirt"]: 2, catalogue["Shoes"]: 1})

    assert not Invoice.objects.exists()  # not issued in the shopper's request
    run_tasks()

    invoice = Invoice.objects.get(order=order)
    charged = stripe_sim.sessions[order.stripe_session_id]["amount_total"]
    assert invoice.amount == charged == 220000
    assert invoice.place_of_supply.name == "Karnataka" and not invoice.inter_state
    lines = [
        (line.description, line.hsn_code, line.rate, line.taxable_value, line.cgst, line.state_tax)
        for line in invoice.lines.all()
    ]
    # ₹1,000 at 5 %: 2 × 23.81 tax; ₹1,200 at 18 %: 2 × 91.53.
    assert lines == [
        ("T-Shirt", "6109", 5, 95238, 2381, 2381),
        ("Shoes", "6404", 18, 101694, 9153, 9153),
    ]
    assert sum(line.amount for line in invoice.lines.all()) == charged
    assert (invoice.cgst, invoice.state_tax, invoice.igst) == (11534, 11534, 0)
    assert invoice.number.startswith("MS/") and invoice.sequence == 1


@with_the_worker
def test_an_order_shipped_to_maharashtra_bears_igst(client, stripe_sim, catalogue, registered):
    order = buy(client, stripe_sim, {catalogue["Cap"]: 3}, state="MH", city="Mumbai")
    run_tasks()

    invoice = Invoice.objects.get(order=order)
    assert invoice.inter_state and invoice.place_of_supply.label == "27-Maharashtra"
    (line,) = invoice.lines.all()
    # ₹900 at 12 %: 96.43 IGST.
    assert (line.taxable_value, line.cgst, line.state_tax, line.igst) == (80357, 0, 0, 9643)
    assert invoice.amount == stripe_sim.sessions[order.stripe_session_id]["amount_total"]


def test_a_union_territory_without_a_legislature_bears_utgst(catalogue, registered):
    seller = register_for_gst(state="04", gstin="04AAGCB7383J1ZG")  # Chandigarh
    assert seller.registered
    invoice = documents.issue_invoice(paid_order([(catalogue["Shoes"], 1)], state="CH"))

    assert invoice.state_tax_name == "UTGST" and not invoice.inter_state
    assert (invoice.cgst, invoice.state_tax) == (9153, 9153)


def test_issuing_again_gives_the_same_invoice(catalogue, registered):
    order = paid_order([(catalogue["T-Shirt"], 1)])
    first = documents.issue_invoice(order)
    assert documents.issue_invoice(order) == first
    assert Invoice.objects.count() == 1


def test_the_number_series_restarts_on_the_first_of_april(catalogue):
    register_for_gst(since=datetime(2026, 1, 1, tzinfo=IST))

    def issued_at(moment: datetime) -> str:
        return documents.issue_invoice(paid_order([(catalogue["Cap"], 1)]), now=moment).number

    march = [issued_at(datetime(2026, 3, 31, 23, 58, tzinfo=IST)) for _ in range(2)]
    april = [issued_at(datetime(2026, 4, 1, 0, 0, 30, tzinfo=IST)) for _ in range(2)]

    assert march == ["MS/2025-26/000001", "MS/2025-26/000002"]
    assert april == ["MS/2026-27/000001", "MS/2026-27/000002"]


def test_the_pdf_shows_what_rule_46_asks_for(catalogue):
    register_for_gst(since=datetime(2026, 1, 1, tzinfo=IST))

    order = paid_order([(catalogue["T-Shirt"], 2), (catalogue["Shoes"], 1)], state="MH")
    invoice = documents.issue_invoice(order, now=datetime(2026, 4, 2, 10, 0, tzinfo=IST))

    response = staff_client("viewer", "Order fulfilment").get(f"/admin/orders/invoice/{order.pk}/")

    assert response["Content-Type"] == "application/pdf"
    assert 'filename="MS-2026-27-000001.pdf"' in response["Content-Disposition"]
    text = pdf_text(response.content)
    for expected in [
        "Tax Invoice",
        "MS/2026-27/000001",
        "2 Apr 2026",
        "Mini Store Private Limited",
        f"GSTIN: {SELLER_GSTIN}",
        "State: Karnataka, code 29",
        "Asha Rao",
        "Place of supply: Maharashtra (27)",
        "T-Shirt 6109 2 ₹500.00 ₹952.38 5 % ₹47.62",  # IGST on ₹1,000 at 5 %
        "Shoes 6404 1 ₹1,200.00 ₹1,016.95 18 % ₹183.05",
        "IGST ₹230.67",
        "Invoice total ₹2,200.00",
        "Two Thousand Two Hundred Rupees",
    ]:
        assert expected in text, (expected, text)
    assert "CGST" not in text
    assert invoice.igst == 4762 + 18305


@with_the_worker
def test_without_a_gstin_there_is_no_invoice_and_the_admin_says_so(client, stripe_sim, catalogue):
    order = buy(client, stripe_sim, {catalogue["Cap"]: 1})
    run_tasks()

    assert not Invoice.objects.exists()
    confirmation = OrderEmail.objects.get(order=order, kind="confirmation")
    assert confirmation.sent_at  # sent, with nothing attached
    page = staff_client("viewer", "Order fulfilment").get(f"/admin/orders/inspect/{order.pk}/")
    assert "the shop has no GSTIN, so it issues no tax invoices" in _text(page)


def test_an_address_gst_does_not_know_is_flagged_for_staff(catalogue, registered):
    order = paid_order([(catalogue["Cap"], 1)], state="Atlantis")

    assert documents.issue_invoice(order) is None

    order.refresh_from_db()
    assert order.needs_attention
    assert "No tax invoice could be issued: the shipping address (Atlantis, IN)" in (
        order.attention_reason
    )


def test_orders_paid_before_the_shop_registered_get_no_invoice(catalogue):
    order = paid_order([(catalogue["Cap"], 1)])
    register_for_gst()
    assert documents.issue_invoice(order) is None


@with_the_worker
def test_my_orders_offers_the_invoice_to_this_browser_only(
    client, stripe_sim, catalogue, registered
):
    order = buy(client, stripe_sim, {catalogue["T-Shirt"]: 1})
    run_tasks()
    invoice = Invoice.objects.get(order=order)

    link = BeautifulSoup(client.get("/").content, "html.parser").select_one(
        "li.order .order-documents a"
    )
    assert link.text == f"Tax invoice {invoice.number} (PDF)"
    download = client.get(link["href"])
    assert download.status_code == 200 and invoice.number in pdf_text(download.content)
    assert "no-store" in download["Cache-Control"]

    assert Client().get(link["href"]).status_code == 404  # another browser
    other = paid_order([(catalogue["Cap"], 1)])
    assert client.get(f"/orders/{other.public_id}/invoice/").status_code == 404


def test_staff_need_to_see_orders_to_download_invoices(catalogue, registered, django_user_model):
    order = paid_order([(catalogue["Cap"], 1)])
    documents.issue_invoice(order)
    outsider = django_user_model.objects.create_user("visitor", password="pw", is_staff=True)
    outsider.user_permissions.add(*_admin_access())
    client = Client()
    client.force_login(outsider)

    assert client.get(f"/admin/orders/invoice/{order.pk}/").status_code == 403


def test_the_orders_page_links_its_invoice(catalogue, registered):
    order = paid_order([(catalogue["Cap"], 1)])
    invoice = documents.issue_invoice(order)

    page = staff_client("viewer", "Order fulfilment").get(f"/admin/orders/inspect/{order.pk}/")

    link = BeautifulSoup(page.content, "html.parser").find(
        "a", string=f"Tax invoice {invoice.number}"
    )
    assert link["href"] == f"/admin/orders/invoice/{order.pk}/"
    assert "place of supply Karnataka (29)" in _text(page)


def _text(response) -> str:
    return " ".join(BeautifulSoup(response.content, "html.parser").get_text().split())


def _admin_access():
    from django.contrib.auth.models import Permission

    return Permission.objects.filter(codename="access_admin")


def test_the_order_page_from_the_emailed_link_offers_its_invoice(catalogue, registered):
    order = paid_order([(catalogue["Cap"], 1)])
    invoice = documents.issue_invoice(order)
    page = BeautifulSoup(Client().get(order_links.status_path(order)).content, "html.parser")

    link = page.select_one(".order-documents a")
    assert link.text == f"Tax invoice {invoice.number} (PDF)"
    download = Client().get(link["href"])  # any device: the link is the key
    assert download.status_code == 200 and invoice.number in pdf_text(download.content)
    assert "no-store" in download["Cache-Control"]

    other = paid_order([(catalogue["Shoes"], 1)])
    other_invoice = documents.issue_invoice(other)
    # Each order's link fetches that order's invoice only.
    others = pdf_text(Client().get(order_links.status_path(other) + "invoice/").content)
    assert other_invoice.number in others and invoice.number not in others
    order.rotate_status_token()
    assert Client().get(link["href"]).status_code == 404
