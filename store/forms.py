"""The shop's quantity form: one whole-number field per published product."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator

from django import forms
from django.conf import settings

from store import money
from store.models import Product

MAX_QUANTITY = 10
QUANTITY_PREFIX = "quantity_"
# Posted by the browser besides the quantities; anything else is refused.
ALLOWED_EXTRA_FIELDS = {"csrfmiddlewaretoken", "form_token"}
OUT_OF_DATE = (
    "This page was out of date, so nothing was ordered. "
    "Check your quantities and press Checkout again."
)


class CheckoutForm(forms.Form):
    """Quantities for the published products.

    ``form_token`` is minted when the form is rendered, so posting the same
    rendered form twice (double click, resubmit) is recognisably one checkout.
    A post without one (a script, not the page) is simply a new checkout.
    Prices never come from the request: only quantities are read.
    """

    form_token = forms.UUIDField(
        widget=forms.HiddenInput,
        required=False,
        error_messages={"invalid": OUT_OF_DATE},
    )

    def __init__(self, *args, products: Iterable[Product], **kwargs):
        kwargs.setdefault("initial", {"form_token": uuid.uuid4()})
        super().__init__(*args, **kwargs)
        self.products = list(products)
        for product in self.products:
            self.fields[self.field_name(product)] = forms.IntegerField(
                label=product.name,
                min_value=0,
                max_value=MAX_QUANTITY,
                initial=0,
                required=False,
                widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": 1}),
                error_messages={
                    "invalid": f"Enter a whole number of {product.name} from 0 to {MAX_QUANTITY}.",
                    "min_value": f"The quantity of {product.name} cannot be negative.",
                    "max_value": f"You can buy at most {MAX_QUANTITY} of {product.name} at once.",
                },
            )

    @property
    def next_form_token(self) -> str:
        """A new token for the form as rendered now: every render is a new checkout."""
        return str(self.initial["form_token"])

    @staticmethod
    def field_name(product: Product) -> str:
        return f"{QUANTITY_PREFIX}{product.pk}"

    def items(self) -> Iterator[tuple[Product, forms.BoundField]]:
        """(product, its quantity field), in shop order, for the template."""
        for product in self.products:
            yield product, self[self.field_name(product)]

    def clean(self) -> dict:
        cleaned = super().clean()
        self._refuse_unexpected_fields()
        if not cleaned.get("form_token"):
            cleaned["form_token"] = uuid.uuid4()
        lines = [(product, cleaned.get(self.field_name(product)) or 0) for product in self.products]
        lines = [(product, quantity) for product, quantity in lines if quantity > 0]
        if not self.errors and not lines:
            raise forms.ValidationError("Choose at least one product.", code="empty")
        total = sum(product.price * quantity for product, quantity in lines)
        if lines:
            try:
                money.check_chargeable(total, settings.STORE_CURRENCY)
            except money.MoneyInputError as error:
                raise forms.ValidationError(f"Your total cannot be paid online: {error}") from error
        cleaned["lines"] = lines
        return cleaned

    def _refuse_unexpected_fields(self) -> None:
        known = set(self.fields) | ALLOWED_EXTRA_FIELDS
        unexpected = sorted(set(self.data) - known)
        if not unexpected:
            return
        if any(name.startswith(QUANTITY_PREFIX) for name in unexpected):
            raise forms.ValidationError(
                "Some products in your basket are no longer available. "
                "The page now shows what you can buy; please check your quantities.",
                code="unavailable",
            )
        raise forms.ValidationError(
            "The form had fields the shop does not accept. Reload the page and try again.",
            code="unexpected",
        )
