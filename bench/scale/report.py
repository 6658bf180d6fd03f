"""The scale bench's table: each page at 10,000 orders and at N, the ratio, the plan."""

from __future__ import annotations

from bench.environment import ShopEnvironment
from bench.scale.measure import plan_summary
from bench.scale.sizes import SizeResult

PAGE_GOAL_MS = 300.0
FIRST_ROW_GOAL_S = 1.0
MEMORY_GOAL_MB = 200.0


def render(
    environment: ShopEnvironment, results: list[SizeResult], *, full_plans: bool
) -> tuple[str, list[str]]:
    """The report, and the goals missed at the largest size."""
    small, large = results[0], results[-1]
    lines = [
        f"Database: {environment.database}. Admin pages in-process (Django's test client, "
        "production settings, a superuser), median of the timed requests after one that "
        "warms up and records the queries.",
        *(_loaded(result) for result in results),
        "",
    ]
    failures: list[str] = []
    header = (
        f"{'page':<44}{small.orders:>9,}{large.orders:>11,}{'ratio':>7}{'queries':>8}"
        f"{'slowest q':>10}  plan of the slowest query at {large.orders:,}"
    )
    lines += [header, "-" * len(header)]
    for before, after in zip(small.pages, large.pages, strict=True):
        verdict = ""
        if after.median_ms >= PAGE_GOAL_MS:
            verdict = " MISSED"
            failures.append(f"{after.label}: {after.median_ms:.0f} ms at {large.orders:,}")
        lines.append(
            f"{after.label:<44}{before.median_ms:>7.0f}ms{after.median_ms:>9.0f}ms"
            f"{after.median_ms / before.median_ms:>7.2f}{after.queries:>8}"
            f"{after.slowest_query_ms:>8.1f}ms  {plan_summary(after.plan)}{verdict}"
        )
    lines += ["", f"Goal: every page under {PAGE_GOAL_MS:.0f} ms at {large.orders:,} orders.", ""]
    lines += _exports(results, failures)
    lines += ["", *_sync(results)]
    if full_plans:
        for page in large.pages:
            lines += ["", f"{page.label} ({page.slowest_query_ms:.1f} ms):", *page.plan]
    lines += ["", "FAILED:" if failures else "All goals met.", *(f"  {f}" for f in failures)]
    return "\n".join(lines), failures


def _loaded(result: SizeResult) -> str:
    loaded = result.loaded
    return (
        f"{result.orders:,} orders: {loaded.lines:,} lines, {loaded.events:,} Stripe events, "
        f"{loaded.refunds:,} refunds over three years, loaded in {result.load_seconds:.0f} s."
    )


def _exports(results: list[SizeResult], failures: list[str]) -> list[str]:
    lines = [
        "Exports of all orders, each in its own process (peak = its highest resident memory, "
        "Django and Wagtail included):",
        f"{'export':<34}{'orders':>11}{'first row':>11}{'total':>9}{'rows/s':>9}"
        f"{'before':>9}{'peak':>9}",
    ]
    for result in results:
        for label, probe in (
            ("CSV, streamed from the listing", result.csv),
            ("XLSX, written by the worker", result.xlsx),
        ):
            if probe is None:
                continue
            first = f"{probe['first_row_s']:.2f} s" if probe["first_row_s"] is not None else "—"
            lines.append(
                f"{label:<34}{result.orders:>11,}{first:>11}{probe['total_s']:>7.0f} s"
                f"{probe['rows'] / probe['total_s']:>9,.0f}{probe['baseline_mb']:>6.0f} MB"
                f"{probe['peak_mb']:>6.0f} MB"
            )
    large, small = results[-1], results[0]
    if large.csv["first_row_s"] >= FIRST_ROW_GOAL_S:
        failures.append(f"CSV first row after {large.csv['first_row_s']:.2f} s")
    growth = []
    for label, probe, before in (
        ("CSV", large.csv, small.csv),
        ("XLSX", large.xlsx, small.xlsx),
    ):
        if probe is None:
            continue
        grew = probe["peak_mb"] - probe["baseline_mb"]
        grew_small = before["peak_mb"] - before["baseline_mb"]
        growth.append(
            f"{label} +{grew:.0f} MB at {large.orders:,} (+{grew_small:.0f} MB at {small.orders:,})"
        )
        if grew >= MEMORY_GOAL_MB:
            failures.append(f"{label} export grew its process by {grew:.0f} MB")
    lines.append(
        "Memory the export itself took (peak - before): " + "; ".join(growth) + ". "
        f"Goals: first row within {FIRST_ROW_GOAL_S:.0f} s, under {MEMORY_GOAL_MB:.0f} MB."
    )
    return lines


def _sync(results: list[SizeResult]) -> list[str]:
    lines = [
        "sync_orders against the offline Stripe (in-process): the history's pending backlog "
        "expired without asking Stripe, the last days' orders asked one by one:",
        f"{'run':<10}{'orders':>11}{'time':>9}{'queries':>9}{'Stripe calls':>14}{'asked':>7}"
        f"{'expired unasked':>17}",
    ]
    for result in results:
        for run in result.sync:
            lines.append(
                f"{run.label:<10}{result.orders:>11,}{run.seconds:>7.2f} s{run.queries:>9}"
                f"{run.stripe_calls:>14}{run.asked:>7}{run.expired_unasked:>17,}"
            )
    return lines
