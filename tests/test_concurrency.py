"""Racing finalizers on PostgreSQL: whatever arrives at once, one paid transition."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client

from store import payments
from store.models import Order, WebhookEvent
from store.shopper import COOKIE_NAME
from stripe_simulator import sign_payload
from tests.conftest import requires_postgres
from tests.shopping import Shopper

pytestmark = [
    requires_postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def race(count: int, action: Callable[[int], object]) -> list:
    """Run ``action(i)`` in ``count`` threads released at the same instant."""
    start = threading.Barrier(count)
    results: list = [None] * count

    def run(index: int) -> None:
        try:
            start.wait()
            results[index] = action(index)
        except Exception as error:  # reported below, with the others
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.fixture
def shopper(shop_server) -> Shopper:
    return Shopper(shop_server.url)


@pytest.fixture
def paid_session(shopper, stripe_sim) -> Order:
    """An order paid at Stripe whose shop side has not been told yet."""
    stripe_sim.webhook_url = None
    shopper.checkout(T_Shirt=1)
    order = Order.objects.get()
    stripe_sim.pay(order.stripe_session_id)
    return order


def test_twenty_concurrent_fulfillments_make_one_transition(paid_session, paid_signals):
    results = race(20, lambda _: payments.fulfill_checkout(paid_session.stripe_session_id))

    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(results).count(payments.Outcome.PAID) == 1
    assert results.count(payments.Outcome.ALREADY_PAID) == 19
    assert paid_signals == [paid_session.pk]
    assert Order.objects.get().status == "paid"


def test_the_webhook_racing_the_success_page_makes_one_transition(
    paid_session, shopper, stripe_sim, settings, paid_signals
):
    event = stripe_sim.build_event(
        "checkout.session.completed", stripe_sim.sessions[paid_session.stripe_session_id]
    )
    body = json.dumps(event).encode()
    # The shopper's browser, cookie and all, returning from Stripe.
    shopper_client = Client()
    shopper_client.cookies[COOKIE_NAME] = shopper.http.cookies[COOKIE_NAME]

    def webhook() -> int:
        signature = sign_payload(body, settings.STRIPE_WEBHOOK_SECRET)
        response = Client().post(
            "/stripe/webhook/",
            data=body,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=signature,
        )
        return response.status_code

    def success_page() -> int:
        url = f"/checkout/success/?session_id={paid_session.stripe_session_id}"
        return shopper_client.get(url).status_code

    results = race(2, lambda i: webhook() if i == 0 else success_page())

    assert results == [200, 303]
    assert paid_signals == [paid_session.pk]
    assert WebhookEvent.objects.get().processed_at is not None


def test_five_simultaneous_deliveries_of_one_event_are_processed_once(
    paid_session, stripe_sim, settings, paid_signals
):
    event = stripe_sim.build_event(
        "checkout.session.completed", stripe_sim.sessions[paid_session.stripe_session_id]
    )
    body = json.dumps(event).encode()

    def deliver(_):
        response = Client().post(
            "/stripe/webhook/",
            data=body,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=sign_payload(body, settings.STRIPE_WEBHOOK_SECRET),
        )
        return response.json()["outcome"]

    outcomes = race(5, deliver)

    assert sorted(outcomes) == ["duplicate"] * 4 + ["paid"]
    assert paid_signals == [paid_session.pk]


def test_a_double_click_racing_two_posts_makes_one_order_and_one_session(shopper, stripe_sim):
    form = shopper.checkout_form()

    responses = race(2, lambda _: shopper.submit(form, Cap=2))

    assert [r.status_code for r in responses] == [303, 303]
    assert responses[0].headers["Location"] == responses[1].headers["Location"]
    assert Order.objects.count() == 1
    assert len(stripe_sim.sessions) == 1
