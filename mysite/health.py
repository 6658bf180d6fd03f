"""Liveness probes for load balancers, `make run` and monitoring."""

from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from store.worker_health import worker_health


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database answers a query, 503 otherwise."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return JsonResponse({"status": "unavailable", "database": "down"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


@never_cache
@require_GET
def worker_healthz(request: HttpRequest) -> JsonResponse:
    """200 while a background worker says it is alive (a heartbeat within the lease), else 503.

    Apart from /healthz on purpose: a web server whose worker stopped still serves shoppers
    and must stay in the load balancer; this one is for whoever watches the worker.
    """
    try:
        worker = worker_health()
    except DatabaseError:
        return JsonResponse({"status": "unavailable", "database": "down"}, status=503)
    seconds = worker.seconds_since
    return JsonResponse(
        {
            "status": worker.status,
            "last_heartbeat_seconds_ago": None if seconds is None else round(seconds, 1),
        },
        status=200 if worker.status == "ok" else 503,
    )
