""" "Find my order": an email address and an order number; the shop emails that order's link.

The page never shows an order and answers the same whether or not one matched,
so it tells a stranger nothing about who bought what. The link goes only to the
address the order was paid with, through the shop's email queue (store.emails),
and requests are limited per client address and per email address.
"""

from __future__ import annotations

import uuid

from django import forms
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest

from mysite.client_ip import client_network
from store import emails
from store.models import Order, OrderEmail
from store.throttling import Rate, SlidingWindowLimit


class FindOrderForm(forms.Form):
    email = forms.EmailField(
        label="Email address",
        max_length=254,
        help_text="The address you gave when you paid.",
        error_messages={
            "required": "Enter the email address you paid with.",
            "invalid": "Enter an email address like name@example.com.",
        },
    )
    order_number = forms.IntegerField(
        label="Order number",
        min_value=1,
        max_value=2**63 - 1,
        help_text="From your confirmation email, e.g. 1042.",
        error_messages={
            "required": "Enter your order number.",
            "invalid": "Enter the order number as digits, e.g. 1042.",
            "min_value": "Enter the order number as digits, e.g. 1042.",
            "max_value": "Enter the order number as digits, e.g. 1042.",
        },
    )


def admit(request: HttpRequest, email: str) -> int:
    """0 when this request may look an order up; else the seconds to wait."""
    by_client = SlidingWindowLimit(
        "find-order.client", Rate.parse(settings.STORE_FIND_ORDER_RATE_PER_IP)
    ).hit(client_network(request))
    if not by_client.allowed:
        return by_client.retry_after
    by_email = SlidingWindowLimit(
        "find-order.email", Rate.parse(settings.STORE_FIND_ORDER_RATE_PER_EMAIL)
    ).hit(email.strip().lower())
    if not by_email.allowed:
        by_client.undo()
        return by_email.retry_after
    return 0


def send_link(email: str, order_number: int) -> bool:
    """Queue the status link of the order with this number and email; False if none matched."""
    order = (
        Order.objects.filter(pk=order_number, customer_email__iexact=email.strip())
        .exclude(customer_email="")
        .first()
    )
    if order is None:
        return False
    with transaction.atomic():
        # Each request is its own email (one row per key); the rate limits bound how many.
        emails.queue(order, OrderEmail.Kind.STATUS_LINK, key=f"status_link:{uuid.uuid4().hex}")
    return True
