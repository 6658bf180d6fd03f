"""Reconcile racing a checkout on PostgreSQL: the order's row lock keeps them apart."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from store.models import Order
from store.payments import reconcile
from tests.conftest import requires_postgres
from tests.shopping import Shopper

pytestmark = [
    requires_postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_sync_orders_skips_an_order_whose_checkout_holds_its_lock(
    shop_server, stripe_sim, monkeypatch
):
    # Without the age rule, only the row lock keeps reconcile away from a checkout in flight.
    monkeypatch.setattr(reconcile, "longest_stripe_call", lambda: timedelta(0))
    shopper = Shopper(shop_server.url)
    form = shopper.checkout_form()
    stripe_sim.delay_seconds = 1.5
    responses = []
    checkout = threading.Thread(target=lambda: responses.append(shopper.submit(form, Cap=1)))
    checkout.start()
    while not stripe_sim.requests:  # the Checkout Session is being created
        time.sleep(0.02)

    out = StringIO()
    call_command("sync_orders", "--older-than", "0", stdout=out)
    checkout.join()

    assert "0 failed" in out.getvalue()
    assert responses[0].status_code == 303
    order = Order.objects.get()
    assert order.status == "pending" and order.stripe_session_id
