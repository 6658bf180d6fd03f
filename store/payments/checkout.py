"""Starting a checkout: the pending order first, then its Checkout Session.

Three short steps, none holding a lock while Stripe answers: the order (and
its held units) is committed; one request marks it (``checkout_started_at``, a
conditional UPDATE) and creates the session with the order's idempotency key,
no transaction open; the session is attached under the order's row lock.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import stripe
from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from store import discounts, shipping, stock, transitions
from store.models import Order, OrderLine, Product, ProductVariant
from store.payments.outcomes import (
    AlreadyPaid,
    CheckoutInProgress,
    CheckoutUnavailable,
    TooManyCheckouts,
)
from store.payments.stripe_api import (
    ORDER_METADATA_KEY,
    describe,
    longest_stripe_call,
    stripe_client,
)

logger = logging.getLogger(__name__)

# Stripe's window for expires_at, counted from when it creates the session.
SHORTEST_SESSION = timedelta(minutes=30)
LONGEST_SESSION = timedelta(hours=24)
# How long a re-posted form waits for the session another request is creating.
SESSION_WAIT = timedelta(seconds=0.5)
SESSION_POLL_SECONDS = 0.05


@dataclass(frozen=True)
class CheckoutLine:
    variant: ProductVariant
    quantity: int

    @property
    def product(self) -> Product:
        return self.variant.product


def _started_checkout(
    *, browser_token: str, form_token: str, lines: Sequence[CheckoutLine]
) -> Order | None:
    """The order this very form already started (a double click, a resubmit), if any."""
    key = _checkout_key(browser_token, form_token, lines)
    return Order.objects.filter(checkout_key=key).first()


def start_checkout(
    *,
    browser_token: str,
    form_token: str,
    lines: Sequence[CheckoutLine],
    base_url: str,
    may_start: Callable[[], bool] = lambda: True,
) -> Order:
    """Create (or find, for a re-posted form) the pending order and its Checkout Session.

    ``may_start`` is asked only before a new checkout (a re-posted form is the
    same one): False raises TooManyCheckouts, creating nothing. Returns the
    order with ``checkout_url`` set. The session is created with an idempotency
    key tied to the order, by the one request that marked the order
    (``checkout_started_at``); a double click's second request waits briefly
    for that session, then raises CheckoutInProgress rather than ask Stripe.
    """
    snapshot: list[OrderLine] | None = None
    order = _started_checkout(browser_token=browser_token, form_token=form_token, lines=lines)
    if order is None:
        if not may_start():
            raise TooManyCheckouts
        order, snapshot = _new_order(browser_token, form_token, lines)
    if not order.claim_checkout_start(stale_before=timezone.now() - longest_stripe_call()):
        return _started_elsewhere(order)
    try:
        session = stripe_client().v1.checkout.sessions.create(
            params=_session_params(order, snapshot or list(order.lines.all()), base_url),
            options={"idempotency_key": f"order-{order.public_id}-checkout-session"},
        )
    except stripe.StripeError as error:
        logger.error("Checkout Session not created: %r", error, extra={"order_id": order.pk})
        with transaction.atomic():
            order = Order.objects.select_for_update().get(pk=order.pk)
            transitions.mark_failed(order, f"Checkout could not start: {describe(error)}")
        raise CheckoutUnavailable(str(error)) from error
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        transitions.attach_session(order, session_id=session.id, checkout_url=session.url)
    if not order.stripe_session_id:
        # It ended while Stripe answered (reconcile failed it): the session is never shown.
        raise CheckoutUnavailable(order.failure_reason)
    return order


def _started_elsewhere(order: Order) -> Order:
    """The order as another request left it: paid, with its session, ended, or still
    being started (waited for up to SESSION_WAIT, then CheckoutInProgress)."""
    deadline = time.monotonic() + SESSION_WAIT.total_seconds()
    while True:
        if order.status == Order.Status.PAID:
            raise AlreadyPaid(order)
        if order.stripe_session_id:
            return order
        if order.status != Order.Status.PENDING:
            raise CheckoutUnavailable(order.failure_reason)
        if time.monotonic() >= deadline:
            raise CheckoutInProgress(f"Order {order.pk}'s Checkout Session is being created")
        time.sleep(SESSION_POLL_SECONDS)
        order.refresh_from_db()


def session_expiry(now: datetime | None = None) -> datetime:
    """When the Checkout Session should expire: STORE_CHECKOUT_EXPIRES_MINUTES from now.

    Stripe counts its 30-minute minimum and 24-hour maximum from the moment it
    creates the session, which is after this is computed (and later still for
    an SDK retry of the same request), so the ends of the range keep a margin.
    """
    now = now or timezone.now()
    margin = longest_stripe_call()
    wanted = timedelta(minutes=settings.STORE_CHECKOUT_EXPIRES_MINUTES)
    lifetime = min(max(wanted, SHORTEST_SESSION + margin), LONGEST_SESSION - margin)
    return now + lifetime


def _new_order(
    browser_token: str, form_token: str, lines: Sequence[CheckoutLine]
) -> tuple[Order, list[OrderLine] | None]:
    """The pending order with its lines and held units; its lines, if this call made them."""
    key = _checkout_key(browser_token, form_token, lines)
    try:
        with transaction.atomic():
            # Raises SoldOut, creating nothing; else the units are held by the new order.
            stock.hold({line.variant: line.quantity for line in lines})
            # Prices come from the database rows, never from the request.
            subtotal = sum(line.variant.unit_price * line.quantity for line in lines)
            order = Order.objects.create(
                checkout_key=key,
                browser_token=browser_token,
                currency=settings.STORE_CURRENCY,
                amount_subtotal=subtotal,
                amount_total=subtotal,
                # What the session offers is fixed here: a retried session request sends
                # the same parameters, and the paid transition checks against them.
                shipping_rates_offered=[rate.as_dict() for rate in shipping.offer(subtotal)],
                promotion_codes_allowed=discounts.codes_on_offer(),
                # The hold and the Checkout Session end at the same moment.
                checkout_expires_at=session_expiry(),
            )
            snapshot = OrderLine.objects.bulk_create(
                OrderLine(
                    order=order,
                    product=line.product,
                    variant=line.variant,
                    product_name=line.product.name,
                    variant_name=line.variant.name,
                    sku=line.variant.sku,
                    option_values=line.variant.options,
                    unit_amount=line.variant.unit_price,
                    quantity=line.quantity,
                )
                for line in lines
            )
    except IntegrityError:
        # The same form posted at the same moment: the other request made the order.
        return Order.objects.get(checkout_key=key), None
    return order, snapshot


def _checkout_key(browser_token: str, form_token: str, lines: Sequence[CheckoutLine]) -> str:
    basket = ",".join(f"{line.variant.pk}x{line.quantity}" for line in lines)
    return hashlib.sha256(f"{browser_token}|{form_token}|{basket}".encode()).hexdigest()


def _session_params(order: Order, lines: Sequence[OrderLine], base_url: str) -> dict:
    expires_at = order.checkout_expires_at or session_expiry()
    params = {
        "mode": "payment",
        "line_items": [
            {
                "quantity": line.quantity,
                "price_data": {
                    "currency": order.currency,
                    "unit_amount": line.unit_amount,
                    "product_data": {"name": line.name},
                },
            }
            for line in lines
        ],
        "shipping_address_collection": {"allowed_countries": settings.STORE_SHIPPING_COUNTRIES},
        "phone_number_collection": {"enabled": True},
        "client_reference_id": str(order.pk),
        "metadata": {"order_id": str(order.pk), ORDER_METADATA_KEY: str(order.public_id)},
        "success_url": base_url + reverse("store:success") + "?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": base_url + reverse("store:cancel", args=[order.public_id]),
        "expires_at": int(expires_at.timestamp()),
    }
    offered = shipping.offered_to(order)
    if offered:
        params["shipping_options"] = [rate.stripe_option(order.currency) for rate in offered]
    if order.promotion_codes_allowed:
        params["allow_promotion_codes"] = True
    return params
