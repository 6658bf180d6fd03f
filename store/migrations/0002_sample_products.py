"""The three sample products, published, so a fresh shop has something to sell."""

from django.db import migrations
from django.utils import timezone

SAMPLE_PRODUCTS = [
    # slug, name, price in paise, description
    ("t-shirt", "T-Shirt", 50000, "Soft organic cotton, cut for every day."),
    ("shoes", "Shoes", 120000, "Light canvas trainers with a cushioned sole."),
    ("cap", "Cap", 30000, "A six-panel cap that keeps the sun off."),
]


def create_sample_products(apps, schema_editor):
    Product = apps.get_model("store", "Product")
    now = timezone.now()
    for sort_order, (slug, name, price, description) in enumerate(SAMPLE_PRODUCTS):
        Product.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "price": price,
                "description": description,
                "sort_order": sort_order,
                "live": True,
                "has_unpublished_changes": False,
                "first_published_at": now,
                "last_published_at": now,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("store", "0001_initial")]

    operations = [migrations.RunPython(create_sample_products, migrations.RunPython.noop)]
