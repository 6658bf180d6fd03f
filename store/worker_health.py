"""Is a background worker alive? Its newest heartbeat, for /healthz and the dashboard."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from store.models import WorkerHeartbeat


@dataclass(frozen=True)
class WorkerHealth:
    last_seen_at: datetime | None

    @property
    def seconds_since(self) -> float | None:
        if self.last_seen_at is None:
            return None
        return (timezone.now() - self.last_seen_at).total_seconds()

    @property
    def status(self) -> str:
        """ "ok", "late" (silent for longer than the lease: stopped, or cut off) or "none"."""
        if self.last_seen_at is None:
            return "none"
        return "ok" if self.seconds_since <= settings.STORE_WORKER_LEASE_SECONDS else "late"


def worker_health() -> WorkerHealth:
    newest = WorkerHeartbeat.objects.order_by("-last_seen_at").values_list(
        "last_seen_at", flat=True
    )
    return WorkerHealth(last_seen_at=newest.first())
