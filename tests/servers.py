"""The shop served by gunicorn, as in production, for tests that need real worker processes.

The processes use ``gunicorn.conf.py`` (gthread workers) with the test
settings, and the test database the suite created, so a test marked
``django_db(transaction=True)`` sees what they write and vice versa.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis
from django.db import connection

from bench.servers import gunicorn

# Its own Redis database, so that parallel runs (TEST_REDIS_URL) do not flush each other's.
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def test_database_url() -> str:
    """DATABASE_URL for the database this test run set up (``test_…``)."""
    config = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{config['NAME']}"
    credentials = config["USER"] + (f":{config['PASSWORD']}" if config["PASSWORD"] else "")
    return f"postgres://{credentials}@{config['HOST']}:{config['PORT']}/{config['NAME']}"


@contextmanager
def gunicorn_shop(*, workers: int = 2, env: dict[str, str] | None = None) -> Iterator[str]:
    """Serve the shop with ``workers`` gunicorn processes; yields its base URL."""
    environment = os.environ | {
        "DJANGO_SETTINGS_MODULE": "mysite.settings.test",
        "DATABASE_URL": test_database_url(),
        "WEB_CONCURRENCY": str(workers),
        **(env or {}),
    }
    with (
        tempfile.TemporaryDirectory() as logs,
        gunicorn(environment, Path(logs) / "gunicorn.log", ready_path="/healthz") as base_url,
    ):
        yield base_url


def redis_missing_reason() -> str | None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.ConnectionError:
        return "no Redis at 127.0.0.1:6379 (CI machines run one)"
    return None
