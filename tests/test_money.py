"""Amounts as people read and type them (Babel, STORE_LOCALE), minor units inside."""

import pytest

from store import money


@pytest.mark.parametrize(
    "amount, currency, locale, shown",
    [
        (12_500_000, "inr", "en_IN", "₹1,25,000.00"),
        (50000, "inr", "en_IN", "₹500.00"),
        (7550, "inr", "en_IN", "₹75.50"),
        (5, "inr", "en_IN", "₹0.05"),
        (99_999_999, "inr", "en_IN", "₹9,99,999.99"),
        (12_500_000, "inr", "en_US", "₹125,000.00"),
        (1200, "jpy", "en_JP", "¥1,200"),
        (1200, "jpy", "ja_JP", "￥1,200"),
        (999, "usd", "en_US", "$9.99"),
        (123_456, "eur", "de_DE", "1.234,56\xa0€"),
        # Stripe's exponents, not the locale data's: ISK and HUF keep two decimals.
        (123_456, "isk", "en_IN", "ISK1,234.56"),
        (123_450, "huf", "en_IN", "HUF1,234.50"),
    ],
)
def test_format_amount_in_the_store_locale(amount, currency, locale, shown):
    assert money.format_amount(amount, currency, locale) == shown


def test_format_amount_defaults_to_the_store_locale(settings):
    settings.STORE_LOCALE = "en_IN"
    assert money.format_amount(12_500_000, "inr") == "₹1,25,000.00"
    settings.STORE_LOCALE = "en_US"
    assert money.format_amount(12_500_000, "inr") == "₹125,000.00"


@pytest.mark.parametrize(
    "typed, currency, stored",
    [
        ("125000", "inr", 12_500_000),
        ("1,25,000", "inr", 12_500_000),
        ("1,000", "inr", 100_000),
        ("1.50", "inr", 150),
        ("125,000.50", "inr", 12_500_050),
        ("500.00", "inr", 50000),
        (" 75.5 ", "inr", 7550),
        ("₹99.99", "inr", 9999),
        ("₹ 1,25,000.00", "inr", 12_500_000),
        ("INR 500", "inr", 50000),
        ("Rs. 500", "inr", 50000),
        ("1200", "jpy", 1200),
        ("1,200", "jpy", 1200),
        ("¥1,200", "jpy", 1200),
    ],
)
def test_parse_amount_accepts_what_people_type(typed, currency, stored):
    assert money.parse_amount(typed, currency, "en_IN") == stored


@pytest.mark.parametrize(
    "typed, currency, message",
    [
        ("$5", "inr", "not in INR"),
        ("US$5", "inr", "not in INR"),
        ("€5", "inr", "not in INR"),
        ("5 USD", "inr", "not in INR"),
        ("£5", "inr", "not in INR"),
        ("₹5", "jpy", "not in JPY"),
        ("5.0051", "inr", "at most 2 decimals"),
        # Issue 17: read as ₹15.00, ₹150.00 and ₹1.00 before; each could be another amount.
        ("1,5", "inr", "“1,5” is ambiguous: here “,” only separates thousands"),
        ("1,50", "inr", "is ambiguous"),
        ("1.000", "inr", "is ambiguous"),
        ("5.005", "inr", "is ambiguous"),
        ("12,3,456", "inr", "is ambiguous"),
        ("1.000", "jpy", "there are no decimals, as in 1,23,456"),
        ("-1", "inr", "cannot be negative"),
        ("abc", "inr", "not a number"),
        ("", "inr", "Enter a price"),
        ("NaN", "inr", "not a number"),
        ("12.5", "jpy", "JPY has no decimals"),
    ],
)
def test_parse_amount_rejects_with_a_message(typed, currency, message):
    with pytest.raises(money.MoneyInputError, match=message):
        money.parse_amount(typed, currency, "en_IN")


@pytest.mark.parametrize("amount", [50, 7550, 120000, 12_500_000, 99_999_999])
def test_editor_input_round_trips(amount):
    shown = money.format_for_input(amount, "inr", "en_IN")
    assert money.parse_amount(shown, "inr", "en_IN") == amount


def test_editor_input_is_grouped_without_a_symbol():
    assert money.format_for_input(12_500_000, "inr", "en_IN") == "1,25,000.00"
    assert money.format_for_input(1200, "jpy", "en_IN") == "1,200"


def test_exports_use_plain_major_units():
    assert str(money.to_major(12_500_000, "inr")) == "125000.00"
    assert str(money.to_major(1200, "jpy")) == "1200"


@pytest.mark.parametrize(
    "amount, currency",
    [(49, "inr"), (1_000_000_000, "inr"), (17_499, "huf"), (100_000_000, "usd"), (0, "kes")],
)
def test_outside_stripe_limits_is_not_chargeable(amount, currency):
    with pytest.raises(money.MoneyInputError, match="Stripe cannot charge"):
        money.check_chargeable(amount, currency)


@pytest.mark.parametrize(
    "amount, currency",
    [(50, "inr"), (999_999_999, "inr"), (17_500, "huf"), (99_999_999, "usd"), (1, "kes")],
)
def test_stripe_limits_are_inclusive(amount, currency):
    money.check_chargeable(amount, currency)
