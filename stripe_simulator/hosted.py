"""The hosted page at a session's ``url``: what its Pay, Debit and Cancel buttons do, and
its delivery choice and promotion-code box.

Like Stripe's page, it checks the shopper's details before taking a payment:
missing fields or a country the shop does not ship to re-render the page (400)
with an alert, and the session stays open. A refused code changes nothing and
says why (400). Paying with a delivery choice the totals do not show yet
records it and shows the new total instead of charging it unseen.
"""

from __future__ import annotations

import copy
import dataclasses
import threading
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from stripe_simulator import page, page_offers
from stripe_simulator.money import display_amount
from stripe_simulator.objects import success_redirect_url
from stripe_simulator.payments import SETTLING_ACCOUNT, PaymentOutcome, Payments
from stripe_simulator.rules import SessionRequest, ShopperDetails, details_problems
from stripe_simulator.sessions import Sessions
from stripe_simulator.state import State
from stripe_simulator.wire import SimulatorApiError

CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'"
PAYING = ("pay", "pay_by_bank_debit")
CHANGING = ("update", "apply_code", "remove_code")  # delivery and code: no payment
ACTIONS = (*PAYING, *CHANGING, "cancel")  # the page's buttons
SHIPPING_CHANGED = "Delivery changed: the total is now {total}. Check it, then pay."
DETAIL_FIELDS = tuple(field.name for field in dataclasses.fields(ShopperDetails))
PAYMENT_ERRORS = {
    PaymentOutcome.DECLINED: (HTTPStatus.PAYMENT_REQUIRED, page.DECLINED_MESSAGE, "card"),
    PaymentOutcome.UNKNOWN_CARD: (HTTPStatus.BAD_REQUEST, page.UNKNOWN_CARD_MESSAGE, "card"),
    PaymentOutcome.UNKNOWN_ACCOUNT: (
        HTTPStatus.BAD_REQUEST,
        page.UNKNOWN_ACCOUNT_MESSAGE,
        "account",
    ),
    PaymentOutcome.METHOD_NOT_OFFERED: (
        HTTPStatus.BAD_REQUEST,
        page.METHOD_NOT_OFFERED_MESSAGE,
        "card",
    ),
}


@dataclass(frozen=True)
class Reply:
    """An HTML page or a redirect, ready to be written by the HTTP handler."""

    status: int
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()


def html_reply(status: int, html: str) -> Reply:
    return Reply(
        status,
        html.encode(),
        (
            ("Content-Type", "text/html; charset=utf-8"),
            ("Cache-Control", "no-store"),
            ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
        ),
    )


def redirect(location: str) -> Reply:
    return Reply(HTTPStatus.SEE_OTHER, headers=(("Location", location),))


@dataclass(frozen=True)
class _Snapshot:
    """A session as it was when the request came in, read under the lock."""

    session: dict[str, Any]
    request: SessionRequest
    intent_status: str | None
    offers: page_offers.Offers


