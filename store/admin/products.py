"""Products as Wagtail snippets: drafts, preview, publishing, ordering, price, options and
variants with their stock, and how GST classes them (HSN code and rate)."""

from __future__ import annotations

from django.db.models import IntegerField, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    InlinePanel,
    MultiFieldPanel,
    ObjectList,
)
from wagtail.admin.ui.tables import Column, LiveStatusTagColumn, UpdatedAtColumn
from wagtail.snippets.views.snippets import SnippetViewSet

from store.admin.forms import ProductForm, VariantForm
from store.models import Order, OrderLine, Product


class LastChangeColumn(UpdatedAtColumn):
    """Wagtail's "Updated" (from the change log), or the row's own time for seeded products."""

    def get_value(self, instance):
        return super().get_value(instance) or instance.updated_at


def tracked(product: Product, figure: str) -> int | str:
    """On hand, held by live checkouts, or left (below zero if oversold), over the variants
    that count their stock; a dash if none does."""
    if product.on_hand is None:
        return "—"
    return {
        "stock": product.on_hand,
        "held": product.held_units,
        "left": product.on_hand - product.held_units,
    }[figure]


def with_stock_totals(products: QuerySet[Product]) -> QuerySet[Product]:
    """Annotate ``on_hand`` and ``held_units``: sums over the variants whose stock is counted."""
    held = (
        OrderLine.objects.filter(
            variant__product=OuterRef("pk"),
            variant__stock__isnull=False,
            order__in=Order.objects.holding(),
        )
        .values("variant__product")
        .annotate(total=Sum("quantity"))
        .values("total")
    )
    return products.annotate(
        on_hand=Sum("variants__stock"),
        held_units=Coalesce(Subquery(held, output_field=IntegerField()), 0),
    )


class VariantsPanel(InlinePanel):
    """The product's variants, each edited with ``VariantForm`` (prices typed, stock as deltas)."""

    def get_form_options(self):
        options = super().get_form_options()
        options["formsets"][self.relation_name]["form"] = VariantForm
        return options


class ProductViewSet(SnippetViewSet):
    model = Product
    icon = "tag"
    menu_label = "Products"
    menu_order = 200
    add_to_admin_menu = True
    list_display = [
        "name",
        Column("display_price", label="Price"),
        Column("stock", label="Stock", accessor=lambda product: tracked(product, "stock")),
        Column("held", label="Held", accessor=lambda product: tracked(product, "held")),
        Column("available", label="Available", accessor=lambda product: tracked(product, "left")),
        LiveStatusTagColumn(),
        LastChangeColumn(),
    ]
    list_filter = ["live"]
    # ORM search: rows created by migrations are found without `update_index`.
    search_fields = ["name", "slug"]
    search_backend_name = None
    ordering = ["sort_order", "name"]

    def get_queryset(self, request):
        # Held = units in live checkouts; available can go below zero when oversold.
        return with_stock_totals(Product.objects.all())

    edit_handler = ObjectList(
        [
            FieldPanel("name"),
            FieldPanel("slug"),
            FieldPanel("description"),
            FieldPanel("price"),
            FieldPanel("max_per_order"),
            FieldRowPanel([FieldPanel("hsn_code"), FieldPanel("gst_rate")], heading="GST"),
            FieldPanel("image"),
            FieldPanel("body"),
            MultiFieldPanel(
                [
                    FieldRowPanel(
                        [FieldPanel("option_1"), FieldPanel("option_2"), FieldPanel("option_3")]
                    )
                ],
                heading="Options",
                help_text="Leave empty for a product sold one way; it then has one variant.",
            ),
            VariantsPanel(
                "variants",
                heading="Variants",
                label="Variant",
                min_num=1,
                panels=[
                    FieldRowPanel(
                        [FieldPanel("value_1"), FieldPanel("value_2"), FieldPanel("value_3")]
                    ),
                    FieldRowPanel([FieldPanel("sku"), FieldPanel("price"), FieldPanel("stock")]),
                    FieldPanel("image"),
                ],
            ),
        ],
        base_form_class=ProductForm,
    )
