"""Issuing an order's tax invoice and a refund's credit note: once each, numbered in turn.

Both run after the change they document has committed (``store.gst.tasks``,
and the email that carries them), never in a shopper's request. Issuing twice,
or from two processes at once, gives the same document: the order's row lock
makes a second issuer wait, then find the first one's.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from store.gst import numbering, states
from store.gst.tax import (
    GSTClass,
    Supply,
    Tax,
    levy_for,
    reverse_share,
    spread,
    tax_supplies,
)
from store.models import (
    CreditNote,
    CreditNoteLine,
    DocumentSeries,
    GSTSettings,
    Invoice,
    InvoiceLine,
    Order,
    OrderLine,
    Refund,
)
from store.signals import announce_orders_change

logger = logging.getLogger(__name__)

# GST is India's: orders in other currencies get no tax invoice.
GST_CURRENCY = "inr"
# Shipping's Services Accounting Code: courier services.
SHIPPING_SAC = "996812"


class CannotIssue(Exception):
    """The document cannot be made from what the shop knows; the message says why, for staff."""


def registration() -> GSTSettings | None:
    """The shop's GST settings when it is registered (has a GSTIN); None when it is not.

    The shop is one Wagtail site, the default one; its settings row exists once the owner
    has saved them (reading them never writes one).
    """
    return GSTSettings.objects.filter(site__is_default_site=True).exclude(gstin="").first()


def issue_invoice(order: Order, *, now: datetime | None = None) -> Invoice | None:
    """The paid order's tax invoice, issued now if it has none; None if the shop issues none.

    An order the shop cannot invoice (an address abroad, a state GST does not
    know) is flagged for staff instead.
    """
    existing = Invoice.objects.filter(order_id=order.pk).first()
    if existing or order.status != Order.Status.PAID or order.currency != GST_CURRENCY:
        return existing
    seller = registration()
    if seller is None or not seller.registered_when(order.paid_at):
        return None
    order_lines = list(order.lines.select_related("product"))
    try:
        place = _place_of_supply(order)
        supplies = [_supply(line) for line in order_lines]
    except CannotIssue as problem:
        _flag(order, f"No tax invoice could be issued: {problem}")
        return None
    levy = levy_for(seller.seller_state, place)
    # The discount lowers the goods (Stripe's codes never discount shipping).
    taxed = tax_supplies(supplies, levy, discount=order.amount_discount)
    if order.amount_shipping:
        taxed += tax_supplies([_shipping_supply(order, supplies)], levy)
        order_lines.append(None)  # the shipping line is no order line
    charged = sum(line.supply.amount for line in taxed)
    if charged != order.amount_total:
        raise RuntimeError(f"order {order.pk}'s lines add up to {charged}, not its total")
    now = now or timezone.now()
    with transaction.atomic():
        Order.objects.select_for_update().get(pk=order.pk)
        existing = Invoice.objects.filter(order_id=order.pk).first()
        if existing:
            return existing
        number = numbering.take_next(
            DocumentSeries.Kind.INVOICE, seller.invoice_prefix, timezone.localdate(now)
        )
        invoice = Invoice.objects.create(
            order=order,
            **_document_fields(seller, number, now, _sum(line.tax for line in taxed)),
            currency=order.currency,
            recipient_name=order.shipping_name or order.customer_name,
            recipient_address="\n".join(_delivery_address(order, place)),
            place_of_supply_code=place.code,
        )
        InvoiceLine.objects.bulk_create(
            InvoiceLine(
                invoice=invoice,
                order_line=order_line,
                description=line.supply.description,
                hsn_code=line.supply.hsn_code,
                quantity=line.supply.quantity,
                unit_amount=line.supply.unit_amount,
                rate=line.supply.rate,
                **_amounts(line.tax),
            )
            for order_line, line in zip(order_lines, taxed, strict=True)
        )
        announce_orders_change(order.browser_token)  # My Orders offers the invoice
    logger.info("Tax invoice issued", extra={"order_id": order.pk, "invoice": invoice.number})
    return invoice


def issue_credit_note(refund: Refund, *, now: datetime | None = None) -> CreditNote | None:
    """The succeeded refund's credit note, issued now if it has none; None when the order
    has no tax invoice (sold before the shop registered) or the shop is no longer registered."""
    existing = CreditNote.objects.filter(refund_id=refund.pk).first()
    if existing:
        return existing
    refund = Refund.objects.select_related("order").get(pk=refund.pk)
    if refund.status != Refund.Status.SUCCEEDED:
        return None
    # The invoice's task may not have run yet when the refund comes quickly after the sale.
    invoice = issue_invoice(refund.order)
    seller = registration()
    if invoice is None or seller is None:
        return None
    now = now or timezone.now()
    try:
        return _credit(refund, invoice, seller, now)
    except CannotIssue as problem:
        _flag(refund.order, f"No credit note could be issued: {problem}")
        return None


def _credit(refund: Refund, invoice: Invoice, seller: GSTSettings, now: datetime) -> CreditNote:
    with transaction.atomic():
        Order.objects.select_for_update().get(pk=refund.order_id)
        existing = CreditNote.objects.filter(refund_id=refund.pk).first()
        if existing:
            return existing
        lines = list(invoice.lines.all())
        reversed_taxes = _reversal(lines, refund)
        number = numbering.take_next(
            DocumentSeries.Kind.CREDIT_NOTE, seller.credit_note_prefix, timezone.localdate(now)
        )
        credit_note = CreditNote.objects.create(
            invoice=invoice,
            refund=refund,
            reason=refund.get_reason_display() if refund.reason else "Refund",
            **_document_fields(seller, number, now, _sum(reversed_taxes)),
            currency=invoice.currency,
            recipient_name=invoice.recipient_name,
            recipient_address=invoice.recipient_address,
            place_of_supply_code=invoice.place_of_supply_code,
        )
        CreditNoteLine.objects.bulk_create(
            CreditNoteLine(
                credit_note=credit_note,
                invoice_line=line,
                description=line.description,
                hsn_code=line.hsn_code,
                rate=line.rate,
                **_amounts(tax),
            )
            for line, tax in zip(lines, reversed_taxes, strict=True)
            if tax.amount
        )
        announce_orders_change(refund.order.browser_token)
    logger.info(
        "Credit note issued",
        extra={"order_id": refund.order_id, "refund_id": refund.pk, "credit_note": number.text},
    )
    return credit_note


def gst_class_of(line: OrderLine) -> GSTClass:
    """How GST classes the line's goods now: the time of supply of goods is the invoice's
    (CGST Act s. 12). A variant with a ``gst_class`` of its own is asked before its product."""
    for source in (getattr(line, "variant", None), line.product):
        if source is not None and hasattr(source, "gst_class"):
            return source.gst_class
    raise CannotIssue(f"the product of “{line.name}” was deleted, so its rate is unknown")


def _supply(line: OrderLine) -> Supply:
    gst_class = gst_class_of(line)
    return Supply(
        description=line.name,
        hsn_code=gst_class.hsn_code,
        quantity=line.quantity,
        unit_amount=line.unit_amount,
        amount=line.amount,
        rate=gst_class.rate,
    )


def _shipping_supply(order: Order, goods: Sequence[Supply]) -> Supply:
    """Shipping charged with the goods is part of one composite supply, taxed at the rate of
    the principal supply (CGST Act s. 8(a)); with goods at several rates, the highest, so
    the shop never pays less tax than it owes. Its SAC is courier services'."""
    return Supply(
        description=f"Shipping ({order.shipping_rate_name})"
        if order.shipping_rate_name
        else "Shipping",
        hsn_code=SHIPPING_SAC,
        quantity=1,
        unit_amount=order.amount_shipping,
        amount=order.amount_shipping,
        rate=max(supply.rate for supply in goods),
    )


