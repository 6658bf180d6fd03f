from django.apps import AppConfig


class StoreConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "store"
    verbose_name = "Store"

    def ready(self):
        from store import (
            checks,  # noqa: F401 (registers the system checks)
            refund_restock,
            telemetry,  # noqa: F401 (counts and logs the store's signals)
        )
        from store.admin import lockout  # noqa: F401 (logs sign-in lockouts)
        from store.gst import tasks

        refund_restock.connect()
        tasks.connect()