class HostedPage:
    def __init__(
        self,
        lock: threading.Condition,
        state: State,
        sessions: Sessions,
        payments: Payments,
        locale: str,
    ) -> None:
        self._locale = locale  # amounts on the page are written as this locale writes them
        self._lock = lock
        self._state = state
        self._sessions = sessions
        self._payments = payments

    def show(self, session_id: str, status: int = HTTPStatus.OK) -> Reply:
        snapshot = self._snapshot(session_id)
        if snapshot is None:
            return html_reply(HTTPStatus.NOT_FOUND, page.not_found_page())
        if snapshot.session["status"] != "open":
            return self._closed(snapshot, status)
        return self._open(snapshot, page.Form(self._defaults(snapshot.request), {}), status)

    def submit(self, session_id: str, form: dict[str, str]) -> Reply:
        snapshot = self._snapshot(session_id)
        if snapshot is None:
            return html_reply(HTTPStatus.NOT_FOUND, page.not_found_page())
        session, request = snapshot.session, snapshot.request
        if session["status"] != "open":
            return self._closed(snapshot, HTTPStatus.CONFLICT)
        action = form.get("action", "pay")
        if action not in ACTIONS or (action == "cancel" and not session["cancel_url"]):
            # Stripe's back link exists only when the session has a cancel_url.
            blank = page.Form(self._defaults(request), {})
            return self._open(snapshot, blank, HTTPStatus.BAD_REQUEST)
        if action == "cancel":
            return redirect(session["cancel_url"])
        if action in CHANGING:
            return self._change(session_id, action, form)
        rate = form.get(page_offers.RATE_FIELD)
        if rate and session["shipping_cost"] and rate != session["shipping_cost"]["shipping_rate"]:
            return self._change(session_id, "update", form, shipping_changed=True)
        details = ShopperDetails(**{name: form.get(name, "").strip() for name in DETAIL_FIELDS})
        problems = details_problems(
            details,
            shipping_countries=request.shipping_countries,
            collects_phone=request.collects_phone,
        )
        if problems:
            return self._open(snapshot, page.Form(form, problems), HTTPStatus.BAD_REQUEST)
        with self._lock:
            refused = self._sessions.recheck_promotion_code(session_id)
        if refused:
            return self._open(
                self._snapshot(session_id),
                page.Form(form, {}, refused, page_offers.CODE_FIELD),
                HTTPStatus.BAD_REQUEST,
            )
        with self._lock:
            if action == "pay_by_bank_debit":
                outcome = self._payments.pay_by_bank_debit(
                    session_id, form.get("account", ""), details
                )
            else:
                outcome = self._payments.pay_by_card(session_id, form.get("card", ""), details)
        if outcome in (PaymentOutcome.PAID, PaymentOutcome.PROCESSING):
            return redirect(success_redirect_url(session))
        if outcome is PaymentOutcome.NOT_OPEN:  # closed between reading the session and paying
            return self.show(session_id, HTTPStatus.CONFLICT)
        status, message, field = PAYMENT_ERRORS[outcome]
        return self._open(snapshot, page.Form(form, {}, message, field), status)

    def _change(
        self, session_id: str, action: str, form: dict[str, str], *, shipping_changed: bool = False
    ) -> Reply:
        """Record a delivery choice, apply or remove a code; show the page with its new totals."""
        typed = form.get(page_offers.CODE_FIELD, "").strip()
        message = None
        with self._lock:
            try:
                if rate := form.get(page_offers.RATE_FIELD):
                    self._sessions.choose_shipping(session_id, rate)
                if action == "remove_code":
                    self._sessions.remove_promotion_code(session_id)
                elif typed:
                    message = self._sessions.apply_promotion_code(session_id, typed)
            except ValueError:  # a rate it does not offer, a code box it does not have
                return self.show(session_id, HTTPStatus.BAD_REQUEST)
        snapshot = self._snapshot(session_id)
        if snapshot is None or snapshot.session["status"] != "open":
            return self.show(session_id, HTTPStatus.CONFLICT)
        values = dict(form)
        if message is None:
            values.pop(page_offers.CODE_FIELD, None)
        if shipping_changed:
            total = display_amount(
                snapshot.session["amount_total"], snapshot.session["currency"], self._locale
            )
            message = SHIPPING_CHANGED.format(total=total)
            return self._open(snapshot, page.Form(values, {}, message, "shipping"), HTTPStatus.OK)
        status = HTTPStatus.BAD_REQUEST if message else HTTPStatus.OK
        return self._open(snapshot, page.Form(values, {}, message, page_offers.CODE_FIELD), status)

    def _snapshot(self, session_id: str) -> _Snapshot | None:
        with self._lock:
            try:
                session = copy.deepcopy(self._sessions.session(session_id))
            except SimulatorApiError:
                return None
            intent = self._state.payment_intents.get(session["payment_intent"] or "")
            request = self._state.checkouts[session_id]
            offers = page_offers.Offers(
                rates=self._sessions.shipping_rates(session_id),
                takes_codes=bool(request.allow_promotion_codes),
                applied_code=self._sessions.applied_code(session_id),
            )
            return _Snapshot(session, request, intent["status"] if intent else None, offers)

    def _open(self, snapshot: _Snapshot, form: page.Form, status: int) -> Reply:
        html = page.checkout_page(
            snapshot.session,
            snapshot.request.lines,
            form,
            countries=snapshot.request.shipping_countries,
            collects_phone=snapshot.request.collects_phone,
            locale=self._locale,
            offers=snapshot.offers,
        )
        return html_reply(status, html)

    @staticmethod
    def _closed(snapshot: _Snapshot, status: int) -> Reply:
        session = snapshot.session
        if session["status"] == "expired":
            return html_reply(status, page.closed_page("expired", session["cancel_url"]))
        if session["payment_status"] != "unpaid":
            kind = session["payment_status"]
        else:
            kind = "processing" if snapshot.intent_status == "processing" else "failed"
        return html_reply(status, page.closed_page(kind, success_redirect_url(session)))

    @staticmethod
    def _defaults(request: SessionRequest) -> dict[str, str]:
        """What the form starts with: a test shopper, a test card, a test bank account."""
        values = dataclasses.asdict(ShopperDetails())
        countries = request.shipping_countries
        if countries and values["country"] not in countries:
            values["country"] = countries[0]
        return values | {"card": page.PREFILLED_CARD, "account": SETTLING_ACCOUNT}
