import pytest

from store import money


@pytest.mark.parametrize(
    "amount, currency, shown",
    [
        (50000, "inr", "₹500.00"),
        (120000, "inr", "₹1,200.00"),
        (7550, "inr", "₹75.50"),
        (5, "inr", "₹0.05"),
        (1200, "jpy", "¥1,200"),
        (999, "usd", "$9.99"),
        (1000, "chf", "10.00 CHF"),
    ],
)
def test_format_amount(amount, currency, shown):
    assert money.format_amount(amount, currency) == shown


@pytest.mark.parametrize(
    "typed, currency, stored",
    [
        ("500", "inr", 50000),
        ("500.00", "inr", 50000),
        ("1,200", "inr", 120000),
        (" 75.5 ", "inr", 7550),
        ("₹99.99", "inr", 9999),
        ("1200", "jpy", 1200),
        ("1,200", "jpy", 1200),
    ],
)
def test_parse_amount(typed, currency, stored):
    assert money.parse_amount(typed, currency) == stored


@pytest.mark.parametrize(
    "typed, currency, message",
    [
        ("5.005", "inr", "at most 2 decimals"),
        ("-1", "inr", "cannot be negative"),
        ("abc", "inr", "not a number"),
        ("", "inr", "Enter a price"),
        ("NaN", "inr", "not a number"),
        ("12.5", "jpy", "JPY has no decimals"),
    ],
)
def test_parse_amount_rejects_with_a_message(typed, currency, message):
    with pytest.raises(money.MoneyInputError, match=message):
        money.parse_amount(typed, currency)


def test_round_trip_through_display_units():
    for amount in (50, 7550, 120000, 99_999_999):
        assert money.parse_amount(str(money.to_major(amount, "inr")), "inr") == amount


@pytest.mark.parametrize("amount", [49, 100_000_000])
def test_outside_stripe_limits_is_not_chargeable(amount):
    with pytest.raises(money.MoneyInputError, match="Stripe cannot charge"):
        money.check_chargeable(amount, "inr")


@pytest.mark.parametrize("amount", [50, 99_999_999])
def test_stripe_limits_are_inclusive(amount):
    money.check_chargeable(amount, "inr")
