"""The two apps under load, each served by gunicorn with the shop's own ``gunicorn.conf.py``.

Only the WSGI app differs (a positional argument overrides the file's
``wsgi_app``), so both get the same workers, worker class, threads and logging.
The test suite's gunicorn servers (``tests/servers.py``) start the same way.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import requests

BASE_DIR = Path(__file__).resolve().parent.parent
SHOP_APP = "mysite.wsgi:application"
BARE_APP = "bench.bare.wsgi:application"
BARE_SETTINGS = "bench.bare.settings"
# Both apps redirect plain HTTP; over loopback the bench says what a TLS proxy would.
HTTPS_HEADERS = {"X-Forwarded-Proto": "https"}
START_TIMEOUT = 60  # seconds: each worker imports Django and Wagtail on a busy machine
STOP_TIMEOUT = 30  # gunicorn.conf.py's graceful_timeout


@contextmanager
def gunicorn(
    env: Mapping[str, str],
    log_path: Path,
    *,
    wsgi_app: str | None = None,
    ready_path: str = "/",
    port: int | None = None,
) -> Iterator[str]:
    """Serve ``wsgi_app`` (else the file's, the shop) on loopback (``port``, else a free one)
    until the block ends, once ``ready_path`` answers 200; yields the base URL."""
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    app = [wsgi_app] if wsgi_app else []
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", *app],
            cwd=BASE_DIR,
            env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}"},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_until_serving(process, url + ready_path, log_path)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_serving(process: subprocess.Popen, url: str, log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited:\n{_tail(log_path)}")
        try:
            if requests.get(url, headers=HTTPS_HEADERS, timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass  # not listening yet, or a worker still importing
        time.sleep(0.1)
    raise TimeoutError(
        f"gunicorn did not answer on {url} within {START_TIMEOUT} s:\n{_tail(log_path)}"
    )


def _tail(log_path: Path, lines: int = 30) -> str:
    return "\n".join(log_path.read_text(errors="replace").splitlines()[-lines:])
