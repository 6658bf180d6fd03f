"""Timing admin pages in-process, with the plan PostgreSQL chose for each page's slowest query.

Import after ``django.setup()``.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

from django.db import connection, reset_queries
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench.scale.pages import Page
from bench.shop import BROWSER_HEADERS


@dataclass(frozen=True)
class PageTiming:
    label: str
    median_ms: float
    queries: int
    slowest_query_ms: float
    # EXPLAIN ANALYZE of the slowest query, one line per plan node.
    plan: list[str]


def staff_client() -> Client:
    """A superuser's browser (Django's test client, through the whole middleware stack)."""
    from django.contrib.auth import get_user_model

    user, _ = get_user_model().objects.get_or_create(
        username="bench", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client(headers=BROWSER_HEADERS)
    client.force_login(user)
    return client


def time_page(client: Client, page: Page, repeat: int) -> PageTiming:
    """The median of ``repeat`` requests, after one that records the queries (and warms up)."""
    reset_queries()  # the request resets the log too: start it empty, so the slice is right
    with CaptureQueriesContext(connection) as captured:
        _get(client, page)
    queries = list(captured.captured_queries)  # a view of the log, which the next request resets
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        _get(client, page)
        times.append((time.perf_counter() - started) * 1000)
    slowest = max(queries, key=lambda query: float(query["time"]))
    return PageTiming(
        label=page.label,
        median_ms=statistics.median(times),
        queries=len(queries),
        slowest_query_ms=float(slowest["time"]) * 1000,
        plan=explain(slowest["sql"]),
    )


def _get(client: Client, page: Page) -> None:
    response = client.get(page.path, page.params)
    if response.status_code != 200:
        raise AssertionError(f"{page.label}: {page.path} answered {response.status_code}")
    if response.streaming:
        b"".join(response.streaming_content)


def explain(sql: str) -> list[str]:
    """PostgreSQL's plan for ``sql`` as it ran (EXPLAIN ANALYZE), one line per node."""
    if not sql.lstrip().upper().startswith(("SELECT", "WITH")):
        return [sql[:120]]
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, COSTS OFF, TIMING ON) {sql}")
        return [row[0] for row in cursor.fetchall()]


def plan_summary(plan: list[str]) -> str:
    """The plan's nodes, outermost first, without their details: "Limit > Index Scan …"."""
    nodes = []
    for line in plan:
        text = line.strip().removeprefix("->").strip()
        if not text or line.startswith(" ") and "->" not in line:
            continue
        nodes.append(text.split("  (")[0])
    return " > ".join(nodes)
