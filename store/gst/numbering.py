"""Invoice and credit-note numbers: consecutive within a financial year, no gaps, no repeats.

A financial year runs from 1 April to 31 March ("2026-27"), in the shop's time
zone, and each kind of document has its own series per year, restarting at 1.
The next number is taken from the series' row under a row lock, in the same
transaction that writes the document: racing issuers queue on the lock, and a
rollback gives the number back with the document, so none is skipped or
used twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import transaction

from store.models import DocumentSeries


@dataclass(frozen=True)
class Number:
    series: str  # "MS/2026-27": the prefix and the financial year
    financial_year: str
    sequence: int

    @property
    def text(self) -> str:
        return number_text(self.series, self.sequence)


def number_text(series: str, sequence: int) -> str:
    """ "MS/2026-27", 123 -> "MS/2026-27/000123" """
    return f"{series}/{sequence:06d}"


def financial_year(day: date) -> str:
    """ "2026-27" for any day from 1 April 2026 to 31 March 2027."""
    start = day.year if day.month >= 4 else day.year - 1
    return f"{start}-{(start + 1) % 100:02d}"


def take_next(kind: str, prefix: str, day: date) -> Number:
    """The next number of ``kind``'s series for ``day``'s financial year.

    Call inside the transaction that saves the document numbered with it.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("take_next() must run inside the transaction that saves the document")
    year = financial_year(day)
    # The year's first document makes its series; a racing first one finds it made.
    DocumentSeries.objects.bulk_create(
        [DocumentSeries(kind=kind, financial_year=year)], ignore_conflicts=True
    )
    series = DocumentSeries.objects.select_for_update().get(kind=kind, financial_year=year)
    series.last_number += 1
    series.save(update_fields=["last_number"])
    return Number(series=f"{prefix}/{year}", financial_year=year, sequence=series.last_number)
