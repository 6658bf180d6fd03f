"""A restore drill: back up the database and the photos, restore them elsewhere, compare.

A backup nobody has restored is a hope. This does what docs/OPERATIONS.md tells an
operator to do after an accident, on a scratch database: ``pg_dump`` the shop's
PostgreSQL in custom format, ``pg_restore`` it into ``<name>_restore_drill``, and
count the rows of every table of the shop in both. With photos in a bucket, it
copies the bucket into a backup bucket and checks that every image and rendition
the database names is there, at the same size.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2
from django.apps import apps
from django.core.files.storage import default_storage
from django.db import connection
from wagtail.images import get_image_model


@dataclass
class DrillReport:
    tables: dict[str, tuple[int, int | None]] = field(default_factory=dict)  # live, restored
    objects_copied: int = 0
    files_checked: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.problems


def run_drill(*, backup_bucket: str = "", keep: bool = False) -> DrillReport:
    """Restore the database into a scratch one; with ``backup_bucket``, copy the photos too.

    Run it when the shop is quiet: rows written during the dump differ by design.
    """
    if connection.vendor != "postgresql":
        raise RuntimeError("The restore drill needs PostgreSQL (pg_dump and pg_restore).")
    report = DrillReport()
    _restore_database(report, keep=keep)
    if backup_bucket:
        _copy_bucket(report, backup_bucket)
    return report


def _restore_database(report: DrillReport, *, keep: bool) -> None:
    config = connection.settings_dict
    scratch = f"{config['NAME']}_restore_drill"
    with connection.cursor() as cursor:
        live = _counts(cursor)
    client = _client_arguments(config)
    with tempfile.TemporaryDirectory() as directory:
        dump = str(Path(directory) / "shop.dump")
        _run(["pg_dump", *client, "--format=custom", "--file", dump, config["NAME"]], config)
        _run(["dropdb", *client, "--if-exists", scratch], config)
        _run(["createdb", *client, scratch], config)
        try:
            _run(
                ["pg_restore", *client, "--no-owner", "--exit-on-error", "-d", scratch, dump],
                config,
            )
            restored_connection = psycopg2.connect(**_psycopg_arguments(config, scratch))
            try:
                with restored_connection.cursor() as cursor:
                    restored = _counts(cursor)
            finally:
                restored_connection.close()
        finally:
            if not keep:
                _run(["dropdb", *client, "--if-exists", scratch], config)
    for table, count in live.items():
        report.tables[table] = (count, restored.get(table))
        if restored.get(table) != count:
            report.problems.append(f"{table}: {count} rows live, {restored.get(table)} restored")


def _counts(cursor) -> dict[str, int]:
    """Rows per table of every installed model; None-free: a missing table raises."""
    counts = {}
    for model in apps.get_models(include_auto_created=True):
        table = model._meta.db_table
        cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")
        counts[table] = cursor.fetchone()[0]
    return counts


def _client_arguments(config: dict) -> list[str]:
    arguments = ["--host", config["HOST"] or "localhost", "--port", str(config["PORT"] or 5432)]
    return arguments + (["--username", config["USER"]] if config["USER"] else [])


def _psycopg_arguments(config: dict, database: str) -> dict:
    return {
        "dbname": database,
        "host": config["HOST"] or "localhost",
        "port": config["PORT"] or 5432,
        "user": config["USER"] or None,
        "password": config["PASSWORD"] or None,
    }


def _run(command: list[str], config: dict) -> None:
    # The password goes in the environment, never on a command line others can read.
    environment = os.environ | ({"PGPASSWORD": config["PASSWORD"]} if config["PASSWORD"] else {})
    result = subprocess.run(command, env=environment, capture_output=True, text=True)
    if result.returncode:
        raise RuntimeError(f"{command[0]} failed: {result.stderr.strip()}")


def _copy_bucket(report: DrillReport, backup_bucket: str) -> None:
    """Copy every object of the media bucket into ``backup_bucket``, inside the S3 service."""
    bucket = default_storage.bucket  # django-storages' S3 storage: the media bucket
    backup = bucket.meta.client
    for item in bucket.objects.all():
        backup.copy_object(
            Bucket=backup_bucket, Key=item.key, CopySource={"Bucket": bucket.name, "Key": item.key}
        )
        report.objects_copied += 1
    copied = {
        item["Key"]: item["Size"]
        for page in backup.get_paginator("list_objects_v2").paginate(Bucket=backup_bucket)
        for item in page.get("Contents", [])
    }
    image_model = get_image_model()
    names = [*image_model.objects.values_list("file", flat=True)]
    names += image_model.get_rendition_model().objects.values_list("file", flat=True)
    for name in names:
        report.files_checked += 1
        key = default_storage._normalize_name(name)
        if key not in copied:
            report.problems.append(f"{name}: in the database, not in the backup bucket")
        elif copied[key] != bucket.Object(key).content_length:
            report.problems.append(f"{name}: not the same size in the backup bucket")
