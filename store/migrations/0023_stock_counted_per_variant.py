"""Stock now lives on the variants (0022 moved it there)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("store", "0022_every_product_gets_its_variant"),
    ]

    operations = [
        migrations.RemoveField(
            model_name="product",
            name="stock",
        ),
    ]
