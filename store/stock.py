"""Stock: units on hand, units held by live checkouts, and what is left to sell.

A pending order holds the units of its lines while its Checkout Session can be
paid (until ``Order.checkout_expires_at``), or for as long as a delayed payment
is processing: ``OrderQuerySet.holding``, the one definition. Nothing has to
run when a hold ends: cancelled, expired and failed orders, and sessions past
their expiry, simply stop counting. Paying
takes the units off ``Product.stock`` in the transaction that marks it paid.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from django.db.models import F, IntegerField, Min, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils.text import get_text_list

from store.models import Order, OrderLine, Product
from store.signals import announce_availability_change

# "Only N left" from this many down.
LOW_STOCK = 5


class SoldOut(Exception):
    """Not enough units left for the basket; nothing was created."""

    def __init__(self, products: list[Product]):
        self.products = products
        names = get_text_list([product.name for product in products], "and")
        super().__init__(
            f"Sorry, {names} sold out while you were choosing, so nothing was ordered or "
            "charged. The page now shows what is left."
        )


def with_held_units(products: QuerySet[Product]) -> QuerySet[Product]:
    """Annotate ``held_units``: units of each product in live checkouts (one query)."""
    held = (
        OrderLine.objects.filter(product=OuterRef("pk"), order__in=Order.objects.holding())
        .values("product")
        .annotate(total=Sum("quantity"))
        .values("total")
    )
    return products.annotate(held_units=Coalesce(Subquery(held, output_field=IntegerField()), 0))


def counted(products: Iterable[Product]) -> list[Product]:
    """The products, each with ``held_units`` set, as ``with_held_units`` would annotate.

    For the shop's own paths: one plain grouped query, and none at all when no
    product counts its stock (the subquery of ``with_held_units`` costs more to build).
    """
    products = list(products)
    tracked = [product.pk for product in products if product.stock is not None]
    held: dict[int, int] = {}
    if tracked:
        lines = OrderLine.objects.filter(product__in=tracked, order__in=Order.objects.holding())
        held = dict(lines.values_list("product").annotate(total=Sum("quantity")))
    for product in products:
        product.held_units = held.get(product.pk, 0)
    return products


def available(product: Product) -> int | None:
    """Units that can still be sold (None: not tracked). Needs ``held_units`` (``counted``)."""
    if product.stock is None:
        return None
    return max(product.stock - product.held_units, 0)


def hold(basket: Mapping[Product, int]) -> None:
    """Lock the tracked products and check there is enough for ``{product: quantity}``.

    Call inside the transaction that creates the order: the locks (taken in pk
    order, so two baskets cannot deadlock) last until it commits, so no other
    checkout can count the same units. Raises SoldOut naming what ran short.
    A basket of products whose stock was not counted when they were read
    costs nothing here.
    """
    quantities = {product.pk: quantity for product, quantity in basket.items()}
    if all(product.stock is None for product in basket):
        return
    locked = list(
        Product.objects.select_for_update()
        .filter(pk__in=quantities, stock__isnull=False)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not locked:
        return
    # Counted by a new statement, after the locks: on PostgreSQL a statement that waited
    # for a lock still sees the other checkouts' holds as they were when it started.
    tracked = counted(Product.objects.filter(pk__in=locked).order_by("pk"))
    short = [
        product
        for product in tracked
        if product.stock - product.held_units < quantities[product.pk]
    ]
    if short:
        raise SoldOut(short)
    announce_availability_change()


def consume(order: Order, *, was_holding: bool) -> list[str]:
    """Take a paid order's units off stock; names of products now oversold, if any.

    Only an order whose hold had ended (paid after it expired or was cancelled)
    can oversell: its units may have gone to someone else meanwhile.
    """
    quantities: dict[int, int] = {}
    for line in order.lines.filter(product__stock__isnull=False):
        quantities[line.product_id] = quantities.get(line.product_id, 0) + line.quantity
    locked = Product.objects.select_for_update().filter(pk__in=quantities).order_by("pk")
    for pk in locked.values_list("pk", flat=True):
        Product.objects.filter(pk=pk).update(stock=F("stock") - quantities[pk])
    if quantities:
        announce_availability_change()
    if was_holding or not quantities:
        return []
    products = counted(Product.objects.filter(pk__in=quantities).order_by("pk"))
    return [product.name for product in products if product.stock - product.held_units < 0]


def change_count(product: Product, before: int | None, after: int | None) -> None:
    """An editor changed the count from ``before`` to ``after``: apply it as a change.

    Sales since the editor loaded the form stay counted: 10 -> 15 adds five
    units to whatever is on hand now. Starting or stopping tracking sets it.
    """
    products = Product.objects.filter(pk=product.pk)
    if before is None or after is None:
        products.update(stock=after)
    else:
        products.update(stock=F("stock") + (after - before))
    product.refresh_from_db(fields=["stock"])
    announce_availability_change()


def next_hold_expiry() -> datetime | None:
    """When the first live hold on a tracked product ends by itself (nothing announces it)."""
    holds = Order.objects.holding().filter(
        payment_processing=False, lines__product__stock__isnull=False
    )
    return holds.aggregate(first=Min("checkout_expires_at"))["first"]


def is_holding(order: Order, now: datetime | None = None) -> bool:
    """Whether the order holds units now, by the one rule (``OrderQuerySet.holding``)."""
    return Order.objects.filter(pk=order.pk).holding(now).exists()
