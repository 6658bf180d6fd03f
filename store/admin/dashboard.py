"""The sales panel on the admin's dashboard."""

from __future__ import annotations

from django.urls import reverse
from wagtail.admin.ui.components import Component

from store.reports import sales_summary, top_discount_codes
from store.worker_health import worker_health


class SalesPanel(Component):
    name = "store_sales"
    order = 50
    template_name = "store/admin/sales_panel.html"

    def __init__(self, request):
        self.request = request

    def is_shown(self):
        return self.request.user.has_perm("store.view_order")

    def get_context_data(self, parent_context):
        return {
            "summary": sales_summary(),
            "top_codes": top_discount_codes(),
            "codes_url": reverse("discount_codes:index"),
            "worker": worker_health(),
            "orders_url": reverse("orders:index"),
        }
