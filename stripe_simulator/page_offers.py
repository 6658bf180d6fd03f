"""The hosted page's delivery choice, promotion-code box and totals breakdown.

Without scripts, choosing another rate or applying a code posts the page's one
form ("Update total", "Apply", "Remove"); the server records the change on the
session and shows the new totals before the shopper can pay them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape

from stripe_simulator.money import display_amount

UNITS = {
    "business_day": ("business day", "business days"),
    "day": ("day", "days"),
    "hour": ("hour", "hours"),
    "week": ("week", "weeks"),
    "month": ("month", "months"),
}
CODE_FIELD = "promotion_code"
RATE_FIELD = "shipping_rate"


@dataclass(frozen=True)
class Offers:
    """What an open session offers beyond its lines."""

    rates: Sequence[Mapping] = ()  # its shipping_rate objects, in the session's order
    takes_codes: bool = False
    applied_code: str | None = None


def totals_rows(session: Mapping, offers: Offers, locale: str) -> str:
    """Subtotal, discount (with its code) and shipping rows, when there is more than lines."""
    details = session["total_details"]
    if not offers.rates and not session["discounts"]:
        return ""
    currency = session["currency"]

    def row(label: str, amount: str) -> str:
        return (
            f'<tr><th scope="row" colspan="2">{escape(label)}</th>'
            f'<td class="num">{escape(amount)}</td></tr>'
        )

    rows = [row("Subtotal", display_amount(session["amount_subtotal"], currency, locale))]
    if session["discounts"]:
        label = f"Discount ({offers.applied_code})" if offers.applied_code else "Discount"
        amount = display_amount(details["amount_discount"], currency, locale)
        rows.append(row(label, f"−{amount}"))
    if session["shipping_cost"]:
        rate_id = session["shipping_cost"]["shipping_rate"]
        name = next(rate["display_name"] for rate in offers.rates if rate["id"] == rate_id)
        rows.append(
            row(f"Shipping ({name})", display_amount(details["amount_shipping"], currency, locale))
        )
    return "".join(rows)


def delivery_fieldset(session: Mapping, offers: Offers, locale: str) -> str:
    """The rates as radio buttons, the session's choice checked."""
    if not offers.rates:
        return ""
    chosen = session["shipping_cost"]["shipping_rate"] if session["shipping_cost"] else None
    choices = "".join(
        _rate_choice(rate, index, rate["id"] == chosen, locale)
        for index, rate in enumerate(offers.rates)
    )
    update = ""
    if len(offers.rates) > 1:
        update = (
            '<div class="actions"><button class="button secondary" type="submit" name="action"'
            ' value="update">Update total</button></div>'
        )
    return f"<fieldset><legend>Delivery</legend>{choices}{update}</fieldset>"


def _rate_choice(rate: Mapping, index: int, checked: bool, locale: str) -> str:
    fixed = rate["fixed_amount"]
    amount = display_amount(fixed["amount"], fixed["currency"], locale)
    estimate = delivery_estimate(rate["delivery_estimate"])
    text = f"{rate['display_name']}: {amount}" + (f", {estimate}" if estimate else "")
    field_id = f"{RATE_FIELD}-{index}"
    return (
        f'<div class="choice"><input type="radio" id="{field_id}" name="{RATE_FIELD}"'
        f' value="{escape(rate["id"])}"{" checked" if checked else ""}>'
        f'<label for="{field_id}">{escape(text)}</label></div>'
    )


def delivery_estimate(estimate: Mapping | None) -> str:
    """'3–5 business days', '1 business day', 'at least 2 days', 'up to 1 week', or ''."""
    if not estimate:
        return ""
    low, high = estimate["minimum"], estimate["maximum"]
    if low and high:
        if (low["unit"], low["value"]) == (high["unit"], high["value"]):
            return _quantity(high)
        if low["unit"] == high["unit"]:
            return f"{low['value']}–{_quantity(high)}"
        return f"{_quantity(low)} to {_quantity(high)}"
    if low:
        return f"at least {_quantity(low)}"
    return f"up to {_quantity(high)}" if high else ""


def _quantity(bound: Mapping) -> str:
    singular, plural = UNITS[bound["unit"]]
    return f"{bound['value']} {singular if bound['value'] == 1 else plural}"


def code_fieldset(session: Mapping, offers: Offers, typed: str, refused: bool, locale: str) -> str:
    """The code applied, with Remove; or a box to type one, with Apply."""
    if not offers.takes_codes:
        return ""
    if offers.applied_code:
        amount = display_amount(
            session["total_details"]["amount_discount"], session["currency"], locale
        )
        return (
            "<fieldset><legend>Promotion code</legend>"
            f'<p id="applied-code">{escape(offers.applied_code)} applied: −{escape(amount)}</p>'
            '<div class="actions"><button class="button secondary" type="submit" name="action"'
            ' value="remove_code" aria-describedby="applied-code">Remove</button></div>'
            "</fieldset>"
        )
    invalid = ' aria-invalid="true" aria-describedby="form-error"' if refused else ""
    return (
        "<fieldset><legend>Promotion code</legend>"
        f'<label for="{CODE_FIELD}">Promotion code</label>'
        f'<input id="{CODE_FIELD}" name="{CODE_FIELD}" type="text" autocomplete="off"'
        f' value="{escape(typed)}"{invalid}>'
        '<div class="actions"><button class="button secondary" type="submit" name="action"'
        ' value="apply_code">Apply</button></div>'
        "</fieldset>"
    )
