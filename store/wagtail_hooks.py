"""Registers the store's admin (defined in ``store.admin``) with Wagtail.

Products are snippets editors manage. Orders and Stripe events are written by
the payment flow: staff can list and inspect them, and those who may fulfil
orders can ship them; nobody can edit them otherwise. Discount codes are edited here and
kept in step with Stripe's coupons. The seller's GST details and the shipping rates are
site settings; the month's GST report is under Reports.
"""

from __future__ import annotations

from axes.models import AccessAttempt
from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.contrib.settings.registry import register_setting
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet

from store.admin.dashboard import SalesPanel
from store.admin.discounts import DiscountCodeViewSet
from store.admin.gst import VIEW_ORDERS, GSTReportView
from store.admin.orders import LOG_FORMATTERS, MarkShippedBulkAction, OrderViewSet
from store.admin.products import ProductViewSet
from store.admin.read_only import LimitedPermissionPolicy
from store.admin.records import LockedSignInViewSet, WebhookEventViewSet
from store.admin.shipping import SHIPPING_SETTINGS_PANELS
from store.models import DiscountCode, GSTSettings, Order, ShippingSettings, WebhookEvent

for read_only_model in (Order, WebhookEvent):
    register_permission_policy(
        read_only_model, LimitedPermissionPolicy(read_only_model, frozenset({"view"}))
    )
register_permission_policy(
    AccessAttempt, LimitedPermissionPolicy(AccessAttempt, frozenset({"view", "delete"}))
)

# Codes are never deleted (paid orders name them): staff make one inactive instead.
register_permission_policy(
    DiscountCode, LimitedPermissionPolicy(DiscountCode, frozenset({"add", "change", "view"}))
)

register_snippet(ProductViewSet)
register_setting(GSTSettings, icon="doc-full")
ShippingSettings.edit_handler = SHIPPING_SETTINGS_PANELS
register_setting(ShippingSettings, icon="list-ul")


@hooks.register("register_admin_viewset")
def register_viewsets():
    return [
        OrderViewSet(),
        DiscountCodeViewSet(),
        WebhookEventViewSet(),
        LockedSignInViewSet(),
    ]


hooks.register("register_bulk_action", MarkShippedBulkAction)


@hooks.register("register_log_actions")
def register_order_log_actions(actions):
    for action, formatter in LOG_FORMATTERS.items():
        actions.register_action(action)(formatter)


@hooks.register("register_admin_urls")
def register_gst_report_url():
    return [path("reports/gst/", GSTReportView.as_view(), name="gst_report")]


class GSTReportMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm(VIEW_ORDERS)


@hooks.register("register_reports_menu_item")
def register_gst_report_menu_item():
    return GSTReportMenuItem(
        "GST (B2C supplies)", reverse("gst_report"), name="gst", icon_name="doc-full", order=100
    )


@hooks.register("construct_homepage_panels")
def add_sales_panel(request, panels):
    panels.insert(0, SalesPanel(request))
