"""An offline stand-in for the part of Stripe's API this shop uses.

CI machines and a laptop on a train cannot reach Stripe, yet the payments code
should still be exercised through the official ``stripe`` SDK over real HTTP:
the SDK's form encoding, headers, idempotency keys, retries, error classes and
timeouts are exactly where integrations break. So this is a small HTTP server
that speaks Stripe's wire format for Checkout Sessions, PaymentIntents,
Refunds, shipping rates, coupons and promotion codes, hosts a payment page at
the session's ``url`` and sends signed webhooks, and refuses, expires and
retries where Stripe does.

It needs only the stdlib and ``stripe``, never Django or the shop: tests start
it in-process on port 0, ``python -m stripe_simulator`` runs it for the no-keys
demo (and, as a Django app, ``manage.py stripe_simulator``).
"""

from stripe_simulator.knobs import CodeRefused
from stripe_simulator.simulator import StripeSimulator
from stripe_simulator.state import RecordedRequest, WebhookDelivery
from stripe_simulator.webhooks import sign_payload
from stripe_simulator.wire import SimulatorApiError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 12111  # the port stripe-mock uses, so it is easy to remember

__all__ = [
    "CodeRefused",
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "RecordedRequest",
    "SimulatorApiError",
    "StripeSimulator",
    "WebhookDelivery",
    "sign_payload",
]
