"""The "Order refunds" group: staff who may see orders and refund them."""

from importlib import import_module

from django.db import migrations

group_with_permissions = import_module(
    "store.migrations.0007_fulfilment_group"
).group_with_permissions

GROUP = "Order refunds"
PERMISSIONS = [
    ("wagtailadmin", "access_admin"),
    ("store", "view_order"),
    ("store", "refund_order"),
]


class Migration(migrations.Migration):
    dependencies = [("store", "0008_refunds")]

    operations = [migrations.RunPython(*group_with_permissions(GROUP, PERMISSIONS))]
