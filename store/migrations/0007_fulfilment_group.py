"""The "Order fulfilment" group: staff who may see orders and mark them shipped or delivered."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Order fulfilment"
PERMISSIONS = [
    ("wagtailadmin", "access_admin"),
    ("store", "view_order"),
    ("store", "fulfil_order"),
]


def group_with_permissions(name: str, permissions: list[tuple[str, str]]):
    """A RunPython pair that creates the group ``name`` with ``permissions`` (and removes it)."""

    def create_group(apps, schema_editor):
        # Permissions are normally made after all migrations; this group needs them now.
        for app_config in apps.get_app_configs():
            app_config.models_module = True
            create_permissions(app_config, apps=apps, verbosity=0)
            app_config.models_module = None
        Group = apps.get_model("auth", "Group")
        Permission = apps.get_model("auth", "Permission")
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(
            *(
                Permission.objects.get(content_type__app_label=app, codename=codename)
                for app, codename in permissions
            )
        )

    def remove_group(apps, schema_editor):
        apps.get_model("auth", "Group").objects.filter(name=name).delete()

    return create_group, remove_group


class Migration(migrations.Migration):
    dependencies = [
        ("store", "0006_customer_fulfilment_emails"),
        ("wagtailadmin", "0001_create_admin_access_permissions"),
        # After Wagtail gives every admin group the right to choose documents.
        ("wagtaildocs", "0011_add_choose_permissions"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(*group_with_permissions(GROUP, PERMISSIONS))]
