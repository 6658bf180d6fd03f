"""What the bench serves the shop from: production settings, a throwaway database and cache.

Every value goes through environment variables, the way production configures
the shop, so the gunicorn processes and the bench's own process (which adds
the data and counts queries) read the same settings.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import environ
import psycopg2

BENCH_DATABASE = "store_bench"
POSTGRESQL = "django.db.backends.postgresql"
# Loopback addresses only; both apps are served there.
ALLOWED_HOSTS = "127.0.0.1,localhost"


@dataclass(frozen=True)
class ShopEnvironment:
    """The environment variables of the shop's processes, and what they point at, for the report."""

    variables: dict[str, str]
    database: str
    cache: str


@contextmanager
def shop_environment(workdir: Path, database: str = BENCH_DATABASE) -> Iterator[ShopEnvironment]:
    """Production settings over an empty database (dropped afterwards) and the configured cache.

    ``CACHE_URL`` is used when set; otherwise the project's default kind of cache
    (files shared by the workers) in ``workdir``, so the bench never reads a
    page or counter cached by another run.
    """
    configured_cache = os.environ.get("CACHE_URL", "")
    cache_url = configured_cache or f"filecache://{workdir / 'cache'}"
    with throwaway_database(workdir, database) as database_url:
        database = environ.Env.db_url_config(database_url)
        engine = "PostgreSQL" if database["ENGINE"] == POSTGRESQL else "SQLite"
        yield ShopEnvironment(
            variables=os.environ
            | {
                "DJANGO_SETTINGS_MODULE": "mysite.settings.production",
                "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
                "DJANGO_ALLOWED_HOSTS": ALLOWED_HOSTS,
                # Over loopback the bench plays the TLS proxy: it sends X-Forwarded-Proto: https.
                "DJANGO_SECURE_PROXY_SSL_HEADER": "true",
                "DATABASE_URL": database_url,
                "CACHE_URL": cache_url,
            },
            database=f"{engine} {database['NAME']}",
            # The scheme only: a CACHE_URL may carry a password.
            cache=f"{urlsplit(configured_cache).scheme} (CACHE_URL)"
            if configured_cache
            else "files in a temporary directory (the default kind)",
        )


@contextmanager
def throwaway_database(workdir: Path, name: str = BENCH_DATABASE) -> Iterator[str]:
    """``DATABASE_URL`` of a new, empty database, dropped afterwards.

    ``name`` (``store_bench``) on the PostgreSQL server that ``DATABASE_URL``
    names (left over from an interrupted run, it is replaced); otherwise an
    SQLite file in ``workdir``.
    """
    url = os.environ.get("DATABASE_URL", "")
    server = environ.Env.db_url_config(url) if url else {}
    if server.get("ENGINE") != POSTGRESQL:
        yield f"sqlite:///{workdir / 'bench.sqlite3'}"
        return
    _run_on_server(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _run_on_server(server, f'CREATE DATABASE "{name}"')
    try:
        yield urlsplit(url)._replace(path=f"/{name}").geturl()
    finally:
        # FORCE: connections the workers or this process still hold are closed, not waited for.
        _run_on_server(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _run_on_server(server: dict, statement: str) -> None:
    """Run ``statement`` in the maintenance database, outside a transaction as CREATE/DROP need."""
    connection = psycopg2.connect(
        dbname="postgres",
        user=server["USER"] or None,
        password=server["PASSWORD"] or None,
        host=server["HOST"] or None,
        port=server["PORT"] or None,
    )
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(statement)
    finally:
        connection.close()
