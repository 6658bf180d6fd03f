"""The shop's quantity form: one whole-number field per variant of each published product."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS
from django.forms.utils import ErrorDict, ErrorList

from store import money, shipping, stock
from store.models import Product, ProductVariant

MAX_QUANTITY = 10
# Stripe takes at most 100 line items in a payment-mode Checkout Session.
MAX_LINES = 100
QUANTITY_PREFIX = "quantity_"
# Posted by the browser besides the quantities; anything else is refused.
ALLOWED_EXTRA_FIELDS = {"csrfmiddlewaretoken", "form_token"}
OUT_OF_DATE = (
    "This page was out of date, so nothing was ordered. "
    "Check your quantities and press Checkout again."
)


def products_for_sale() -> list[Product]:
    """The published products with their variants, each variant with the units live
    checkouts hold (``stock.available``). A product without variants cannot be bought."""
    products = [product for product in Product.objects.published() if product.variants.all()]
    stock.counted(variant for product in products for variant in product.variants.all())
    return products


@dataclass(frozen=True)
class Availability:
    """What is left of one variant (None: not counted), as the pages show it."""

    available: int | None

    @property
    def sold_out(self) -> bool:
        return self.available == 0

    @property
    def few_left(self) -> bool:
        return self.available is not None and 0 < self.available <= stock.LOW_STOCK

    @property
    def max_quantity(self) -> int:
        return MAX_QUANTITY if self.available is None else min(MAX_QUANTITY, self.available)


@dataclass(frozen=True)
class VariantChoice(Availability):
    """One variant on the shop page, with its quantity field."""

    variant: ProductVariant
    field: forms.BoundField


@dataclass(frozen=True)
class ProductChoice:
    """One product on the shop page: its variants (one, for a product without options)."""

    product: Product
    variants: list[VariantChoice]

    @property
    def sold_out(self) -> bool:
        return all(choice.sold_out for choice in self.variants)

    @property
    def only(self) -> VariantChoice | None:
        """The product's only variant, when it has no options to choose from."""
        return None if self.product.has_options else self.variants[0]

    # The product card's "Sold out" / "Only N left" for a product without options.
    @property
    def few_left(self) -> bool:
        return self.only is not None and self.only.few_left

    @property
    def available(self) -> int | None:
        return self.only.available if self.only else None


def quantity_field(variant: ProductVariant, left: int | None) -> forms.IntegerField:
    """A quantity of ``variant`` from 0 to what is left (at most MAX_QUANTITY)."""
    name = variant.display_name
    too_many = f"You can buy at most {MAX_QUANTITY} of {name} at once."
    if left == 0:
        too_many = f"Sorry, {name} is sold out."
    elif left is not None and left < MAX_QUANTITY:
        too_many = f"Only {left} {name} left: choose at most {left}."
    return forms.IntegerField(
        label=name,
        min_value=0,
        max_value=MAX_QUANTITY if left is None else min(MAX_QUANTITY, left),
        initial=0,
        required=False,
        error_messages={
            "invalid": f"Enter a whole number of {name} from 0 to {MAX_QUANTITY}.",
            "min_value": f"The quantity of {name} cannot be negative.",
            "max_value": too_many,
        },
    )


def check_total(lines: list[tuple[ProductVariant, int]]) -> None:
    """Raise a ValidationError when Stripe could not charge the basket's total with any of
    the shipping rates it would be offered (codes typed at Stripe are Stripe's to refuse)."""
    subtotal = sum(variant.unit_price * quantity for variant, quantity in lines)
    if lines:
        shipping_amounts = [rate.amount for rate in shipping.offer(subtotal)] or [0]
        try:
            for amount in {min(shipping_amounts), max(shipping_amounts)}:
                money.check_chargeable(subtotal + amount, settings.STORE_CURRENCY)
        except money.MoneyInputError as error:
            raise forms.ValidationError(f"Your total cannot be paid online: {error}") from error


