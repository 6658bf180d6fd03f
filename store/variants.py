"""Choosing a variant and a quantity on a product's own page (no JavaScript needed)."""

from __future__ import annotations

import uuid

from django import forms

from store import stock
from store.forms import OUT_OF_DATE, Availability, check_total, quantity_field
from store.models import Product, ProductVariant

# A variant whose units are all in live checkouts, in its option's label.
HELD_LABEL = "all in checkouts, back soon if unpaid"


def for_sale(product: Product) -> list[ProductVariant]:
    """The product's variants in editor order, each with the units live checkouts hold."""
    return stock.counted(product.variants.all())


class VariantSelect(forms.Select):
    """One option per variant ("M / Blue (only 2 left)"), sold-out ones shown but disabled."""

    def __init__(self, *args, availability: dict[str, Availability], **kwargs):
        super().__init__(*args, **kwargs)
        self.availability = availability

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        left = self.availability.get(str(value))
        if left and left.unavailable:
            option["attrs"]["disabled"] = True
            option["label"] = f"{label} ({'sold out' if left.sold_out else HELD_LABEL})"
        elif left and left.few_left:
            option["label"] = f"{label} (only {left.available} left)"
        return option


class ProductPageForm(forms.Form):
    """A variant of one product (a select, for a product with options) and its quantity.

    Posted to the product page; it starts the same checkout as the shop page's form.
    Only the variant's id and a quantity are read, never a price.
    """

    form_token = forms.UUIDField(
        widget=forms.HiddenInput, required=False, error_messages={"invalid": OUT_OF_DATE}
    )

    def __init__(self, *args, product: Product, variants: list[ProductVariant], **kwargs):
        super().__init__(*args, **kwargs)
        self.product = product
        self.variants = {str(variant.pk): variant for variant in variants}
        self.availability = {pk: Availability.of(variant) for pk, variant in self.variants.items()}
        if product.has_options:
            choosable = [pk for pk, left in self.availability.items() if not left.unavailable]
            self.fields["variant"] = forms.ChoiceField(
                label=" / ".join(product.option_names),
                choices=[(pk, variant.name) for pk, variant in self.variants.items()],
                initial=choosable[0] if choosable else None,
                widget=VariantSelect(availability=self.availability),
                error_messages={
                    "required": f"Choose a {' / '.join(product.option_names).lower()}.",
                    "invalid_choice": "That choice is no longer sold. Please choose again.",
                },
            )
        self.fields["quantity"] = forms.IntegerField(
            label="Quantity", min_value=1, initial=1, required=True
        )

    @property
    def only(self) -> ProductVariant | None:
        """The product's only variant, when there is nothing to choose."""
        return None if self.product.has_options else next(iter(self.variants.values()), None)

    @property
    def only_availability(self) -> Availability | None:
        return self.availability[str(self.only.pk)] if self.only else None

    @property
    def unavailable(self) -> bool:
        return all(left.unavailable for left in self.availability.values())

    @property
    def max_quantity(self) -> int:
        """The quantity input's max: what is left of the only variant, else the per-order cap
        (the chosen variant's stock is checked when the form is posted)."""
        left = self.only_availability
        return left.max_quantity if left else self.product.max_per_order

    def clean(self) -> dict:
        cleaned = super().clean()
        if not cleaned.get("form_token"):
            cleaned["form_token"] = uuid.uuid4()
        if not self.variants:  # published without a variant: nothing to sell
            raise forms.ValidationError("This product cannot be bought right now.")
        variant = self.only or self.variants.get(cleaned.get("variant", ""))
        quantity = cleaned.get("quantity")
        if variant is None or quantity is None:
            return cleaned
        # The shop page's rules for a quantity of this variant, and its messages.
        field = quantity_field(variant, self.availability[str(variant.pk)])
        try:
            field.clean(quantity)
        except forms.ValidationError as error:
            self.add_error("quantity", error)
            return cleaned
        check_total([(variant, quantity)])
        cleaned["lines"] = [(variant, quantity)]
        return cleaned
