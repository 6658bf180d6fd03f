"""Everything that talks to Stripe, and the rules that keep an order paid exactly once.

The success page, the webhook and ``sync_orders`` all end in
:func:`fulfill_checkout`, which re-reads the Checkout Session from Stripe and
moves the order with a conditional UPDATE under a row lock, so any number of
them, in any order or at the same moment, make one paid transition.
"""

from __future__ import annotations

import enum
import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

import stripe
from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from store.models import Order, OrderLine, Product, WebhookEvent
from store.signals import order_paid

logger = logging.getLogger(__name__)

PAID_PAYMENT_STATUSES = {"paid"}


class Outcome(enum.StrEnum):
    """What one call did to an order; also what the webhook log records."""

    PAID = "paid"
    ALREADY_PAID = "already_paid"
    AWAITING_PAYMENT = "awaiting_payment"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    FAILED = "failed"
    MISMATCH = "mismatch"
    UNCHANGED = "unchanged"
    IGNORED = "ignored"
    DUPLICATE = "duplicate"
    NOT_OURS = "not_ours"


class PaymentError(Exception):
    """Stripe could not be reached or refused the request; nothing was charged by us."""


class CheckoutUnavailable(PaymentError):
    """The Checkout Session could not be created; the order is marked failed."""


class AlreadyPaid(Exception):
    """The same rendered form was posted again after its order was paid."""

    def __init__(self, order: Order):
        super().__init__(f"Order {order.pk} is already paid")
        self.order = order


class UnknownOrder(Exception):
    """A session that carries our order reference but matches no order: retry later."""


class InvalidWebhook(Exception):
    """Missing or bad signature, stale timestamp or a body that is not an event."""


@dataclass(frozen=True)
class CheckoutLine:
    product: Product
    quantity: int


def stripe_client() -> stripe.StripeClient:
    """A client with a short timeout and few retries: a shopper is waiting."""
    base_addresses = {"api": settings.STRIPE_API_BASE} if settings.STRIPE_API_BASE else None
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        base_addresses=base_addresses,
        max_network_retries=settings.STRIPE_MAX_NETWORK_RETRIES,
        http_client=stripe.RequestsClient(timeout=settings.STRIPE_TIMEOUT_SECONDS),
    )


# --- Starting a checkout ---------------------------------------------------


def start_checkout(
    *, browser_token: str, form_token: str, lines: Sequence[CheckoutLine], base_url: str
) -> Order:
    """Create (or find, for a re-posted form) the pending order and its Checkout Session.

    Returns the order with ``checkout_url`` set. The session is created with an
    idempotency key tied to the order, so two racing posts of one form get the
    same session from Stripe.
    """
    order = _order_for_form(browser_token, form_token, lines)
    with transaction.atomic():
        # A double click's second request waits here, then finds the session made.
        order = Order.objects.select_for_update().get(pk=order.pk)
        if order.status == Order.Status.PAID:
            raise AlreadyPaid(order)
        if order.stripe_session_id:
            return order
        if order.status != Order.Status.PENDING:
            raise CheckoutUnavailable(order.failure_reason)
        try:
            session = stripe_client().v1.checkout.sessions.create(
                params=_session_params(order, base_url),
                options={"idempotency_key": f"order-{order.public_id}-checkout-session"},
            )
        except stripe.StripeError as error:
            logger.error("Checkout Session for order %s not created: %r", order.pk, error)
            order.mark_failed(f"Checkout could not start: {_describe(error)}")
            failure = error
        else:
            order.attach_session(session.id, session.url)
            return order
    raise CheckoutUnavailable(str(failure)) from failure


def started_checkout(
    *, browser_token: str, form_token: str, lines: Sequence[CheckoutLine]
) -> Order | None:
    """The order this very form already started (a double click, a resubmit), if any."""
    key = _checkout_key(browser_token, form_token, lines)
    return Order.objects.filter(checkout_key=key).first()


def _order_for_form(browser_token: str, form_token: str, lines: Sequence[CheckoutLine]) -> Order:
    existing = started_checkout(browser_token=browser_token, form_token=form_token, lines=lines)
    if existing:
        return existing
    key = _checkout_key(browser_token, form_token, lines)
    currency = settings.STORE_CURRENCY
    try:
        with transaction.atomic():
            order = Order.objects.create(
                checkout_key=key,
                browser_token=browser_token,
                currency=currency,
                # Prices come from the database rows, never from the request.
                amount_total=sum(line.product.price * line.quantity for line in lines),
            )
            OrderLine.objects.bulk_create(
                OrderLine(
                    order=order,
                    product=line.product,
                    product_name=line.product.name,
                    unit_amount=line.product.price,
                    quantity=line.quantity,
                )
                for line in lines
            )
    except IntegrityError:
        # The same form posted at the same moment: the other request made the order.
        return Order.objects.get(checkout_key=key)
    return order


def _checkout_key(browser_token: str, form_token: str, lines: Sequence[CheckoutLine]) -> str:
    basket = ",".join(f"{line.product.pk}x{line.quantity}" for line in lines)
    return hashlib.sha256(f"{browser_token}|{form_token}|{basket}".encode()).hexdigest()


