"""Tax invoices and credit notes as PDFs: a Django template, laid out by WeasyPrint.

Rendered on demand from the document's rows, which keep everything it showed
when issued, so a PDF made today reads as the one emailed then. WeasyPrint
fetches nothing: the template is self-contained and the fonts are the
system's (DejaVu Sans, which has ₹; see the README for the Debian packages).
"""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string

from store.gst.words import amount_in_words
from store.models import CreditNote, Invoice

MEDIA_TYPE = "application/pdf"


def render(document: Invoice | CreditNote) -> bytes:
    if isinstance(document, Invoice):
        template = "store/gst/invoice.html"
        context = {
            "title": "Tax Invoice",
            "amount_heading": "Invoice total",
            "lines": document.lines.all(),
            "total_colspan": 5,
        }
    else:
        template = "store/gst/credit_note.html"
        context = {
            "title": "Credit Note",
            "amount_heading": "Amount credited",
            "lines": document.lines.all(),
            "total_colspan": 3,
        }
    context |= {
        "document": document,
        "subtitle": settings.WAGTAIL_SITE_NAME,
        "in_words": amount_in_words(document.amount),
    }
    html = render_to_string(template, context)
    # WeasyPrint takes about a second to import: only the processes that render pay for it.
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    # Nothing in a document is fetched: no protocol is allowed.
    return HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=())).write_pdf()


def filename(document: Invoice | CreditNote) -> str:
    """ "MS-2026-27-000123.pdf": the number, safe as a file name."""
    return document.number.replace("/", "-") + ".pdf"
