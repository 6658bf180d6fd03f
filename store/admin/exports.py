"""Order exports in the admin: the CSV that streams, small XLSX files at once, and the page
where staff ask the background worker for a big one and download it when it is ready."""

from __future__ import annotations

import tempfile

from django import forms
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
    QueryDict,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.defaults import permission_denied
from django.views.generic import FormView
from wagtail.admin import messages
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.widgets import AdminDateInput

from store import exports
from store.models import OrderExport
from store.order_queries import OrderFilterSet

VIEW_PERMISSION = "store.view_order"
# Query-string keys that select orders; the rest (page, export format) do not travel.
SELECTING_KEYS = ("q", "ordering", *OrderFilterSet.base_filters)
RECENT_EXPORTS = 20


def selecting_query(query: QueryDict) -> QueryDict:
    """Only the parts of the listing's query string that say which orders, in what order."""
    kept = QueryDict(mutable=True)
    for key in SELECTING_KEYS:
        if query.get(key):
            kept[key] = query[key]
    return kept


def csv_response(orders: QuerySet) -> StreamingHttpResponse:
    """The orders as a CSV that starts at once and streams in constant memory."""
    response = StreamingHttpResponse(exports.csv_lines(orders), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="orders-{_stamp()}.csv"'
    return response


def xlsx_response(request: HttpRequest, orders: QuerySet) -> HttpResponse:
    """A small XLSX at once; a big one is offered to the background worker instead."""
    limit = settings.STORE_EXPORT_INLINE_ROWS
    if orders[: limit + 1].count() > limit:
        messages.info(
            request,
            f"These are more than {limit:,} orders: the spreadsheet will be written in the "
            "background. Ask for it below and download it when it is ready.",
        )
        query = selecting_query(request.GET)
        query["format"] = OrderExport.Format.XLSX
        return HttpResponseRedirect(f"{reverse('orders:exports')}?{query.urlencode()}")
    output = tempfile.SpooledTemporaryFile(max_size=10 * 1024 * 1024)
    exports.write_xlsx(orders, output, progress=lambda rows: None)
    output.seek(0)
    return FileResponse(
        output,
        as_attachment=True,
        filename=f"orders-{_stamp()}.xlsx",
        content_type=exports.XLSX_CONTENT_TYPE,
    )


def _stamp() -> str:
    return f"{timezone.localtime():%Y%m%d-%H%M%S}"


class ExportForm(forms.Form):
    format = forms.ChoiceField(
        choices=OrderExport.Format.choices,
        initial=OrderExport.Format.CSV,
        widget=forms.RadioSelect,
    )
    created_from = forms.DateField(required=False, widget=AdminDateInput, label="Created from")
    created_until = forms.DateField(required=False, widget=AdminDateInput, label="Created until")
    # The listing's other choices (status, search, sort), carried over from its link.
    query = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        start, end = data.get("created_from"), data.get("created_until")
        if start and end and start > end:
            raise forms.ValidationError("The first day comes after the last.")
        return data

    def selected_query(self) -> QueryDict:
        """The listing's query with this form's date range in place of its own."""
        query = selecting_query(QueryDict(self.cleaned_data["query"] or ""))
        query = query.copy()
        for key, field in (
            ("created_at__date__gte", "created_from"),
            ("created_at__date__lte", "created_until"),
        ):
            query.pop(key, None)
            if self.cleaned_data[field]:
                query[key] = self.cleaned_data[field].isoformat()
        return query


def describe(query: QueryDict) -> str:
    """What an export holds, in words: "Status: Paid; created from 2026-01-01; “asha”"."""
    filters = OrderFilterSet(query)
    parts = []
    if filters.is_valid():
        for name, value in filters.form.cleaned_data.items():
            if value in (None, ""):
                continue
            choices = dict(getattr(filters.form.fields[name], "choices", ()))
            label = filters.filters[name].label or name
            parts.append(f"{label}: {choices.get(value, value)}")
    if query.get("q"):
        parts.append(f"matching “{query['q']}”")
    return "; ".join(parts) or "All orders"


class OrderExportsView(WagtailAdminTemplateMixin, FormView):
    """Ask for an export of any size, see how far each one is, download the finished ones."""

    template_name = "store/admin/order_exports.html"
    form_class = ExportForm
    page_title = "Order exports"
    header_icon = "download"

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.has_perm(VIEW_PERMISSION):
            return permission_denied(request, PermissionDenied(f"Needs {VIEW_PERMISSION}."))
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse("orders:index"), "label": "Orders"},
            {"url": "", "label": self.page_title},
        ]

    def get_initial(self):
        query = selecting_query(self.request.GET)
        return {
            "format": self.request.GET.get("format", OrderExport.Format.CSV),
            "created_from": query.get("created_at__date__gte"),
            "created_until": query.get("created_at__date__lte"),
            "query": query.urlencode(),
        }

    def get_context_data(self, **kwargs):
        mine = OrderExport.objects.filter(requested_by=self.request.user)[:RECENT_EXPORTS]
        return super().get_context_data(**kwargs) | {
            "exports": mine,
            "selection": describe(selecting_query(self.request.GET)),
        }

    def form_valid(self, form: ExportForm) -> HttpResponse:
        query = form.selected_query()
        export = OrderExport.objects.create(
            requested_by=self.request.user,
            format=form.cleaned_data["format"],
            query=query.urlencode(),
            description=describe(query)[:255],
        )
        transaction.on_commit(lambda: exports.build.enqueue(export.pk))
        messages.success(
            self.request,
            f"{export} is being prepared. It appears below with a download link when ready.",
        )
        return HttpResponseRedirect(reverse("orders:exports"))


def _own_export(user: AbstractBaseUser, pk: int) -> OrderExport:
    export = get_object_or_404(OrderExport, pk=pk)
    if not user.has_perm(VIEW_PERMISSION) or (
        export.requested_by_id != user.pk and not user.is_superuser
    ):
        raise PermissionDenied("Only the person who asked for an export may download it.")
    return export


class ExportProgress(View):
    """How far one export is, for the page to show without reloading."""

    def get(self, request: HttpRequest, pk: int) -> JsonResponse:
        export = _own_export(request.user, pk)
        return JsonResponse(
            {
                "status": export.status,
                "status_label": export.get_status_display(),
                "percent": export.percent_done,
                "rows_written": export.rows_written,
                "total_rows": export.total_rows,
                "download_url": reverse("orders:export_download", args=[export.pk])
                if export.status == OrderExport.Status.READY
                else None,
            }
        )


class DownloadExport(View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        export = _own_export(request.user, pk)
        if export.status != OrderExport.Status.READY or not export.file:
            messages.error(request, f"{export} is not ready yet.")
            return HttpResponseRedirect(reverse("orders:exports"))
        content_type = exports.XLSX_CONTENT_TYPE if export.format == "xlsx" else "text/csv"
        return FileResponse(
            exports.storage().open(export.file, "rb"),
            as_attachment=True,
            filename=export.file_name,
            content_type=content_type,
        )
