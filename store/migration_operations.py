"""Migration operations for tables that are already big when the migration runs.

A plain CREATE INDEX on a million orders blocks every write (checkouts,
webhooks) until it ends; PostgreSQL can build an index CONCURRENTLY instead.
Trigram indexes exist only on PostgreSQL; elsewhere (SQLite) the search falls
back to scanning, which is fine at the sizes SQLite serves.
"""

from __future__ import annotations

from django.db.migrations import AddIndex
from django.db.migrations.operations.base import Operation


def _on_postgresql(schema_editor) -> bool:
    return schema_editor.connection.vendor == "postgresql"


class AddIndexConcurrentlyOnPostgreSQL(AddIndex):
    """AddIndex, built CONCURRENTLY on PostgreSQL (the migration must be ``atomic = False``)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        if _on_postgresql(schema_editor):
            schema_editor.add_index(model, self.index, concurrently=True)
        else:
            schema_editor.add_index(model, self.index)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        model = from_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        if _on_postgresql(schema_editor):
            schema_editor.remove_index(model, self.index, concurrently=True)
        else:
            schema_editor.remove_index(model, self.index)


class TrigramIndexOnPostgreSQL(Operation):
    """A GIN trigram index on UPPER(column), which Django's ``icontains`` can use, built
    CONCURRENTLY on PostgreSQL; nothing elsewhere. Needs the pg_trgm extension first."""

    reduces_to_sql = True
    reversible = True

    def __init__(self, table: str, column: str, name: str, where: str = ""):
        self.table, self.column, self.name, self.where = table, column, name, where

    def state_forwards(self, app_label, state):
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if _on_postgresql(schema_editor):
            quote = schema_editor.quote_name
            where = f" WHERE {self.where}" if self.where else ""
            schema_editor.execute(
                f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {quote(self.name)} ON "
                f"{quote(self.table)} USING gin (UPPER({quote(self.column)}::text) gin_trgm_ops)"
                + where
            )

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if _on_postgresql(schema_editor):
            schema_editor.execute(
                f"DROP INDEX CONCURRENTLY IF EXISTS {schema_editor.quote_name(self.name)}"
            )

    def describe(self):
        return f"Trigram index {self.name} on {self.table}.{self.column} (PostgreSQL only)"

    def deconstruct(self):
        kwargs = {"table": self.table, "column": self.column, "name": self.name}
        if self.where:
            kwargs["where"] = self.where
        return (self.__class__.__qualname__, [], kwargs)
