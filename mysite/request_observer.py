"""Every request named, timed and counted: the request id, one log line, two metrics."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.urls import Resolver404, resolve

from mysite import request_context
from mysite.client_ip import client_ip
from mysite.metrics import HTTP_LATENCY, HTTP_REQUESTS

logger = logging.getLogger("mysite.requests")

# Anything else is counted as "other", so a client cannot add labels at will.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class RequestObserverMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        request_id = request_context.begin(request)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            seconds = time.perf_counter() - started
            view = view_name(request)
            method = request.method if request.method in KNOWN_METHODS else "other"
            HTTP_REQUESTS.labels(view=view, method=method, status=str(response.status_code)).inc()
            HTTP_LATENCY.labels(view=view).observe(seconds)
            logger.info(
                "request",
                extra={
                    "method": method,
                    "path": request.path,
                    "view": view,
                    "status": response.status_code,
                    "duration_ms": round(seconds * 1000, 1),
                    "client_ip": client_ip(request),
                },
            )
            response[request_context.REQUEST_ID_HEADER] = request_id
            return response
        finally:
            request_context.end()


def view_name(request: HttpRequest) -> str:
    """The URL pattern's view, also for answers given before URL resolution (static files,
    the shop page's shared rendering, redirects to HTTPS)."""
    match = request.resolver_match
    if match is not None:
        return match.view_name
    return _view_for_path(request.path_info)


@lru_cache(maxsize=512)
def _view_for_path(path: str) -> str:
    if path.startswith(settings.STATIC_URL):
        return "static"
    try:
        return resolve(path).view_name
    except Resolver404:
        return "unresolved"
