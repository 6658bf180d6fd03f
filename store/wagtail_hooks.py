"""Everything the Wagtail admin shows of the store: products (snippets)."""

from __future__ import annotations

from wagtail.admin.panels import FieldPanel, ObjectList
from wagtail.admin.ui.tables import Column, LiveStatusTagColumn, UpdatedAtColumn
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from store.admin_forms import ProductForm
from store.models import Product


class ProductViewSet(SnippetViewSet):
    model = Product
    icon = "tag"
    menu_label = "Products"
    menu_order = 200
    add_to_admin_menu = True
    list_display = [
        "name",
        Column("display_price", label="Price"),
        LiveStatusTagColumn(),
        UpdatedAtColumn(),
    ]
    list_filter = ["live"]
    # ORM search: rows created by migrations are found without `update_index`.
    search_fields = ["name", "slug"]
    search_backend_name = None
    ordering = ["sort_order", "name"]
    edit_handler = ObjectList(
        [
            FieldPanel("name"),
            FieldPanel("slug"),
            FieldPanel("description"),
            FieldPanel("price"),
            FieldPanel("image"),
        ],
        base_form_class=ProductForm,
    )


register_snippet(ProductViewSet)
