"""Tax documents issued in the background, after the payment or refund they document.

``order_paid`` and ``refund_succeeded`` are sent once the change has
committed; their receivers only enqueue a task (django-tasks, in the database),
and the worker issues the document. The email that carries a document issues
it too if the worker has not yet (``store.gst.attachments``), and both end in
the same idempotent ``issue_*``.
"""

from __future__ import annotations

from django_tasks import task

from store.gst import documents
from store.models import Order, Refund
from store.signals import order_paid, refund_succeeded


@task()
def issue_invoice_for(order_id: int) -> str:
    invoice = documents.issue_invoice(Order.objects.get(pk=order_id))
    return invoice.number if invoice else "no invoice"


@task()
def issue_credit_note_for(refund_id: int) -> str:
    credit_note = documents.issue_credit_note(Refund.objects.get(pk=refund_id))
    return credit_note.number if credit_note else "no credit note"


def invoice_when_paid(sender, order: Order, **kwargs) -> None:
    if documents.registration() is not None:
        issue_invoice_for.enqueue(order.pk)


def credit_note_when_refunded(sender, refund: Refund, **kwargs) -> None:
    if documents.registration() is not None:
        issue_credit_note_for.enqueue(refund.pk)


def connect() -> None:
    """Called once, when the store app is ready."""
    order_paid.connect(invoice_when_paid, dispatch_uid="gst-invoice-when-paid")
    refund_succeeded.connect(credit_note_when_refunded, dispatch_uid="gst-credit-note")
