"""A tiny stand-in for Stripe's Dashboard at ``/dashboard``: payments, a refund form for each,
and what a cardholder's bank does to them (a dispute, its outcome); the promotion codes the
shop made, and how often each was used.

For the no-keys demo: a refund or dispute made here reaches the shop the way
Stripe's do, by webhook only (the events' ``request.id`` is null).
"""

from __future__ import annotations

import copy
import threading
from datetime import UTC, datetime
from html import escape
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

from stripe_simulator import page
from stripe_simulator.disputes import DISPUTE_REASONS, OPEN_STATUSES, Disputes
from stripe_simulator.hosted import Reply, html_reply, redirect
from stripe_simulator.money import display_amount, parse_amount
from stripe_simulator.refunds import Refunds
from stripe_simulator.rules import REFUND_REASONS
from stripe_simulator.state import State
from stripe_simulator.wire import SimulatorApiError

PATH = "/dashboard"
REFUND_PATH = "/dashboard/refunds"
DISPUTE_PATH = "/dashboard/disputes"


class Dashboard:
    def __init__(
        self,
        lock: threading.Condition,
        state: State,
        refunds: Refunds,
        disputes: Disputes,
        locale: str,
    ) -> None:
        self._locale = locale
        self._lock = lock
        self._state = state
        self._refunds = refunds
        self._disputes = disputes

    def show(self, refunded: str = "", problem: str = "", status: int = HTTPStatus.OK) -> Reply:
        """The payments; ``refunded`` names a refund just made here, to confirm it."""
        with self._lock:
            rows = [
                (
                    copy.deepcopy(intent),
                    self._refunds.charge(intent)["amount_refunded"],
                    self._dispute_of(intent),
                )
                for intent in reversed(self._state.payment_intents.values())
            ]
            codes = [
                (
                    copy.deepcopy(code),
                    copy.deepcopy(self._state.coupons[code["promotion"]["coupon"]]),
                )
                for code in reversed(self._state.promotion_codes.values())
            ]
            made = self._state.refunds.get(refunded)
            notice = ""
            if made:
                amount = display_amount(made["amount"], made["currency"], self._locale)
                notice = f"Refunded {amount} of {made['payment_intent']} ({made['id']})."
        html = dashboard_page(rows, notice, problem, self._locale, codes)
        return html_reply(status, html)

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

    def dispute(self, form: dict[str, str]) -> Reply:
        """Open a dispute of a payment, or move one on (evidence in, won, lost)."""
        action = form.get("action", "")
        with self._lock:
            try:
                if action == "open":
                    self._disputes.open(
                        form.get("payment_intent", ""), reason=form.get("reason", "")
                    )
                elif action == "evidence":
                    self._disputes.submit_evidence(form.get("dispute", ""))
                elif action in ("win", "lose"):
                    self._disputes.close(form.get("dispute", ""), won=action == "win")
                else:
                    raise ValueError(f"Unknown action {action!r}.")
            except (ValueError, SimulatorApiError) as error:
                return self.show(problem=str(error), status=HTTPStatus.BAD_REQUEST)
        return redirect(PATH)

    def _dispute_of(self, intent: dict[str, Any]) -> dict[str, Any] | None:
        for dispute in self._state.disputes.values():
            if dispute["charge"] == intent["latest_charge"]:
                return copy.deepcopy(dispute)
        return None


Row = tuple[dict[str, Any], int, dict[str, Any] | None]  # payment, refunded, its dispute
CodeRow = tuple[dict[str, Any], dict[str, Any]]  # a promotion code and its coupon


def dashboard_page(
    rows: list[Row], notice: str, problem: str, locale: str, codes: list[CodeRow]
) -> str:
    message = ""
    if problem:
        message = f'<p class="alert" role="alert">{escape(problem)}</p>'
    elif notice:
        message = f'<p class="notice" role="status">{escape(notice)}</p>'
    body_rows = "".join(_row(*row, locale) for row in rows)
    if not rows:
        body_rows = '<tr><td colspan="6">No payments yet.</td></tr>'
    body = f"""
<h1>Payments</h1>
{message}
<table>
  <caption>Payments, newest first; refunds and disputes made here reach the shop by
    webhook</caption>
  <thead><tr><th scope="col">Payment</th><th scope="col">Status</th>
    <th scope="col" class="num">Amount</th><th scope="col" class="num">Refunded</th>
    <th scope="col">Refund</th><th scope="col">Dispute</th></tr></thead>
  <tbody>{body_rows}</tbody>
</table>
{_codes_table(codes, locale)}"""
    return page.document("Payments", body, wide=True)


