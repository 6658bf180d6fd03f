"""The monthly GST report (GSTR-1's B2CS and documents issued): by place of supply and rate,
the month's invoices less its credit notes, in the shop's time zone; page and CSV."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import Permission
from django.test import Client

from store.gst import documents
from store.gst.report import monthly_report
from store.gst.tax import Tax
from store.models import CreditNote, Invoice, Refund
from tests.admin_pages import staff_client
from tests.gst_support import paid_order, register_for_gst

pytestmark = pytest.mark.django_db
IST = ZoneInfo("Asia/Kolkata")
REPORT = "/admin/reports/gst/"


def at(*moment: int) -> datetime:
    return datetime(*moment, tzinfo=IST)


def invoiced(lines, state: str, moment: datetime) -> Invoice:
    return documents.issue_invoice(paid_order(lines, state=state, paid_at=moment), now=moment)


def credited(invoice: Invoice, amount: int, moment: datetime) -> CreditNote:
    refund = Refund.objects.create(
        order=invoice.order, amount=amount, currency="inr", status=Refund.Status.SUCCEEDED
    )
    return documents.issue_credit_note(refund, now=moment)


@pytest.fixture
def april(products):
    """A month of sales from a Karnataka seller, and what falls just outside it."""
    register_for_gst(since=at(2025, 4, 1, 0, 0))
    t_shirt, shoes, cap = products  # 5 %, 18 %, 12 %
    march = invoiced([(cap, 1)], "KA", at(2026, 3, 31, 23, 59))
    local = invoiced([(t_shirt, 2), (shoes, 1)], "KA", at(2026, 4, 2, 10, 0))
    mumbai = invoiced([(cap, 3), (t_shirt, 1)], "MH", at(2026, 4, 15, 12, 0))
    lakshadweep = invoiced([(shoes, 1)], "LD", at(2026, 4, 30, 23, 30))
    invoiced([(shoes, 2)], "KA", at(2026, 5, 1, 0, 10))  # May in India, April in UTC
    credited(local, 88000, at(2026, 4, 20, 9, 0))  # 40 % back
    credited(march, 30000, at(2026, 4, 3, 9, 0))  # a March sale refunded in April
    return {
        "invoices": [local, mumbai, lakshadweep],
        "credit_notes": list(CreditNote.objects.all()),
    }


def test_the_months_rows_add_up_to_its_invoices_less_its_credit_notes(april):
    report = monthly_report(date(2026, 4, 1))

    invoices_total = sum((invoice.tax for invoice in april["invoices"]), Tax())
    credit_notes_total = sum((note.tax for note in april["credit_notes"]), Tax())
    rows_total = sum((row.tax for row in report.rows), Tax())
    assert rows_total == report.net == invoices_total - credit_notes_total
    assert report.invoiced == invoices_total and report.credited == credit_notes_total

    by_place_and_rate = {(row.place_of_supply.label, row.rate): row.tax for row in report.rows}
    assert sorted(by_place_and_rate) == [
        ("27-Maharashtra", Decimal(5)),
        ("27-Maharashtra", Decimal(12)),
        ("29-Karnataka", Decimal(5)),
        ("29-Karnataka", Decimal(12)),  # only the March sale's credit note: negative
        ("29-Karnataka", Decimal(18)),
        ("31-Lakshadweep", Decimal(18)),
    ]
    assert by_place_and_rate[("29-Karnataka", Decimal(12))].amount == -30000
    mumbai = by_place_and_rate[("27-Maharashtra", Decimal(12))]
    assert (mumbai.igst, mumbai.cgst, mumbai.state_tax) == (9643, 0, 0)
    lakshadweep = by_place_and_rate[("31-Lakshadweep", Decimal(18))]
    assert (lakshadweep.igst, lakshadweep.state_tax) == (18305, 0)  # from Karnataka: IGST

    assert [(d.nature, d.first, d.last, d.count) for d in report.documents] == [
        ("Invoices for outward supply", "MS/2026-27/000001", "MS/2026-27/000003", 3),
        ("Credit Note", "CN/2026-27/000001", "CN/2026-27/000002", 2),
    ]


def test_the_admin_report_and_its_csvs(april):
    staff = staff_client("accountant", "Order fulfilment")

    page = staff.get(REPORT, {"month": "2026-04"})

    assert page.status_code == 200
    soup = BeautifulSoup(page.content, "html.parser")
    rows = [[cell.text for cell in row.select("td")] for row in soup.select("table tbody tr")]
    assert ["27-Maharashtra", "12 %", "₹803.57", "₹96.43", "₹0.00", "₹0.00"] in rows
    total = [cell.text for cell in soup.select_one("tr.gst-total").select("td")]
    assert total[0] == _rupees(monthly_report(date(2026, 4, 1)).net.taxable_value)

    b2cs = _csv(staff.get(REPORT, {"month": "2026-04", "export": "b2cs"}))
    assert b2cs[0][:5] == [
        "Type",
        "Place Of Supply",
        "Rate",
        "Applicable % of Tax Rate",
        "Taxable Value",
    ]
    assert ["OE", "27-Maharashtra", "12", "", "803.57", "96.43", "0.00", "0.00", "0.00", ""] in b2cs
    assert [
        "OE",
        "29-Karnataka",
        "12",
        "",
        "-267.86",
        "0.00",
        "-16.07",
        "-16.07",
        "0.00",
        "",
    ] in b2cs
    report = monthly_report(date(2026, 4, 1))
    assert sum(Decimal(row[4]) for row in b2cs[1:]) * 100 == report.net.taxable_value

    docs = _csv(staff.get(REPORT, {"month": "2026-04", "export": "docs"}))
    assert docs == [
        ["Nature of Document", "Sr. No. From", "Sr. No. To", "Total Number", "Cancelled"],
        ["Invoices for outward supply", "MS/2026-27/000001", "MS/2026-27/000003", "3", "0"],
        ["Credit Note", "CN/2026-27/000001", "CN/2026-27/000002", "2", "0"],
    ]


@pytest.mark.parametrize("month", ["2026-13", "April", "2026-04'; --"])
def test_a_month_that_is_not_one_says_so_and_shows_this_month(month, products):
    register_for_gst()
    page = staff_client("accountant", "Order fulfilment").get(REPORT, {"month": month})

    assert page.status_code == 200
    assert "Choose a month, such as 2026-04." in page.content.decode()


def test_without_a_gstin_the_report_says_the_shop_issues_no_invoices(db):
    page = staff_client("accountant", "Order fulfilment").get(REPORT)

    assert "The shop has no GSTIN, so it issues no tax invoices" in page.content.decode()


def test_only_staff_who_may_see_orders_see_the_report(django_user_model):
    user = django_user_model.objects.create_user("visitor", password="pw", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client = Client()
    client.force_login(user)

    assert client.get(REPORT).status_code == 403
    assert client.get(REPORT, {"export": "b2cs"}).status_code == 403


def _csv(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode())))


def _rupees(paise: int) -> str:
    from store import money

    return money.format_amount(paise, "inr")
