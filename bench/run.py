"""The measurements in order: orders through checkout, then for each product count the
shop page's queries and its load runs, each between two runs of the bare view.

Imported after ``django.setup()`` (``bench.shop`` uses the shop's models).
"""

from __future__ import annotations

import os
import runpy
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path

import requests
from django.db import connections

from bench import shop
from bench.environment import ShopEnvironment
from bench.load import LoadResult, LoadSettings, measure
from bench.report import BenchResults, LoadRow
from bench.servers import BARE_APP, BARE_SETTINGS, BASE_DIR, HTTPS_HEADERS, SHOP_APP, gunicorn
from stripe_simulator import StripeSimulator


@dataclass(frozen=True)
class Scenario:
    """One load run of the shop page; ``returning`` sends the cookies of a shopper with orders."""

    label: str
    products: int
    goal: float  # the least ratio to the bare view that is good enough
    returning: bool = False
    path: str = "/"  # the shop page, or a product's page


BARE_LABEL = "bare Django view"
RETURNING_ORDERS = 10
SCENARIOS = [
    Scenario("shop, 3 products, fresh visitors", products=3, goal=0.5),
    Scenario(
        f"shop, 3 products, returning shopper ({RETURNING_ORDERS} paid orders)",
        products=3,
        goal=0.25,
        returning=True,
    ),
    Scenario(
        "product page (T-Shirt), fresh visitors", products=3, goal=0.5, path=shop.PRODUCT_PAGE
    ),
    Scenario("shop, 50 products, fresh visitors", products=50, goal=0.5),
]
# Queries are counted at each of these product counts, for a fresh visitor and for a shopper
# with QUERY_ORDERS paid orders: a page whose queries grow with either shows here.
QUERY_PRODUCTS = (3, 50, 200)
QUERY_ORDERS = 50


def run_bench(
    environment: ShopEnvironment,
    simulator: StripeSimulator,
    load: LoadSettings,
    workdir: Path,
    show_queries: bool,
) -> BenchResults:
    """Every measurement of `make bench`, against the database and cache of ``environment``."""
    results = BenchResults(setup=_setup_lines(environment, load), query_orders=QUERY_ORDERS)
    served_env = environment.variables
    bare_env = served_env | {"DJANGO_SETTINGS_MODULE": BARE_SETTINGS}
    try:
        _progress("Migrating a new database and collecting static files")
        shop.prepare_shop()
        returning, many_orders = _buy_orders(simulator, results)
        with (
            gunicorn(bare_env, workdir / "bare.log", wsgi_app=BARE_APP) as bare_url,
            gunicorn(served_env, workdir / "shop.log", wsgi_app=SHOP_APP) as shop_url,
        ):
            bare = _measure_bare(bare_url, load)
            results.load_rows.append(LoadRow(BARE_LABEL, bare))
            for products in QUERY_PRODUCTS:
                shop.publish_products(products)
                _count_queries(products, many_orders, results, show_queries)
                for scenario in (s for s in SCENARIOS if s.products == products):
                    cookies = returning.cookies() if scenario.returning else {}
                    bare = _measure_scenario(
                        scenario, cookies, shop_url, bare_url, bare, load, results
                    )
    finally:
        connections.close_all()  # before the database is dropped
    return results


def _buy_orders(
    simulator: StripeSimulator, results: BenchResults
) -> tuple[shop.Shopper, shop.Shopper]:
    """Two shoppers with RETURNING_ORDERS and QUERY_ORDERS paid orders; every checkout timed."""
    _progress(f"Checking out and paying {RETURNING_ORDERS + QUERY_ORDERS} orders")
    shop.Shopper().checkout()  # warm-up, not counted: the first checkout pays for imports
    returning, many_orders = shop.Shopper(), shop.Shopper()
    timings = [returning.buy(simulator) for _ in range(RETURNING_ORDERS)]
    timings += [many_orders.buy(simulator) for _ in range(QUERY_ORDERS)]
    results.checkout_shop_ms = [timing.shop_seconds * 1000 for timing in timings]
    results.checkout_total_ms = [timing.total_seconds * 1000 for timing in timings]
    returning.visit()  # reads the last "payment received" message, as the browser would
    return returning, many_orders


