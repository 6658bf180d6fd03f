"""``python -m bench scale``: the admin, exports, dashboard and sync_orders at 10,000 orders and N.

Each size gets a fresh load (bench/scale/data.py, plain SQL), then every admin
page is timed in-process (production settings, a superuser's session), each
with the plan of its slowest query, and the exports run in a process of their
own so their peak memory can be read. The table prints both sizes and the
ratio between them: a page whose cost grows with the orders shows there. Goals
(issue 21): every page under 300 ms at N, the CSV's first row within 1 s, an
export's process under 200 MB. Last, ``sync_orders`` (bench/scale/sync_probe.py)
runs against the offline Stripe, dry and for real. PostgreSQL only: its plans are the point.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import django
import environ

from bench.environment import POSTGRESQL, shop_environment
from bench.servers import BASE_DIR
from stripe_simulator import StripeSimulator

SMALL = 10_000
DEFAULT_ORDERS = 100_000


def main(argv: list[str]) -> int:
    options = _parse_args(argv)
    url = os.environ.get("DATABASE_URL", "")
    if not url or environ.Env.db_url_config(url)["ENGINE"] != POSTGRESQL:
        print(
            "The scale bench measures PostgreSQL's plans: set DATABASE_URL=postgres://… "
            "(it works in a throwaway database next to that one).",
            file=sys.stderr,
        )
        return 2
    database = environ.Env.db_url_config(url)["NAME"] + "_scale"
    with (
        tempfile.TemporaryDirectory(prefix="store-bench-scale-") as workdir,
        shop_environment(Path(workdir), database) as environment,
        StripeSimulator() as simulator,
    ):
        os.environ.update(
            environment.variables
            | {
                "STORE_LOG_LEVEL": "WARNING",
                # sync_orders asks the offline Stripe.
                "STRIPE_SECRET_KEY": "sk_test_bench",
                "STRIPE_WEBHOOK_SECRET": "whsec_bench",
                "STRIPE_API_BASE": simulator.api_base,
            }
        )
        django.setup()
        from bench.scale.report import render
        from bench.scale.sizes import measure_size, prepare

        prepare()
        sizes = sorted({min(SMALL, options.orders), options.orders})
        results = [
            measure_size(
                size,
                options.repeat,
                _export_probe,
                simulator,
                xlsx=not (options.skip_large_xlsx and size == sizes[-1] and len(sizes) > 1),
            )
            for size in sizes
        ]
        from django.db import connections

        connections.close_all()  # before the database is dropped
        report, failures = render(environment, results, full_plans=options.explain)
    print(f"Load average when done: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs.")
    print(report)
    return 1 if failures else 0


def _export_probe(kind: str) -> dict[str, float]:
    """One export (csv streamed, or xlsx built as the worker would) in a child process."""
    completed = subprocess.run(
        [sys.executable, "-m", "bench.scale.export_probe", kind],
        cwd=BASE_DIR,
        env=os.environ,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def _parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench scale",
        description="Admin pages, search, exports and the dashboard at 10,000 orders and at "
        "--orders, on PostgreSQL (DATABASE_URL's server, in a throwaway <name>_scale database).",
    )
    parser.add_argument(
        "--orders", type=int, default=DEFAULT_ORDERS, help="orders to load (1000000 for issue 21)"
    )
    parser.add_argument("--repeat", type=int, default=5, help="timed requests per page")
    parser.add_argument(
        "--explain", action="store_true", help="print each slowest query's whole plan"
    )
    parser.add_argument(
        "--skip-large-xlsx",
        action="store_true",
        help="build the XLSX of all orders at 10,000 only (at a million it takes tens of minutes)",
    )
    return parser.parse_args(argv)