class CheckoutForm(forms.Form):
    """Quantities for the variants of the published products, within what is left of each.

    ``form_token`` is minted for each page served (home.shop_page), so posting
    the same page's form twice (double click, resubmit) is recognisably one checkout.
    A post without one (a script, not the page) is simply a new checkout.
    Prices never come from the request: only quantities are read. What is left
    is checked here for a helpful message; the checkout itself holds the units.
    """

    form_token = forms.UUIDField(
        widget=forms.HiddenInput,
        required=False,
        error_messages={"invalid": OUT_OF_DATE},
    )

    def __init__(self, *args, products: Iterable[Product], **kwargs):
        super().__init__(*args, **kwargs)
        self.products = list(products)
        self.variants = [variant for product in self.products for variant in product.variants.all()]
        self.available = {variant.pk: stock.available(variant) for variant in self.variants}
        for variant in self.variants:
            self.fields[self.field_name(variant)] = quantity_field(
                variant, self.available[variant.pk]
            )

    @classmethod
    def from_basket(cls, items: dict[str, int], *, products: Iterable[Product]) -> CheckoutForm:
        """The form showing the basket's quantities (store.basket), as the shopper left them,
        but for variants sold out since: those show 0 and count for nothing.

        A key names a variant ("<product>/<variant>"), or a product sold one way ("<product>",
        as baskets kept before variants did): its one variant.
        """
        form = cls(products=products)
        only_variant = {
            str(product.pk): variants[0].pk
            for product in form.products
            if len(variants := list(product.variants.all())) == 1
        }
        for key, quantity in items.items():
            product_id, _, variant_id = key.partition("/")
            pk = int(variant_id) if variant_id.isdigit() else only_variant.get(product_id)
            field = f"{QUANTITY_PREFIX}{pk}"
            if field in form.fields and form.available[pk] != 0:
                form.initial[field] = quantity
        return form

    @classmethod
    def refused(
        cls, data: dict[str, str], errors: dict[str, list[str]], *, products: Iterable[Product]
    ) -> CheckoutForm:
        """The form as a checkout POST refused it (store.refused_checkout): the values as
        typed and the errors found then, without checking again. An error about a product
        no longer listed is shown for the whole form."""
        form = cls(data, products=products)
        shown = ErrorDict()
        for field, messages in errors.items():
            name = field if field in form.fields else NON_FIELD_ERRORS
            shown.setdefault(
                name, ErrorList(error_class="nonfield" if name == NON_FIELD_ERRORS else None)
            )
            shown[name].extend(messages)
        form._errors = shown  # Django's own cache of a validated form's errors
        return form

    def basket_total(self) -> int | None:
        """The total of the quantities shown, in minor units; None while one is not a number."""
        total = 0
        for variant in self.variants:
            value = self[self.field_name(variant)].value()
            if value in (None, ""):
                continue
            try:
                quantity = int(value)
            except (TypeError, ValueError):
                return None
            if quantity < 0:
                return None
            total += variant.unit_price * quantity
        return total

    @staticmethod
    def field_name(variant: ProductVariant) -> str:
        return f"{QUANTITY_PREFIX}{variant.pk}"

    def items(self) -> Iterator[ProductChoice]:
        """What the shop page lists, in shop order."""
        for product in self.products:
            yield ProductChoice(
                product,
                [
                    VariantChoice(
                        self.available[variant.pk], variant, self[self.field_name(variant)]
                    )
                    for variant in product.variants.all()
                ],
            )

    def clean(self) -> dict:
        cleaned = super().clean()
        self._refuse_unexpected_fields()
        if not cleaned.get("form_token"):
            cleaned["form_token"] = uuid.uuid4()
        lines = [(variant, cleaned.get(self.field_name(variant)) or 0) for variant in self.variants]
        lines = [(variant, quantity) for variant, quantity in lines if quantity > 0]
        if not self.errors and not lines:
            raise forms.ValidationError("Choose at least one product.", code="empty")
        if len(lines) > MAX_LINES:
            raise forms.ValidationError(
                f"A checkout can hold at most {MAX_LINES} different products. "
                "Please split your order in two.",
                code="too_many_lines",
            )
        check_total(lines)
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
