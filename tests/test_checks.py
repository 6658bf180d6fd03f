"""Misconfiguration shows up in `manage.py check`, before the first shopper meets it."""

import pytest

from store.checks import check_store_settings


def check_ids() -> list[str]:
    return [problem.id for problem in check_store_settings(None)]


def test_the_test_configuration_is_clean(settings):
    assert check_ids() == []


@pytest.mark.parametrize("minutes", [29, 1441])
def test_an_expiry_stripe_would_refuse_is_an_error(settings, minutes):
    settings.STORE_CHECKOUT_EXPIRES_MINUTES = minutes
    assert check_ids() == ["store.E001"]


@pytest.mark.parametrize(
    "name", ["STORE_MAX_HELD_UNITS_PER_BROWSER", "STORE_MAX_HELD_UNITS_PER_ADDRESS"]
)
def test_a_holding_cap_below_one_is_an_error(settings, name):
    setattr(settings, name, 0)
    assert check_ids() == ["store.E005"]


@pytest.mark.parametrize("currency", ["rupees", "xyz", "xts", "usdt"])
def test_a_currency_stripe_does_not_charge_in_is_an_error(settings, currency):
    settings.STORE_CURRENCY = currency
    assert check_ids() == ["store.E002"]


@pytest.mark.parametrize("currency", ["inr", "jpy", "huf", "usd"])
def test_stripes_settlement_currencies_are_clean(settings, currency):
    settings.STORE_CURRENCY = currency
    assert check_ids() == []


def test_a_currency_whose_minimum_depends_on_the_rate_is_a_warning(settings):
    settings.STORE_CURRENCY = "kes"
    assert check_ids() == ["store.W002"]


def test_a_stripe_key_without_a_webhook_secret_is_a_warning(settings):
    settings.STRIPE_WEBHOOK_SECRET = ""
    assert check_ids() == ["store.W001"]


@pytest.mark.parametrize("rate", ["ten a minute", "10/fortnight", "10", "/m"])
def test_a_checkout_rate_that_is_not_one_is_an_error(settings, rate):
    settings.STORE_CHECKOUT_RATE_PER_IP = rate
    assert check_ids() == ["store.E004"]
