"""How many units one browser, and one client address, may hold at once in unpaid checkouts.

A checkout holds its units until it is paid, cancelled or its Checkout Session
expires (``OrderQuerySet.holding``). Without a cap one shopper, or one script
with fresh cookies, could hold all the stock for the session's whole life and
show everyone else "Sold out". Only units of counted stock count: a checkout of
uncounted variants keeps nothing from anyone.

The check runs in the transaction that creates the order, after a lock per
browser and per address (a PostgreSQL advisory lock, released at commit), so
two checkouts racing from one browser or one address are counted one after the
other. SQLite needs no lock: its writers take turns for the whole transaction.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Min, Sum
from django.utils import timezone
from django.utils.translation import ngettext

from store import advisory_locks
from store.models import Order, OrderLine, ProductVariant


@dataclass(frozen=True)
class Holder:
    """Who holds units: this browser, or this client address (an IPv6 client's /64)."""

    browser_token: str
    client_network: str


class TooManyHeld(Exception):
    """The checkout would take the browser's or the address's held units over the cap;
    nothing was created."""

    def __init__(self, *, held: int, limit: int, whose: str, minutes_left: int | None):
        self.held, self.limit = held, limit
        not_started = "so this checkout was not started and nothing was charged."
        if not held:
            message = (
                f"One checkout can hold at most {limit} items, as {whose} can, {not_started} "
                "Please choose fewer."
            )
        else:
            units = ngettext("%(n)d item", "%(n)d items", held) % {"n": held}
            message = (
                f"You already have {units} waiting in unpaid checkouts, and {whose} can hold "
                f"at most {limit} at once, {not_started} "
                "Finish paying for or cancel your other checkout, then try again"
            )
            if minutes_left is None:
                message += "."
            else:
                wait = ngettext("%(n)d minute", "%(n)d minutes", minutes_left) % {"n": minutes_left}
                message += f"; an unpaid checkout also lets its items go by itself within {wait}."
        super().__init__(message)


def check(holder: Holder, basket: Mapping[ProductVariant, int]) -> None:
    """Raise TooManyHeld when ``{variant: quantity}`` would take ``holder`` over a cap.

    Call inside the transaction that creates the order, before its units are held.
    """
    adding = sum(quantity for variant, quantity in basket.items() if variant.stock is not None)
    if not adding:
        return
    caps = [
        (
            f"holds:browser:{holder.browser_token}",
            "this browser",
            Order.objects.for_browser(holder.browser_token),
            settings.STORE_MAX_HELD_UNITS_PER_BROWSER,
        )
    ]
    if holder.client_network:  # a checkout started without a request (a script) has none
        caps.append(
            (
                f"holds:address:{holder.client_network}",
                "your network address",
                Order.objects.filter(client_network=holder.client_network),
                settings.STORE_MAX_HELD_UNITS_PER_ADDRESS,
            )
        )
    advisory_locks.lock(*(lock_name for lock_name, *_ in caps))
    # Counted by new statements, after the locks, so a racing checkout's hold is seen.
    for _, whose, orders, limit in caps:
        holds = orders.holding()
        held = _units_held(holds)
        if held + adding > limit:
            raise TooManyHeld(
                held=held,
                limit=limit,
                whose=whose,
                minutes_left=_minutes_left(holds),
            )


def _units_held(orders) -> int:
    lines = OrderLine.objects.filter(order__in=orders, variant__stock__isnull=False)
    return lines.aggregate(units=Sum("quantity"))["units"] or 0


def _minutes_left(orders) -> int | None:
    """Minutes until the first of these holds ends by itself (its Checkout Session expires);
    None when only bank payments still settling hold (they end when the bank answers)."""
    first = orders.filter(payment_processing=False).aggregate(first=Min("checkout_expires_at"))
    if first["first"] is None:
        return None
    return max(math.ceil((first["first"] - timezone.now()).total_seconds() / 60), 1)
