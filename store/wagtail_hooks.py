"""Everything the Wagtail admin shows of the store.

Products are snippets editors manage. Orders and Stripe events are written by
the payment flow only: staff can list and inspect them, nobody can change them.
"""

from __future__ import annotations

from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.template.loader import render_to_string
from django.urls import reverse
from wagtail import hooks
from wagtail.admin.panels import FieldPanel, ObjectList
from wagtail.admin.ui.components import Component
from wagtail.admin.ui.tables import (
    BooleanColumn,
    Column,
    DateColumn,
    LiveStatusTagColumn,
    StatusTagColumn,
    UpdatedAtColumn,
)
from wagtail.admin.views.generic import InspectView
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from store import stock
from store.admin_forms import ProductForm
from store.models import Order, Product, WebhookEvent
from store.reports import sales_summary


class LastChangeColumn(UpdatedAtColumn):
    """Wagtail's "Updated" (from the change log), or the row's own time for seeded products."""

    def get_value(self, instance):
        return super().get_value(instance) or instance.updated_at


def tracked(product: Product, figure: str) -> int | str:
    """On hand, held by live checkouts, or left (below zero if oversold); a dash if untracked."""
    if product.stock is None:
        return "—"
    return {
        "stock": product.stock,
        "held": product.held_units,
        "left": product.stock - product.held_units,
    }[figure]


class ProductViewSet(SnippetViewSet):
    model = Product
    icon = "tag"
    menu_label = "Products"
    menu_order = 200
    add_to_admin_menu = True
    list_display = [
        "name",
        Column("display_price", label="Price"),
        Column("stock", label="Stock", accessor=lambda product: tracked(product, "stock")),
        Column("held", label="Held", accessor=lambda product: tracked(product, "held")),
        Column("available", label="Available", accessor=lambda product: tracked(product, "left")),
        LiveStatusTagColumn(),
        LastChangeColumn(),
    ]
    list_filter = ["live"]
    # ORM search: rows created by migrations are found without `update_index`.
    search_fields = ["name", "slug"]
    search_backend_name = None
    ordering = ["sort_order", "name"]

    def get_queryset(self, request):
        # Held = units in live checkouts; available can go below zero when oversold.
        return stock.with_held_units(Product.objects.all())

    edit_handler = ObjectList(
        [
            FieldPanel("name"),
            FieldPanel("slug"),
            FieldPanel("description"),
            FieldPanel("price"),
            FieldPanel("stock"),
            FieldPanel("image"),
        ],
        base_form_class=ProductForm,
    )


class LimitedPermissionPolicy(ModelPermissionPolicy):
    """Django's model permissions, but only for ``allowed_actions``: the rest nobody may do."""

    def __init__(self, model, allowed_actions: frozenset[str]):
        super().__init__(model)
        self.allowed_actions = allowed_actions

    def user_has_permission(self, user, action):
        return action in self.allowed_actions and super().user_has_permission(user, action)

    def users_with_any_permission(self, actions):
        allowed = [action for action in actions if action in self.allowed_actions]
        if not allowed:
            return get_user_model().objects.none()
        return super().users_with_any_permission(allowed)


class OrderInspectView(InspectView):
    def get_field_label(self, field_name, field):
        if field_name == "lines":
            return "Lines"
        return super().get_field_label(field_name, field)

    def get_lines_display_value(self):
        lines = self.object.lines.select_related("order")
        return render_to_string("store/admin/order_lines.html", {"lines": lines})


class ReadOnlyModelViewSet(ModelViewSet):
    """Listing and inspect views only: the add, edit and delete URLs do not exist (404).

    The permission policy refuses those actions too, so no button offers them.
    """

    WRITE_VIEWS = frozenset({"add", "edit", "delete", "copy"})

    copy_view_enabled = False
    inspect_view_enabled = True
    form_fields: list[str] = []  # never rendered: there is no add or edit view
    search_backend_name = None  # ORM search: no index to keep up to date

    def get_urlpatterns(self):
        return [url for url in super().get_urlpatterns() if url.name not in self.WRITE_VIEWS]


