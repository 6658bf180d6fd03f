"""Orders as spreadsheets, in constant memory however many there are.

Rows are read through a server-side cursor (``QuerySet.iterator``) a chunk at
a time, each chunk with its lines, so a million orders never sit in memory.
The CSV streams to the browser row by row as it is read; an XLSX file (a zip,
which cannot be streamed) and any export too big to wait for are written by
the background worker into a file in the ``exports`` storage (:func:`build`),
which staff download when it is ready. Every cell goes through
``store.spreadsheets``, so a shopper's ``=HYPERLINK(…)`` stays text.
"""

from __future__ import annotations

import csv
import logging
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, tzinfo
from decimal import Decimal
from itertools import islice
from typing import IO

from django.core.files import File
from django.core.files.storage import storages
from django.db import transaction
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils import timezone
from django_tasks import task
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from store import money, places, spreadsheets
from store.models import OrderExport, OrderLine
from store.models.variants import line_name
from store.order_queries import orders_for

logger = logging.getLogger(__name__)

Value = str | int | Decimal | datetime | None


@dataclass(frozen=True)
class Column:
    """One column: its heading, and the order's field it shows or how it is worked out."""

    heading: str
    field: str = ""
    # For a value worked out from the row (a dict of the order's fields, plus "lines").
    compute: Callable[[dict], Value] | None = None
    # A spreadsheet would turn it into a number, losing a phone's + or leading 0: keep it text.
    text: bool = False


def _major(field: str) -> Callable[[dict], Decimal]:
    return lambda row: money.to_major(row[field], row["currency"])


# Plain values a spreadsheet can sum and sort: amounts in major units, times in the shop's
# time zone. Rows are read as values, not model instances: at a million orders, building
# objects and their related managers was most of an export's time.
COLUMNS = [
    Column("Order", "id"),
    Column("Status", "status"),
    Column("Fulfilment", "fulfilment"),
    Column("Subtotal", compute=_major("amount_subtotal")),
    Column("Discount", compute=_major("amount_discount")),
    Column("Discount code", "discount_code", text=True),
    Column("Shipping", compute=_major("amount_shipping")),
    Column("Shipping rate", "shipping_rate_name"),
    Column("Total", compute=_major("amount_total")),
    Column("Refunded", compute=_major("amount_refunded")),
    Column("Currency", "currency"),
    Column("Lines", "lines"),
    Column("Customer", "customer_name"),
    Column("Email", "customer_email"),
    Column("Phone", "customer_phone", text=True),
    Column("Ship to", "shipping_name"),
    Column("Address line 1", "shipping_line1"),
    Column("Address line 2", "shipping_line2"),
    Column("City", "shipping_city"),
    Column("Postal code", "shipping_postal_code"),
    Column(
        "State",
        compute=lambda row: places.state_name(row["shipping_country"], row["shipping_state"]),
    ),
    Column("Country", compute=lambda row: places.country_name(row["shipping_country"])),
    Column("Carrier", "carrier"),
    Column("Tracking number", "tracking_number"),
    Column("Created", "created_at"),
    Column("Paid", "paid_at"),
    Column("Shipped", "shipped_at"),
    Column("Delivered", "delivered_at"),
]
HEADINGS = [column.heading for column in COLUMNS]
# The order fields a row reads ("lines" is filled in from the order's lines).
ORDER_FIELDS = sorted(
    {column.field for column in COLUMNS if column.field and column.field != "lines"}
    | {"amount_total", "amount_refunded", "currency", "shipping_state", "shipping_country"}
    | {"amount_subtotal", "amount_discount", "amount_shipping"}
)
# Dates and times in XLSX: real date cells, written year first so no reader takes 03/12 for
# 12 March; in the shop's time zone, as the headings' "Created", "Paid" are read.
XLSX_DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
# Orders read (and lines fetched) per round trip; also how often a background export reports.
CHUNK_SIZE = 2000
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def values(orders: QuerySet) -> Iterator[list[Value]]:
    """Each order's values in COLUMNS order, read a chunk at a time through a server-side
    cursor, with one query per chunk for their lines.

    Iterate inside a transaction: PostgreSQL then sends rows as they are read (in
    autocommit, Django's cursor WITH HOLD would make it copy the whole result first).
    """
    rows = orders.values(*ORDER_FIELDS).iterator(chunk_size=CHUNK_SIZE)
    shop_time = timezone.get_current_timezone()
    while chunk := list(islice(rows, CHUNK_SIZE)):
        lines = _lines_of([row["id"] for row in chunk])
        for row in chunk:
            row["lines"] = "; ".join(lines.get(row["id"], ()))
            yield [_value(row, column, shop_time) for column in COLUMNS]


