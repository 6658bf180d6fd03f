"""The month's B2C supplies by place of supply and rate, shaped after GSTR-1's B2CS table.

Each row is what the month's invoices taxed at one rate for one state, less
what its credit notes gave back (B2C credit notes are netted in B2CS), so the
rows add up to the month's invoices minus its credit notes. The documents
issued (GSTR-1's table 13) are each series' first and last number in the month.
Months are calendar months in the shop's time zone, as returns are filed.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TextIO

from django.conf import settings
from django.db.models import Count, Max, Min, QuerySet, Sum
from django.utils import timezone

from store import money
from store.gst import states
from store.gst.numbering import number_text
from store.gst.tax import Tax
from store.models import CreditNote, CreditNoteLine, Invoice, InvoiceLine

B2CS_HEADINGS = [
    "Type",
    "Place Of Supply",
    "Rate",
    "Applicable % of Tax Rate",
    "Taxable Value",
    "Integrated Tax",
    "Central Tax",
    "State/UT Tax",
    "Cess Amount",
    "E-Commerce GSTIN",
]
DOCUMENT_HEADINGS = [
    "Nature of Document",
    "Sr. No. From",
    "Sr. No. To",
    "Total Number",
    "Cancelled",
]
# GSTR-1's type for supplies not made through an e-commerce operator.
OTHER_THAN_E_COMMERCE = "OE"
_SUMS = (Sum("taxable_value"), Sum("cgst"), Sum("state_tax"), Sum("igst"))


@dataclass(frozen=True)
class SupplyRow:
    place_of_supply: states.State
    rate: Decimal
    tax: Tax  # invoiced less credited


@dataclass(frozen=True)
class DocumentRange:
    nature: str
    first: str
    last: str
    count: int
    cancelled: int = 0


@dataclass(frozen=True)
class MonthlyReport:
    month: date  # its first day
    currency: str
    rows: list[SupplyRow]
    invoiced: Tax
    credited: Tax
    documents: list[DocumentRange]

    @property
    def net(self) -> Tax:
        """The month's invoices less its credit notes; what the rows add up to."""
        return self.invoiced - self.credited


def monthly_report(month: date) -> MonthlyReport:
    start, end = month_bounds(month)
    invoiced_lines = InvoiceLine.objects.filter(
        invoice__issued_at__gte=start, invoice__issued_at__lt=end
    )
    credited_lines = CreditNoteLine.objects.filter(
        credit_note__issued_at__gte=start, credit_note__issued_at__lt=end
    )
    by_place_and_rate: dict[tuple[str, Decimal], Tax] = defaultdict(Tax)
    for key, tax in _by_place_and_rate(invoiced_lines, "invoice"):
        by_place_and_rate[key] += tax
    for key, tax in _by_place_and_rate(credited_lines, "credit_note"):
        by_place_and_rate[key] -= tax
    invoices = Invoice.objects.filter(issued_at__gte=start, issued_at__lt=end)
    credit_notes = CreditNote.objects.filter(issued_at__gte=start, issued_at__lt=end)
    return MonthlyReport(
        month=start.date(),
        currency=settings.STORE_CURRENCY,
        rows=[
            SupplyRow(states.BY_CODE[code], rate, tax)
            for (code, rate), tax in sorted(by_place_and_rate.items())
        ],
        invoiced=_total(invoices),
        credited=_total(credit_notes),
        documents=[
            *_ranges(invoices, "Invoices for outward supply"),
            *_ranges(credit_notes, "Credit Note"),
        ],
    )


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """The month's first moment and the next month's, in the shop's time zone."""
    start = datetime(month.year, month.month, 1)
    following = datetime(month.year + month.month // 12, month.month % 12 + 1, 1)
    return timezone.make_aware(start), timezone.make_aware(following)


def write_supplies_csv(report: MonthlyReport, out: TextIO) -> None:
    """The rows as GSTR-1's b2cs.csv has them, with each tax beside the taxable value."""
    writer = csv.writer(out)
    writer.writerow(B2CS_HEADINGS)
    for row in report.rows:
        writer.writerow(
            [
                OTHER_THAN_E_COMMERCE,
                row.place_of_supply.label,
                f"{row.rate:f}".rstrip("0").rstrip("."),
                "",
                _plain(report, row.tax.taxable_value),
                _plain(report, row.tax.igst),
                _plain(report, row.tax.cgst),
                _plain(report, row.tax.state_tax),
                _plain(report, 0),
                "",
            ]
        )


def write_documents_csv(report: MonthlyReport, out: TextIO) -> None:
    """The number ranges as GSTR-1's docs.csv has them."""
    writer = csv.writer(out)
    writer.writerow(DOCUMENT_HEADINGS)
    for document in report.documents:
        writer.writerow(
            [document.nature, document.first, document.last, document.count, document.cancelled]
        )


def _by_place_and_rate(lines: QuerySet, document: str):
    place = f"{document}__place_of_supply_code"
    for row in lines.values(place, "rate").annotate(*_SUMS).order_by():
        yield (row[place], row["rate"]), _tax(row)


def _total(documents: QuerySet) -> Tax:
    return _tax(documents.aggregate(*_SUMS))


def _tax(sums: dict) -> Tax:
    return Tax(
        sums["taxable_value__sum"] or 0,
        sums["cgst__sum"] or 0,
        sums["state_tax__sum"] or 0,
        sums["igst__sum"] or 0,
    )


def _ranges(documents: QuerySet, nature: str) -> list[DocumentRange]:
    series = (
        documents.values("series")
        .annotate(first=Min("sequence"), last=Max("sequence"), count=Count("pk"))
        .order_by("series")
    )
    return [
        DocumentRange(
            nature=nature,
            first=number_text(row["series"], row["first"]),
            last=number_text(row["series"], row["last"]),
            count=row["count"],
        )
        for row in series
    ]


def _plain(report: MonthlyReport, amount: int) -> str:
    """952.38: what a spreadsheet or the GST offline tool reads."""
    return str(money.to_major(amount, report.currency))
