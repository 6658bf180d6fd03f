"""What a shopper actually buys: one size/colour combination of a product, with its own stock."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from modelcluster.fields import ParentalKey
from wagtail.models import Orderable

from store import money

# A product names up to this many options (Size, Colour, ...); each variant gives a value for each.
MAX_OPTIONS = 3
# Between a product's name and its variant's: "T-Shirt — M / Blue".
NAME_SEPARATOR = " — "
VALUE_SEPARATOR = " / "


class ProductVariant(Orderable):
    """One option combination of a product (M / Blue), or a product's only variant.

    A product without options has exactly one variant with no values: it carries
    that product's stock. Stock moves only by explicit UPDATEs (a sale, an
    editor's change, see ``save``), never by saving a form or a revision.
    """

    product = ParentalKey("store.Product", on_delete=models.CASCADE, related_name="variants")
    sku = models.CharField(
        "SKU", max_length=64, blank=True, help_text="Your own code for this variant (optional)."
    )
    value_1 = models.CharField("option 1 value", max_length=50, blank=True)
    value_2 = models.CharField("option 2 value", max_length=50, blank=True)
    value_3 = models.CharField("option 3 value", max_length=50, blank=True)
    price = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="In minor units; empty: the product's price.",
    )
    # Units on hand; None means not counted (never sold out). Below zero only when Stripe
    # took money for units no longer held, and then the order is flagged.
    stock = models.IntegerField(null=True, blank=True)
    image = models.ForeignKey(
        "wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta(Orderable.Meta):
        verbose_name = "variant"

    def __str__(self) -> str:
        return self.display_name

    def save(self, *args, **kwargs):
        # Publishing a product saves its variants from the form or a revision, which may
        # predate a sale: an existing row keeps the stock it has now.
        exists = self.pk is not None and type(self).objects.filter(pk=self.pk).exists()
        if exists and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and field.name != "stock"
            ]
            self._state.adding = False
        super().save(*args, **kwargs)

    @property
    def values(self) -> list[str]:
        """The option values, one per option the product names."""
        return [self.value_1, self.value_2, self.value_3][: len(self.product.option_names)]

    @property
    def options(self) -> dict[str, str]:
        """{"Size": "M", "Colour": "Blue"}: what an order line keeps."""
        return dict(zip(self.product.option_names, self.values, strict=True))

    @property
    def name(self) -> str:
        """ "M / Blue"; empty for a product's only variant."""
        return VALUE_SEPARATOR.join(self.values)

    @property
    def display_name(self) -> str:
        """ "T-Shirt — M / Blue", or just "Cap" for a product without options."""
        return line_name(self.product.name, self.name)

    @property
    def unit_price(self) -> int:
        return self.product.price if self.price is None else self.price

    @property
    def display_price(self) -> str:
        return money.format_amount(self.unit_price, settings.STORE_CURRENCY)


def line_name(product_name: str, variant_name: str) -> str:
    return f"{product_name}{NAME_SEPARATOR}{variant_name}" if variant_name else product_name
