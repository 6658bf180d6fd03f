"""``{{ order|status_page_url }}``: the order's own page (store.order_links), for My Orders."""

from __future__ import annotations

from django import template

from store import order_links
from store.models import Order

register = template.Library()


@register.filter
def status_page_url(order: Order) -> str:
    return order_links.status_path(order)
