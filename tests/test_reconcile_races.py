"""Reconcile racing a checkout on PostgreSQL: the checkout's mark keeps them apart."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from store.models import Order
from tests.conftest import requires_postgres
from tests.shopping import Shopper

pytestmark = [
    requires_postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_sync_orders_leaves_alone_an_order_whose_checkout_is_waiting_for_stripe(
    shop_server, stripe_sim
):
    shopper = Shopper(shop_server.url)
    form = shopper.checkout_form()
    stripe_sim.hang_next("POST /v1/checkout/sessions", 1.5)
    responses = []
    checkout = threading.Thread(target=lambda: responses.append(shopper.submit(form, Cap=1)))
    checkout.start()
    while not stripe_sim.requests:  # the Checkout Session is being created
        time.sleep(0.02)
    # An old order by its age: only the checkout's mark (checkout_started_at) says it is live.
    Order.objects.update(created_at=timezone.now() - timedelta(hours=1))

    out = StringIO()
    call_command("sync_orders", "--older-than", "0", stdout=out)
    checkout.join()

    assert "0 failed" in out.getvalue()
    assert responses[0].status_code == 303
    order = Order.objects.get()
    assert order.status == "pending" and order.stripe_session_id
