"""An order's tax invoice or credit note as a PDF download, for whoever may see the order.

:class:`OrderDocumentView` serves the document; a subclass says how the order
is found and who may see it: this browser's orders (My Orders), staff with
the permission (the order's admin page), or a signed link (a status page).
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers
from django.views import View

from store.gst import pdf
from store.models import CreditNote, Invoice, Order


class OrderDocumentView(View):
    """GET: the order's invoice, or (with ``credit_note``, its pk) one of its credit notes."""

    http_method_names = ["get", "head"]

    def get_order(self, request: HttpRequest, **kwargs) -> Order:
        """The order the URL names, if this request may see it; else raise Http404."""
        raise NotImplementedError

    def get(self, request: HttpRequest, credit_note: int | None = None, **kwargs) -> HttpResponse:
        order = self.get_order(request, **kwargs)
        if credit_note is None:
            document = Invoice.objects.filter(order=order).first()
        else:
            document = CreditNote.objects.filter(invoice__order=order, pk=credit_note).first()
        if document is None:
            raise Http404("This order has no such tax document.")
        return pdf_response(document)


def pdf_response(document: Invoice | CreditNote) -> HttpResponse:
    response = HttpResponse(pdf.render(document), content_type=pdf.MEDIA_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{pdf.filename(document)}"'
    # A customer's name and address: never kept by a shared cache.
    add_never_cache_headers(response)
    return response
