"""Orders in the admin: read-only, except the fulfilment steps and refunds staff may make.

The listing filters by payment and fulfilment state and exports the address
and lines; the order's page shows who paid, where it ships and what was
refunded, and, to staff with the permission, the forms to ship, deliver or
undo, and to refund. "Mark shipped" also works on many orders at once.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.html import format_html_join
from django.utils.translation import ngettext
from django.views.defaults import permission_denied
from wagtail.admin import messages
from wagtail.admin.ui.tables import (
    BooleanColumn,
    BulkActionsCheckboxColumn,
    Column,
    DateColumn,
    StatusTagColumn,
)
from wagtail.admin.views.bulk_action import BulkAction
from wagtail.admin.views.generic import IndexView, InspectView
from wagtail.admin.views.generic.history import HistoryView
from wagtail.admin.widgets import Button
from wagtail.log_actions import LogFormatter

from store import exports, fulfilment, money, order_queries, payments
from store.admin.exports import (
    DownloadExport,
    ExportProgress,
    OrderExportsView,
    csv_response,
    selecting_query,
    xlsx_response,
)
from store.admin.gst import AdminOrderDocument, tax_documents
from store.admin.large_listings import LargeListingMixin
from store.admin.order_actions import (
    FULFIL_PERMISSION,
    LINKS_REVOKED,
    DeliverOrder,
    RevokeOrderLinks,
    ShipForm,
    ShipOrder,
    UndoFulfilment,
    can_fulfil,
)
from store.admin.read_only import ReadOnlyModelViewSet
from store.admin.refund_views import ConfirmRefund, RefundOrder, can_refund, new_refund_form
from store.models import Order
from store.order_queries import OrderFilterSet
from store.templatetags.store_format import local_datetime

# Shown on the order's page, in this order; see OrderInspectView for the composite ones.
INSPECT_FIELDS = [
    "number",
    "status",
    "needs_attention",
    "total",
    "lines",
    "customer",
    "shipping_address",
    "fulfilment",
    "refunds",
    "disputes",
    "tax_documents",
    "emails",
    "created_at",
    "paid_at",
    "stripe_session_id",
    "stripe_payment_intent_id",
    "failure_reason",
    "public_id",
]


def isolated(values: list[str], separator: str = ", ") -> str:
    """Each value in its own <bdi>: a right-to-left override in one cannot reorder the page."""
    return format_html_join(separator, "<bdi>{}</bdi>", ((value,) for value in values if value))


def isolated_email(order: Order) -> str:
    return isolated([order.customer_email])


class OrderIndexView(LargeListingMixin, IndexView):
    """The listing at a million orders: indexed filters, search and sorts (store.order_queries),
    bounded counts, and exports that stream instead of loading every order."""

    template_name = "store/admin/order_index.html"

    def get(self, request, *args, **kwargs):
        # Before Wagtail's own export, which counts and loads every row for the page context.
        if self.is_export:
            orders = self.get_queryset()
            if request.GET["export"] == self.FORMAT_CSV:
                return csv_response(orders)
            return xlsx_response(request, orders)
        return super().get(request, *args, **kwargs)

    def search_queryset(self, queryset):
        return order_queries.search(queryset, self.search_query) if self.is_searching else queryset

    def order_queryset(self, queryset):
        return queryset.order_by(*order_queries.sort_order(self.ordering))

    @cached_property
    def header_more_buttons(self):
        query = selecting_query(self.request.GET).urlencode()
        return [
            *super().header_more_buttons,
            Button(
                "Export in the background…",
                url=f"{reverse('orders:exports')}?{query}",
                icon_name="download",
                priority=95,
            ),
        ]

    @cached_property
    def columns(self):
        columns = super().columns
        if can_fulfil(self.request.user):
            return [BulkActionsCheckboxColumn("bulk_actions", obj_type="order"), *columns]
        return columns

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs) | {"can_fulfil": can_fulfil(self.request.user)}


class OrderInspectView(InspectView):
    template_name = "store/admin/order_inspect.html"
    LABELS = {
        "needs_attention": "Needs attention",
        "total": "Total",
        "created_at": "Created",
        "paid_at": "Paid",
        "lines": "Lines",
        "customer": "Customer",
        "shipping_address": "Shipping address",
        "fulfilment": "Fulfilment",
        "refunds": "Refunds",
        "disputes": "Disputes",
        "tax_documents": "GST documents",
        "emails": "Emails",
    }

    def get_field_label(self, field_name, field):
        return self.LABELS.get(field_name) or super().get_field_label(field_name, field)

    def get_status_display_value(self):
        return self.object.payment_display

    def get_needs_attention_display_value(self):
        return self.object.attention_reason if self.object.needs_attention else "No"

    def get_total_display_value(self):
        return self.object.display_total

    def get_created_at_display_value(self):
        return local_datetime(self.object.created_at)

    def get_paid_at_display_value(self):
        return local_datetime(self.object.paid_at) or "—"

    def get_lines_display_value(self):
        lines = self.object.lines.select_related("order")
        return render_to_string(
            "store/admin/order_lines.html", {"lines": lines, "order": self.object}
        )

    def get_customer_display_value(self):
        order = self.object
        parts = [order.customer_name, order.customer_email, order.customer_phone]
        return isolated(parts) or "—"

    def get_shipping_address_display_value(self):
        return render_to_string("store/admin/order_address.html", {"order": self.object})

    def get_fulfilment_display_value(self):
        return render_to_string("store/admin/order_fulfilment.html", {"order": self.object})

    def get_refunds_display_value(self):
        return render_to_string("store/admin/order_refunds.html", {"order": self.object})

    def get_disputes_display_value(self):
        return render_to_string("store/admin/order_disputes.html", {"order": self.object})

    def get_tax_documents_display_value(self):
        return tax_documents(self.object)

    def get_emails_display_value(self):
        return render_to_string("store/admin/order_emails.html", {"order": self.object})

    def get_context_data(self, **kwargs):
        order = self.object
        may_ship = order.status == Order.Status.PAID
        outstanding = payments.outstanding(order)
        left = order.amount_total - outstanding
        may_refund = may_ship and left > 0
        return super().get_context_data(**kwargs) | {
            "left_to_refund": money.format_amount(left, order.currency),
            "can_fulfil": can_fulfil(self.request.user) and may_ship,
            "can_revoke_links": can_fulfil(self.request.user),
            "ship_form": ShipForm(),
            "not_shippable_because": fulfilment.why_not_shippable(order),
            "can_refund": can_refund(self.request.user) and may_refund,
            "refund_form": new_refund_form(outstanding),
        }


class OrderHistoryView(HistoryView):
    """Who shipped, delivered or undid what, and when: for everyone who may see orders.

    Orders have no edit view: the breadcrumb leads back to the order's page instead.
    """

    any_permission_required = ["view"]
    header_buttons = []

    def get_edit_url(self, instance):
        return reverse("orders:inspect", args=[instance.pk])


class OrderViewSet(ReadOnlyModelViewSet):
    model = Order
    name = "orders"
    icon = "list-ul"
    menu_label = "Orders"
    menu_order = 210
    add_to_admin_menu = True
    index_view_class = OrderIndexView
    inspect_view_class = OrderInspectView
    history_view_class = OrderHistoryView
    inspect_view_fields = INSPECT_FIELDS
    list_display = [
        Column("number", label="Order", sort_key="pk"),
        StatusTagColumn("payment_display", label="Status", sort_key="status"),
        Column("get_fulfilment_display", label="Fulfilment", sort_key="fulfilment"),
        BooleanColumn("needs_attention", label="Needs attention"),
        Column("display_total", label="Total", sort_key="amount_total"),
        Column("refund_state", label="Refunds"),
        Column("customer_email", label="Email", accessor=isolated_email),
        DateColumn("created_at", label="Created", sort_key="created_at"),
    ]
    filterset_class = OrderFilterSet
    # Searched by store.order_queries.search (number, Stripe id, email, name); this turns it on.
    search_fields = ["customer_email", "customer_name"]
    ordering = order_queries.DEFAULT_ORDERING
    # Turns Wagtail's export buttons on; the exports themselves are store.exports'.
    list_export = exports.HEADINGS

    def get_urlpatterns(self):
        return super().get_urlpatterns() + [
            path("exports/", OrderExportsView.as_view(), name="exports"),
            path("exports/<int:pk>/progress/", ExportProgress.as_view(), name="export_progress"),
            path("exports/<int:pk>/download/", DownloadExport.as_view(), name="export_download"),
            path("ship/<int:pk>/", ShipOrder.as_view(), name="ship"),
            path("deliver/<int:pk>/", DeliverOrder.as_view(), name="deliver"),
            path("revoke-links/<int:pk>/", RevokeOrderLinks.as_view(), name="revoke_links"),
            path("undo-fulfilment/<int:pk>/", UndoFulfilment.as_view(), name="undo_fulfilment"),
            path("refund/<int:pk>/confirm/", ConfirmRefund.as_view(), name="refund_confirm"),
            path("refund/<int:pk>/", RefundOrder.as_view(), name="refund"),
            path("invoice/<int:pk>/", AdminOrderDocument.as_view(), name="invoice"),
            path(
                "credit-note/<int:pk>/<int:credit_note>/",
                AdminOrderDocument.as_view(),
                name="credit_note",
            ),
        ]


class MarkShippedBulkAction(BulkAction):
    """Ship many paid orders at once (without tracking numbers; add those one by one).

    Behind the fulfilment permission like the single action (403 without it). Orders
    that cannot ship (unpaid, shipped, disputed, fully refunded) are skipped, each named
    with the reason in the result.
    """

    display_name = "Mark shipped"
    action_type = "mark_shipped"
    aria_label = "Mark the selected orders shipped"
    template_name = "store/admin/bulk_mark_shipped.html"
    models = [Order]
    action_priority = 10

    def __init__(self, request, model):
        super().__init__(request, model)
        self.skipped: list[tuple[Order, str]] = []

    def dispatch(self, request, *args, **kwargs):
        if not can_fulfil(request.user):
            return permission_denied(request, PermissionDenied(f"Needs {FULFIL_PERMISSION}."))
        return super().dispatch(request, *args, **kwargs)

    def check_perm(self, order: Order) -> bool:
        return can_fulfil(self.request.user)

    def object_context(self, order: Order) -> dict:
        return {"item": order, "not_shippable_because": fulfilment.why_not_shippable(order)}

    def get_execution_context(self):
        return {"user": self.request.user, "skipped": self.skipped}

    @classmethod
    def execute_action(cls, objects, user=None, skipped=None, **kwargs):
        shipped = 0
        for order in objects:
            if fulfilment.ship(order, user=user):
                shipped += 1
            elif skipped is not None:
                skipped.append((order, fulfilment.why_not_shippable(order) or "it changed"))
        return shipped, 0

    def form_valid(self, form):
        response = super().form_valid(form)
        if self.skipped:
            skipped = sorted(self.skipped, key=lambda item: item[0].pk)
            reasons = "; ".join(f"{order} ({reason})" for order, reason in skipped)
            messages.warning(self.request, f"Not marked shipped: {reasons}.")
        return response

    def get_success_message(self, num_parent_objects, num_child_objects):
        if not num_parent_objects:
            return None
        return ngettext(
            "%(count)d order marked shipped; its customer has been emailed.",
            "%(count)d orders marked shipped; their customers have been emailed.",
            num_parent_objects,
        ) % {"count": num_parent_objects}


class ShippedFormatter(LogFormatter):
    label = "Mark shipped"

    def format_message(self, log_entry):
        details = [value for value in log_entry.data.values() if value]
        return "Marked shipped" + (f" ({', '.join(details)})" if details else "")


class LinksRevokedFormatter(LogFormatter):
    label = "Revoke the customer's order links"
    message = "Revoked the links to the order's page"


class DeliveredFormatter(LogFormatter):
    label = "Mark delivered"
    message = "Marked delivered"


class UndoneFormatter(LogFormatter):
    label = "Undo fulfilment"

    def format_message(self, log_entry):
        return f"Undid “{log_entry.data.get('undone')}”, now “{log_entry.data.get('now')}”"


LOG_FORMATTERS = {
    fulfilment.SHIPPED: ShippedFormatter,
    fulfilment.DELIVERED: DeliveredFormatter,
    fulfilment.UNDONE: UndoneFormatter,
    LINKS_REVOKED: LinksRevokedFormatter,
}