def _place_of_supply(order: Order) -> states.State:
    """Where the goods are delivered (IGST Act s. 10(1)(a)): the shipping address's state."""
    place = states.for_address(order.shipping_country, order.shipping_state)
    if place is None:
        address = ", ".join(part for part in (order.shipping_state, order.shipping_country) if part)
        raise CannotIssue(
            f"the shipping address ({address or 'none'}) is not in a state of India GST knows"
        )
    return place


def _delivery_address(order: Order, place: states.State) -> list[str]:
    city = " ".join(part for part in (order.shipping_city, order.shipping_postal_code) if part)
    lines = [order.shipping_line1, order.shipping_line2, city, place.name, "India"]
    return [line for line in lines if line]


def _reversal(lines: Sequence[InvoiceLine], refund: Refund) -> list[Tax]:
    """The refund shared over the invoice's lines in proportion to what each has left (not yet
    credited), each line's taxes reversed in proportion; all that is left reverses exactly."""
    credited = {
        row["invoice_line"]: Tax(
            row["taxable_value__sum"], row["cgst__sum"], row["state_tax__sum"], row["igst__sum"]
        )
        for row in CreditNoteLine.objects.filter(invoice_line__in=lines)
        .values("invoice_line")
        .annotate(Sum("taxable_value"), Sum("cgst"), Sum("state_tax"), Sum("igst"))
    }
    remaining = [line.tax - credited.get(line.pk, Tax()) for line in lines]
    left = sum(tax.amount for tax in remaining)
    if refund.amount > left:
        raise CannotIssue(
            f"the refund ({refund.amount}) is more than is left to credit on the invoice ({left})"
        )
    shares = spread(refund.amount, [tax.amount for tax in remaining])
    return [
        reverse_share(tax, share) if share else Tax()
        for tax, share in zip(remaining, shares, strict=True)
    ]


def _document_fields(seller: GSTSettings, number: numbering.Number, now: datetime, total: Tax):
    return {
        "number": number.text,
        "series": number.series,
        "financial_year": number.financial_year,
        "sequence": number.sequence,
        "issued_at": now,
        "seller_name": seller.legal_name,
        "seller_address": seller.address,
        "seller_gstin": seller.gstin,
        "seller_state_code": seller.state,
        **_amounts(total),
    }


def _amounts(tax: Tax) -> dict[str, int]:
    return {
        "taxable_value": tax.taxable_value,
        "cgst": tax.cgst,
        "state_tax": tax.state_tax,
        "igst": tax.igst,
    }


def _sum(taxes) -> Tax:
    return sum(taxes, Tax())


def _flag(order: Order, reason: str) -> None:
    logger.warning(reason, extra={"order_id": order.pk})
    if order.attention_reason != reason:
        order.flag_for_attention(reason)
