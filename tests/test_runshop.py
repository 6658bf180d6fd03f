"""`make run` (manage.py runshop) stops every process it started, on SIGTERM to its process
group and on Ctrl-C, and refuses a port something else already listens on (issue 21)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from bench.servers import BASE_DIR, free_port
from tests import servers
from tests.worker_processes import wait_for

pytestmark = [
    pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc (Linux)"),
    pytest.mark.django_db,  # the test database exists; the shop's processes use it
]


def descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (children, their children…), from /proc."""
    parents: dict[int, int] = {}
    for status in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = status.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(status.parent.name)] = int(fields[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier}
        found |= frontier
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def start_shop(tmp_path: Path, *args: str) -> subprocess.Popen:
    """`manage.py runshop` in a process group of its own, as `make run` in a terminal is, on
    the suite's (migrated) test database."""
    environment = os.environ | {
        "DJANGO_SETTINGS_MODULE": "mysite.settings.dev",
        "DATABASE_URL": servers.test_database_url(),
        "STRIPE_SECRET_KEY": "",
        "CACHE_URL": f"filecache://{tmp_path / 'cache'}",
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "runshop", *args],
        cwd=BASE_DIR,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def serving(port: int) -> bool:
    try:
        return requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200
    except requests.RequestException:
        return False


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_signal_to_the_group_leaves_no_process(tmp_path, signum):
    port, simulator_port = free_port(), free_port()
    shop = start_shop(tmp_path, f"127.0.0.1:{port}", "--simulator-port", str(simulator_port))
    try:
        wait_for(lambda: serving(port), 90, "the shop to serve")
        # runserver's autoreloader child, the worker and the simulator, with their own children.
        wait_for(lambda: len(descendants(shop.pid)) >= 4, 30, "every process to start")
        started = descendants(shop.pid)

        os.killpg(shop.pid, signum)  # what a terminal's Ctrl-C or a service manager sends

        shop.wait(timeout=30)
        wait_for(lambda: not any(alive(pid) for pid in started), 15, "every child to end")
    finally:
        for pid in descendants(shop.pid) | {shop.pid}:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    assert not serving(port)


def test_a_busy_port_is_reported_with_what_to_do(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        simulator_port = taken.getsockname()[1]
        shop = start_shop(
            tmp_path, f"127.0.0.1:{free_port()}", "--simulator-port", str(simulator_port)
        )
        output, _ = shop.communicate(timeout=60)
    text = output.decode()
    assert shop.returncode != 0
    assert f"Port {simulator_port} on 127.0.0.1, wanted for the Stripe simulator" in text
    assert "SIMULATOR_URL=" in text and "Pick another --port" not in text
    assert not descendants(shop.pid)
