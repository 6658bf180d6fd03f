"""Refunds of a PaymentIntent's charge, through the API or "in the Dashboard".

Card refunds succeed at once. A test can make the next refunds start
``pending`` and settle them later, or fail a refund (the money comes back to
the account); each change sends the events Stripe sends. Callers hold the
simulator's lock.
"""

from __future__ import annotations

import copy
from http import HTTPStatus
from typing import Any

from stripe_simulator import objects
from stripe_simulator.objects import EventRequest
from stripe_simulator.rules import ListRequest, RefundRequest, refund_request, refundable_amount
from stripe_simulator.state import Clock, State
from stripe_simulator.webhooks import Webhooks
from stripe_simulator.wire import SimulatorApiError, not_found

LIST_URL = "/v1/refunds"
# Statuses whose money has left (or is leaving) the account; a failed refund's comes back.
HOLDS_MONEY = frozenset({"pending", "requires_action", "succeeded"})


class Refunds:
    def __init__(self, state: State, clock: Clock, webhooks: Webhooks) -> None:
        self._state = state
        self._clock = clock
        self._webhooks = webhooks

    def create(self, request: RefundRequest, origin: EventRequest) -> dict[str, Any]:
        """``POST /v1/refunds`` (or the Dashboard when ``origin`` is None)."""
        intent = self._intent_for(request)
        if intent["status"] != "succeeded":
            raise SimulatorApiError(
                HTTPStatus.BAD_REQUEST,
                f"This PaymentIntent ({intent['id']}) does not have a successful charge to "
                f"refund: its status is {intent['status']}.",
                code="payment_intent_unexpected_state",
                param="payment_intent",
            )
        amount = refundable_amount(request.amount, self.charge(intent))
        status = "succeeded"
        if self._state.pending_refunds_next:
            self._state.pending_refunds_next -= 1
            status = "pending"
        refund = objects.refund(
            intent,
            amount=amount,
            created=int(self._clock.now()),
            reason=request.reason,
            metadata=request.metadata,
            status=status,
        )
        self._state.refunds[refund["id"]] = refund
        self._webhooks.emit("refund.created", refund, request=origin)
        self._webhooks.emit("charge.refunded", self.charge(intent), request=origin)
        return copy.deepcopy(refund)

    def from_dashboard(
        self, payment_intent_id: str, amount: int | None, reason: str | None
    ) -> dict[str, Any]:
        """A refund made in the Dashboard: the API's checks and rules, no API request."""
        params = {"payment_intent": payment_intent_id}
        if amount is not None:
            params["amount"] = str(amount)  # as the wire carries it
        if reason:
            params["reason"] = reason
        return self.create(refund_request(params), None)

    def retrieve(self, refund_id: str) -> dict[str, Any]:
        return copy.deepcopy(self._refund(refund_id))

    def list(self, request: ListRequest) -> dict[str, Any]:
        """Newest first, filtered and paged the way Stripe's list endpoints are."""
        matching = [
            refund
            for refund in reversed(self._state.refunds.values())
            if request.payment_intent in (None, refund["payment_intent"])
            and request.charge in (None, refund["charge"])
        ]
        matching.sort(key=lambda refund: refund["created"], reverse=True)
        ids = [refund["id"] for refund in matching]
        if request.starting_after:
            start = self._position(ids, request.starting_after, "starting_after") + 1
            page = matching[start : start + request.limit]
            has_more = start + request.limit < len(matching)
        elif request.ending_before:
            end = self._position(ids, request.ending_before, "ending_before")
            page = matching[max(end - request.limit, 0) : end]
            has_more = end - request.limit > 0
        else:
            page = matching[: request.limit]
            has_more = request.limit < len(matching)
        return objects.list_object(LIST_URL, copy.deepcopy(page), has_more=has_more)

    def settle(self, refund_id: str) -> dict[str, Any]:
        """A pending refund reaches the customer."""
        refund = self._refund(refund_id)
        if refund["status"] != "pending":
            raise ValueError(f"Refund {refund_id} is {refund['status']}, not pending.")
        self._change_status(refund, "succeeded")
        return copy.deepcopy(refund)

    def fail(self, refund_id: str, failure_reason: str) -> dict[str, Any]:
        """The card's issuer sends the money back (a closed or lost card, say)."""
        refund = self._refund(refund_id)
        if refund["status"] not in ("pending", "succeeded"):
            raise ValueError(f"Refund {refund_id} is {refund['status']}: it cannot fail.")
        refund["failure_reason"] = failure_reason
        refund["failure_balance_transaction"] = objects.new_id("txn")
        self._change_status(refund, "failed")
        self._webhooks.emit("refund.failed", refund)
        return copy.deepcopy(refund)

    def charge(self, intent: dict[str, Any]) -> dict[str, Any]:
        """The intent's charge as it stands: its refunds and whether it is disputed."""
        refunds = [
            refund
            for refund in reversed(self._state.refunds.values())
            if refund["payment_intent"] == intent["id"]
        ]
        refunded = sum(refund["amount"] for refund in refunds if refund["status"] in HOLDS_MONEY)
        disputed = any(
            dispute["charge"] == intent["latest_charge"]
            for dispute in self._state.disputes.values()
        )
        return objects.charge(intent, refunds, amount_refunded=refunded, disputed=disputed)

    def charge_by_id(self, charge_id: str) -> dict[str, Any]:
        """``GET /v1/charges/{id}``."""
        for intent in self._state.payment_intents.values():
            if intent["latest_charge"] == charge_id:
                return self.charge(intent)
        raise not_found("charge", charge_id, "charge")

    def _change_status(self, refund: dict[str, Any], status: str) -> None:
        previous = {"status": refund["status"]}
        refund["status"] = status
        self._webhooks.emit("refund.updated", refund, previous_attributes=previous)

    def _intent_for(self, request: RefundRequest) -> dict[str, Any]:
        if request.payment_intent:
            intent = self._state.payment_intents.get(request.payment_intent)
            if intent is None:
                raise not_found("payment_intent", request.payment_intent, "payment_intent")
            return intent
        for intent in self._state.payment_intents.values():
            if intent["latest_charge"] == request.charge:
                return intent
        raise not_found("charge", request.charge, "charge")

    def _refund(self, refund_id: str) -> dict[str, Any]:
        refund = self._state.refunds.get(refund_id)
        if refund is None:
            raise not_found("refund", refund_id, "id")
        return refund

    @staticmethod
    def _position(ids: list[str], refund_id: str, param: str) -> int:
        if refund_id not in ids:
            raise not_found("refund", refund_id, param)
        return ids.index(refund_id)
