"""GST: the seller's registration (a Wagtail site setting), tax invoices and credit notes.

Invoices and credit notes keep everything they showed when issued (the seller,
the buyer, each line's HSN code, rate and taxes), so a later change to the
settings, a product or an address never changes an issued document.
``store.gst`` issues, numbers, renders and reports them.
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from wagtail.contrib.settings.models import BaseSiteSetting

from store import money
from store.gst import gstin, states
from store.gst.tax import Tax
from store.models.orders import Order, OrderLine
from store.models.refunds import Refund

PREFIX_VALIDATOR = RegexValidator(
    r"^[A-Z0-9-]{1,5}$", "Use 1 to 5 capital letters, digits or hyphens, such as MS."
)


class GSTSettings(BaseSiteSetting):
    """Who sells, as the tax invoice names them. Without a GSTIN the shop issues no invoices."""

    legal_name = models.CharField(
        max_length=200, blank=True, help_text="The name the GST registration is in."
    )
    address = models.TextField(
        blank=True, help_text="The principal place of business, as registered."
    )
    state = models.CharField(
        max_length=2, choices=states.CHOICES, blank=True, help_text="Where the shop is registered."
    )
    gstin = models.CharField(
        "GSTIN",
        max_length=20,
        blank=True,
        validators=[gstin.validate_gstin],
        help_text=(
            "15 characters, such as 29AAGCB7383J1Z4. Leave empty if the shop is not registered "
            "for GST: it then issues no tax invoices or credit notes, and prices show as they are."
        ),
    )
    invoice_prefix = models.CharField(
        max_length=5,
        default="MS",
        validators=[PREFIX_VALIDATOR],
        help_text=(
            "Starts every invoice number: MS/2026-27/000123. GST rules (CGST Rule 46(b)) allow "
            "16 characters, which a one-character prefix keeps within."
        ),
    )
    credit_note_prefix = models.CharField(
        max_length=5,
        default="CN",
        validators=[PREFIX_VALIDATOR],
        help_text="Starts every credit note number: CN/2026-27/000001.",
    )

    # When the GSTIN was entered: orders paid before then were sold unregistered, uninvoiced.
    registered_since = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "GST"

    @property
    def registered(self) -> bool:
        return bool(self.gstin)

    def registered_when(self, moment: datetime | None) -> bool:
        """Whether the shop had its GSTIN at ``moment`` (a sale's time)."""
        since = self.registered_since
        return self.registered and (since is None or moment is None or moment >= since)

    def save(self, *args, **kwargs):
        if self.gstin and self.registered_since is None:
            self.registered_since = timezone.now()
        elif not self.gstin:
            self.registered_since = None
        super().save(*args, **kwargs)

    @property
    def seller_state(self) -> states.State | None:
        return states.for_code(self.state)

    def clean(self) -> None:
        self.gstin = gstin.normalize(self.gstin)
        self.invoice_prefix = (self.invoice_prefix or "").strip().upper()
        self.credit_note_prefix = (self.credit_note_prefix or "").strip().upper()
        errors = {}
        if self.invoice_prefix == self.credit_note_prefix:
            errors["credit_note_prefix"] = "Use a prefix other than the invoices'."
        if self.gstin:
            for field in ("legal_name", "address", "state"):
                if not getattr(self, field).strip():
                    errors[field] = "A tax invoice must show this: fill it in with the GSTIN."
            registered_in = gstin.state_of(self.gstin)
            if self.state and registered_in and registered_in.code != self.state:
                errors["state"] = (
                    f"The GSTIN is registered in {registered_in} (its first two digits); "
                    f"choose {registered_in.name}, or check the GSTIN."
                )
        if errors:
            raise ValidationError(errors)


class DocumentSeries(models.Model):
    """The last number used by one kind of document in one financial year (store.gst.numbering)."""

    class Kind(models.TextChoices):
        INVOICE = "invoice", "Tax invoice"
        CREDIT_NOTE = "credit_note", "Credit note"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    financial_year = models.CharField(max_length=7)
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "financial_year"], name="store_one_series_per_kind_and_year"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.financial_year}: {self.last_number}"


