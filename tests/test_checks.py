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


def test_a_currency_that_is_not_an_iso_code_is_an_error(settings):
    settings.STORE_CURRENCY = "rupees"
    assert check_ids() == ["store.E002"]


def test_a_stripe_key_without_a_webhook_secret_is_a_warning(settings):
    settings.STRIPE_WEBHOOK_SECRET = ""
    assert check_ids() == ["store.W001"]
