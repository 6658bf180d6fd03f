"""Orders keep subtotal, discount and shipping beside the total; shipping rates as a site setting.

Orders made before keep their total as their subtotal (nothing was discounted or shipped for
money). A fresh shop gets the sample rates: Standard ₹60 (3-5 business days), Express ₹150
(1-2 days), free from ₹999.
"""

import django.db.models.deletion
import modelcluster.fields
from django.db import migrations, models

# name, amount in paise, business days
SAMPLE_RATES = [("Standard", 6000, 3, 5), ("Express", 15000, 1, 2)]
SAMPLE_FREE_SHIPPING_THRESHOLD = 99900


def subtotal_is_the_total(apps, schema_editor):
    Order = apps.get_model("store", "Order")
    Order.objects.filter(amount_subtotal=0).update(amount_subtotal=models.F("amount_total"))


def create_sample_rates(apps, schema_editor):
    Site = apps.get_model("wagtailcore", "Site")
    ShippingSettings = apps.get_model("store", "ShippingSettings")
    ShippingRate = apps.get_model("store", "ShippingRate")
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        return
    shipping, created = ShippingSettings.objects.get_or_create(
        site=site, defaults={"free_shipping_threshold": SAMPLE_FREE_SHIPPING_THRESHOLD}
    )
    if not created:
        return
    for sort_order, (name, amount, low, high) in enumerate(SAMPLE_RATES):
        ShippingRate.objects.create(
            settings=shipping,
            sort_order=sort_order,
            name=name,
            amount=amount,
            min_business_days=low,
            max_business_days=high,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("store", "0023_stock_counted_per_variant"),
        ("wagtailcore", "0098_apitoken"),
        ("home", "0002_shop_home_page"),
    ]

    operations = [
        migrations.AddField(
            model_name="order",
            name="amount_discount",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="order",
            name="amount_shipping",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="order",
            name="amount_subtotal",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="order",
            name="discount_code",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddField(
            model_name="order",
            name="shipping_rate_name",
            field=models.CharField(blank=True, max_length=200, verbose_name="shipping"),
        ),
        migrations.AddField(
            model_name="order",
            name="shipping_rates_offered",
            field=models.JSONField(blank=True, default=list, editable=False),
        ),
        migrations.AddField(
            model_name="order",
            name="promotion_codes_allowed",
            field=models.BooleanField(default=False, editable=False),
        ),
        migrations.CreateModel(
            name="ShippingSettings",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "free_shipping_threshold",
                    models.PositiveIntegerField(
                        blank=True,
                        help_text="In minor units; empty: shipping is never free.",
                        null=True,
                    ),
                ),
                (
                    "site",
                    models.OneToOneField(
                        editable=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        to="wagtailcore.site",
                    ),
                ),
            ],
            options={
                "verbose_name": "shipping",
            },
        ),
        migrations.CreateModel(
            name="ShippingRate",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("sort_order", models.IntegerField(blank=True, editable=False, null=True)),
                ("name", models.CharField(max_length=100)),
                ("amount", models.PositiveIntegerField(help_text="In minor units.")),
                ("min_business_days", models.PositiveSmallIntegerField(blank=True, null=True)),
                ("max_business_days", models.PositiveSmallIntegerField(blank=True, null=True)),
                ("active", models.BooleanField(default=True, help_text="Offered to new orders.")),
                (
                    "settings",
                    modelcluster.fields.ParentalKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="rates",
                        to="store.shippingsettings",
                    ),
                ),
            ],
            options={
                "verbose_name": "shipping rate",
                "ordering": ["sort_order"],
                "abstract": False,
            },
        ),
        migrations.RunPython(subtotal_is_the_total, migrations.RunPython.noop),
        migrations.RunPython(create_sample_rates, migrations.RunPython.noop),
    ]
