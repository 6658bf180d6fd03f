"""GST in the admin: the monthly B2CS report (page and CSV), and an order's tax documents.

Without a GSTIN the shop issues no tax documents; the report and the order's
page say so, and link to Settings → GST.
"""

from __future__ import annotations

import io
from datetime import date

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.defaults import permission_denied
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from store.gst import documents, report
from store.gst.downloads import OrderDocumentView
from store.models import Order

VIEW_ORDERS = "store.view_order"
EXPORTS = {
    "b2cs": ("b2cs", report.write_supplies_csv),
    "docs": ("docs", report.write_documents_csv),
}


def settings_url() -> str:
    return reverse("wagtailsettings:edit", args=["store", "gstsettings"])


class MonthForm(forms.Form):
    month = forms.DateField(
        input_formats=["%Y-%m"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
        error_messages={"invalid": "Choose a month, such as 2026-04."},
    )

    def chosen(self) -> date:
        """The month asked for; this month when none, or nothing sensible, was."""
        if self.is_valid():
            return self.cleaned_data["month"]
        return timezone.localdate().replace(day=1)


class GSTReportView(WagtailAdminTemplateMixin, TemplateView):
    """One month's B2C supplies by state and rate, and the documents issued, as GSTR-1
    asks for them; ``?export=b2cs`` or ``?export=docs`` downloads the CSV."""

    template_name = "store/admin/gst_report.html"
    page_title = "GST: B2C supplies"
    header_icon = "doc-full"

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.has_perm(VIEW_ORDERS):
            return permission_denied(request, PermissionDenied(f"Needs {VIEW_ORDERS}."))
        return super().dispatch(request, *args, **kwargs)

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        self.form = MonthForm(request.GET or None)
        self.report = report.monthly_report(self.form.chosen())
        export = request.GET.get("export")
        if export in EXPORTS:
            return self.csv_response(*EXPORTS[export])
        return super().get(request, *args, **kwargs)

    def csv_response(self, name: str, write) -> HttpResponse:
        out = io.StringIO()
        write(self.report, out)
        response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
        filename = f"gstr1-{name}-{self.report.month:%Y-%m}.csv"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": "", "label": self.page_title}]

    def get_context_data(self, **kwargs):
        month = f"{self.report.month:%Y-%m}"
        return super().get_context_data(**kwargs) | {
            "form": self.form,
            "report": self.report,
            "registered": documents.registration() is not None,
            "settings_url": settings_url(),
            "csv_urls": {name: f"?month={month}&export={name}" for name in EXPORTS},
        }


class AdminOrderDocument(OrderDocumentView):
    """The order's invoice or a credit note, for staff who may see orders (403 otherwise)."""

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.has_perm(VIEW_ORDERS):
            return permission_denied(request, PermissionDenied(f"Needs {VIEW_ORDERS}."))
        return super().dispatch(request, *args, **kwargs)

    def get_order(self, request: HttpRequest, *, pk: int) -> Order:
        return get_object_or_404(Order, pk=pk)


def tax_documents(order: Order) -> str:
    """The order's tax invoice and credit notes, or why it has none, for its admin page."""
    invoice = getattr(order, "invoice", None)
    registration = documents.registration()
    context = {
        "order": order,
        "invoice": invoice,
        "credit_notes": invoice.credit_notes.all() if invoice else [],
        "registration": registration,
        "sold_unregistered": registration and not registration.registered_when(order.paid_at),
        "settings_url": settings_url(),
    }
    return render_to_string("store/admin/order_tax_documents.html", context)
