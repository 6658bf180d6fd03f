"""What the shop sells: products as Wagtail snippets, prices in minor units, stock counts."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.core.validators import RegexValidator
from django.db import models
from wagtail.models import DraftStateMixin, PreviewableMixin, RevisionMixin

from store import money
from store.gst.tax import RATE_SLABS, GSTClass


class PublishedProductQuerySet(models.QuerySet):
    def published(self) -> PublishedProductQuerySet:
        """Live products in editor order, with their images and renditions prefetched."""
        return (
            self.filter(live=True)
            .select_related("image")
            .prefetch_related("image__renditions")
            .order_by("sort_order", "name")
        )


class Product(DraftStateMixin, RevisionMixin, PreviewableMixin, models.Model):
    """Something the shop sells.

    Saving a draft of a live product only writes a revision: the row keeps the
    published name and price, so the shop always reads from the row.
    """

    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(
        max_length=500, blank=True, help_text="One or two sentences shown under the name."
    )
    price = models.PositiveIntegerField(
        help_text="In the store currency's minor unit (paise for INR)."
    )
    # Units on hand; None means not tracked (never sold out). Can go below zero only when
    # Stripe took money for units no longer held, and then the order is flagged.
    stock = models.IntegerField(
        null=True,
        blank=True,
        help_text="Units on hand. Leave empty if you do not track stock for this product.",
    )
    # How GST sees it: the price above includes gst_rate %. A variant may carry its own
    # (store.gst.invoices.gst_class_of asks the line's variant before its product).
    hsn_code = models.CharField(
        "HSN code",
        max_length=8,
        blank=True,
        validators=[RegexValidator(r"^(\d{4}|\d{6}|\d{8})$", "An HSN code has 4, 6 or 8 digits.")],
        help_text="The goods' Harmonised System code (4, 6 or 8 digits), printed on invoices.",
    )
    gst_rate = models.PositiveSmallIntegerField(
        "GST rate (%)",
        choices=[(rate, f"{rate} %") for rate in RATE_SLABS],
        default=18,
        help_text="The price includes this rate of GST.",
    )
    image = models.ForeignKey(
        "wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sort_order = models.IntegerField(default=0, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    revisions = GenericRelation(
        "wagtailcore.Revision",
        content_type_field="base_content_type",
        object_id_field="object_id",
        related_query_name="product",
        for_concrete_model=False,
    )

    objects = PublishedProductQuerySet.as_manager()

    sort_order_field = "sort_order"

    class Meta:
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        # Stock moves only by explicit UPDATEs (a sale, an editor's adjustment): a form or
        # revision loaded before a sale must not put the sold units back when saved.
        if not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and field.name != "stock"
            ]
        super().save(*args, **kwargs)

    def with_content_json(self, content):
        """A revision's content, with today's stock: revisions never bring back old counts."""
        product = super().with_content_json(content)
        product.stock = self.stock
        return product

    @property
    def gst_class(self) -> GSTClass:
        return GSTClass(hsn_code=self.hsn_code, rate=self.gst_rate)

    @property
    def display_price(self) -> str:
        return money.format_amount(self.price, settings.STORE_CURRENCY)

    def get_preview_template(self, request, mode_name):
        return "store/product_preview.html"
