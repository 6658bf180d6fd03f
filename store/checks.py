"""System checks for the store's configuration: fail at start-up, not at the first sale."""

from django.conf import settings
from django.core.checks import Error, Warning, register

# Stripe accepts a Checkout Session expiry between 30 minutes and 24 hours ahead.
CHECKOUT_EXPIRY_MINUTES = range(30, 24 * 60 + 1)


@register("store")
def check_store_settings(app_configs, **kwargs):
    problems = []
    if settings.STORE_CHECKOUT_EXPIRES_MINUTES not in CHECKOUT_EXPIRY_MINUTES:
        problems.append(
            Error(
                "STORE_CHECKOUT_EXPIRES_MINUTES must be between 30 and 1440.",
                hint="Stripe refuses Checkout Sessions that expire sooner or later.",
                id="store.E001",
            )
        )
    if len(settings.STORE_CURRENCY) != 3 or not settings.STORE_CURRENCY.isalpha():
        problems.append(
            Error(
                f"STORE_CURRENCY {settings.STORE_CURRENCY!r} is not a three-letter ISO code.",
                id="store.E002",
            )
        )
    if settings.STRIPE_SECRET_KEY and not settings.STRIPE_WEBHOOK_SECRET:
        problems.append(
            Warning(
                "STRIPE_SECRET_KEY is set but STRIPE_WEBHOOK_SECRET is not: every webhook "
                "will be refused, so orders whose shopper closes the tab stay pending.",
                hint="Set STRIPE_WEBHOOK_SECRET (see the README), and run sync_orders regularly.",
                id="store.W001",
            )
        )
    return problems
