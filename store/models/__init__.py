"""The store's state: products (Wagtail snippets), orders and their lines, the emails,
refunds and disputes they lead to, the GST invoices and credit notes issued for them,
discount codes, and Stripe's events.

Amounts are integers in the store currency's minor unit (paise for INR);
``store.money`` converts at the edges. Admin configuration lives in
``store.admin``; the models stay plain and own their state transitions.
"""

from store.models.catalogue import Product
from store.models.discounts import DiscountCode, DiscountCodeTerms
from store.models.disputes import Dispute, EarlyFraudWarning
from store.models.emails import OrderEmail
from store.models.events import WebhookEvent
from store.models.exports import OrderExport
from store.models.gst import (
    CreditNote,
    CreditNoteLine,
    DocumentSeries,
    GSTSettings,
    Invoice,
    InvoiceLine,
)
from store.models.orders import CUSTOMER_FIELDS, Order, OrderLine
from store.models.refunds import Refund
from store.models.shipping import ShippingRate, ShippingSettings
from store.models.variants import ProductVariant
from store.models.workers import WorkerHeartbeat

__all__ = [
    "CUSTOMER_FIELDS",
    "CreditNote",
    "CreditNoteLine",
    "DiscountCode",
    "DiscountCodeTerms",
    "Dispute",
    "DocumentSeries",
    "EarlyFraudWarning",
    "GSTSettings",
    "Invoice",
    "InvoiceLine",
    "Order",
    "OrderEmail",
    "OrderExport",
    "OrderLine",
    "Product",
    "ProductVariant",
    "Refund",
    "ShippingRate",
    "ShippingSettings",
    "WebhookEvent",
    "WorkerHeartbeat",
]
