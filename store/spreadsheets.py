"""Cells that spreadsheets show as text and never run, for every export (issue 20).

Shoppers type their name and address on Stripe's page, so an export holds
whatever they typed. Following OWASP's CSV injection guidance, a CSV cell that
starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return (or their
full-width forms, which some spreadsheets accept too) gets a leading
apostrophe, so Excel and LibreOffice read it as text. Control characters and
bidirectional overrides (U+202E turns "gpj.exe" into "exe.jpg") are removed
from both CSV and XLSX cells: they never belong in a name or an address.
"""

from __future__ import annotations

import re

# What makes Excel, LibreOffice or Google Sheets read a cell as a formula (OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
# C0 and C1 controls, and the characters that reorder text (bidi marks, embeddings,
# overrides and isolates).
INVISIBLE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# Anything above that needs handling; most cells have none, and skip the rest of the work.
NEEDS_CARE = re.compile(
    r"^\s*[=+\-@＝＋－＠]|[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)
# A value a spreadsheet would turn into a number (+91 98765 43210, 0612345678).
NUMERIC = re.compile(r"\s*[+-]?[\d\s().,/-]+\s*")


def visible_text(value: str) -> str:
    """``value`` without control or bidirectional formatting characters."""
    return INVISIBLE.sub("", value)


def csv_text(value: str, *, keep_as_text: bool = False) -> str:
    """A CSV cell for ``value`` that no spreadsheet evaluates.

    ``keep_as_text`` is for columns such as phone numbers, which must not become
    numbers either: they get the apostrophe whenever they look like one.
    """
    if not keep_as_text and not NEEDS_CARE.search(value):
        return value
    cleaned = visible_text(value)
    if cleaned.lstrip().startswith(FORMULA_STARTS) or (keep_as_text and NUMERIC.fullmatch(cleaned)):
        return "'" + cleaned
    return cleaned
