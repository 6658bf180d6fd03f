"""The knobs tests turn on a running simulator: what a shopper, the Dashboard or bad luck does.

``TestKnobs`` is mixed into ``StripeSimulator``, whose constructor provides the
parts used here; every knob takes the simulator's lock, as a request would.
"""

from __future__ import annotations

import threading
from typing import Any

from stripe_simulator.api import ENDPOINTS
from stripe_simulator.disputes import Disputes
from stripe_simulator.faults import INJECTED_MESSAGE, Faults
from stripe_simulator.payments import (
    FAILING_ACCOUNT,
    SETTLING_ACCOUNT,
    SUCCESS_CARD,
    PaymentOutcome,
    Payments,
)
from stripe_simulator.refunds import Refunds
from stripe_simulator.rules import ShopperDetails
from stripe_simulator.sessions import Sessions
from stripe_simulator.state import State, WebhookDelivery
from stripe_simulator.webhooks import Webhooks


class CodeRefused(ValueError):
    """The hosted page refused a promotion code; the message is the page's."""


class TestKnobs:
    __test__ = False  # not a pytest test class, whatever its name says

    _lock: threading.Condition
    _state: State
    _faults: Faults
    _sessions: Sessions
    _payments: Payments
    _refunds: Refunds
    _disputes: Disputes
    _webhooks: Webhooks

    # What goes wrong on the way

    def fail_next(
        self,
        status: int,
        error_type: str = "api_error",
        message: str = INJECTED_MESSAGE,
        count: int = 1,
    ) -> None:
        """Answer the next ``count`` valid API requests with this error instead of executing.

        As at Stripe, a 5xx counts as executed: it is saved for the idempotency key
        and replayed. A 4xx (a rate limit, say) is not.
        """
        self._faults.fail_next(status, error_type, message, count)

    def drop_next_response(self, count: int = 1, endpoint: str | None = None) -> None:
        """Execute the next ``count`` API requests (of ``endpoint`` only, e.g.
        ``"POST /v1/refunds"``, when given), then close the connection without answering."""
        if endpoint is not None and endpoint not in ENDPOINTS:
            raise ValueError(f"No such endpoint: {endpoint!r}; one of {sorted(ENDPOINTS)}")
        self._faults.drop_next_response(count, endpoint)

    def hang_next(self, endpoint: str, seconds: float, count: int = 1) -> None:
        """The next ``count`` calls of ``endpoint`` (``"POST /v1/refunds"``, ids as ``{id}``)
        execute, then wait ``seconds`` before answering: Stripe being slow.

        A client whose timeout is shorter loses the answer to work that was done;
        a request with the same idempotency key meanwhile gets Stripe's 409.
        """
        if endpoint not in ENDPOINTS:
            raise ValueError(f"No such endpoint: {endpoint!r}; one of {sorted(ENDPOINTS)}")
        self._faults.hang_next(endpoint, seconds, count)

    def lose_first_answers(self) -> None:
        """From now on every distinct request loses its first answer, after doing its work.

        A POST is the same request when its idempotency key is; a GET when its
        path and query are. Only a client that retries (with the same key) gets
        through, and must not do the work twice: the production retry setting.
        """
        self._faults.lose_first_answers()

    def tamper(self, session_id: str, **fields: Any) -> None:
        """Overwrite fields the API and webhooks return for a session from now on.

        The stored session (and the hosted page) keep the truth, so tests can
        check that the shop verifies what Stripe tells it (amount, currency, ...).
        """
        with self._lock:
            self._sessions.session(session_id)
            self._state.overrides.setdefault(session_id, {}).update(fields)

    # What the shopper does on the hosted page

    def pay(
        self,
        session_id: str,
        card: str = SUCCESS_CARD,
        *,
        shipping_rate: str | None = None,
        promotion_code: str | None = None,
        **details: str,
    ) -> bool:
        """What the Pay button does; True when the session got paid.

        ``shipping_rate`` (an ``shr_`` id or a display name) is chosen first and
        ``promotion_code`` (as a shopper types it) applied, as on the page; a code
        the page would refuse raises CodeRefused with the page's message.
        ``details`` are ShopperDetails fields (email, name, line1, ...); defaults fill the rest.
        """
        with self._lock:
            if shipping_rate is not None:
                self._sessions.choose_shipping(session_id, self._rate_id(session_id, shipping_rate))
            if promotion_code is not None:
                refused = self._sessions.apply_promotion_code(session_id, promotion_code)
                if refused:
                    raise CodeRefused(refused)
            refused = self._sessions.recheck_promotion_code(session_id)
            if refused:
                raise CodeRefused(refused)
            outcome = self._payments.pay_by_card(session_id, card, ShopperDetails(**details))
        return outcome is PaymentOutcome.PAID

    def _rate_id(self, session_id: str, rate: str) -> str:
        for offered in self._sessions.shipping_rates(session_id):
            if rate in (offered["id"], offered["display_name"]):
                return offered["id"]
        raise ValueError(f"Checkout Session {session_id} offers no shipping rate {rate!r}.")

    def pay_delayed(self, session_id: str, succeed: bool = True, **details: str) -> bool:
        """Pay by bank debit with the test account that later settles (or fails)."""
        account = SETTLING_ACCOUNT if succeed else FAILING_ACCOUNT
        with self._lock:
            outcome = self._payments.pay_by_bank_debit(
                session_id, account, ShopperDetails(**details)
            )
        return outcome is PaymentOutcome.PROCESSING

    def settle(self, session_id: str, succeed: bool | None = None) -> None:
        """Settle a bank debit now: as its account number says, or as ``succeed`` forces."""
        with self._lock:
            self._payments.settle(session_id, succeed)

    def complete_without_payment(self, session_id: str, **details: str) -> None:
        """Complete with a 100% discount: ``payment_status`` is ``no_payment_required``."""
        with self._lock:
            self._payments.complete_without_payment(session_id, ShopperDetails(**details))

    def expire(self, session_id: str) -> dict[str, Any]:
        """As ``POST /v1/checkout/sessions/{id}/expire``; raises SimulatorApiError like it."""
        with self._lock:
            return self._sessions.expire(session_id, None)

    # What happens to refunds outside the API

    def dashboard_refund(
        self, payment_intent_id: str, amount: int | None = None, reason: str | None = None
    ) -> dict[str, Any]:
        """A refund made in the Dashboard: Stripe's rules, no API request (``request.id`` null)."""
        with self._lock:
            return self._refunds.from_dashboard(payment_intent_id, amount, reason)

    def make_next_refunds_pending(self, count: int = 1) -> None:
        """The next ``count`` refunds start ``pending``; ``settle_refund`` completes them."""
        with self._lock:
            self._state.pending_refunds_next = count

    def settle_refund(self, refund_id: str) -> dict[str, Any]:
        """A pending refund succeeds: ``refund.updated``."""
        with self._lock:
            return self._refunds.settle(refund_id)

    def fail_refund(
        self, refund_id: str, failure_reason: str = "lost_or_stolen_card"
    ) -> dict[str, Any]:
        """A succeeded or pending refund fails: ``refund.updated`` and ``refund.failed``."""
        with self._lock:
            return self._refunds.fail(refund_id, failure_reason)

    # What a cardholder's bank does: disputes and fraud warnings (webhooks only)

    def open_dispute(
        self,
        payment_intent_id: str,
        *,
        reason: str = "fraudulent",
        amount: int | None = None,
        inquiry: bool = False,
        names_payment_intent: bool = True,
    ) -> dict[str, Any]:
        """A dispute of the payment: ``charge.dispute.created`` (and ``.funds_withdrawn``
        unless an inquiry). ``names_payment_intent=False``: the dispute's field is null, as
        for a charge made without a PaymentIntent, so the shop must look up the charge."""
        with self._lock:
            return self._disputes.open(
                payment_intent_id,
                reason=reason,
                amount=amount,
                inquiry=inquiry,
                names_payment_intent=names_payment_intent,
            )

    def submit_dispute_evidence(self, dispute_id: str) -> dict[str, Any]:
        """Evidence sent: under review, ``charge.dispute.updated``."""
        with self._lock:
            return self._disputes.submit_evidence(dispute_id)

    def close_dispute(self, dispute_id: str, *, won: bool) -> dict[str, Any]:
        """The bank decides: ``.funds_reinstated`` if won (not an inquiry), then ``.closed``."""
        with self._lock:
            return self._disputes.close(dispute_id, won=won)

    def early_fraud_warning(self, payment_intent_id: str) -> dict[str, Any]:
        """``radar.early_fraud_warning.created`` for the payment's charge."""
        with self._lock:
            return self._disputes.early_fraud_warning(payment_intent_id)

    # Events

    def build_event(self, event_type: str, obj: dict[str, Any]) -> dict[str, Any]:
        """A Stripe-shaped event about ``obj``, neither recorded nor sent."""
        return self._webhooks.build(event_type, obj)

    def wait_for_deliveries(self, count: int, timeout: float = 5) -> list[WebhookDelivery]:
        """Block until ``count`` webhook attempts have finished; TimeoutError otherwise."""
        return self._webhooks.wait_for_deliveries(count, timeout)

    def wait_until_webhooks_idle(self, timeout: float = 5) -> None:
        """Block until no webhook attempt is on its way (before a reset, say)."""
        self._webhooks.wait_until_idle(timeout)
