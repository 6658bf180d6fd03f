"""The Stripe client and what the shop writes on, and reads back from, a Checkout Session."""

from __future__ import annotations

import uuid
from datetime import timedelta
from functools import lru_cache

import stripe
from django.conf import settings

from store.payments.outcomes import NotAtStripe, PaymentError
from store.payments.stripe_fields import optional
from store.payments.stripe_http import InstrumentedRequestsClient

# Marks a Checkout Session as this shop's, and names its order (the order's public id).
# Other integrations on the same Stripe account make sessions without it.
ORDER_METADATA_KEY = "mini_store_order"


def stripe_client() -> stripe.StripeClient:
    """A client with a short timeout and few retries: a shopper is waiting."""
    return _client(
        settings.STRIPE_SECRET_KEY,
        settings.STRIPE_API_BASE,
        settings.STRIPE_MAX_NETWORK_RETRIES,
        settings.STRIPE_TIMEOUT_SECONDS,
    )


@lru_cache(maxsize=8)
def _client(secret_key: str, api_base: str, retries: int, timeout: float) -> stripe.StripeClient:
    """One client per configuration, kept: its HTTP session (one per thread) reuses the
    connection to Stripe instead of opening a TLS connection for every call."""
    return stripe.StripeClient(
        secret_key,
        base_addresses={"api": api_base} if api_base else None,
        max_network_retries=retries,
        http_client=InstrumentedRequestsClient(timeout=timeout),
    )


def longest_stripe_call() -> timedelta:
    """How long one SDK call may take, retries included, with a minute to spare."""
    attempts = settings.STRIPE_MAX_NETWORK_RETRIES + 1
    return timedelta(minutes=1, seconds=settings.STRIPE_TIMEOUT_SECONDS * attempts)


def retrieve_session(session_id: str):
    try:
        return stripe_client().v1.checkout.sessions.retrieve(session_id)
    except stripe.StripeError as error:
        raise payment_error(error) from error


def retrieve_payment_intent(payment_intent_id: str):
    try:
        return stripe_client().v1.payment_intents.retrieve(payment_intent_id)
    except stripe.StripeError as error:
        raise PaymentError(describe(error)) from error


def retrieve_shipping_rate(shipping_rate_id: str):
    try:
        return stripe_client().v1.shipping_rates.retrieve(shipping_rate_id)
    except stripe.StripeError as error:
        raise PaymentError(describe(error)) from error


def expire_session(session_id: str, idempotency_key: str):
    """Expire an open session; if it is not open (paid, expired), the session as it is."""
    try:
        return stripe_client().v1.checkout.sessions.expire(
            session_id, options={"idempotency_key": idempotency_key}
        )
    except stripe.InvalidRequestError:
        # Stripe only expires open sessions: find out what this one is.
        return retrieve_session(session_id)
    except stripe.StripeError as error:
        raise PaymentError(describe(error)) from error


def metadata_of(session) -> dict[str, str]:
    metadata = optional(session, "metadata")
    return metadata.to_dict() if isinstance(metadata, stripe.StripeObject) else dict(metadata or {})


def order_public_id(session) -> uuid.UUID | None:
    """The order a session was made for, if this shop made it."""
    try:
        return uuid.UUID(metadata_of(session).get(ORDER_METADATA_KEY, ""))
    except ValueError:
        return None


def payment_error(error: stripe.StripeError) -> PaymentError:
    """NotAtStripe when Stripe says there is no such object; PaymentError otherwise."""
    if isinstance(error, stripe.InvalidRequestError) and error.code == "resource_missing":
        return NotAtStripe(describe(error))
    return PaymentError(describe(error))


def describe(error: stripe.StripeError) -> str:
    return f"{type(error).__name__}: {error.user_message or error}"[:255]
