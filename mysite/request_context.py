"""The id of the request being served, on every log line written while serving it.

A proxy in front (nginx's ``$request_id``) names each request in ``X-Request-ID``,
so its access log and ours can be joined; the header is believed only behind
``TRUSTED_PROXY_COUNT`` proxies, and only when it looks like an id. Otherwise a
new id is made. Threads each serve one request, so a context variable holds it.
"""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar

from django.conf import settings
from django.http import HttpRequest

REQUEST_ID_HEADER = "X-Request-ID"
# Letters, digits and dashes only: an id never smuggles a newline or JSON into a log line.
_WELL_FORMED = re.compile(r"^[A-Za-z0-9-]{8,64}$")
# Outside any request (the worker, a management command): this marks the line as such.
NO_REQUEST = "-"

_request_id: ContextVar[str] = ContextVar("request_id", default=NO_REQUEST)


def current_request_id() -> str:
    return _request_id.get()


def begin(request: HttpRequest) -> str:
    """Name this request (the proxy's id, or a new one) for the log lines written now."""
    given = request.headers.get(REQUEST_ID_HEADER, "")
    if settings.TRUSTED_PROXY_COUNT and _WELL_FORMED.match(given):
        request_id = given
    else:
        request_id = uuid.uuid4().hex
    _request_id.set(request_id)
    return request_id


def end() -> None:
    _request_id.set(NO_REQUEST)


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record, so formatters can always name it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = _request_id.get()
        return True
