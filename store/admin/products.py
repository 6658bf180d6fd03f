"""Products as Wagtail snippets: drafts, preview, publishing, ordering, price, stock, and how
GST classes them (HSN code and rate)."""

from __future__ import annotations

from wagtail.admin.panels import FieldPanel, FieldRowPanel, ObjectList
from wagtail.admin.ui.tables import Column, LiveStatusTagColumn, UpdatedAtColumn
from wagtail.snippets.views.snippets import SnippetViewSet

from store import stock
from store.admin.forms import ProductForm
from store.models import Product


class LastChangeColumn(UpdatedAtColumn):
    """Wagtail's "Updated" (from the change log), or the row's own time for seeded products."""

    def get_value(self, instance):
        return super().get_value(instance) or instance.updated_at


def tracked(product: Product, figure: str) -> int | str:
    """On hand, held by live checkouts, or left (below zero if oversold); a dash if untracked."""
    if product.stock is None:
        return "—"
    return {
        "stock": product.stock,
        "held": product.held_units,
        "left": product.stock - product.held_units,
    }[figure]


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
        return stock.with_held_units(Product.objects.all())

    edit_handler = ObjectList(
        [
            FieldPanel("name"),
            FieldPanel("slug"),
            FieldPanel("description"),
            FieldPanel("price"),
            FieldPanel("stock"),
            FieldRowPanel([FieldPanel("hsn_code"), FieldPanel("gst_rate")], heading="GST"),
            FieldPanel("image"),
        ],
        base_form_class=ProductForm,
    )
