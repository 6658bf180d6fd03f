"""GST for the tests: a registered seller, paid orders (through Stripe or made directly), the
worker's tasks, and a PDF's text."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime
from io import StringIO

import pypdf
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from wagtail.models import Site

from store.models import GSTSettings, Order, OrderLine, Product
from tests.conftest import quantity_field

# A valid GSTIN (check digit and all) registered in Karnataka (29).
SELLER_GSTIN = "29AAGCB7383J1Z4"
SELLER_NAME = "Mini Store Private Limited"


def register_for_gst(*, since: datetime | None = None, **fields) -> GSTSettings:
    """The shop's GST settings as an owner fills them in: a Bengaluru seller, registered now
    (or ``since`` then, for sales made in the past)."""
    settings = GSTSettings.for_site(Site.objects.get(is_default_site=True))
    values = {
        "legal_name": SELLER_NAME,
        "address": "14 Residency Road\nBengaluru 560025",
        "state": "29",
        "gstin": SELLER_GSTIN,
    } | fields
    for name, value in values.items():
        setattr(settings, name, value)
    settings.full_clean()
    settings.save()
    if since:
        GSTSettings.objects.filter(pk=settings.pk).update(registered_since=since)
        settings.refresh_from_db()
    return settings


def checkout_form(quantities: dict[Product, int]) -> dict[str, str]:
    return {quantity_field(product): str(quantity) for product, quantity in quantities.items()}


def buy(client: Client, stripe_sim, quantities: dict[Product, int], **address: str) -> Order:
    """Check out, pay on the simulator's page (shipping to ``address``), come back: paid."""
    client.post("/checkout/", checkout_form(quantities))
    order = Order.objects.filter(browser_token__gt="").order_by("-pk").first()
    assert stripe_sim.pay(order.stripe_session_id, email="asha@example.com", **address)
    client.get("/checkout/success/", {"session_id": order.stripe_session_id})
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    return order


def paid_order(
    lines: Sequence[tuple[Product, int]],
    *,
    state: str = "KA",
    country: str = "IN",
    paid_at: datetime | None = None,
) -> Order:
    """A paid order made straight in the database, for what does not need Stripe."""
    order = Order.objects.create(
        currency="inr",
        amount_total=sum(product.price * quantity for product, quantity in lines),
        browser_token="made-in-a-test",
        status=Order.Status.PAID,
        paid_at=paid_at or timezone.now(),
        customer_name="Asha Rao",
        shipping_name="Asha Rao",
        shipping_line1="12 MG Road",
        shipping_city="Bengaluru",
        shipping_postal_code="560001",
        shipping_state=state,
        shipping_country=country,
    )
    OrderLine.objects.bulk_create(
        OrderLine(
            order=order,
            product=product,
            product_name=product.name,
            unit_amount=product.price,
            quantity=quantity,
        )
        for product, quantity in lines
    )
    return order


def run_tasks() -> None:
    """What the background worker would do now: every task due."""
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", stdout=StringIO())


def pdf_text(data: bytes) -> str:
    """The text of every page, as a reader (or a search) would get it."""
    assert data.startswith(b"%PDF-"), data[:20]
    reader = pypdf.PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)