def _lines_of(order_ids: list[int]) -> dict[int, list[str]]:
    """Each order's lines as OrderLine.__str__ writes them ("2 × T-Shirt — M"), in order."""
    lines: dict[int, list[str]] = defaultdict(list)
    found = (
        OrderLine.objects.filter(order_id__in=order_ids)
        .order_by("pk")
        .values_list("order_id", "quantity", "product_name", "variant_name")
    )
    for order_id, quantity, product_name, variant_name in found:
        lines[order_id].append(f"{quantity} × {line_name(product_name, variant_name)}")
    return lines


def _value(row: dict, column: Column, shop_time: tzinfo) -> Value:
    value = column.compute(row) if column.compute else row[column.field]
    if isinstance(value, datetime):
        return value.astimezone(shop_time).replace(microsecond=0, tzinfo=None)
    return value


def csv_cell(column: Column, value: Value) -> str | int | Decimal:
    """A value as a CSV cell no spreadsheet evaluates (store.spreadsheets)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return spreadsheets.csv_text(value, keep_as_text=column.text)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return value


class _Echo:
    """A file that hands back what is written, so csv.writer can feed a streaming response."""

    def write(self, text: str) -> str:
        return text


def csv_lines(orders: QuerySet) -> Iterator[str]:
    """The CSV of ``orders``, a line at a time: the headings at once, then rows as read."""
    writer = csv.writer(_Echo())
    yield writer.writerow(HEADINGS)
    with transaction.atomic():
        for row in values(orders):
            yield writer.writerow(
                [csv_cell(column, value) for column, value in zip(COLUMNS, row, strict=True)]
            )


def write_csv(orders: QuerySet, output: IO[bytes], progress: Callable[[int], None]) -> int:
    """The CSV of ``orders`` into ``output`` (UTF-8); returns the number of orders."""
    rows = 0
    for rows, line in enumerate(csv_lines(orders)):  # noqa: B007 (the count is the result)
        output.write(line.encode())
        if rows and rows % CHUNK_SIZE == 0:
            progress(rows)
    return rows


def write_xlsx(orders: QuerySet, output: IO[bytes], progress: Callable[[int], None]) -> int:
    """An XLSX workbook of ``orders``; returns the number of orders. openpyxl's write-only
    mode keeps rows on disk, not in memory. Strings are typed as text (never formulas) and
    stripped of control characters, which openpyxl would refuse."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title="Orders")
    sheet.append(HEADINGS)
    rows = 0
    with transaction.atomic():
        for rows, row in enumerate(values(orders), start=1):  # noqa: B007
            sheet.append([_xlsx_value(sheet, value) for value in row])
            if rows % CHUNK_SIZE == 0:
                progress(rows)
    workbook.save(output)
    return rows


def _xlsx_value(sheet, value: Value) -> Value | WriteOnlyCell:
    """Plain values (openpyxl types them, dates included), but text that openpyxl would take
    for a formula is a cell typed as text."""
    if isinstance(value, datetime):
        cell = WriteOnlyCell(sheet, value)
        cell.number_format = XLSX_DATETIME_FORMAT
        return cell
    if not isinstance(value, str):
        return value
    text = spreadsheets.visible_text(value)
    if not text.startswith("="):
        return text
    cell = WriteOnlyCell(sheet, text)
    cell.data_type = "s"
    return cell


WRITERS = {OrderExport.Format.CSV: write_csv, OrderExport.Format.XLSX: write_xlsx}


def storage():
    """Where finished exports are kept: private (they hold addresses), shared by the worker
    and the web servers (``STORAGES["exports"]``)."""
    return storages["exports"]


@task()
def build(export_id: int) -> str:
    """Write one requested export into the exports storage, reporting progress as it goes.

    Safe to run again (a worker that died mid-way leaves it ``running``; the task is taken
    again after its lease): it starts over and replaces nothing but its own file.
    """
    export = OrderExport.objects.get(pk=export_id)
    if export.status == OrderExport.Status.READY:
        return "already built"
    orders = orders_for(QueryDict(export.query))
    OrderExport.objects.filter(pk=export.pk).update(
        status=OrderExport.Status.RUNNING,
        started_at=timezone.now(),
        total_rows=orders.count(),
        rows_written=0,
        error="",
    )

    def progress(rows: int) -> None:
        OrderExport.objects.filter(pk=export.pk).update(rows_written=rows)

    try:
        with tempfile.TemporaryFile() as output:
            rows = WRITERS[export.format](orders, output, progress)
            output.seek(0)
            name = storage().save(export.file_name, File(output))
    except Exception as error:
        OrderExport.objects.filter(pk=export.pk).update(
            status=OrderExport.Status.FAILED, error=f"{type(error).__name__}: {error}"[:2000]
        )
        logger.exception("Order export failed", extra={"export_id": export.pk})
        raise
    OrderExport.objects.filter(pk=export.pk).update(
        status=OrderExport.Status.READY,
        file=name,
        rows_written=rows,
        finished_at=timezone.now(),
    )
    logger.info("Order export ready", extra={"export_id": export.pk, "export_file": name})
    return "built"
