"""The tax document an order email carries: the invoice with the confirmation, the credit
note with a refund's notice. Issued here if the background task has not yet."""

from __future__ import annotations

import logging

from store.gst import documents, pdf
from store.models import OrderEmail

logger = logging.getLogger(__name__)

Attachment = tuple[str, bytes, str]


def for_email(email: OrderEmail) -> list[Attachment]:
    """(file name, PDF, media type) of the document ``email`` carries; none if it has none."""
    try:
        if email.kind == OrderEmail.Kind.CONFIRMATION:
            document = documents.issue_invoice(email.order)
        elif email.kind == OrderEmail.Kind.REFUND and email.refund:
            document = documents.issue_credit_note(email.refund)
        else:
            return []
        return [(pdf.filename(document), pdf.render(document), pdf.MEDIA_TYPE)] if document else []
    except Exception:
        # The customer's email must not wait on a document that cannot be made; it stays
        # downloadable from My Orders and the order's page once the fault is fixed.
        logger.exception(
            "Could not attach the tax document; sending the email without it",
            extra={"order_id": email.order_id, "email_kind": email.kind},
        )
        return []
