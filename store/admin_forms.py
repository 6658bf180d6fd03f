"""Editor-facing forms: prices typed in currency units, stored in minor units."""

from __future__ import annotations

from django import forms
from django.conf import settings
from wagtail.admin.forms import WagtailAdminModelForm

from store import money


class PriceInput(forms.TextInput):
    """Shows a stored minor-unit amount in currency units ("12500000" paise -> "1,25,000.00")."""

    def format_value(self, value):
        if isinstance(value, int):
            return money.format_for_input(value, settings.STORE_CURRENCY)
        return super().format_value(value)


class PriceField(forms.Field):
    """A price in currency units ("1,25,000.50") -> minor units, within Stripe's limits."""

    widget = PriceInput

    def __init__(self, **kwargs):
        currency = settings.STORE_CURRENCY.upper()
        kwargs.setdefault("label", f"Price ({currency})")
        lowest = money.format_amount(
            money.minimum_charge(settings.STORE_CURRENCY), settings.STORE_CURRENCY
        )
        example = money.format_for_input(125_000 * 10 ** money.exponent(currency), currency)
        kwargs.setdefault("help_text", f"In {currency}, e.g. 500 or {example}; at least {lowest}.")
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("inputmode", "decimal")

    def to_python(self, value) -> int | None:
        if value in self.empty_values:
            return None
        try:
            amount = money.parse_amount(str(value), settings.STORE_CURRENCY)
            money.check_chargeable(amount, settings.STORE_CURRENCY)
        except money.MoneyInputError as error:
            raise forms.ValidationError(str(error), code="invalid_price") from error
        return amount


class ProductForm(WagtailAdminModelForm):
    price = PriceField()