class TaxAmounts(models.Model):
    """A charged amount (GST included) split into taxable value and each tax, in paise."""

    taxable_value = models.BigIntegerField(default=0)
    cgst = models.BigIntegerField("CGST", default=0)
    # SGST, or UTGST where the place of supply is a union territory without a legislature.
    state_tax = models.BigIntegerField("SGST/UTGST", default=0)
    igst = models.BigIntegerField("IGST", default=0)

    class Meta:
        abstract = True

    @property
    def tax(self) -> Tax:
        return Tax(self.taxable_value, self.cgst, self.state_tax, self.igst)

    @property
    def amount(self) -> int:
        """What was charged (or given back): taxable value plus every tax."""
        return self.tax.amount

    @property
    def total_tax(self) -> int:
        return self.tax.total_tax


class TaxDocument(TaxAmounts):
    """What a tax invoice and a credit note both show (CGST Rules 46 and 53)."""

    number = models.CharField(max_length=32, unique=True)
    # The prefix and the financial year ("MS/2026-27"): the series the number runs in.
    series = models.CharField(max_length=24, editable=False)
    financial_year = models.CharField(max_length=7, editable=False)
    sequence = models.PositiveIntegerField(editable=False)
    issued_at = models.DateTimeField(db_index=True)
    currency = models.CharField(max_length=3)
    seller_name = models.CharField(max_length=200)
    seller_address = models.TextField()
    seller_gstin = models.CharField("seller's GSTIN", max_length=15)
    seller_state_code = models.CharField(max_length=2)
    recipient_name = models.TextField(blank=True)  # as Stripe collected it, whole
    # The address of delivery, one line each.
    recipient_address = models.TextField(blank=True)
    place_of_supply_code = models.CharField(max_length=2)

    class Meta:
        abstract = True
        ordering = ["financial_year", "sequence"]

    def __str__(self) -> str:
        return self.number

    @property
    def seller_state(self) -> states.State:
        return states.BY_CODE[self.seller_state_code]

    @property
    def place_of_supply(self) -> states.State:
        return states.BY_CODE[self.place_of_supply_code]

    @property
    def inter_state(self) -> bool:
        return self.seller_state_code != self.place_of_supply_code

    @property
    def state_tax_name(self) -> str:
        return self.place_of_supply.state_tax_name

    @property
    def recipient_address_lines(self) -> list[str]:
        return [line for line in self.recipient_address.splitlines() if line]

    @property
    def display_total(self) -> str:
        return money.format_amount(self.amount, self.currency)


class TaxDocumentLine(TaxAmounts):
    description = models.CharField(max_length=255)
    hsn_code = models.CharField("HSN", max_length=8, blank=True)
    rate = models.DecimalField("GST rate (%)", max_digits=5, decimal_places=2)

    class Meta:
        abstract = True
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.description


class Invoice(TaxDocument):
    """The tax invoice for one paid order: issued once, after it was paid, numbered in turn."""

    order = models.OneToOneField(Order, on_delete=models.PROTECT, related_name="invoice")

    class Meta(TaxDocument.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["financial_year", "sequence"], name="store_invoice_number_once_a_year"
            )
        ]


class InvoiceLine(TaxDocumentLine):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    quantity = models.PositiveIntegerField()
    # The price of one unit, GST included, as charged.
    unit_amount = models.BigIntegerField()
    order_line = models.ForeignKey(
        OrderLine, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )


class CreditNote(TaxDocument):
    """Money given back on an invoiced order: one per refund, its tax reversed in proportion."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="credit_notes")
    refund = models.OneToOneField(Refund, on_delete=models.PROTECT, related_name="credit_note")
    reason = models.CharField(max_length=255, blank=True)

    class Meta(TaxDocument.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["financial_year", "sequence"], name="store_credit_note_number_once_a_year"
            )
        ]


class CreditNoteLine(TaxDocumentLine):
    credit_note = models.ForeignKey(CreditNote, on_delete=models.CASCADE, related_name="lines")
    invoice_line = models.ForeignKey(
        InvoiceLine, on_delete=models.PROTECT, related_name="credit_note_lines"
    )
