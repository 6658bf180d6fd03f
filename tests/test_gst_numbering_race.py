"""Invoice numbers under racing payments on PostgreSQL: consecutive, no gaps, no repeats.

Twenty orders are paid at Stripe, then twenty processes at once each finalize one
and issue its invoice, as twenty webhooks and email workers would. The series'
row lock (store.gst.numbering.take_next) is what keeps the numbers in line:
without it, two issuers read the same last number.
"""

from __future__ import annotations

import pytest
from django.test import Client

from store import payments
from store.gst import documents
from store.models import Invoice, Order
from tests.conftest import requires_postgres
from tests.gst_support import checkout_form, register_for_gst
from tests.test_concurrency import race

pytestmark = [
    requires_postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

RACERS = 20


def test_twenty_racing_payments_get_twenty_consecutive_invoice_numbers(products, stripe_sim):
    register_for_gst()
    for _ in range(RACERS):  # one browser each, as twenty shoppers
        Client().post("/checkout/", checkout_form({products[0]: 1}))
    orders = list(Order.objects.order_by("pk"))
    assert len(orders) == RACERS
    for order in orders:
        assert stripe_sim.pay(order.stripe_session_id)

    def pay_and_invoice(index: int) -> str:
        order = orders[index]
        payments.fulfill_checkout(order.stripe_session_id)
        order.refresh_from_db()
        return documents.issue_invoice(order).number

    numbers = race(RACERS, pay_and_invoice)

    assert not [n for n in numbers if isinstance(n, Exception)], numbers
    year = Invoice.objects.values_list("financial_year", flat=True).first()
    assert sorted(numbers) == [f"MS/{year}/{n:06d}" for n in range(1, RACERS + 1)]
    assert sorted(Invoice.objects.values_list("sequence", flat=True)) == list(range(1, 21))
    assert Invoice.objects.values("order").distinct().count() == RACERS


def test_racing_issuers_of_one_order_make_one_invoice(products, stripe_sim):
    register_for_gst()
    Client().post("/checkout/", checkout_form({products[1]: 1}))
    order = Order.objects.get()
    stripe_sim.pay(order.stripe_session_id)
    payments.fulfill_checkout(order.stripe_session_id)
    order.refresh_from_db()

    numbers = race(8, lambda _: documents.issue_invoice(order).number)

    assert not [n for n in numbers if isinstance(n, Exception)], numbers
    assert len(set(numbers)) == 1 and Invoice.objects.count() == 1
    assert Invoice.objects.get().sequence == 1  # no number taken and lost by the others