def _codes_table(codes: list[CodeRow], locale: str) -> str:
    if not codes:
        return ""
    rows = "".join(_code_row(code, coupon, locale) for code, coupon in codes)
    return f"""<table>
  <caption>Promotion codes, newest first</caption>
  <thead><tr><th scope="col">Code</th><th scope="col">Terms</th><th scope="col">Active</th>
    <th scope="col" class="num">Used</th><th scope="col">Expires</th></tr></thead>
  <tbody>{rows}</tbody>
</table>"""


def _code_row(code: dict[str, Any], coupon: dict[str, Any], locale: str) -> str:
    if coupon["percent_off"] is not None:
        terms = f"{coupon['percent_off']:g} % off"
    else:
        terms = f"{display_amount(coupon['amount_off'], coupon['currency'], locale)} off"
    minimum = code["restrictions"]["minimum_amount"]
    if minimum is not None:
        currency = code["restrictions"]["minimum_amount_currency"]
        terms += f", orders from {display_amount(minimum, currency, locale)}"
    most = code["max_redemptions"]
    used = f"{code['times_redeemed']}" + (f" of {most}" if most is not None else "")
    expires = ""
    if code["expires_at"] is not None:
        expires = datetime.fromtimestamp(code["expires_at"], UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"<tr><td>{escape(code['code'])}</td><td>{escape(terms)}</td>"
        f'<td>{"yes" if code["active"] else "no"}</td><td class="num">{used}</td>'
        f"<td>{expires}</td></tr>"
    )


def _row(intent: dict[str, Any], refunded: int, dispute: dict[str, Any] | None, locale: str) -> str:
    currency = intent["currency"]
    cells = (
        f"<td>{escape(intent['id'])}</td><td>{escape(intent['status'])}</td>"
        f'<td class="num">{escape(display_amount(intent["amount"], currency, locale))}</td>'
        f'<td class="num">{escape(display_amount(refunded, currency, locale))}</td>'
    )
    paid = intent["status"] == "succeeded"
    refund = _refund_form(intent["id"]) if paid and refunded < intent["amount_received"] else ""
    return f"<tr>{cells}<td>{refund}</td><td>{_dispute_cell(intent, dispute)}</td></tr>"


def _dispute_cell(intent: dict[str, Any], dispute: dict[str, Any] | None) -> str:
    """A form to open a dispute of a paid payment, or the dispute and the bank's next steps."""
    if dispute is None:
        if intent["status"] != "succeeded":
            return ""
        ident = escape(intent["id"])
        reasons = "".join(
            f'<option value="{reason}">{reason.replace("_", " ")}</option>'
            for reason in DISPUTE_REASONS
        )
        return f"""<form method="post" action="{DISPUTE_PATH}">
  <input type="hidden" name="payment_intent" value="{ident}">
  <label for="dispute-reason-{ident}">Dispute reason</label>
  <select id="dispute-reason-{ident}" name="reason">{reasons}</select>
  <button class="button secondary" type="submit" name="action" value="open"
    >Dispute {ident}</button>
</form>"""
    ident = escape(dispute["id"])
    status = f"{ident}: {escape(dispute['status'].replace('_', ' '))}"
    if dispute["status"] not in OPEN_STATUSES:
        return status
    buttons = "".join(
        f'<button class="button secondary" type="submit" name="action" value="{action}"'
        f">{label} {ident}</button>"
        for action, label in (
            ("evidence", "Submit evidence for"),
            ("win", "Win"),
            ("lose", "Lose"),
        )
    )
    return f"""{status}<form method="post" action="{DISPUTE_PATH}">
  <input type="hidden" name="dispute" value="{ident}">{buttons}
</form>"""


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