def _session_params(order: Order, base_url: str) -> dict:
    expires_at = order.created_at + timedelta(minutes=settings.STORE_CHECKOUT_EXPIRES_MINUTES)
    return {
        "mode": "payment",
        "line_items": [
            {
                "quantity": line.quantity,
                "price_data": {
                    "currency": order.currency,
                    "unit_amount": line.unit_amount,
                    "product_data": {"name": line.product_name},
                },
            }
            for line in order.lines.all()
        ],
        "client_reference_id": str(order.pk),
        "metadata": {"order_id": str(order.pk)},
        "success_url": base_url + reverse("store:success") + "?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": base_url + reverse("store:cancel", args=[order.public_id]),
        "expires_at": int(expires_at.timestamp()),
    }


# --- Finalizing: one function for the success page, webhooks and reconcile ---


def fulfill_checkout(session_id: str) -> Outcome:
    """Bring the order for ``session_id`` in line with what Stripe says; idempotent.

    Raises PaymentError when Stripe cannot be asked, UnknownOrder when the
    session carries an order reference we do not have.
    """
    session = _retrieve_session(session_id)
    order = Order.objects.filter(stripe_session_id=session.id).first()
    if order is None:
        if _order_reference(session) is None:
            return Outcome.NOT_OURS
        raise UnknownOrder(f"No order for Checkout Session {session.id}")
    return _apply_session(order, session)


def _apply_session(order: Order, session) -> Outcome:
    with transaction.atomic():
        # Serializes racing finalizers on PostgreSQL; SQLite's IMMEDIATE
        # transactions already do. The conditional UPDATEs in the model decide.
        order = Order.objects.select_for_update().get(pk=order.pk)
        if order.status == Order.Status.PAID:
            return Outcome.ALREADY_PAID
        if session.payment_status in PAID_PAYMENT_STATUSES:
            return _mark_paid(order, session)
        if session.status == "expired":
            return Outcome.EXPIRED if order.mark_expired() else Outcome.UNCHANGED
        return Outcome.AWAITING_PAYMENT


def _mark_paid(order: Order, session) -> Outcome:
    problems = _mismatches(order, session)
    if problems:
        logger.error(
            "NOT marking order %s paid: Checkout Session %s disagrees: %s",
            order.pk,
            session.id,
            "; ".join(problems),
        )
        return Outcome.MISMATCH
    if order.status != Order.Status.PENDING:
        logger.warning("Order %s was %s but Stripe collected payment", order.pk, order.status)
    details = session.customer_details
    email = (details["email"] if details else None) or ""
    if not order.mark_paid(payment_intent_id=session.payment_intent or "", customer_email=email):
        return Outcome.ALREADY_PAID
    logger.info("Order %s paid (session %s)", order.pk, session.id)
    transaction.on_commit(lambda: order_paid.send(sender=Order, order=order))
    return Outcome.PAID


def _mismatches(order: Order, session) -> list[str]:
    problems = []
    if session.amount_total != order.amount_total:
        problems.append(f"amount_total {session.amount_total} != {order.amount_total}")
    if (session.currency or "").lower() != order.currency.lower():
        problems.append(f"currency {session.currency} != {order.currency}")
    if _order_reference(session) != str(order.pk):
        problems.append(f"order reference {_order_reference(session)} != {order.pk}")
    return problems


def _order_reference(session) -> str | None:
    metadata = session.metadata.to_dict() if session.metadata else {}
    return metadata.get("order_id") or session.client_reference_id


def _retrieve_session(session_id: str):
    try:
        return stripe_client().v1.checkout.sessions.retrieve(session_id)
    except stripe.StripeError as error:
        raise PaymentError(_describe(error)) from error


# --- Ending a checkout that was not paid -----------------------------------


def cancel_checkout(order: Order) -> Outcome:
    """The shopper pressed Cancel on Stripe's page: expire the session, then cancel.

    The session is expired first so it cannot be paid later; if it turns out to
    be paid already (another tab), the order is fulfilled instead. The row lock
    makes the "expired" webhook that Stripe sends meanwhile wait, then find the
    order cancelled.
    """
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if order.status != Order.Status.PENDING:
            return Outcome.UNCHANGED
        if order.stripe_session_id:
            try:
                stripe_client().v1.checkout.sessions.expire(order.stripe_session_id)
            except stripe.InvalidRequestError:
                # Stripe only expires open sessions: find out what this one is.
                outcome = fulfill_checkout(order.stripe_session_id)
                if outcome is not Outcome.AWAITING_PAYMENT:
                    return outcome
            except stripe.StripeError as error:
                raise PaymentError(_describe(error)) from error
        return Outcome.CANCELLED if order.mark_cancelled() else Outcome.UNCHANGED


@dataclass
class ReconcileReport:
    checked: int = 0
    paid: int = 0
    expired: int = 0
    failed: int = 0
    unchanged: int = 0
    errors: int = 0

    def __str__(self) -> str:
        return (
            f"checked {self.checked} pending orders: {self.paid} paid, {self.expired} expired, "
            f"{self.failed} failed, {self.unchanged} unchanged, {self.errors} errors"
        )


