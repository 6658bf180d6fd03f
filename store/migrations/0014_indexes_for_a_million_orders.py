"""Indexes for years of trading: the admin's sorts, filters and search, the sales panel, and
retention. Built CONCURRENTLY on PostgreSQL, so checkouts and webhooks keep writing while a
big table is indexed (hence not atomic)."""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models

from store.migration_operations import AddIndexConcurrentlyOnPostgreSQL, TrigramIndexOnPostgreSQL


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("store", "0013_order_exports"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgreSQL(
            model_name="order",
            index=models.Index(fields=["status", "id"], name="store_order_status_sort"),
        ),
        AddIndexConcurrentlyOnPostgreSQL(
            model_name="order",
            index=models.Index(fields=["fulfilment", "id"], name="store_order_fulfilment_sort"),
        ),
        AddIndexConcurrentlyOnPostgreSQL(
            model_name="order",
            index=models.Index(fields=["amount_total", "id"], name="store_order_total_sort"),
        ),
        AddIndexConcurrentlyOnPostgreSQL(
            model_name="order",
            index=models.Index(
                fields=["stripe_payment_intent_id"], name="store_order_payment_intent"
            ),
        ),
        AddIndexConcurrentlyOnPostgreSQL(
            model_name="order",
            index=models.Index(
                condition=models.Q(("status", "paid")),
                fields=["paid_at"],
                name="store_order_paid_at_sales",
            ),
        ),
        AddIndexConcurrentlyOnPostgreSQL(
            model_name="webhookevent",
            index=models.Index(fields=["received_at", "id"], name="store_event_received"),
        ),
        AddIndexConcurrentlyOnPostgreSQL(
            model_name="webhookevent",
            index=models.Index(fields=["type", "received_at"], name="store_event_type_received"),
        ),
        AddIndexConcurrentlyOnPostgreSQL(
            model_name="webhookevent",
            index=models.Index(
                fields=["outcome", "received_at"], name="store_event_outcome_received"
            ),
        ),
        # Search: Django's icontains is UPPER(column::text) LIKE UPPER('%…%').
        TrigramExtension(),
        TrigramIndexOnPostgreSQL("store_order", "customer_email", "store_order_email_trgm"),
        TrigramIndexOnPostgreSQL("store_order", "customer_name", "store_order_name_trgm"),
        TrigramIndexOnPostgreSQL(
            "store_webhookevent", "error", "store_event_error_trgm", where="NOT (error = '')"
        ),
        # Retention deletes finished tasks by age (django-tasks-db has no such index).
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS store_finished_tasks ON "
            "django_tasks_database_dbtaskresult (finished_at) "
            "WHERE status IN ('SUCCESSFUL', 'FAILED')",
            "DROP INDEX IF EXISTS store_finished_tasks",
        ),
    ]
