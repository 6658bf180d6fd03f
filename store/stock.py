"""Stock: units on hand, units held by live checkouts, and what is left to sell, per variant.

Stock is counted per ``ProductVariant`` (a product without options has one). A
pending order holds the units of its lines while its Checkout Session can be
paid (until ``Order.checkout_expires_at``), or for as long as a delayed payment
is processing: ``OrderQuerySet.holding``, the one definition. Nothing has to run
when a hold ends: cancelled, expired and failed orders, and sessions past their
expiry, simply stop counting. Paying takes the units off ``ProductVariant.stock``
in the transaction that marks it paid.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from django.db.models import F, IntegerField, Min, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils.text import get_text_list

from store.models import Order, OrderLine, ProductVariant
from store.signals import announce_availability_change

# "Only N left" from this many down.
LOW_STOCK = 5


class SoldOut(Exception):
    """Not enough units left for the basket; nothing was created."""

    def __init__(self, variants: list[ProductVariant]):
        self.variants = variants
        names = get_text_list([variant.display_name for variant in variants], "and")
        if all(variant.stock <= 0 for variant in variants):
            message = f"Sorry, {names} sold out while you were choosing"
        else:
            # Some units are only held: "Sold out" is kept for stock that is gone.
            message = (
                f"Sorry, {names} ran short while you were choosing: the rest is held in other "
                "shoppers' checkouts, and any not paid for come back soon"
            )
        super().__init__(
            f"{message}. Nothing was ordered or charged; the page now shows what is left."
        )


def with_held_units(variants: QuerySet[ProductVariant]) -> QuerySet[ProductVariant]:
    """Annotate ``held_units``: units of each variant in live checkouts (one query)."""
    held = (
        OrderLine.objects.filter(variant=OuterRef("pk"), order__in=Order.objects.holding())
        .values("variant")
        .annotate(total=Sum("quantity"))
        .values("total")
    )
    return variants.annotate(held_units=Coalesce(Subquery(held, output_field=IntegerField()), 0))


def counted(variants: Iterable[ProductVariant]) -> list[ProductVariant]:
    """The variants, each with ``held_units`` set, as ``with_held_units`` would annotate.

    For the shop's own paths: one plain grouped query, and none at all when no
    variant counts its stock (the subquery of ``with_held_units`` costs more to build).
    """
    variants = list(variants)
    tracked = [variant.pk for variant in variants if variant.stock is not None]
    held: dict[int, int] = {}
    if tracked:
        lines = OrderLine.objects.filter(variant__in=tracked, order__in=Order.objects.holding())
        held = dict(lines.values_list("variant").annotate(total=Sum("quantity")))
    for variant in variants:
        variant.held_units = held.get(variant.pk, 0)
    return variants


def available(variant: ProductVariant) -> int | None:
    """Units that can still be sold (None: not counted). Needs ``held_units`` (``counted``)."""
    if variant.stock is None:
        return None
    return max(variant.stock - variant.held_units, 0)


def hold(basket: Mapping[ProductVariant, int]) -> None:
    """Lock the counted variants and check there is enough for ``{variant: quantity}``.

    Call inside the transaction that creates the order: the locks (taken in pk
    order, so two baskets cannot deadlock) last until it commits, so no other
    checkout can count the same units of that variant; other variants of the
    same product are not locked. Raises SoldOut naming what ran short. A basket
    of variants whose stock was not counted when they were read costs nothing here.
    """
    quantities = {variant.pk: quantity for variant, quantity in basket.items()}
    if all(variant.stock is None for variant in basket):
        return
    locked = list(
        ProductVariant.objects.select_for_update()
        .filter(pk__in=quantities, stock__isnull=False)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not locked:
        return
    # Counted by a new statement, after the locks: on PostgreSQL a statement that waited
    # for a lock still sees the other checkouts' holds as they were when it started.
    tracked = counted(ProductVariant.objects.filter(pk__in=locked).select_related("product"))
    short = [
        variant
        for variant in tracked
        if variant.stock - variant.held_units < quantities[variant.pk]
    ]
    if short:
        raise SoldOut(sorted(short, key=lambda variant: variant.pk))
    announce_availability_change()


def consume(order: Order, *, was_holding: bool) -> list[str]:
    """Take a paid order's units off stock; names of variants now oversold, if any.

    Only an order whose hold had ended (paid after it expired or was cancelled)
    can oversell: its units may have gone to someone else meanwhile.
    """
    quantities: dict[int, int] = {}
    for line in order.lines.filter(variant__stock__isnull=False):
        quantities[line.variant_id] = quantities.get(line.variant_id, 0) + line.quantity
    locked = ProductVariant.objects.select_for_update().filter(pk__in=quantities).order_by("pk")
    for pk in locked.values_list("pk", flat=True):
        ProductVariant.objects.filter(pk=pk).update(stock=F("stock") - quantities[pk])
    if quantities:
        announce_availability_change()
    if was_holding or not quantities:
        return []
    variants = counted(
        ProductVariant.objects.filter(pk__in=quantities).select_related("product").order_by("pk")
    )
    return [variant.display_name for variant in variants if variant.stock - variant.held_units < 0]


def change_count(variant: ProductVariant, before: int | None, after: int | None) -> None:
    """An editor changed the count from ``before`` to ``after``: apply it as a change.

    Sales since the editor loaded the form stay counted: 10 -> 15 adds five
    units to whatever is on hand now. Starting or stopping counting sets it.
    """
    variants = ProductVariant.objects.filter(pk=variant.pk)
    if before is None or after is None:
        variants.update(stock=after)
    else:
        variants.update(stock=F("stock") + (after - before))
    variant.refresh_from_db(fields=["stock"])
    announce_availability_change()


def next_hold_expiry() -> datetime | None:
    """When the first live hold on a counted variant ends by itself (nothing announces it)."""
    holds = Order.objects.holding().filter(
        payment_processing=False, lines__variant__stock__isnull=False
    )
    return holds.aggregate(first=Min("checkout_expires_at"))["first"]


def is_holding(order: Order, now: datetime | None = None) -> bool:
    """Whether the order holds units now, by the one rule (``OrderQuerySet.holding``)."""
    return Order.objects.filter(pk=order.pk).holding(now).exists()
