"""The shopper's basket, kept in their session from the moment they press Checkout until the
order is paid: back from Stripe after a cancel, a declined card, an expired session or the
back button, the shop page shows the same quantities again.

Keyed by what is bought: ``"<product pk>/<variant pk>"``, so one product's variants are
separate lines (a basket kept before variants has ``"<product pk>"``: its one variant).
The session also names the order the basket was last sent to Stripe as; once that order
is paid (or its bank payment is under way), the basket is empty.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.db.models import Q
from django.http import HttpRequest

from store.models import Order, ProductVariant

SESSION_KEY = "store_basket"


def item_key(product_id: int, variant_id: int | None = None) -> str:
    return str(product_id) if variant_id is None else f"{product_id}/{variant_id}"


def remember(request: HttpRequest, lines: Iterable[tuple[ProductVariant, int]]) -> None:
    """The quantities just posted: the basket now (an order is named once it exists)."""
    items = {
        item_key(variant.product_id, variant.pk): quantity
        for variant, quantity in lines
        if quantity > 0
    }
    request.session[SESSION_KEY] = {"items": items, "order": None}


def sent_as(request: HttpRequest, order: Order) -> None:
    """The basket went to Stripe as ``order``: it empties once that order is paid."""
    basket = request.session.get(SESSION_KEY)
    if basket:
        request.session[SESSION_KEY] = {**basket, "order": str(order.public_id)}


def clear(request: HttpRequest) -> None:
    request.session.pop(SESSION_KEY, None)


def may_have_items(request: HttpRequest) -> bool:
    """Cheap: only a browser with a session can have a basket (no database otherwise)."""
    return settings.SESSION_COOKIE_NAME in request.COOKIES and bool(
        request.session.get(SESSION_KEY)
    )


def items(request: HttpRequest) -> dict[str, int]:
    """What is in the basket; empty once the order it was sent as is paid (wherever that
    was seen: the success page, a webhook, reconcile)."""
    if not may_have_items(request):
        return {}
    basket = request.session[SESSION_KEY]
    order_id = basket.get("order")
    if order_id and _checked_out(order_id):
        clear(request)
        return {}
    return dict(basket.get("items") or {})


def _checked_out(order_public_id: str) -> bool:
    paid_or_settling = Q(status=Order.Status.PAID) | Q(
        status=Order.Status.PENDING, payment_processing=True
    )
    return Order.objects.filter(paid_or_settling, public_id=order_public_id).exists()