def reconcile_pending(older_than: timedelta, *, dry_run: bool = False) -> ReconcileReport:
    """Heal missed webhooks: settle pending orders older than ``older_than`` from Stripe's view."""
    report = ReconcileReport()
    cutoff = timezone.now() - older_than
    for order in Order.objects.filter(status=Order.Status.PENDING, created_at__lt=cutoff):
        report.checked += 1
        try:
            outcome = _reconcile(order, dry_run=dry_run)
        except (PaymentError, stripe.StripeError) as error:
            logger.warning("Could not reconcile order %s: %s", order.pk, error)
            report.errors += 1
            continue
        if outcome in (Outcome.PAID, Outcome.EXPIRED, Outcome.FAILED):
            setattr(report, outcome.value, getattr(report, outcome.value) + 1)
        else:
            report.unchanged += 1
    return report


def _reconcile(order: Order, *, dry_run: bool) -> Outcome:
    if not order.stripe_session_id:
        # The process died between creating the order and the session: nobody can pay it.
        if not dry_run:
            order.mark_failed("Checkout never started")
        return Outcome.FAILED
    session = _retrieve_session(order.stripe_session_id)
    if dry_run:
        return _predict(session)
    if session.status == "open" and _past_expiry(session):
        session = stripe_client().v1.checkout.sessions.expire(session.id)
    return _apply_session(order, session)


def _past_expiry(session) -> bool:
    return bool(session.expires_at) and session.expires_at < timezone.now().timestamp()


def _predict(session) -> Outcome:
    if session.payment_status in PAID_PAYMENT_STATUSES:
        return Outcome.PAID
    if session.status == "expired" or _past_expiry(session):
        return Outcome.EXPIRED
    return Outcome.AWAITING_PAYMENT


# --- Webhooks --------------------------------------------------------------


def verify_event(payload: bytes, signature: str | None) -> stripe.Event:
    """The event, if Stripe signed it with our secret within the default tolerance."""
    if not signature:
        raise InvalidWebhook("missing Stripe-Signature header")
    try:
        return stripe.Webhook.construct_event(payload, signature, settings.STRIPE_WEBHOOK_SECRET)
    except stripe.SignatureVerificationError as error:
        raise InvalidWebhook(f"bad signature: {error}") from error
    except ValueError as error:
        raise InvalidWebhook(f"body is not a Stripe event: {error}") from error


def handle_event(event: stripe.Event) -> Outcome:
    """Process one verified event exactly once.

    The event row is written in the same transaction as its effect: a
    redelivery after success is a no-op, and a failure rolls both back (the
    error is then kept on the row in a separate transaction) so Stripe retries.
    """
    try:
        with transaction.atomic():
            record, _ = WebhookEvent.objects.select_for_update().get_or_create(
                event_id=event.id,
                defaults={"type": event.type, "object_id": _object_id(event)},
            )
            if record.processed_at:
                return Outcome.DUPLICATE
            handler = EVENT_HANDLERS.get(event.type)
            outcome = handler(event.data.object) if handler else Outcome.IGNORED
            record.processed_at = timezone.now()
            record.outcome = outcome.value
            record.attempts += 1
            record.error = ""
            record.save()
            return outcome
    except Exception as error:
        _record_failure(event, error)
        raise


def _on_session_paid(session) -> Outcome:
    return fulfill_checkout(session.id)


def _on_async_payment_failed(session) -> Outcome:
    order = Order.objects.filter(stripe_session_id=session.id).first()
    if order is None:
        return Outcome.NOT_OURS
    return Outcome.FAILED if order.mark_failed("The payment failed") else Outcome.UNCHANGED


def _on_session_expired(session) -> Outcome:
    order = Order.objects.filter(stripe_session_id=session.id).first()
    if order is None:
        return Outcome.NOT_OURS
    return Outcome.EXPIRED if order.mark_expired() else Outcome.UNCHANGED


EVENT_HANDLERS: dict[str, Callable[..., Outcome]] = {
    "checkout.session.completed": _on_session_paid,
    "checkout.session.async_payment_succeeded": _on_session_paid,
    "checkout.session.async_payment_failed": _on_async_payment_failed,
    "checkout.session.expired": _on_session_expired,
}


def _object_id(event: stripe.Event) -> str:
    return getattr(event.data.object, "id", None) or ""


def _record_failure(event: stripe.Event, error: Exception) -> None:
    """Keep the error visible to staff; never mask the original failure."""
    try:
        record, _ = WebhookEvent.objects.get_or_create(
            event_id=event.id, defaults={"type": event.type, "object_id": _object_id(event)}
        )
        record.attempts += 1
        record.error = f"{type(error).__name__}: {error}"[:10_000]
        record.save(update_fields=["attempts", "error"])
    except Exception:
        logger.exception("Could not record the failure of event %s", event.id)


def _describe(error: stripe.StripeError) -> str:
    return f"{type(error).__name__}: {error.user_message or error}"[:255]
