"""System checks for the store's configuration: fail at start-up, not at the first sale."""

import typing
from functools import cache

from django.conf import settings
from django.core.checks import Error, Warning, register
from django.core.exceptions import ImproperlyConfigured
from stripe.params.checkout import SessionCreateParamsShippingAddressCollection

from store import currencies
from store.throttling import Rate

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
    for name in ("STORE_MAX_HELD_UNITS_PER_BROWSER", "STORE_MAX_HELD_UNITS_PER_ADDRESS"):
        if getattr(settings, name) < 1:
            problems.append(
                Error(
                    f"{name} must be at least 1.",
                    hint="It caps units held in unpaid checkouts; 0 would refuse every one.",
                    id="store.E005",
                )
            )
    if not currencies.is_supported(settings.STORE_CURRENCY):
        problems.append(
            Error(
                f"STORE_CURRENCY {settings.STORE_CURRENCY!r} is not a currency Stripe charges in.",
                hint="Use a lowercase ISO code from https://docs.stripe.com/currencies, e.g. inr.",
                id="store.E002",
            )
        )
    elif currencies.minimum_charge(settings.STORE_CURRENCY) is None:
        problems.append(
            Warning(
                f"Stripe's smallest charge in {settings.STORE_CURRENCY.upper()} depends on the "
                "exchange rate to your account's settlement currency.",
                hint="A basket below it fails at checkout with a message to the shopper.",
                id="store.W002",
            )
        )
    unknown = sorted(set(settings.STORE_SHIPPING_COUNTRIES) - stripe_shipping_countries())
    if unknown or not settings.STORE_SHIPPING_COUNTRIES:
        problems.append(
            Error(
                "STORE_SHIPPING_COUNTRIES must list countries Stripe's Checkout ships to; "
                f"not {', '.join(unknown) or 'none'}.",
                hint="Two-letter ISO codes, comma-separated, e.g. IN or IN,LK,NP.",
                id="store.E003",
            )
        )
    for name in ("STORE_CHECKOUT_RATE_PER_BROWSER", "STORE_CHECKOUT_RATE_PER_IP"):
        try:
            Rate.parse(getattr(settings, name))
        except ImproperlyConfigured as error:
            problems.append(Error(f"{name}: {error}", id="store.E004"))
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


@cache
def stripe_shipping_countries() -> frozenset[str]:
    """The countries Checkout can collect an address in, as the Stripe SDK's types list them."""
    hint = typing.get_type_hints(SessionCreateParamsShippingAddressCollection)["allowed_countries"]
    (item,) = typing.get_args(hint)
    literals = [member for member in typing.get_args(item) if typing.get_origin(member)]
    return frozenset(code for literal in literals for code in typing.get_args(literal))
