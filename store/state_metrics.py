"""Gauges read from the database at scrape time: true of the whole shop, whichever server
or process is asked, and right after a restart (no process has to have seen anything)."""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

from django.db.models import Min
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max
from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from store.models import Order


class StoreStateCollector(Collector):
    def collect(self) -> Iterator[GaugeMetricFamily]:
        due, oldest_age = _task_queue()
        yield GaugeMetricFamily(
            "store_task_queue_depth",
            "Background tasks (order emails) due to run and not started yet.",
            value=due,
        )
        yield GaugeMetricFamily(
            "store_task_queue_oldest_age_seconds",
            "How long the oldest due task has waited; 0 when none waits. Growing: no worker runs.",
            value=oldest_age,
        )
        yield GaugeMetricFamily(
            "store_orders_needing_attention",
            "Orders flagged for staff: a payment mismatch, paid late, oversold, a failed refund.",
            value=Order.objects.filter(needs_attention=True).count(),
        )


def _task_queue() -> tuple[int, float]:
    """(tasks due now, seconds the oldest has been due). Both read the queue's own index."""
    now = timezone.now()
    ready = DBTaskResult.objects.filter(status=TaskResultStatus.READY)
    # A task without run_after is stored with the largest date and is due from enqueueing.
    asap = ready.filter(run_after=get_date_max())
    scheduled = ready.filter(run_after__lte=now)
    due = asap.count() + scheduled.count()
    oldest = [
        moment
        for moment in (
            asap.aggregate(oldest=Min("enqueued_at"))["oldest"],
            scheduled.aggregate(oldest=Min("run_after"))["oldest"],
        )
        if moment is not None
    ]
    age = (now - min(oldest)).total_seconds() if oldest else 0.0
    return due, max(age, 0.0)


@lru_cache(maxsize=1)
def state_registry() -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StoreStateCollector())
    return registry
