"""Exports staff asked for that are too big to wait for: written by the worker, kept a while."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class OrderExport(models.Model):
    """One export of the orders listing (its filters, search and sort) into a file.

    The background worker writes it (``store.exports.build``), counting rows as
    it goes so the page can show progress; the file stays in the private
    ``exports`` storage until the retention command removes it.
    """

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "Excel (XLSX)"

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting for the worker"
        RUNNING = "running", "Being written"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    format = models.CharField(max_length=4, choices=Format.choices)
    # The listing's query string (filters, search, sort): the same orders, found again later.
    query = models.TextField(blank=True)
    description = models.CharField(max_length=255)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    total_rows = models.PositiveIntegerField(null=True, blank=True)
    rows_written = models.PositiveIntegerField(default=0)
    # The file's name in the exports storage, once written.
    file = models.CharField(max_length=255, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Orders export #{self.pk} ({self.get_format_display()})"

    @property
    def file_name(self) -> str:
        return f"orders-{self.pk}-{timezone.localtime(self.created_at):%Y%m%d-%H%M%S}.{self.format}"

    @property
    def percent_done(self) -> int:
        if not self.total_rows:
            return 100 if self.status == self.Status.READY else 0
        return min(100, self.rows_written * 100 // self.total_rows)