class LockedSignInViewSet(ReadOnlyModelViewSet):
    """django-axes' record of failed sign-ins: deleting one lifts its lockout."""

    WRITE_VIEWS = frozenset({"add", "edit", "copy"})

    model = AccessAttempt
    name = "locked-sign-ins"
    icon = "lock"
    menu_label = "Locked sign-ins"
    add_to_settings_menu = True
    inspect_view_enabled = False
    list_display = [
        Column("username", label="Username"),
        Column("ip_address", label="Address"),
        Column("failures_since_start", label="Failures"),
        DateColumn("attempt_time", label="Last attempt"),
    ]
    search_fields = ["username", "ip_address"]
    ordering = ["-attempt_time"]


class OrderViewSet(ReadOnlyModelViewSet):
    model = Order
    name = "orders"
    icon = "list-ul"
    menu_label = "Orders"
    menu_order = 210
    add_to_admin_menu = True
    inspect_view_class = OrderInspectView
    inspect_view_fields = [
        "number",
        "status",
        "attention_reason",
        "display_total",
        "lines",
        "customer_email",
        "created_at",
        "paid_at",
        "stripe_session_id",
        "stripe_payment_intent_id",
        "failure_reason",
        "public_id",
    ]
    list_display = [
        Column("number", label="Order", sort_key="pk"),
        StatusTagColumn("get_status_display", label="Status", sort_key="status"),
        BooleanColumn("needs_attention", label="Needs attention"),
        Column("display_total", label="Total", sort_key="amount_total"),
        Column("customer_email", label="Email"),
        DateColumn("created_at", label="Created", sort_key="created_at"),
    ]
    list_filter = {
        "status": ["exact"],
        "needs_attention": ["exact"],
        "created_at": ["date__gte", "date__lte"],
    }
    search_fields = ["id", "customer_email", "stripe_session_id"]
    ordering = ["-created_at"]
    list_export = ["number", "status", "amount_total", "currency", "customer_email", "created_at"]


class WebhookEventViewSet(ReadOnlyModelViewSet):
    """Kept visible so staff can see an event Stripe keeps retrying, and why."""

    model = WebhookEvent
    name = "stripe-events"
    icon = "resubmit"
    menu_label = "Stripe events"
    add_to_settings_menu = True
    list_display = [
        Column("type", label="Type"),
        Column("object_id", label="Session"),
        Column("outcome", label="Outcome"),
        Column("attempts", label="Attempts"),
        DateColumn("received_at", label="Received"),
    ]
    list_filter = ["type", "outcome"]
    search_fields = ["event_id", "object_id", "error"]
    ordering = ["-received_at"]


for read_only_model in (Order, WebhookEvent):
    register_permission_policy(
        read_only_model, LimitedPermissionPolicy(read_only_model, frozenset({"view"}))
    )
register_permission_policy(
    AccessAttempt, LimitedPermissionPolicy(AccessAttempt, frozenset({"view", "delete"}))
)

register_snippet(ProductViewSet)
order_viewset = OrderViewSet()
event_viewset = WebhookEventViewSet()


@hooks.register("register_admin_viewset")
def register_order_viewsets():
    return [order_viewset, event_viewset, LockedSignInViewSet()]


class SalesPanel(Component):
    name = "store_sales"
    order = 50
    template_name = "store/admin/sales_panel.html"

    def __init__(self, request):
        self.request = request

    def is_shown(self):
        return order_viewset.permission_policy.user_has_permission(self.request.user, "view")

    def get_context_data(self, parent_context):
        return {
            "summary": sales_summary(),
            "orders_url": reverse(order_viewset.get_url_name("index")),
        }


@hooks.register("construct_homepage_panels")
def add_sales_panel(request, panels):
    panels.insert(0, SalesPanel(request))
