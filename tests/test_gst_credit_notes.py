"""Credit notes: one per refund of an invoiced order, in their own series, referring to the
invoice, the tax reversed in proportion; the tax invoice and each credit note travel as PDFs
with the confirmation and the refund's emails, through a real SMTP server."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from store.gst import documents
from store.models import CreditNote, Invoice, Refund
from tests.admin_pages import staff_client
from tests.gst_support import buy, paid_order, pdf_text, register_for_gst
from tests.mail_server import run_worker, text_and_html
from tests.test_refunds import refund

CUSTOMER = "asha@example.com"


def pdf_attachments(message: EmailMessage) -> dict[str, str]:
    """Each attached PDF's file name and text."""
    return {
        part.get_filename(): pdf_text(part.get_content())
        for part in message.iter_attachments()
        if part.get_content_type() == "application/pdf"
    }


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_invoice_then_a_credit_note_for_each_refund_travel_with_their_emails(
    client, stripe_sim, products, mail_server
):
    register_for_gst()
    t_shirt, cap = products[0], products[2]
    order = buy(client, stripe_sim, {t_shirt: 2, cap: 1})  # ₹1,300 to Karnataka
    run_worker()

    invoice = Invoice.objects.get(order=order)
    (confirmation,) = mail_server.to(CUSTOMER)
    text, html = text_and_html(confirmation)
    invoice_file = invoice.number.replace("/", "-") + ".pdf"
    assert f"Your tax invoice is attached ({invoice_file})" in text and invoice_file in html
    (attached,) = pdf_attachments(confirmation).values()
    assert invoice.number in attached and "One Thousand Three Hundred Rupees" in attached

    cashier = staff_client("cashier", "Order refunds")
    refund(cashier, order, amount="520", reason="requested_by_customer")  # 40 %
    run_worker()

    first = CreditNote.objects.get()
    assert first.invoice == invoice and first.refund == Refund.objects.get()
    assert first.number.startswith("CN/") and first.sequence == 1
    assert first.amount == 52000
    # Each line gives back its share of ₹520 (₹400 and ₹120), each tax 40 % of the invoice's.
    credited = {line.description: line.tax for line in first.lines.all()}
    invoiced = {line.description: line.tax for line in invoice.lines.all()}
    assert {name: tax.amount for name, tax in credited.items()} == {"T-Shirt": 40000, "Cap": 12000}
    for name, tax in credited.items():
        assert abs(tax.cgst - invoiced[name].cgst * 0.4) <= 0.5
        assert tax.cgst == tax.state_tax and tax.igst == 0
    assert first.total_tax == sum(tax.total_tax for tax in credited.values())

    notice = mail_server.to(CUSTOMER)[-1]
    assert notice["Subject"] != confirmation["Subject"]
    ((name, note_text),) = pdf_attachments(notice).items()
    assert name == first.number.replace("/", "-") + ".pdf"
    for expected in [
        "Credit Note",
        first.number,
        f"Against invoice {invoice.number}",
        "Place of supply: Karnataka (29)",
        "Five Hundred and Twenty Rupees",
        "Reason: Requested by the customer",
    ]:
        assert expected in note_text, (expected, note_text)

    refund(cashier, order)  # the rest
    run_worker()

    second = CreditNote.objects.exclude(pk=first.pk).get()
    assert second.sequence == 2 and second.amount == 130000 - 52000
    # All of it given back: the credit notes reverse the invoice to the paisa.
    assert first.tax + second.tax == invoice.tax


def test_refunds_of_orders_without_an_invoice_get_no_credit_note(db, products):
    order = paid_order([(products[0], 1)])
    register_for_gst()  # after the sale: the order has no invoice
    refunded = Refund.objects.create(
        order=order, amount=10000, currency="inr", status=Refund.Status.SUCCEEDED
    )

    assert documents.issue_credit_note(refunded) is None
    assert not CreditNote.objects.exists()


def test_a_refund_not_yet_succeeded_gets_no_credit_note(db, products):
    register_for_gst()
    order = paid_order([(products[0], 1)])
    documents.issue_invoice(order)
    pending = Refund.objects.create(
        order=order, amount=10000, currency="inr", status=Refund.Status.PENDING
    )

    assert documents.issue_credit_note(pending) is None
