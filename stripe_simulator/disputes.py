"""Disputes (chargebacks) of a paid charge, and Radar's early fraud warnings.

Neither is made through the API: a cardholder's bank opens a dispute, Stripe
tells the account by webhook. So tests (knobs) and the Dashboard page open
them here, and each step sends the events Stripe sends: ``charge.dispute.created``
and, for a chargeback, ``charge.dispute.funds_withdrawn`` at once; ``.updated``
once evidence is in; ``.funds_reinstated`` (won) and ``.closed``. An inquiry
(``warning_needs_response``) moves no money. Callers hold the simulator's lock.
"""

from __future__ import annotations

import copy
from http import HTTPStatus
from typing import Any

from stripe_simulator import objects
from stripe_simulator.state import Clock, State
from stripe_simulator.webhooks import Webhooks
from stripe_simulator.wire import SimulatorApiError, not_found

# Stripe's dispute reasons (Dispute.reason), the common ones.
DISPUTE_REASONS = ("fraudulent", "product_not_received", "duplicate", "general")
EVIDENCE_DAYS = 7  # Stripe gives 7 to 21 days, as the card network allows
OPEN_STATUSES = frozenset(
    {"needs_response", "under_review", "warning_needs_response", "warning_under_review"}
)


class Disputes:
    def __init__(self, state: State, clock: Clock, webhooks: Webhooks) -> None:
        self._state = state
        self._clock = clock
        self._webhooks = webhooks

    def open(
        self,
        payment_intent_id: str,
        *,
        reason: str = "fraudulent",
        amount: int | None = None,
        inquiry: bool = False,
        names_payment_intent: bool = True,
    ) -> dict[str, Any]:
        """The cardholder disputes the payment (all of it unless ``amount``)."""
        intent = self._paid_intent(payment_intent_id)
        if reason not in DISPUTE_REASONS:
            raise ValueError(f"Unknown dispute reason {reason!r}: one of {DISPUTE_REASONS}.")
        if any(d["charge"] == intent["latest_charge"] for d in self._state.disputes.values()):
            raise ValueError(f"Payment {payment_intent_id} is already disputed.")
        now = int(self._clock.now())
        dispute = objects.dispute(
            intent,
            amount=intent["amount_received"] if amount is None else amount,
            reason=reason,
            created=now,
            evidence_due_by=now + EVIDENCE_DAYS * 24 * 60 * 60,
            names_payment_intent=names_payment_intent,
        )
        if inquiry:
            dispute["status"] = "warning_needs_response"
            dispute["is_charge_refundable"] = True
        self._state.disputes[dispute["id"]] = dispute
        self._webhooks.emit("charge.dispute.created", dispute)
        if not inquiry:
            self._move_funds(dispute, -dispute["amount"], "charge.dispute.funds_withdrawn")
        return copy.deepcopy(dispute)

    def submit_evidence(self, dispute_id: str) -> dict[str, Any]:
        """The merchant answered: the dispute is under review."""
        dispute = self._open_dispute(dispute_id)
        previous = {"status": dispute["status"]}
        dispute["status"] = dispute["status"].replace("needs_response", "under_review")
        dispute["evidence_details"]["has_evidence"] = True
        dispute["evidence_details"]["submission_count"] += 1
        self._webhooks.emit("charge.dispute.updated", dispute, previous_attributes=previous)
        return copy.deepcopy(dispute)

    def close(self, dispute_id: str, *, won: bool) -> dict[str, Any]:
        """The bank decided: a won chargeback gives the money back before it closes."""
        dispute = self._open_dispute(dispute_id)
        inquiry = dispute["status"].startswith("warning_")
        if inquiry:
            dispute["status"] = "warning_closed"
        else:
            dispute["status"] = "won" if won else "lost"
            if won:
                self._move_funds(dispute, dispute["amount"], "charge.dispute.funds_reinstated")
        dispute["evidence_details"]["due_by"] = None
        self._webhooks.emit("charge.dispute.closed", dispute)
        return copy.deepcopy(dispute)

    def early_fraud_warning(self, payment_intent_id: str) -> dict[str, Any]:
        """The card's issuer reports the payment as fraud (a dispute often follows)."""
        intent = self._paid_intent(payment_intent_id)
        warning = objects.early_fraud_warning(intent, created=int(self._clock.now()))
        self._state.early_fraud_warnings[warning["id"]] = warning
        self._webhooks.emit("radar.early_fraud_warning.created", warning)
        return copy.deepcopy(warning)

    def retrieve(self, dispute_id: str) -> dict[str, Any]:
        dispute = self._state.disputes.get(dispute_id)
        if dispute is None:
            raise not_found("dispute", dispute_id, "dispute")
        return copy.deepcopy(dispute)

    def retrieve_warning(self, warning_id: str) -> dict[str, Any]:
        warning = self._state.early_fraud_warnings.get(warning_id)
        if warning is None:
            raise not_found("radar.early_fraud_warning", warning_id, "early_fraud_warning")
        return copy.deepcopy(warning)

    def _move_funds(self, dispute: dict[str, Any], amount: int, event_type: str) -> None:
        dispute["balance_transactions"].append(
            {
                "id": objects.new_id("txn"),
                "object": "balance_transaction",
                "amount": amount,
                "currency": dispute["currency"],
                "reporting_category": "dispute" if amount < 0 else "dispute_reversal",
                "type": "adjustment",
            }
        )
        self._webhooks.emit(event_type, dispute)

    def _paid_intent(self, payment_intent_id: str) -> dict[str, Any]:
        intent = self._state.payment_intents.get(payment_intent_id)
        if intent is None:
            raise not_found("payment_intent", payment_intent_id, "payment_intent")
        if intent["status"] != "succeeded":
            raise SimulatorApiError(
                HTTPStatus.BAD_REQUEST,
                f"Payment {payment_intent_id} is {intent['status']}: only a paid one is disputed.",
            )
        return intent

    def _open_dispute(self, dispute_id: str) -> dict[str, Any]:
        dispute = self._state.disputes.get(dispute_id)
        if dispute is None:
            raise not_found("dispute", dispute_id, "dispute")
        if dispute["status"] not in OPEN_STATUSES:
            raise ValueError(f"Dispute {dispute_id} is {dispute['status']}: it is closed.")
        return dispute
