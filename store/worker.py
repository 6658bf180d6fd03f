"""A task worker that keeps going: through database restarts, and after other workers die.

django-tasks-db's worker exits on the first database error, and a task it was
running when it was killed stays RUNNING for ever (it has no lease). This one,
which ``manage.py db_worker`` runs (store/management/commands/db_worker.py):

- waits and reconnects when the database goes away, with growing pauses, and
  puts back the task it was running if the database failed under it;
- says it is alive every ``STORE_WORKER_HEARTBEAT_SECONDS`` from a thread of its
  own (so a long export does not look like a dead worker);
- takes back tasks RUNNING under a worker whose heartbeat is older than
  ``STORE_WORKER_LEASE_SECONDS``, so they run again. That is at-least-once:
  a task must be safe to run twice (order emails are, store.emails).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from store.models import WorkerHeartbeat

logger = logging.getLogger(__name__)

# The database errors a restart or a network cut cause; anything else is a bug and stops.
CONNECTION_ERRORS = (OperationalError, InterfaceError)
LONGEST_PAUSE_SECONDS = 5.0


def lease() -> timedelta:
    return timedelta(seconds=settings.STORE_WORKER_LEASE_SECONDS)


def beat(worker_id: str) -> None:
    """Record that ``worker_id`` (this process) is alive now."""
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={
            "hostname": socket.gethostname(),
            "pid": os.getpid(),
            "last_seen_at": timezone.now(),
        },
    )


def reclaim_abandoned_tasks(now: datetime | None = None) -> int:
    """Put back to READY every task RUNNING for longer than the lease under a worker that has
    not said it is alive within the lease (it died, or lost the database for that long)."""
    now = now or timezone.now()
    cutoff = now - lease()
    alive = set(
        WorkerHeartbeat.objects.filter(last_seen_at__gte=cutoff).values_list("worker_id", flat=True)
    )
    running = DBTaskResult.objects.filter(
        status=TaskResultStatus.RUNNING, started_at__lt=cutoff
    ).only("id", "worker_ids", "started_at", "task_path")
    reclaimed = 0
    for task in running:
        if task.worker_ids and task.worker_ids[-1] in alive:
            continue  # a long task of a live worker
        # Only if nobody else reclaimed or restarted it meanwhile.
        reclaimed += DBTaskResult.objects.filter(
            pk=task.pk, status=TaskResultStatus.RUNNING, started_at=task.started_at
        ).update(status=TaskResultStatus.READY)
        logger.warning(
            "Took back a task left running by a worker that stopped answering",
            extra={"task_id": str(task.pk), "task_path": task.task_path},
        )
    return reclaimed


def put_back(task_id: str) -> None:
    """The database failed under a task this worker was running: let it be taken again."""
    DBTaskResult.objects.filter(pk=task_id, status=TaskResultStatus.RUNNING).update(
        status=TaskResultStatus.READY
    )


class Heartbeat(threading.Thread):
    """Beats and reclaims on its own thread and connection until stopped."""

    def __init__(self, worker_id: str):
        super().__init__(name=f"heartbeat-{worker_id}", daemon=True)
        self.worker_id = worker_id
        self.stopped = threading.Event()

    def run(self) -> None:
        while True:
            try:
                beat(self.worker_id)
                reclaim_abandoned_tasks()
            except CONNECTION_ERRORS as error:
                logger.warning(
                    "Worker heartbeat: the database is not answering",
                    extra={"worker_id": self.worker_id, "error": str(error)},
                )
                connection.close()
            if self.stopped.wait(settings.STORE_WORKER_HEARTBEAT_SECONDS):
                break
        connection.close()

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=settings.STORE_WORKER_HEARTBEAT_SECONDS + 5)


class ResilientWorker(Worker):
    """django-tasks-db's worker, kept alive across database outages, with a heartbeat."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.current_task_id: str | None = None

    def run(self) -> None:
        # A --batch run (tests, cron) ends when the queue is empty: it beats no heartbeat, so a
        # task of one that dies is still taken again after the lease.
        heartbeat = None if self.batch else Heartbeat(self.worker_id)
        if heartbeat:
            heartbeat.start()
        pause = self.interval or 0.5
        try:
            while self.running:
                try:
                    super().run()  # returns only in --batch or --max-tasks mode
                    return
                except CONNECTION_ERRORS as error:
                    logger.warning(
                        "The database went away; the worker waits for it",
                        extra={"worker_id": self.worker_id, "error": str(error)},
                    )
                    connection.close()
                    time.sleep(pause)
                    pause = min(pause * 2, LONGEST_PAUSE_SECONDS)
                    self._put_back_current_task()
        finally:
            if heartbeat:
                heartbeat.stop()

    def run_task(self, db_task_result: DBTaskResult) -> None:
        self.current_task_id = str(db_task_result.pk)
        super().run_task(db_task_result)
        self.current_task_id = None

    def _put_back_current_task(self) -> None:
        """After an outage: the task the failure interrupted runs again (once it can)."""
        if self.current_task_id is None:
            return
        try:
            put_back(self.current_task_id)
        except CONNECTION_ERRORS:
            connection.close()
            return  # still down: try again after the next pause
        logger.info("Put back the interrupted task", extra={"task_id": self.current_task_id})
        self.current_task_id = None
