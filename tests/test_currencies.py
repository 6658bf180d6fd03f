"""The shop's currency rules against the simulator's: two copies of Stripe's table, checked
against each other by charging, so a wrong row on either side fails here."""

from __future__ import annotations

import pytest
import stripe

from store import currencies
from tests.simulator_support import client_for, line, session_params


def create(sdk, currency: str, amount: int):
    return sdk.v1.checkout.sessions.create(
        params=session_params(line_items=[line("Thing", amount, 1, currency)])
    )


@pytest.mark.parametrize("currency", sorted(currencies.MINIMUM_CHARGE))
def test_the_shops_minimum_is_the_smallest_charge_stripe_accepts(sim, currency):
    sdk = client_for(sim)
    lowest = currencies.minimum_charge(currency)

    assert create(sdk, currency, lowest).amount_total == lowest
    with pytest.raises(stripe.InvalidRequestError, match="at least"):
        create(sdk, currency, lowest - 1)


@pytest.mark.parametrize("currency", ["inr", "usd", "jpy"])
def test_the_shops_maximum_is_the_largest_charge_stripe_accepts(sim, currency):
    sdk = client_for(sim)
    largest = currencies.maximum_amount(currency)

    assert create(sdk, currency, largest).amount_total == largest
    with pytest.raises(stripe.InvalidRequestError):
        create(sdk, currency, largest + 1)


def test_every_currency_the_shop_accepts_stripe_charges_in(sim):
    sdk = client_for(sim)
    for currency in sorted(currencies.SUPPORTED_CURRENCIES):
        assert create(sdk, currency, 1_000_000).currency == currency


@pytest.mark.parametrize("currency", ["xyz", "xts", "btc"])
def test_currencies_the_shop_refuses_stripe_refuses(sim, currency):
    assert not currencies.is_supported(currency)
    with pytest.raises(stripe.InvalidRequestError, match="Invalid currency"):
        create(client_for(sim), currency, 1_000_000)
