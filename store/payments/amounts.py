"""What Stripe charged, part by part, checked against what the shop expected.

The paid transition trusts a session only when its subtotal is the order's lines, its
discount is what the code's terms give (``store.discounts``), its shipping is a rate the
order was offered, and its total is subtotal - discount + shipping. :func:`read_charge`
asks Stripe (the chosen shipping rate's name) and the discount hook before any
transaction; :func:`problems` and :func:`recorded` then decide with no call out, in the
paid transition's transaction (where a code's per-email uses are counted under a lock).
"""

from __future__ import annotations

from dataclasses import dataclass

# The module, not its names: store.discounts reads Stripe objects through store.payments, so
# whichever of the two is imported first must find the other's names only when called.
from store import discounts, shipping
from store.models import Order
from store.payments.stripe_api import retrieve_shipping_rate
from store.payments.stripe_fields import object_id, optional


@dataclass(frozen=True)
class StripeCharge:
    """The session's amounts, the chosen shipping rate as Stripe describes it (None: no rate
    was chosen) and the discount the shop expects for the session's code."""

    subtotal: int | None
    discount: int
    shipping: int
    tax: int
    total: int | None
    shipping_rate: shipping.OfferedRate | None
    expected_discount: discounts.ExpectedDiscount
    customer_email: str = ""


def read_charge(session) -> StripeCharge:
    """Read the charge of a paid session. Calls Stripe (the shipping rate, unless the session
    has it expanded) and the discount hook: never inside a transaction."""
    subtotal = optional(session, "amount_subtotal")
    return StripeCharge(
        subtotal=subtotal,
        discount=optional(session, "total_details", "amount_discount", default=0),
        shipping=optional(session, "total_details", "amount_shipping", default=0),
        tax=optional(session, "total_details", "amount_tax", default=0),
        total=optional(session, "amount_total"),
        shipping_rate=_chosen_rate(session),
        expected_discount=discounts.expected_discount(
            session, subtotal or 0, optional(session, "currency", default="")
        ),
        customer_email=optional(session, "customer_details", "email", default="") or "",
    )


def _chosen_rate(session) -> shipping.OfferedRate | None:
    rate = optional(session, "shipping_cost", "shipping_rate")
    rate_id = object_id(rate)
    if rate_id is None:
        return None
    if isinstance(rate, str):
        rate = retrieve_shipping_rate(rate_id)
    return shipping.OfferedRate(
        name=optional(rate, "display_name", default=""),
        amount=optional(rate, "fixed_amount", "amount", default=0),
    )


def problems(order: Order, charge: StripeCharge) -> list[str]:
    """How the charge disagrees with what the shop expected for ``order``; empty if it agrees."""
    found = []
    expected_subtotal = sum(line.amount for line in order.lines.all())
    if charge.subtotal != expected_subtotal:
        found.append(f"amount_subtotal {charge.subtotal} != {expected_subtotal}")
    discount = charge.expected_discount
    if discount.problem:
        found.append(f"discount: {discount.problem}")
    elif charge.discount != discount.amount:
        found.append(f"amount_discount {charge.discount} != {discount.amount}")
    elif discount.code and (
        used_up := discounts.per_email_problem(discount.code, charge.customer_email)
    ):
        found.append(f"discount: {used_up}")
    rate = _offered_rate(order, charge)
    if rate is None:
        chosen = charge.shipping_rate
        found.append(
            f"shipping rate {chosen.name!r} at {chosen.amount} was not offered"
            if chosen
            else "no shipping rate chosen, but the order was offered some"
        )
    elif charge.shipping != rate.amount:
        found.append(f"amount_shipping {charge.shipping} != {rate.amount}")
    if charge.tax:
        found.append(f"amount_tax {charge.tax} != 0")
    expected_total = expected_subtotal - discount.amount + (rate.amount if rate else 0)
    if charge.total != expected_total:
        found.append(f"amount_total {charge.total} != {expected_total}")
    return found


def _offered_rate(order: Order, charge: StripeCharge) -> shipping.OfferedRate | None:
    """The offered rate the shopper chose, matched by name and amount; a free 'rate' when the
    order was offered none and none was chosen. None: the choice is not one the shop made."""
    offered = shipping.offered_to(order)
    chosen = charge.shipping_rate
    if not offered:
        return shipping.OfferedRate("", 0) if chosen is None else None
    if chosen is None:
        return None
    return next(
        (rate for rate in offered if (rate.name, rate.amount) == (chosen.name, chosen.amount)),
        None,
    )


def recorded(order: Order, charge: StripeCharge) -> dict:
    """The order's amount fields for a charge without :func:`problems`."""
    rate = _offered_rate(order, charge)
    return {
        "amount_subtotal": charge.subtotal,
        "amount_discount": charge.discount,
        "amount_shipping": charge.shipping,
        "amount_total": charge.total,
        "discount_code": charge.expected_discount.code,
        "shipping_rate_name": rate.name if rate else "",
    }
