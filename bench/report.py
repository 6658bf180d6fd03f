"""The bench's results and the tables it prints."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

from bench.load import LoadResult

CHECKOUT_TARGET_MS = 5.0


@dataclass(frozen=True)
class LoadRow:
    """One measured run; shop runs carry their ratio to the bare runs around them and a goal."""

    label: str
    result: LoadResult
    ratio: float | None = None
    goal: float | None = None

    @property
    def missed_goal(self) -> bool:
        return self.goal is not None and (self.ratio or 0) < self.goal


@dataclass
class BenchResults:
    setup: list[str]
    load_rows: list[LoadRow] = field(default_factory=list)
    # products on sale -> (queries for a fresh visitor, for the shopper with many orders)
    queries: dict[int, tuple[int, int]] = field(default_factory=dict)
    query_orders: int = 0
    # The SQL of the first product count's pages, when asked for (--show-queries).
    sql: dict[str, list[str]] = field(default_factory=dict)
    checkout_shop_ms: list[float] = field(default_factory=list)
    checkout_total_ms: list[float] = field(default_factory=list)

    @property
    def failures(self) -> list[str]:
        """Why ``make bench`` fails: a throughput goal missed, or wrong answers under load."""
        failures = [
            f"{row.label}: ratio {row.ratio:.3f} is below the goal {row.goal}"
            for row in self.load_rows
            if row.missed_goal
        ]
        failures += [
            f"{row.label}: {row.result.bad_responses} responses were not 2xx/3xx"
            for row in self.load_rows
            if row.result.bad_responses
        ]
        return failures


def render(results: BenchResults) -> str:
    lines = [*results.setup, "", *_load_table(results.load_rows), ""]
    lines += _queries_table(results)
    lines += ["", *_checkout_lines(results)]
    for title, sql in results.sql.items():
        lines += ["", f"SQL of one shop page, {title}:", *(f"  {query}" for query in sql)]
    failures = results.failures
    lines += ["", "FAILED:" if failures else "All goals met.", *(f"  {f}" for f in failures)]
    return "\n".join(lines)


def _load_table(rows: list[LoadRow]) -> list[str]:
    header = f"{'run':<56}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}{'ratio':>8}  goal"
    lines = [header, "-" * len(header)]
    for row in rows:
        result = row.result
        errors = result.bad_responses + result.socket_errors
        line = (
            f"{row.label:<56}{result.requests_per_second:>9.1f}{result.p50_ms:>9.1f}"
            f"{result.p99_ms:>9.1f}{errors:>8}"
        )
        if row.goal is not None:
            verdict = "MISSED" if row.missed_goal else "met"
            line += f"{row.ratio:>8.3f}  >= {row.goal:.2f} {verdict}"
        lines.append(line)
    lines.append(
        "ratio = the shop's req/s / the mean req/s of the two bare runs just before and after it"
    )
    return lines


def _queries_table(results: BenchResults) -> list[str]:
    returning = f"shopper with {results.query_orders} paid orders"
    lines = [
        "Queries per shop page request (in-process, production settings, the visit after a first)",
        f"{'products':>8}  {'fresh visitor':>13}  {returning:>30}",
    ]
    for products, (fresh, with_orders) in results.queries.items():
        lines.append(f"{products:>8}  {fresh:>13}  {with_orders:>30}")
    return lines


def _checkout_lines(results: BenchResults) -> list[str]:
    shop, total = results.checkout_shop_ms, results.checkout_total_ms
    median = statistics.median(shop)
    verdict = "met" if median < CHECKOUT_TARGET_MS else "MISSED"
    return [
        "Checkout POST minus the Stripe round trip (in-process, offline Stripe simulator, "
        f"{len(shop)} checkouts of 3 lines)",
        f"  median {median:.1f} ms, p95 {_percentile(shop, 95):.1f} ms "
        f"(target < {CHECKOUT_TARGET_MS:.0f} ms: {verdict}, reported, not failing); "
        f"whole POST median {statistics.median(total):.1f} ms",
    ]


def _percentile(samples: list[float], percent: int) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[percent - 1]
