"""The background workers' heartbeats: how the shop knows a worker is alive, or died."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class WorkerHeartbeat(models.Model):
    """One ``db_worker`` process, as it last said it was alive (store.worker).

    A task RUNNING under a worker whose heartbeat is older than the lease was
    left by a dead worker and is taken again; /healthz and the dashboard show
    the newest heartbeat.
    """

    worker_id = models.CharField(max_length=64, unique=True)
    hostname = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-last_seen_at"]

    def __str__(self) -> str:
        return f"Worker {self.worker_id} on {self.hostname} (pid {self.pid})"
