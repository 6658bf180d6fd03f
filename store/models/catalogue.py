"""What the shop sells: products as Wagtail snippets, prices in minor units, stock counts."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.text import slugify
from modelcluster.models import ClusterableModel
from wagtail.fields import RichTextField
from wagtail.models import DraftStateMixin, PreviewableMixin, RevisionMixin

from store import money
from store.gst.tax import RATE_SLABS, GSTClass
from store.models.variants import ProductVariant

# A quantity of one variant in one order: the default, and the most an editor may allow.
DEFAULT_MAX_PER_ORDER = 10
LARGEST_MAX_PER_ORDER = 999


class PublishedProductQuerySet(models.QuerySet):
    def published(self) -> PublishedProductQuerySet:
        """Live products in editor order, with their variants, images and renditions prefetched."""
        return (
            self.filter(live=True)
            .select_related("image")
            .prefetch_related("image__renditions", "variants")
            .order_by("sort_order", "name")
        )


class Product(DraftStateMixin, RevisionMixin, PreviewableMixin, ClusterableModel):
    """Something the shop sells, in one or more variants (``store.models.ProductVariant``).

    Saving a draft of a live product only writes a revision (its variants included):
    the rows keep the published name, prices and variants, so the shop always reads
    from the rows. Stock is counted per variant.
    """

    name = models.CharField(max_length=100)
    slug = models.SlugField(
        max_length=100,
        unique=True,
        blank=True,
        help_text="The product page's address, /products/<slug>/. Empty: made from the name.",
    )
    description = models.TextField(
        max_length=500, blank=True, help_text="One or two sentences shown under the name."
    )
    price = models.PositiveIntegerField(
        help_text="In the store currency's minor unit (paise for INR)."
    )
    # Per variant, not per product: a shopper may take 10 of M and 10 of L. What one browser
    # or address may hold across checkouts is capped separately (store.holding_limits).
    max_per_order = models.PositiveSmallIntegerField(
        "most per order",
        default=DEFAULT_MAX_PER_ORDER,
        validators=[MinValueValidator(1), MaxValueValidator(LARGEST_MAX_PER_ORDER)],
        help_text="The most units of one variant (one size, one colour) a shopper can put "
        "in one order.",
    )
    body = RichTextField(
        "product page text",
        blank=True,
        features=["h3", "bold", "italic", "ol", "ul", "link"],
        help_text="The longer description on the product's own page.",
    )
    # Up to three option names (Size, Colour); each variant gives a value for each named one.
    option_1 = models.CharField(max_length=30, blank=True, help_text="e.g. Size")
    option_2 = models.CharField(max_length=30, blank=True, help_text="e.g. Colour")
    option_3 = models.CharField(max_length=30, blank=True)
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
        if not self.slug:
            self.slug = unique_slug(self.name, exclude_pk=self.pk)
        super().save(*args, **kwargs)

    def with_content_json(self, content):
        """A revision's content, with today's stock: revisions never bring back old counts."""
        product = super().with_content_json(content)
        on_hand = dict(ProductVariant.objects.filter(product_id=self.pk).values_list("id", "stock"))
        for variant in product.variants.all():
            if variant.pk in on_hand:
                variant.stock = on_hand[variant.pk]
        return product

    @property
    def option_names(self) -> list[str]:
        """The options' names in order (the editor fills them from the first, without gaps)."""
        return [name for name in (self.option_1, self.option_2, self.option_3) if name]

    @property
    def has_options(self) -> bool:
        return any(self.option_names)

    @property
    def gst_class(self) -> GSTClass:
        return GSTClass(hsn_code=self.hsn_code, rate=self.gst_rate)

    @property
    def display_price(self) -> str:
        return money.format_amount(self.price, settings.STORE_CURRENCY)

    @property
    def preview_modes(self):
        return [("", "Product page"), ("card", "Shop card")]

    def get_preview_template(self, request, mode_name):
        return "store/product_preview.html" if mode_name == "card" else "store/product_page.html"

    def get_preview_context(self, request, mode_name):
        context = super().get_preview_context(request, mode_name)
        if mode_name == "card":
            return context
        from home.product_pages import preview_context  # the page's module imports this one

        return {**context, **preview_context(request, self)}


def unique_slug(name: str, *, exclude_pk: int | None = None) -> str:
    """ "t-shirt", or "t-shirt-2" when another product has it already."""
    base = slugify(name)[:90] or "product"
    taken = set(
        Product.objects.exclude(pk=exclude_pk)
        .filter(slug__startswith=base)
        .values_list("slug", flat=True)
    )
    slug, number = base, 2
    while slug in taken:
        slug, number = f"{base}-{number}", number + 1
    return slug