def _count_queries(
    products: int, many_orders: shop.Shopper, results: BenchResults, show_queries: bool
) -> None:
    fresh_sql = shop.page_queries(shop.Shopper(), products=products, orders=0)
    many_sql = shop.page_queries(many_orders, products=products, orders=QUERY_ORDERS)
    results.queries[products] = (len(fresh_sql), len(many_sql))
    if show_queries and products == QUERY_PRODUCTS[0]:
        results.sql = {
            f"{products} products, fresh visitor": fresh_sql,
            f"{products} products, shopper with {QUERY_ORDERS} paid orders": many_sql,
        }


def _measure_scenario(
    scenario: Scenario,
    cookies: dict[str, str],
    shop_url: str,
    bare_url: str,
    bare_before: LoadResult,
    load: LoadSettings,
    results: BenchResults,
) -> LoadResult:
    """The shop page, then the bare view again; returns that bare run for the next scenario.

    The machine is noisy, so the ratio divides by the mean of the bare runs
    just before and just after the shop's run.
    """
    headers = HTTPS_HEADERS | _cookie_header(cookies)
    orders = RETURNING_ORDERS if scenario.returning else 0
    url = f"{shop_url}{scenario.path}"
    _check_served_page(url, headers, products=scenario.products, orders=orders)
    _progress(f"Measuring {scenario.label}")
    result = measure(url, headers, load)
    bare_after = _measure_bare(bare_url, load)
    yardstick = statistics.mean([bare_before.requests_per_second, bare_after.requests_per_second])
    results.load_rows += [
        LoadRow(scenario.label, result, result.requests_per_second / yardstick, scenario.goal),
        LoadRow(BARE_LABEL, bare_after),
    ]
    return bare_after


def _measure_bare(url: str, load: LoadSettings) -> LoadResult:
    _progress(f"Measuring the {BARE_LABEL}")
    return measure(url, HTTPS_HEADERS, load)


def _check_served_page(url: str, headers: dict[str, str], *, products: int, orders: int) -> None:
    """What wrk will load must be the right page, not a redirect, an error or a stale copy."""
    response = requests.get(url, headers=headers, allow_redirects=False, timeout=30)
    if response.status_code != 200:
        raise AssertionError(f"The served page {url} answered {response.status_code}, not 200")
    if url.endswith(shop.PRODUCT_PAGE):
        shop.check_product_page(response.text)
    else:
        shop.check_page(response.text, products=products, orders=orders)


def _cookie_header(cookies: dict[str, str]) -> dict[str, str]:
    if not cookies:
        return {}
    return {"Cookie": "; ".join(f"{name}={value}" for name, value in cookies.items())}


def _setup_lines(environment: ShopEnvironment, load: LoadSettings) -> list[str]:
    # gunicorn.conf.py itself, read in this environment, says what both apps run with.
    config = runpy.run_path(str(BASE_DIR / "gunicorn.conf.py"))
    return [
        f"Shop ({SHOP_APP}, production settings) and bare Django view ({BARE_APP}), "
        f"both served by gunicorn.conf.py: {config['workers']} {config['worker_class']} "
        f"workers x {config['threads']} threads, on {os.cpu_count()} CPUs.",
        f"Database: {environment.database}. Cache: {environment.cache}.",
        f"Load: wrk -t{load.threads} -c{load.connections}, {load.seconds} s per run after "
        f"{load.warmup_seconds} s of warm-up, "
        + ("keep-alive connections. " if load.keepalive else "a new connection per request. ")
        + "Fresh visitors send no cookies; every request says X-Forwarded-Proto: https.",
    ]


def _progress(message: str) -> None:
    print(f"... {message}", file=sys.stderr, flush=True)
