"""Paying a Checkout Session, and the PaymentIntent each payment makes.

Cards settle at once. A bank debit completes the session ``unpaid`` and settles
later (after ``delayed_payment_seconds`` on Stripe's clock, or when a test says
so), succeeding or failing. Callers hold the simulator's lock.
"""

from __future__ import annotations

import copy
import enum
import re
from typing import Any

from stripe_simulator import objects
from stripe_simulator.promotions import Promotions
from stripe_simulator.rules import ShopperDetails, details_problems
from stripe_simulator.sessions import Sessions, close
from stripe_simulator.state import Clock, ScheduledSettlement, State
from stripe_simulator.wire import not_found

# Stripe's documented test numbers: a card that pays, one that is declined, and
# US bank accounts (routing 110000000) whose debit succeeds or fails later.
SUCCESS_CARD = "4242424242424242"
DECLINED_CARD = "4000000000000002"
ROUTING_NUMBER = "110000000"
SETTLING_ACCOUNT = "000123456789"
FAILING_ACCOUNT = "000111111113"
BANK_DEBIT = "us_bank_account"  # offered for USD sessions only (currencies.payment_method_types)
DEFAULT_DELAYED_PAYMENT_SECONDS = 30.0  # days at Stripe; short enough to watch in the demo
SEPARATORS = re.compile(r"[\s-]")
ACCOUNT_CLOSED = {
    "type": "invalid_request_error",
    "code": "account_closed",
    "message": "The customer's bank account has been closed.",
}


class PaymentOutcome(enum.Enum):
    PAID = "paid"
    PROCESSING = "processing"  # a bank debit: complete, unpaid until it settles
    DECLINED = "declined"
    UNKNOWN_CARD = "unknown_card"
    UNKNOWN_ACCOUNT = "unknown_account"
    METHOD_NOT_OFFERED = "method_not_offered"  # a bank debit for a session that has none
    NOT_OPEN = "not_open"


class Payments:
    def __init__(
        self,
        state: State,
        clock: Clock,
        sessions: Sessions,
        promotions: Promotions,
        delayed_payment_seconds: float = DEFAULT_DELAYED_PAYMENT_SECONDS,
    ) -> None:
        self._state = state
        self._clock = clock
        self._sessions = sessions
        self._promotions = promotions
        self.delayed_payment_seconds = delayed_payment_seconds

    def pay_by_card(self, session_id: str, card: str, details: ShopperDetails) -> PaymentOutcome:
        session = self._sessions.session(session_id)
        if session["status"] != "open":
            return PaymentOutcome.NOT_OPEN
        number = SEPARATORS.sub("", card)
        if number == DECLINED_CARD:
            return PaymentOutcome.DECLINED
        if number != SUCCESS_CARD:
            return PaymentOutcome.UNKNOWN_CARD
        if session["amount_total"] == 0:  # a discount covered everything: no charge
            self._complete(session, details, None)
            session["payment_status"] = "no_payment_required"
        else:
            _succeed(self._complete(session, details, "card"))
            session["payment_status"] = "paid"
        self._promotions.redeem(session["discounts"])
        self._sessions.emit("checkout.session.completed", session_id)
        return PaymentOutcome.PAID

    def pay_by_bank_debit(
        self, session_id: str, account: str, details: ShopperDetails
    ) -> PaymentOutcome:
        session = self._sessions.session(session_id)
        if session["status"] != "open":
            return PaymentOutcome.NOT_OPEN
        if BANK_DEBIT not in session["payment_method_types"]:
            return PaymentOutcome.METHOD_NOT_OFFERED
        number = SEPARATORS.sub("", account)
        if number not in (SETTLING_ACCOUNT, FAILING_ACCOUNT):
            return PaymentOutcome.UNKNOWN_ACCOUNT
        self._complete(session, details, BANK_DEBIT)
        due = self._clock.now() + self.delayed_payment_seconds
        self._state.settlements[session_id] = ScheduledSettlement(due, number == SETTLING_ACCOUNT)
        self._sessions.emit("checkout.session.completed", session_id)
        return PaymentOutcome.PROCESSING

    def complete_without_payment(self, session_id: str, details: ShopperDetails) -> None:
        """A 100% promotion code: nothing to pay, so no PaymentIntent."""
        session = self._sessions.session(session_id)
        if session["status"] != "open":
            raise ValueError(f"Checkout Session {session_id} is {session['status']}, not open.")
        self._complete(session, details, None)
        session["total_details"]["amount_discount"] = session["amount_subtotal"]
        session["amount_total"] = 0
        session["payment_status"] = "no_payment_required"
        self._promotions.redeem(session["discounts"])
        self._sessions.emit("checkout.session.completed", session_id)

    def settle(self, session_id: str, succeeds: bool | None = None) -> None:
        """Settle a bank debit now; ``succeeds`` overrides the outcome its account number set."""
        scheduled = self._state.settlements.pop(session_id, None)
        if scheduled is None:
            raise ValueError(f"Checkout Session {session_id} has no bank debit waiting to settle.")
        session = self._state.sessions[session_id]
        intent = self._state.payment_intents[session["payment_intent"]]
        if scheduled.succeeds if succeeds is None else succeeds:
            _succeed(intent)
            session["payment_status"] = "paid"
            self._promotions.redeem(session["discounts"])
            self._sessions.emit("checkout.session.async_payment_succeeded", session_id)
        else:
            intent["status"] = "requires_payment_method"
            intent["last_payment_error"] = ACCOUNT_CLOSED | {
                "payment_method": {"id": intent["payment_method"], "type": BANK_DEBIT}
            }
            self._sessions.emit("checkout.session.async_payment_failed", session_id)

    def settle_due(self, now: float) -> None:
        for session_id, scheduled in list(self._state.settlements.items()):
            if scheduled.due <= now:
                self.settle(session_id)

    def payment_intent(self, intent_id: str) -> dict[str, Any]:
        intent = self._state.payment_intents.get(intent_id)
        if intent is None:
            raise not_found("payment_intent", intent_id, "intent")
        return copy.deepcopy(intent)

    def _complete(
        self, session: dict[str, Any], details: ShopperDetails, method_type: str | None
    ) -> dict[str, Any] | None:
        """Close the session with the shopper's details; make its PaymentIntent (processing)."""
        request = self._state.checkouts[session["id"]]
        problems = details_problems(
            details,
            shipping_countries=request.shipping_countries,
            collects_phone=request.collects_phone,
        )
        if problems:
            raise ValueError("; ".join(problems.values()))
        collects_address = request.shipping_countries is not None
        close(session, "complete")
        session["customer_details"] = objects.customer_details(
            details, collects_address=collects_address, collects_phone=request.collects_phone
        )
        session["collected_information"] = objects.collected_information(
            details, collects_address=collects_address
        )
        if method_type is None:
            return None
        shipping = session["collected_information"]["shipping_details"]
        intent = objects.payment_intent(
            amount=session["amount_total"],
            currency=session["currency"],
            created=int(self._clock.now()),
            metadata=request.payment_intent_metadata,
            method_type=method_type,
            shipping=copy.deepcopy(shipping) | {"phone": None} if shipping else None,
        )
        self._state.payment_intents[intent["id"]] = intent
        session["payment_intent"] = intent["id"]
        return intent


def _succeed(intent: dict[str, Any]) -> None:
    intent["status"] = "succeeded"
    intent["amount_received"] = intent["amount"]
