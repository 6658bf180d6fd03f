"""What the shop forgets, and when: finished tasks, old Stripe events, expired sessions,
unpaid orders long ended, old exports. Paid orders are kept for ever.

Each kind is deleted in batches of BATCH_SIZE rows, each batch its own short
transaction, so a first run on years of history never holds long locks and
checkouts and webhooks go on around it. ``manage.py prune_old_data`` runs it
from the same scheduler as ``sync_orders`` (README, "Production processes").
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from store import exports
from store.models import Order, OrderExport, Refund, WebhookEvent, WorkerHeartbeat

logger = logging.getLogger(__name__)

BATCH_SIZE = 1000
# Orders that ended without payment; a paid order is never pruned, whatever its age.
UNPAID_ENDINGS = (Order.Status.EXPIRED, Order.Status.CANCELLED, Order.Status.FAILED)


@dataclass
class Pruned:
    counts: dict[str, int] = field(default_factory=dict)

    def __str__(self) -> str:
        return ", ".join(f"{count} {what}" for what, count in self.counts.items())


def days_ago(days: int) -> timezone.datetime:
    return timezone.now() - timedelta(days=days)


def finished_tasks() -> QuerySet:
    return DBTaskResult.objects.filter(
        status__in=[TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED],
        finished_at__lt=days_ago(settings.STORE_TASK_RETENTION_DAYS),
    )


def old_webhook_events() -> QuerySet:
    """Events older than the setting, except those about an order or refund still open
    (pending at Stripe): they may still explain what happens to it."""
    open_orders = Order.objects.filter(
        status=Order.Status.PENDING, stripe_session_id=OuterRef("object_id")
    )
    open_refunds = Refund.objects.filter(
        status__in=[Refund.Status.REQUESTED, Refund.Status.PENDING],
        stripe_refund_id=OuterRef("object_id"),
    )
    return (
        WebhookEvent.objects.filter(
            received_at__lt=days_ago(settings.STORE_WEBHOOK_EVENT_RETENTION_DAYS)
        )
        .exclude(Exists(open_orders))
        .exclude(Exists(open_refunds))
    )


def expired_sessions() -> QuerySet:
    return Session.objects.filter(expire_date__lt=timezone.now())


def old_unpaid_orders() -> QuerySet:
    """Orders that ended unpaid long ago, with nothing staff must still see: never paid,
    not flagged, no refund (money moved), with their lines and emails."""
    return Order.objects.filter(
        status__in=UNPAID_ENDINGS,
        paid_at__isnull=True,
        needs_attention=False,
        created_at__lt=days_ago(settings.STORE_UNPAID_ORDER_RETENTION_DAYS),
    ).exclude(Exists(Refund.objects.filter(order=OuterRef("pk"))))


def old_exports() -> QuerySet:
    return OrderExport.objects.filter(created_at__lt=days_ago(settings.STORE_EXPORT_RETENTION_DAYS))


def silent_workers() -> QuerySet:
    return WorkerHeartbeat.objects.filter(last_seen_at__lt=days_ago(7))


# What is pruned, in this order (tasks first: an order's emails point at none of them).
KINDS: dict[str, Callable[[], QuerySet]] = {
    "finished tasks": finished_tasks,
    "Stripe events": old_webhook_events,
    "expired sessions": expired_sessions,
    "unpaid orders": old_unpaid_orders,
    "exports": old_exports,
    "silent workers' heartbeats": silent_workers,
}


def prune(*, dry_run: bool = False) -> Pruned:
    """Delete everything past its time, a batch at a time; with ``dry_run``, only count."""
    pruned = Pruned()
    for what, rows in KINDS.items():
        pruned.counts[what] = rows().count() if dry_run else _delete_in_batches(rows)
    if not dry_run:
        logger.info("Pruned old data", extra={"pruned": pruned.counts})
    return pruned


def _delete_in_batches(rows: Callable[[], QuerySet]) -> int:
    deleted = 0
    model = rows().model
    while batch := list(rows().values_list("pk", flat=True)[:BATCH_SIZE]):
        with transaction.atomic():
            if model is OrderExport:
                _delete_export_files(batch)
            model.objects.filter(pk__in=batch).delete()
        deleted += len(batch)
    return deleted


def _delete_export_files(pks: list[int]) -> None:
    storage = exports.storage()
    for name in (
        OrderExport.objects.filter(pk__in=pks).exclude(file="").values_list("file", flat=True)
    ):
        storage.delete(name)
