"""Staff-facing forms: amounts typed in currency units and stored in minor units, stock
counts, refunds."""

from __future__ import annotations

from django import forms
from django.conf import settings
from wagtail.admin.forms import WagtailAdminModelForm

from store import money, stock
from store.models import Refund


class PriceInput(forms.TextInput):
    """Shows a stored minor-unit amount in currency units ("12500000" paise -> "1,25,000.00")."""

    def format_value(self, value):
        if isinstance(value, int):
            return money.format_for_input(value, settings.STORE_CURRENCY)
        return super().format_value(value)


class AmountField(forms.Field):
    """An amount in the store currency's units ("1,25,000.50") -> minor units."""

    widget = PriceInput

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("inputmode", "decimal")

    def to_python(self, value) -> int | None:
        if value in self.empty_values:
            return None
        try:
            return self.checked(money.parse_amount(str(value), settings.STORE_CURRENCY))
        except money.MoneyInputError as error:
            raise forms.ValidationError(str(error), code="invalid_amount") from error

    def checked(self, amount: int) -> int:
        return amount


class PriceField(AmountField):
    """A price in currency units ("1,25,000.50") -> minor units, within Stripe's limits."""

    def __init__(self, **kwargs):
        currency = settings.STORE_CURRENCY.upper()
        kwargs.setdefault("label", f"Price ({currency})")
        example = money.format_for_input(125_000 * 10 ** money.exponent(currency), currency)
        help_text = f"In {currency}, e.g. 500 or {example}"
        if lowest := money.minimum_charge(settings.STORE_CURRENCY):
            help_text += f"; at least {money.format_amount(lowest, settings.STORE_CURRENCY)}"
        kwargs.setdefault("help_text", help_text + ".")
        super().__init__(**kwargs)

    def checked(self, amount: int) -> int:
        money.check_chargeable(amount, settings.STORE_CURRENCY)
        return amount


class StockInput(forms.NumberInput):
    """The count, and (hidden) the count the editor was shown.

    Saving then applies the editor's change to whatever is on hand by then, so
    units sold while the form was open stay sold.
    """

    SHOWN_SUFFIX = "-as-shown"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.shown: str | None = None

    def render(self, name, value, attrs=None, renderer=None):
        shown = value if self.shown is None else self.shown
        return super().render(name, value, attrs, renderer) + forms.HiddenInput().render(
            name + self.SHOWN_SUFFIX, shown, None, renderer
        )


