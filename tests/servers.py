"""The shop served by gunicorn, as in production, for tests that need real worker processes.

The processes use ``gunicorn.conf.py`` (gthread workers) with the test
settings, and the test database the suite created, so a test marked
``django_db(transaction=True)`` sees what they write and vice versa.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis
import requests
from django.db import connection

BASE_DIR = Path(__file__).resolve().parent.parent
START_TIMEOUT = 60  # seconds; importing Django and Wagtail in each worker on a busy machine
REDIS_URL = "redis://127.0.0.1:6379/15"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


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
    port = free_port()
    environment = os.environ | {
        "DJANGO_SETTINGS_MODULE": "mysite.settings.test",
        "DATABASE_URL": test_database_url(),
        "WEB_CONCURRENCY": str(workers),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        **(env or {}),
    }
    base_url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn"],
            cwd=BASE_DIR,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_until_serving(process, base_url, log)
            yield base_url
        finally:
            process.terminate()
            process.wait(timeout=30)


def _wait_until_serving(process: subprocess.Popen, base_url: str, log) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"gunicorn exited:\n{log.read().decode(errors='replace')}")
        try:
            if requests.get(f"{base_url}/healthz", timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass  # not listening yet, or a worker still importing
        time.sleep(0.1)
    raise TimeoutError(f"gunicorn did not answer on {base_url} within {START_TIMEOUT} s")


def redis_missing_reason() -> str | None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.ConnectionError:
        return "no Redis at 127.0.0.1:6379 (CI machines run one)"
    return None
