"""Two staff refunding the same order at the same moment, on PostgreSQL: one refund."""

from __future__ import annotations

import pytest

from store.models import Order, Refund
from tests.admin_pages import staff_client
from tests.conftest import quantity_field, requires_postgres
from tests.test_concurrency import race
from tests.test_refunds import refund, refund_form, refund_requests

pytestmark = [
    requires_postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def paid_order(client, products, stripe_sim) -> Order:
    client.post("/checkout/", {quantity_field(products[1]): "1"})
    order = Order.objects.get()
    stripe_sim.pay(order.stripe_session_id)
    client.get("/checkout/success/", {"session_id": order.stripe_session_id})
    return Order.objects.get()


def test_two_staff_pressing_refund_at_once_make_one_refund(
    paid_order, stripe_sim, django_user_model
):
    staff = [staff_client(name, "Order refunds") for name in ("cashier", "manager")]
    forms = [refund_form(member, paid_order) | {"amount": "500"} for member in staff]
    stripe_sim.delay_seconds = 0.3  # Stripe takes a moment: both are in flight together

    responses = race(2, lambda i: refund(staff[i], paid_order, forms[i]))

    assert all(response.status_code == 200 for response in responses)
    assert Refund.objects.count() == 1 and len(refund_requests(stripe_sim)) == 1
    paid_order.refresh_from_db()
    assert paid_order.amount_refunded == 50000


def test_a_double_click_racing_itself_makes_one_refund(paid_order, stripe_sim, django_user_model):
    cashier = staff_client("cashier", "Order refunds")
    form = refund_form(cashier, paid_order) | {"amount": "500"}
    stripe_sim.delay_seconds = 0.3

    responses = race(2, lambda i: refund(cashier, paid_order, form))

    assert [getattr(response, "status_code", response) for response in responses] == [200, 200]
    assert Refund.objects.count() == 1 and len(refund_requests(stripe_sim)) == 1
