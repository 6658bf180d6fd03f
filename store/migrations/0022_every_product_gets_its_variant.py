"""Every product gets the one variant a product without options has, carrying its stock;
existing order lines (and so the holds of pending orders) point at it. Nothing is lost:
going back puts each product's first variant's stock back on the product."""

from django.db import migrations


def give_each_product_its_variant(apps, schema_editor):
    Product = apps.get_model("store", "Product")
    ProductVariant = apps.get_model("store", "ProductVariant")
    OrderLine = apps.get_model("store", "OrderLine")
    for product in Product.objects.order_by("pk"):
        variant = ProductVariant.objects.create(product=product, stock=product.stock, sort_order=0)
        OrderLine.objects.filter(product=product).update(variant=variant)


def put_stock_back_on_products(apps, schema_editor):
    Product = apps.get_model("store", "Product")
    ProductVariant = apps.get_model("store", "ProductVariant")
    for product in Product.objects.order_by("pk"):
        first = ProductVariant.objects.filter(product=product).order_by("sort_order", "pk").first()
        Product.objects.filter(pk=product.pk).update(stock=first.stock if first else None)


class Migration(migrations.Migration):
    dependencies = [
        ("store", "0021_product_variants"),
    ]

    operations = [
        migrations.RunPython(give_each_product_its_variant, put_stock_back_on_products),
    ]
