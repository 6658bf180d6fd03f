"""Prometheus metrics: each process counts, ``/metrics`` adds the counts up.

Under gunicorn every worker is a process with counters of its own. In
prometheus-client's multiprocess mode each process writes its counts to files in
``PROMETHEUS_MULTIPROC_DIR`` (``gunicorn.conf.py`` sets one up), and a scrape, in
whichever worker it lands, reads the files of every process: the numbers are the
same whichever worker answers. A process that has ended (a recycled worker, a
finished ``sync_orders``) has its counts moved into one archive file, so they
still count, and the directory does not grow by a file per process forever.

What is true of the shop as a whole (queue depth, orders needing attention) is
read from the database at scrape time instead (``store.state_metrics``).
"""

from __future__ import annotations

import fcntl
import glob
import hmac
import os
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.mmap_dict import MmapedDict
from prometheus_client.multiprocess import MultiProcessCollector

MULTIPROCESS_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
# Counters and histograms add up across processes; this process writes no other kind.
SUMMED_KINDS = ("counter", "histogram")
ARCHIVE = "ended"

HTTP_REQUESTS = Counter(
    "http_requests_total",
    "Requests answered, by view, method and status.",
    ["view", "method", "status"],
)
HTTP_LATENCY = Histogram(
    "http_request_duration_seconds", "Time to answer a request, by view.", ["view"]
)


def multiprocess_dir() -> str:
    return os.environ.get(MULTIPROCESS_DIR_VARIABLE, "")


@never_cache
def metrics_view(request: HttpRequest) -> HttpResponse:
    """The metrics, for a scraper with ``Authorization: Bearer <STORE_METRICS_TOKEN>``."""
    token = settings.METRICS_TOKEN
    if not token:
        raise Http404("Metrics are off: STORE_METRICS_TOKEN is not set")
    given = request.headers.get("Authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        response = HttpResponse(
            "A bearer token is required.\n", status=401, content_type="text/plain"
        )
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)


def exposition() -> bytes:
    """Every process's counts on this machine, then the shop's state from the database."""
    # Imported here: gunicorn's master imports this module (child_exit) without Django set up.
    from store.state_metrics import state_registry

    directory = multiprocess_dir()
    if directory:
        archive_ended_processes(directory)
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=directory)
        # Not while an ended process's counts are being moved: they would count twice.
        with _locked(directory, fcntl.LOCK_SH):
            processes = generate_latest(registry)
    else:
        processes = generate_latest(REGISTRY)
    return processes + generate_latest(state_registry())


def archive_ended_processes(directory: str) -> int:
    """Move the counts of processes that have ended into the archive files; how many moved."""
    moved = 0
    with _locked(directory, fcntl.LOCK_EX):
        for path in sorted(glob.glob(os.path.join(directory, "*.db"))):
            kind, _, owner = os.path.basename(path).removesuffix(".db").partition("_")
            if kind not in SUMMED_KINDS or not owner.isdigit() or _alive(int(owner)):
                continue
            archive = MmapedDict(os.path.join(directory, f"{kind}_{ARCHIVE}.db"))
            try:
                for key, value, timestamp, _ in MmapedDict.read_all_values_from_file(path):
                    total, _ = archive.read_value(key)
                    archive.write_value(key, total + value, timestamp)
            finally:
                archive.close()
            os.unlink(path)
            moved += 1
    return moved


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    return True


@contextmanager
def _locked(directory: str, operation: int) -> Iterator[None]:
    with open(os.path.join(directory, ".lock"), "a") as lock:
        fcntl.flock(lock, operation)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
