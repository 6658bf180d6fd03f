"""``python -m bench``: run every measurement, print the tables, exit 1 if a goal is missed."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import django

from bench.environment import shop_environment
from bench.load import INSTALL_WRK, LoadSettings, wrk_installed
from bench.report import render
from stripe_simulator import StripeSimulator

# The bench starts 61 checkouts from one address within seconds; the shop's limits would refuse.
UNLIMITED_CHECKOUTS = "1000000/m"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["scale"]:
        from bench.scale.run import main as scale

        return scale(argv[1:])
    options = _parse_args(argv)
    if not wrk_installed():
        print(INSTALL_WRK, file=sys.stderr)
        return 2
    load = LoadSettings(
        threads=options.threads,
        connections=options.connections,
        seconds=options.seconds,
        warmup_seconds=options.warmup,
        keepalive=options.keepalive,
    )
    with (
        tempfile.TemporaryDirectory(prefix="store-bench-") as workdir,
        shop_environment(Path(workdir)) as environment,
        StripeSimulator() as simulator,
    ):
        # This process adds the data and checks out, with the served shop's settings plus
        # the offline Stripe; the gunicorn processes get environment.variables only.
        os.environ.update(
            environment.variables
            | {
                "STRIPE_SECRET_KEY": "sk_test_bench",
                "STRIPE_WEBHOOK_SECRET": "whsec_bench",
                "STRIPE_API_BASE": simulator.api_base,
                "STORE_CHECKOUT_RATE_PER_BROWSER": UNLIMITED_CHECKOUTS,
                "STORE_CHECKOUT_RATE_PER_IP": UNLIMITED_CHECKOUTS,
                # One INFO line per paid order would bury the progress lines.
                "STORE_LOG_LEVEL": "WARNING",
            }
        )
        django.setup()
        from bench.run import run_bench  # imports the shop's models: only after setup()

        results = run_bench(environment, simulator, load, Path(workdir), options.show_queries)
    print(render(results))
    return 1 if results.failures else 0


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="The shop page's throughput as a ratio to a bare Django view, its queries "
        "per request and the checkout's own time. Set DATABASE_URL=postgres://… to measure on "
        "PostgreSQL (in a throwaway store_bench database); CACHE_URL is used when set.",
    )
    parser.add_argument("--seconds", type=int, default=10, help="length of each measured run")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of load before each run")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (-t)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (-c)")
    parser.add_argument(
        "--keepalive",
        action="store_true",
        help="let wrk keep its connections open (the issue's method; noisier: see bench/load.py)",
    )
    parser.add_argument(
        "--show-queries", action="store_true", help="also print the SQL of the 3-product pages"
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(main())
