"""The simulator is its own package: no Django or shop inside, runs alone, cites its data."""

from __future__ import annotations

import json
import pkgutil
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from django.core.management import get_commands

import stripe_simulator
from tests.simulator_support import browse

PACKAGE_DIR = Path(stripe_simulator.__file__).parent
MODULES = sorted(
    f"stripe_simulator.{module.name}"
    for module in pkgutil.iter_modules([str(PACKAGE_DIR)])
    if module.name != "management"
)


def test_row4_no_module_imports_django_or_the_shop():
    # A fresh interpreter: this one has Django and the shop loaded already.
    probe = (
        f"import importlib, sys\nfor name in {MODULES!r}: importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('django', 'store')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=30
    )
    assert "stripe_simulator.rules" in MODULES and "stripe_simulator.__main__" in MODULES
    assert result.stdout.strip() == "[]"


def test_row4_the_currency_data_names_its_source():
    data = json.loads((PACKAGE_DIR / "currencies.json").read_text(encoding="utf-8"))
    assert data["source"]["url"] == "https://docs.stripe.com/currencies"
    assert data["minimum_charge"]["inr"] == 50 and data["minimum_charge"]["huf"] == 17500
    assert "jpy" in data["zero_decimal_currencies"]


def test_python_m_stripe_simulator_serves_until_sigterm():
    server = subprocess.Popen(
        [sys.executable, "-m", "stripe_simulator", "--port", "0", "--delayed-payment-seconds", "5"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        api_base = re.search(r"http://127\.0\.0\.1:\d+", server.stdout.readline())[0]
        status, _, html = browse(f"{api_base}/pay/cs_test_missing")
    finally:
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=10)
    assert (status, "Checkout session not found" in html) == (404, True)
    assert server.returncode == 0
    assert output.strip().endswith("Stripe simulator stopped.")


def test_manage_py_has_the_command_from_the_simulator_app():
    assert get_commands()["stripe_simulator"] == "stripe_simulator"


def test_a_burst_of_connections_is_taken_at_once(sim):
    """Forty clients connecting at the same instant (racing checkouts) wait for no retry.

    A listen backlog of socketserver's default 5 drops the rest; the kernel then
    retries them after 1 s and 3 s, past the test settings' Stripe timeout.
    """
    count = 40
    start = threading.Barrier(count)
    connect_seconds: list[float] = []
    connections: list[socket.socket] = []

    def connect() -> None:
        start.wait()
        began = time.perf_counter()
        connections.append(socket.create_connection(("127.0.0.1", sim.port), timeout=10))
        connect_seconds.append(time.perf_counter() - began)

    threads = [threading.Thread(target=connect) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    for client in connections:
        client.close()

    assert len(connect_seconds) == count
    assert max(connect_seconds) < 0.9  # a dropped connection's first retry comes after 1 s
