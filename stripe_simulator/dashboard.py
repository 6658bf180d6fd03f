"""A tiny stand-in for Stripe's Dashboard at ``/dashboard``: payments, and a refund form for each.

For the no-keys demo: a refund made here reaches the shop the way a Dashboard
refund does, by webhook only (the events' ``request.id`` is null).
"""

from __future__ import annotations

import copy
import threading
from html import escape
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

from stripe_simulator import page
from stripe_simulator.hosted import Reply, html_reply, redirect
from stripe_simulator.money import display_amount, parse_amount
from stripe_simulator.refunds import Refunds
from stripe_simulator.rules import REFUND_REASONS
from stripe_simulator.state import State
from stripe_simulator.wire import SimulatorApiError

PATH = "/dashboard"
REFUND_PATH = "/dashboard/refunds"


class Dashboard:
    def __init__(
        self, lock: threading.Condition, state: State, refunds: Refunds, locale: str
    ) -> None:
        self._locale = locale
        self._lock = lock
        self._state = state
        self._refunds = refunds

    def show(self, refunded: str = "", problem: str = "", status: int = HTTPStatus.OK) -> Reply:
        """The payments; ``refunded`` names a refund just made here, to confirm it."""
        with self._lock:
            rows = [
                (copy.deepcopy(intent), self._refunds.charge(intent)["amount_refunded"])
                for intent in reversed(self._state.payment_intents.values())
            ]
            made = self._state.refunds.get(refunded)
            notice = ""
            if made:
                amount = display_amount(made["amount"], made["currency"], self._locale)
                notice = f"Refunded {amount} of {made['payment_intent']} ({made['id']})."
        return html_reply(status, dashboard_page(rows, notice, problem, self._locale))

    def refund(self, form: dict[str, str]) -> Reply:
        """Refund what the form says; back to the list, or the list with what went wrong."""
        intent_id = form.get("payment_intent", "")
        with self._lock:
            intent = self._state.payment_intents.get(intent_id)
            try:
                if intent is None:
                    raise ValueError(f"There is no payment {intent_id}.")
                amount_text = form.get("amount", "").strip()
                amount = parse_amount(amount_text, intent["currency"]) if amount_text else None
                made = self._refunds.from_dashboard(intent_id, amount, form.get("reason"))
            except (ValueError, SimulatorApiError) as error:
                return self.show(problem=str(error), status=HTTPStatus.BAD_REQUEST)
        return redirect(f"{PATH}?refunded={quote(made['id'])}")


def dashboard_page(
    rows: list[tuple[dict[str, Any], int]], notice: str, problem: str, locale: str
) -> str:
    message = ""
    if problem:
        message = f'<p class="alert" role="alert">{escape(problem)}</p>'
    elif notice:
        message = f'<p class="notice" role="status">{escape(notice)}</p>'
    body_rows = "".join(_row(intent, refunded, locale) for intent, refunded in rows)
    if not rows:
        body_rows = '<tr><td colspan="5">No payments yet.</td></tr>'
    body = f"""
<h1>Payments</h1>
{message}
<table>
  <caption>Payments, newest first; refunds sent from here reach the shop by webhook</caption>
  <thead><tr><th scope="col">Payment</th><th scope="col">Status</th>
    <th scope="col" class="num">Amount</th><th scope="col" class="num">Refunded</th>
    <th scope="col">Refund</th></tr></thead>
  <tbody>{body_rows}</tbody>
</table>"""
    return page.document("Payments", body, wide=True)


def _row(intent: dict[str, Any], refunded: int, locale: str) -> str:
    currency = intent["currency"]
    cells = (
        f"<td>{escape(intent['id'])}</td><td>{escape(intent['status'])}</td>"
        f'<td class="num">{escape(display_amount(intent["amount"], currency, locale))}</td>'
        f'<td class="num">{escape(display_amount(refunded, currency, locale))}</td>'
    )
    if intent["status"] != "succeeded" or refunded >= intent["amount_received"]:
        return f"<tr>{cells}<td></td></tr>"
    return f"<tr>{cells}<td>{_refund_form(intent['id'])}</td></tr>"


def _refund_form(intent_id: str) -> str:
    ident = escape(intent_id)
    reasons = "".join(
        f'<option value="{reason}">{reason.replace("_", " ")}</option>' for reason in REFUND_REASONS
    )
    return f"""<form method="post" action="{REFUND_PATH}">
  <input type="hidden" name="payment_intent" value="{ident}">
  <label for="amount-{ident}">Amount (empty: all that is left)</label>
  <input id="amount-{ident}" name="amount" type="text" inputmode="decimal" autocomplete="off">
  <label for="reason-{ident}">Reason</label>
  <select id="reason-{ident}" name="reason"><option value="">none</option>{reasons}</select>
  <button class="button secondary" type="submit">Refund {ident}</button>
</form>"""
