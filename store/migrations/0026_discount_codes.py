"""Discount codes and the versions of their terms sent to Stripe; the "Discount codes" group."""

import uuid
from importlib import import_module

import django.core.validators
import django.db.models.deletion
import django.db.models.functions.text
import django.utils.timezone
from django.db import migrations, models

group_with_permissions = import_module(
    "store.migrations.0007_fulfilment_group"
).group_with_permissions

# Staff who run sales: they create and edit codes (never delete: orders refer to them).
GROUP = "Discount codes"
PERMISSIONS = [
    ("wagtailadmin", "access_admin"),
    ("store", "add_discountcode"),
    ("store", "change_discountcode"),
    ("store", "view_discountcode"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("store", "0025_shipping_and_discount_amounts"),
    ]

    operations = [
        migrations.CreateModel(
            name="DiscountCode",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "code",
                    models.CharField(
                        help_text="What shoppers type on the payment page. Shown in capitals; any case works.",
                        max_length=40,
                        validators=[
                            django.core.validators.RegexValidator(
                                "^[A-Za-z0-9]+$",
                                "Use only letters and digits (no spaces or dashes), e.g. DIWALI10.",
                            )
                        ],
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[("percent", "Percentage off"), ("fixed", "Fixed amount off")],
                        default="percent",
                        max_length=10,
                    ),
                ),
                (
                    "percent_off",
                    models.DecimalField(
                        blank=True,
                        decimal_places=2,
                        max_digits=5,
                        null=True,
                        verbose_name="percent off",
                    ),
                ),
                (
                    "amount_off",
                    models.PositiveIntegerField(
                        blank=True,
                        help_text="In the currency's minor unit.",
                        null=True,
                        verbose_name="amount off",
                    ),
                ),
                (
                    "minimum_subtotal",
                    models.PositiveIntegerField(
                        blank=True,
                        help_text="In the currency's minor unit; empty: any subtotal.",
                        null=True,
                    ),
                ),
                ("starts_at", models.DateTimeField(blank=True, null=True, verbose_name="starts")),
                ("ends_at", models.DateTimeField(blank=True, null=True, verbose_name="ends")),
                (
                    "max_uses",
                    models.PositiveIntegerField(
                        blank=True, null=True, verbose_name="uses in total"
                    ),
                ),
                (
                    "max_uses_per_email",
                    models.PositiveIntegerField(
                        blank=True, null=True, verbose_name="uses per customer email"
                    ),
                ),
                ("active", models.BooleanField(default=True)),
                (
                    "created_at",
                    models.DateTimeField(default=django.utils.timezone.now, editable=False),
                ),
                ("updated_at", models.DateTimeField(auto_now=True)),
            ],
            options={
                "ordering": ["code"],
                "constraints": [
                    models.UniqueConstraint(
                        django.db.models.functions.text.Lower("code"),
                        name="discount_code_unique_any_case",
                        violation_error_message="There is already a discount code with this code.",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="DiscountCodeTerms",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("public_id", models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ("code", models.CharField(max_length=40)),
                (
                    "kind",
                    models.CharField(
                        choices=[("percent", "Percentage off"), ("fixed", "Fixed amount off")],
                        max_length=10,
                    ),
                ),
                (
                    "percent_off",
                    models.DecimalField(blank=True, decimal_places=2, max_digits=5, null=True),
                ),
                ("amount_off", models.PositiveIntegerField(blank=True, null=True)),
                ("currency", models.CharField(max_length=3)),
                ("minimum_subtotal", models.PositiveIntegerField(blank=True, null=True)),
                ("ends_at", models.DateTimeField(blank=True, null=True)),
                ("max_uses", models.PositiveIntegerField(blank=True, null=True)),
                ("max_redemptions", models.PositiveIntegerField(blank=True, null=True)),
                (
                    "stripe_coupon_id",
                    models.CharField(blank=True, max_length=255, null=True, unique=True),
                ),
                (
                    "stripe_promotion_code_id",
                    models.CharField(blank=True, max_length=255, null=True, unique=True),
                ),
                ("active_at_stripe", models.BooleanField(default=False)),
                ("sync_error", models.CharField(blank=True, max_length=255)),
                ("stripe_attempt", models.PositiveIntegerField(default=0)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("retired_at", models.DateTimeField(blank=True, null=True)),
                (
                    "discount_code",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="versions",
                        to="store.discountcode",
                    ),
                ),
            ],
            options={
                "verbose_name_plural": "discount code terms",
                "ordering": ["created_at", "pk"],
            },
        ),
        migrations.RunPython(*group_with_permissions(GROUP, PERMISSIONS)),
    ]
