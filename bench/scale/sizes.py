"""One size of the scale bench: load it, time every page, run the exports.

Import after ``django.setup()``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from bench.scale import data
from bench.scale.measure import PageTiming, staff_client, time_page
from bench.scale.pages import admin_pages
from bench.scale.sync_probe import SyncTiming, measure_sync
from bench.shop import prepare_shop
from stripe_simulator import StripeSimulator

ExportProbe = Callable[[str], dict[str, float]]


@dataclass(frozen=True)
class SizeResult:
    orders: int
    loaded: data.Loaded
    load_seconds: float
    pages: list[PageTiming]
    csv: dict[str, float]
    xlsx: dict[str, float] | None
    sync: list[SyncTiming]


def prepare() -> None:
    _progress("Migrating a new database and collecting static files")
    prepare_shop()


def measure_size(
    orders: int,
    repeat: int,
    export_probe: ExportProbe,
    simulator: StripeSimulator,
    *,
    xlsx: bool = True,
) -> SizeResult:
    _progress(f"Loading {orders:,} orders with SQL")
    started = time.perf_counter()
    loaded = data.load(orders)
    load_seconds = time.perf_counter() - started
    client = staff_client()
    pages = []
    for page in admin_pages():
        _progress(f"{orders:,} orders: {page.label}")
        pages.append(time_page(client, page, repeat))
    _progress(f"{orders:,} orders: CSV export of all orders (streamed)")
    csv = export_probe("csv")
    built = None
    if xlsx:
        _progress(f"{orders:,} orders: XLSX export of all orders (as the worker builds it)")
        built = export_probe("xlsx")
    # Last: the real run changes the orders the pages above were timed on.
    _progress(f"{orders:,} orders: sync_orders, a dry run and the real one")
    sync = measure_sync(simulator)
    return SizeResult(orders, loaded, load_seconds, pages, csv, built, sync)


def _progress(message: str) -> None:
    print(f"... {message}", file=sys.stderr, flush=True)
