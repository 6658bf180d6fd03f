"""The sample products' HSN codes and GST rates, for a shop that registers for GST."""

from django.db import migrations

SAMPLE_GST = {
    # slug: (HSN code, GST rate %)
    "t-shirt": ("6109", 5),  # T-shirts, knitted
    "shoes": ("6404", 18),  # footwear with textile uppers
    "cap": ("6505", 12),  # hats, knitted
}


def classify_sample_products(apps, schema_editor):
    Product = apps.get_model("store", "Product")
    for slug, (hsn_code, rate) in SAMPLE_GST.items():
        Product.objects.filter(slug=slug, hsn_code="").update(hsn_code=hsn_code, gst_rate=rate)


class Migration(migrations.Migration):
    dependencies = [("store", "0010_gst_invoices_credit_notes")]

    operations = [migrations.RunPython(classify_sample_products, migrations.RunPython.noop)]
