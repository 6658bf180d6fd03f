"""``manage.py db_worker`` as its own process, as production runs it, for the worker tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.servers import BASE_DIR

# Quick beats and a short lease, so that a dead worker's task is taken again within seconds.
FAST_LEASE = {"STORE_WORKER_HEARTBEAT_SECONDS": "0.2", "STORE_WORKER_LEASE_SECONDS": "2"}


@contextmanager
def worker_process(database_url: str, email_port: int, **env: str) -> Iterator[subprocess.Popen]:
    """A worker on ``database_url`` sending mail to 127.0.0.1:``email_port``; stopped after."""
    environment = os.environ | {
        "DJANGO_SETTINGS_MODULE": "mysite.settings.test",
        "DATABASE_URL": database_url,
        "EMAIL_URL": f"smtp://127.0.0.1:{email_port}",
        **FAST_LEASE,
        **env,
    }
    with tempfile.TemporaryDirectory() as logs:
        log_path = Path(logs) / "worker.log"
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                [sys.executable, "manage.py", "db_worker", "--no-reload", "--interval", "0.1"],
                cwd=BASE_DIR,
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        process.log_path = log_path
        try:
            yield process
        finally:
            kill(process)


def kill(process: subprocess.Popen, signum: int = signal.SIGKILL) -> None:
    try:
        os.killpg(process.pid, signum)
    except ProcessLookupError:
        pass
    process.wait(timeout=30)


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"Still waiting for {what} after {timeout} s")
        time.sleep(0.05)