class VariantForm(WagtailAdminModelForm):
    """One variant in the product editor. Its stock changes apply when saved, even as a draft."""

    price = PriceField(
        required=False,
        label="Variant's price",
        help_text=f"In {settings.STORE_CURRENCY.upper()}; empty: the product's price.",
    )
    stock = forms.IntegerField(
        required=False,
        min_value=0,
        widget=StockInput,
        help_text=(
            "Units on hand; empty: not counted. A change applies as soon as you save, even a "
            "draft, and adds to or takes from what is on hand by then."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.is_bound and self._shown_key in self.data:
            # Re-rendered after an error: keep the count first shown, not the one typed.
            self.fields["stock"].widget.shown = self.data[self._shown_key]

    @property
    def _shown_key(self) -> str:
        return self.add_prefix("stock") + StockInput.SHOWN_SUFFIX

    def has_changed(self) -> bool:
        # An untouched row is still a variant: a product sold one way has just that one.
        return True

    def apply_stock_change(self) -> None:
        """An existing variant's count moves by what the editor changed (``stock.change_count``)."""
        variant = self.instance
        if variant.pk is None or not type(variant).objects.filter(pk=variant.pk).exists():
            return  # a new variant is inserted with the count typed
        wanted, shown = self.cleaned_data.get("stock"), self._stock_as_shown()
        if wanted != shown:
            stock.change_count(variant, shown, wanted)

    def _stock_as_shown(self) -> int | None:
        """The count the editor saw (the form's hidden copy), else the one loaded now."""
        if self._shown_key not in self.data:
            return self.initial.get("stock")
        try:
            return forms.IntegerField(required=False).clean(self.data[self._shown_key])
        except forms.ValidationError:
            return self.initial.get("stock")


class ProductForm(WagtailAdminModelForm):
    """The product editor: its options (Size, Colour) and one variant per combination sold."""

    price = PriceField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A form posted without the GST rate or the per-order cap (an older page, a script)
        # keeps the product's.
        for name in ("gst_rate", "max_per_order"):
            self.fields[name].required = False

    def clean_gst_rate(self) -> int:
        rate = self.cleaned_data.get("gst_rate")
        return self.instance.gst_rate if rate in (None, "") else rate

    def clean_max_per_order(self) -> int:
        most = self.cleaned_data.get("max_per_order")
        return self.instance.max_per_order if most is None else most

    def clean(self) -> dict:
        cleaned = super().clean()
        named = [bool(cleaned.get(f"option_{number}")) for number in (1, 2, 3)]
        if named != sorted(named, reverse=True):
            self.add_error("option_1", "Name the options from the first, without gaps.")
        return cleaned

    def is_valid(self) -> bool:
        valid = super().is_valid()
        if valid:
            self._check_variants()
        return valid and not self.errors

    def _check_variants(self) -> None:
        """One variant per combination, each with a value for every option named."""
        names = [self.cleaned_data.get(f"option_{number}", "") for number in (1, 2, 3)]
        names = [name for name in names if name]
        kept = [
            form for form in self.formsets["variants"].forms if not form.cleaned_data.get("DELETE")
        ]
        if not kept:
            self.add_error(None, "Add at least one variant: it carries the price and stock.")
            return
        if not names and len(kept) > 1:
            self.add_error(
                None, "A product without options has one variant; name an option (e.g. Size)."
            )
        seen: set[tuple[str, ...]] = set()
        for form in kept:
            values = tuple(form.cleaned_data.get(f"value_{n}", "").strip() for n in (1, 2, 3))
            named, unnamed = values[: len(names)], values[len(names) :]
            if not all(named):
                self.add_error(None, f"Every variant needs a value for {', '.join(names)}.")
            if any(unnamed):
                self.add_error(None, "A variant has a value for an option the product lacks.")
            if values in seen:
                self.add_error(None, f"Two variants are both {' / '.join(named)}.")
            seen.add(values)

    def save(self, commit=True):
        product = super().save(commit=commit)
        for form in self.formsets["variants"].forms:
            if form.cleaned_data and not form.cleaned_data.get("DELETE"):
                form.apply_stock_change()
        return product


class RefundForm(forms.Form):
    """How much to give back and why, as typed on the order's page; a confirmation follows.

    An empty amount is a mistake, not "everything": refunding all that is left is
    its own choice. The hidden fields tie the form to the page as it was shown.
    """

    amount = AmountField(
        required=False,
        label=f"Amount ({settings.STORE_CURRENCY.upper()})",
        help_text="For example 250 or 1,250.50.",
    )
    refund_all = forms.BooleanField(required=False, label="Refund everything that is left")
    reason = forms.ChoiceField(
        choices=[("", "No reason given"), *Refund.Reason.choices], required=False
    )
    restock = forms.BooleanField(
        required=False,
        label="Put the units back into stock",
        help_text="When the refund succeeds, the order's units go back on sale (once per order).",
    )
    # A double click posts the same token: one refund.
    form_token = forms.UUIDField(widget=forms.HiddenInput)
    # What the page said was refunded, so a refund made meanwhile is noticed.
    outstanding_when_shown = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def clean(self):
        data = super().clean()
        if "amount" in self.errors:
            return data
        if data.get("amount") is None and not data.get("refund_all"):
            raise forms.ValidationError(
                "Type the amount to refund, or choose “Refund everything that is left”."
            )
        if data.get("amount") is not None and data.get("refund_all"):
            raise forms.ValidationError(
                "Type an amount or choose “Refund everything that is left”, not both."
            )
        return data


class ConfirmedRefundForm(forms.Form):
    """The refund as its confirmation page showed it: the amount in minor units, no parsing."""

    amount = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    reason = forms.ChoiceField(
        choices=[("", "No reason given"), *Refund.Reason.choices],
        required=False,
        widget=forms.HiddenInput,
    )
    restock = forms.BooleanField(required=False, widget=forms.HiddenInput)
    form_token = forms.UUIDField(widget=forms.HiddenInput)
    outstanding_when_shown = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
