"""Admin sign-in lockouts (django-axes): the page shown instead of the login, and the log.

A lock holds one (username, address) pair. The page says how long it lasts,
and ``Retry-After`` says so to machines; staff lift it under Settings → Locked
sign-ins (``store.admin.records``).
"""

from __future__ import annotations

import logging
import math

from axes.helpers import get_client_username
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

logger = logging.getLogger(__name__)


def locked_out(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """429 with a page that says why and for how long (``AXES_LOCKOUT_CALLABLE``)."""
    seconds = seconds_until_unlocked(
        get_client_username(request, credentials), request.axes_ip_address
    )
    response = render(
        request,
        "store/admin/locked_out.html",
        {
            "minutes_left": max(1, math.ceil(seconds / 60)),
            "failure_limit": settings.AXES_FAILURE_LIMIT,
        },
        status=429,
    )
    response["Retry-After"] = str(seconds)
    return response


def seconds_until_unlocked(username: str | None, address: str) -> int:
    """Until the pair's newest counted failure is older than the cool-off: then it is free.

    Failures during a lock are not counted (``AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT``),
    so this does not move while the lock holds.
    """
    cooloff = settings.AXES_COOLOFF_TIME
    newest = (
        AccessAttempt.objects.filter(username=username, ip_address=address)
        .order_by("-attempt_time")
        .values_list("attempt_time", flat=True)
        .first()
    )
    if newest is None:
        return int(cooloff.total_seconds())
    left = (newest + cooloff - timezone.now()).total_seconds()
    return max(1, math.ceil(left))


@receiver(user_locked_out)
def log_lockout(sender, request: HttpRequest, username: str | None, ip_address: str, **kwargs):
    """A warning when a lock starts; each refused attempt during it only at debug level.

    django-axes sends this signal for both; only the first counts failures on the request.
    """
    fields = {"username": username, "client_address": ip_address}
    if getattr(request, "axes_failures_since_start", None) is None:
        logger.debug("Sign-in refused: locked out", extra=fields)
        return
    logger.warning(
        "Sign-in locked after %s failures",
        request.axes_failures_since_start,
        extra=fields | {"locked_seconds": int(settings.AXES_COOLOFF_TIME.total_seconds())},
    )
