"""Order emails: written in the transaction of the change they report, sent by the worker.

:func:`queue` adds an ``OrderEmail`` row and enqueues :func:`send_order_email`
in the caller's transaction (django-tasks' database backend writes the task to
the same database), so a change and its email commit together or not at all,
and the unique (order, key) keeps it to one. The worker (``manage.py
db_worker``) sends it outside any request, and when the mail server refuses or
cannot be reached it tries again later, with growing pauses, until it is taken.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from store.gst import attachments
from store.models import Order, OrderEmail, Refund
from store.plain_text import header_safe
from store.signals import announce_after_commit, order_email_outcome

logger = logging.getLogger(__name__)

# Pauses between attempts double from STORE_EMAIL_RETRY_SECONDS up to this.
LONGEST_RETRY_PAUSE = timedelta(hours=1)


def queue(order: Order, kind: str, *, refund: Refund | None = None) -> OrderEmail | None:
    """Owe an email of ``kind`` about ``order`` (and ``refund``), once; None if nobody to tell.

    Call inside the transaction that made the change the email reports.
    """
    recipients = _recipients(order, kind)
    if not recipients:
        return None
    email, created = OrderEmail.objects.get_or_create(
        order=order,
        key=f"{kind}:{refund.pk}" if refund else kind,
        defaults={"kind": kind, "to": ", ".join(recipients), "refund": refund},
    )
    if created:
        send_order_email.enqueue(email.pk)
        announce_after_commit(order_email_outcome, email=email, outcome="queued")
    return email


def _recipients(order: Order, kind: str) -> list[str]:
    if kind == OrderEmail.Kind.NEW_ORDER:
        return list(settings.STORE_ORDER_NOTIFY_EMAILS)
    return [order.customer_email] if order.customer_email else []


@task()
def send_order_email(email_id: int) -> str:
    """Send one owed email; on a mail server failure, schedule the next try and fail loudly."""
    email = OrderEmail.objects.select_related("order", "refund").get(pk=email_id)
    if email.sent_at:
        return "already sent"
    try:
        message(email).send()
    except (smtplib.SMTPException, OSError) as error:
        _try_again_later(email, error)
        order_email_outcome.send(sender=None, email=email, outcome="failed")
        raise
    OrderEmail.objects.filter(pk=email.pk, sent_at__isnull=True).update(
        sent_at=timezone.now(), attempts=F("attempts") + 1, last_error=""
    )
    logger.info("Order email sent", extra={"order_id": email.order_id, "email_kind": email.kind})
    order_email_outcome.send(sender=None, email=email, outcome="sent")
    return "sent"


def _try_again_later(email: OrderEmail, error: Exception) -> None:
    pause = min(
        timedelta(seconds=settings.STORE_EMAIL_RETRY_SECONDS * 2**email.attempts),
        LONGEST_RETRY_PAUSE,
    )
    OrderEmail.objects.filter(pk=email.pk).update(
        attempts=F("attempts") + 1, last_error=f"{type(error).__name__}: {error}"[:2000]
    )
    send_order_email.using(run_after=timezone.now() + pause).enqueue(email.pk)
    logger.warning(
        "Order email not sent; trying again in %s",
        pause,
        extra={"order_id": email.order_id, "email_kind": email.kind, "error": str(error)},
    )


def message(email: OrderEmail) -> EmailMultiAlternatives:
    """The email as templates editors can read write it: plain text, and HTML beside it,
    and the tax invoice or credit note it carries (store.gst)."""
    order = email.order
    base_url = settings.WAGTAILADMIN_BASE_URL.rstrip("/")
    documents = attachments.for_email(email)
    context = {
        "attached": [name for name, _, _ in documents],
        "order": order,
        "refund": email.refund,
        "lines": list(order.lines.all()),
        "store_name": settings.WAGTAIL_SITE_NAME,
        "shop_url": f"{base_url}/",
        "admin_url": base_url + reverse("orders:inspect", args=[order.pk]),
    }
    template = f"store/emails/{email.kind}"
    mail = EmailMultiAlternatives(
        subject=header_safe(render_to_string(f"{template}_subject.txt", context)),
        body=render_to_string(f"{template}.txt", context),
        to=[header_safe(address) for address in email.recipients],
    )
    mail.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    for document in documents:
        mail.attach(*document)
    return mail
