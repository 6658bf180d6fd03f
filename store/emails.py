"""Order emails: written in the transaction of the change they report, sent by the worker.

:func:`queue` adds an ``OrderEmail`` row and enqueues :func:`send_order_email`
in the caller's transaction (django-tasks' database backend writes the task to
the same database), so a change and its email commit together or not at all,
and the unique (order, key) keeps it to one. The worker (``manage.py
db_worker``) sends it outside any request, and when the mail server refuses or
cannot be reached it tries again later, with growing pauses, until it is taken.

Delivery is at least once. Sending is idempotent per ``OrderEmail`` as far as
SMTP allows: ``sent_at`` is checked before and written after each send, and
every attempt carries the email's one Message-ID. A worker killed after the
mail server took the message but before ``sent_at`` was written leaves its task
running; after the lease another worker sends it once more, with the same
Message-ID, so the customer can get one duplicate, recognisably the same email.
An address that is not exactly one mailbox is never sent to, and a permanent
refusal (5xx) stops after ``STORE_EMAIL_MAX_REFUSALS`` attempts; either way the
email is flagged on the order's page and the dashboard.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import timedelta
from email.utils import getaddresses, make_msgid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from store import order_links, tracking
from store.gst import attachments
from store.models import Dispute, Order, OrderEmail, Refund
from store.plain_text import header_safe
from store.signals import announce_after_commit, order_email_outcome

logger = logging.getLogger(__name__)

# Emails to the shop's staff (STORE_ORDER_NOTIFY_EMAILS); the others go to the customer.
STAFF_KINDS = (OrderEmail.Kind.NEW_ORDER, OrderEmail.Kind.DISPUTE)
# Pauses between attempts double from STORE_EMAIL_RETRY_SECONDS up to this.
LONGEST_RETRY_PAUSE = timedelta(hours=1)


def queue(
    order: Order,
    kind: str,
    *,
    refund: Refund | None = None,
    dispute: Dispute | None = None,
    key: str | None = None,
) -> OrderEmail | None:
    """Owe an email of ``kind`` about ``order`` (and ``refund`` or ``dispute``), once per
    ``key`` (by default the kind, or the kind and what it is about); None if nobody to tell.

    Call inside the transaction that made the change the email reports. An
    address that is not one mailbox (``a,b@evil.com``) is recorded, given up at
    once, and never sent to.
    """
    recipients = _recipients(order, kind)
    if not recipients:
        return None
    refused = [address for address in recipients if not is_one_mailbox(address)]
    defaults = {"kind": kind, "to": ", ".join(recipients), "refund": refund, "dispute": dispute}
    if refused:
        defaults |= {
            "gave_up_at": timezone.now(),
            "last_error": f"Not sent: not one email address: {', '.join(refused)}"[:2000],
        }
    about = refund or dispute
    email, created = OrderEmail.objects.get_or_create(
        order=order,
        key=key or (f"{kind}:{about.pk}" if about else kind),
        defaults=defaults,
    )
    if created and refused:
        logger.warning(
            "Order email not sent: an address is not one mailbox",
            extra={"order_id": order.pk, "email_kind": kind},
        )
    elif created:
        send_order_email.enqueue(email.pk)
        announce_after_commit(order_email_outcome, email=email, outcome="queued")
    return email


def is_one_mailbox(address: str) -> bool:
    """True for exactly one plain address (``asha@example.com``): no list, no display name,
    no control characters, nothing a mail server could read as two recipients."""
    if not address or any(ord(character) < 32 or character in ',;<>"()' for character in address):
        return False
    try:
        validate_email(address)
    except ValidationError:
        return False
    return getaddresses([address]) == [("", address)]


def _recipients(order: Order, kind: str) -> list[str]:
    if kind in STAFF_KINDS:
        return list(settings.STORE_ORDER_NOTIFY_EMAILS)
    # Invisible characters (a right-to-left override, say) are not part of anyone's address.
    address = header_safe(order.customer_email)
    return [address] if address else []


@task()
def send_order_email(email_id: int) -> str:
    """Send one owed email; on a mail server failure, schedule the next try and fail loudly,
    unless the server refused it for good often enough: then flag it and stop."""
    email = OrderEmail.objects.select_related("order", "refund", "dispute").get(pk=email_id)
    if email.sent_at:
        return "already sent"
    if email.gave_up_at:
        return "given up"
    if not all(is_one_mailbox(address) for address in email.recipients):
        _give_up(email, "Not sent: not one email address")
        return "given up"
    mail = message(email)
    mail.extra_headers["Message-ID"] = _message_id(email)
    try:
        mail.send()
    except (smtplib.SMTPException, OSError) as error:
        if _permanent(error) and email.attempts + 1 >= settings.STORE_EMAIL_MAX_REFUSALS:
            OrderEmail.objects.filter(pk=email.pk).update(attempts=F("attempts") + 1)
            _give_up(email, f"Refused for good by the mail server: {_describe(error)}")
            return "given up"
        _try_again_later(email, error)
        order_email_outcome.send(sender=None, email=email, outcome="failed")
        raise
    OrderEmail.objects.filter(pk=email.pk, sent_at__isnull=True).update(
        sent_at=timezone.now(), attempts=F("attempts") + 1, last_error=""
    )
    logger.info("Order email sent", extra={"order_id": email.order_id, "email_kind": email.kind})
    order_email_outcome.send(sender=None, email=email, outcome="sent")
    return "sent"


def _message_id(email: OrderEmail) -> str:
    """The email's Message-ID, made once and kept, so every attempt sends the same one."""
    if not email.message_id:
        domain = getaddresses([settings.DEFAULT_FROM_EMAIL])[0][1].rpartition("@")[2]
        OrderEmail.objects.filter(pk=email.pk, message_id="").update(
            message_id=make_msgid(idstring=f"order-{email.order_id}", domain=domain or None)
        )
        email.refresh_from_db(fields=["message_id"])
    return email.message_id


def _permanent(error: Exception) -> bool:
    """A 5xx answer: the server will not take this email, however often it is tried."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    return isinstance(error, smtplib.SMTPResponseException) and error.smtp_code >= 500


def _describe(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"[:2000]


def _give_up(email: OrderEmail, reason: str) -> None:
    OrderEmail.objects.filter(pk=email.pk, sent_at__isnull=True).update(
        gave_up_at=timezone.now(), last_error=reason[:2000]
    )
    logger.error(
        "Order email given up: %s",
        reason,
        extra={"order_id": email.order_id, "email_kind": email.kind},
    )


def _try_again_later(email: OrderEmail, error: Exception) -> None:
    pause = min(
        timedelta(seconds=settings.STORE_EMAIL_RETRY_SECONDS * 2**email.attempts),
        LONGEST_RETRY_PAUSE,
    )
    OrderEmail.objects.filter(pk=email.pk).update(
        attempts=F("attempts") + 1, last_error=_describe(error)
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
        "dispute": email.dispute,
        "lines": list(order.lines.all()),
        "store_name": settings.WAGTAIL_SITE_NAME,
        "shop_url": f"{base_url}/",
        "admin_url": base_url + reverse("orders:inspect", args=[order.pk]),
        # The customer's way back to this order from any device (store.order_links).
        "status_url": base_url + order_links.status_path(order),
        "tracking_url": tracking.tracking_url(order.carrier, order.tracking_number),
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
