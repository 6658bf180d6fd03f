"""Stripe slow on one call: everything else about the same order answers at once (issue 18).

The simulator hangs for STORE_SLOW_STRIPE_SECONDS (default 3; the issue measured
with 8) on one kind of call: create, expire, retrieve, PaymentIntent, refund,
refunds list. While the shop waits for that answer, another request for the
same order (a double click, the success page, a webhook or its redelivery,
shipping, a second press of Refund) must answer within a second, without a
5xx and without a second Stripe object. A lock held across the Stripe call
(the code before issue 18) makes each of them wait out the whole hang.

These run on whichever database the suite uses; the last one also runs the
shop on SQLite (gunicorn, a temporary database file) when the suite does not.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client

from bench.servers import gunicorn
from store.models import Order, Refund
from store.shopper import COOKIE_NAME
from store.signals import refund_succeeded
from stripe_simulator import sign_payload
from stripe_simulator.api import endpoint_of
from tests.admin_pages import admin_messages, staff_client
from tests.shopping import Shopper
from tests.test_refunds import ask_to_refund, confirmation_form, fields_of

SLOW_SECONDS = float(os.environ.get("STORE_SLOW_STRIPE_SECONDS", "3"))
QUICK_SECONDS = 1.0
ORDERS = "/admin/orders/"

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


class Background:
    """An action running in its own thread (and database connection), like another request."""

    def __init__(self, action: Callable[[], object]):
        self._outcome: list = []
        self._thread = threading.Thread(target=self._run, args=(action,), daemon=True)
        self._thread.start()
        STARTED.append(self)

    def _run(self, action: Callable[[], object]) -> None:
        try:
            self._outcome.append(action())
        except Exception as error:  # re-raised in the test's thread by result()
            self._outcome.append(error)
        finally:
            connection.close()

    def result(self):
        self.finish()
        (outcome,) = self._outcome
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def finish(self) -> None:
        self._thread.join(timeout=SLOW_SECONDS + 30)


STARTED: list[Background] = []


@pytest.fixture(autouse=True)
def requests_finish():
    """A request still waiting for Stripe ends before the database is emptied for the next test."""
    yield
    while STARTED:
        STARTED.pop().finish()


@pytest.fixture
def refunds_succeeded():
    received: list[int] = []

    def receiver(sender, refund, **kwargs):
        received.append(refund.pk)

    refund_succeeded.connect(receiver, weak=False)
    yield received
    refund_succeeded.disconnect(receiver)


@pytest.fixture
def hang(settings, stripe_sim) -> Callable[[str], None]:
    """Make the next call of an endpoint slow; the shop waits long enough to get the answer."""
    settings.STRIPE_TIMEOUT_SECONDS = SLOW_SECONDS + 10

    def hang_next(endpoint: str) -> None:
        stripe_sim.hang_next(endpoint, SLOW_SECONDS)

    return hang_next


def waiting_for_stripe(stripe_sim, endpoint: str, count: int = 1) -> None:
    """Return once the shop's call to ``endpoint`` has reached Stripe (it now hangs there)."""
    deadline = time.monotonic() + 10
    while len(calls(stripe_sim, endpoint)) < count:
        assert time.monotonic() < deadline, f"the shop never called {endpoint}"
        time.sleep(0.01)


def calls(stripe_sim, endpoint: str) -> list:
    return [r for r in stripe_sim.requests if endpoint_of(r.method, r.path) == endpoint]


def quickly(action: Callable[[], object]):
    """Do ``action`` (another request) and check it was answered within a second."""
    started = time.perf_counter()
    result = action()
    seconds = time.perf_counter() - started
    assert seconds < QUICK_SECONDS, f"answered after {seconds:.2f} s: it waited for Stripe"
    return result


def browser() -> Client:
    """A shopper's browser with its cookie, as the shop hands it out."""
    client = Client()
    client.get("/")
    return client


def same_browser(client: Client) -> Client:
    """Another request (tab, double click) from the same browser."""
    twin = Client()
    twin.cookies[COOKIE_NAME] = client.cookies[COOKIE_NAME]
    return twin


def checkout_form(product, quantity: int = 1) -> dict[str, str]:
    return {"form_token": str(uuid.uuid4()), f"quantity_{product.pk}": str(quantity)}


def deliver(stripe_sim, event: dict):
    body = json.dumps(event).encode()
    signature = sign_payload(body, django_settings.STRIPE_WEBHOOK_SECRET)
    return Client().post(
        "/stripe/webhook/", body, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature
    )


def event_about(stripe_sim, event_type: str, obj: dict) -> dict:
    return stripe_sim.build_event(event_type, obj)


def placed_order(shopper: Client, product) -> Order:
    assert shopper.post("/checkout/", checkout_form(product)).status_code == 303
    return Order.objects.latest("pk")


def paid_order(shopper: Client, product, stripe_sim) -> Order:
    order = placed_order(shopper, product)
    stripe_sim.pay(order.stripe_session_id)
    shopper.get("/checkout/success/", {"session_id": order.stripe_session_id})
    order.refresh_from_db()
    assert order.status == "paid"
    return order


def packer() -> Client:
    return staff_client("packer", "Order fulfilment")


def ship(staff: Client, order: Order):
    return staff.post(f"{ORDERS}ship/{order.pk}/", {"carrier": "", "tracking_number": ""})


# --- Creating the Checkout Session --------------------------------------------------------


def test_a_double_click_and_another_shopper_are_answered_while_a_session_is_created(
    hang, stripe_sim, products
):
    shopper = browser()
    form = checkout_form(products[0])
    hang("POST /v1/checkout/sessions")
    first = Background(lambda: same_browser(shopper).post("/checkout/", form))
    waiting_for_stripe(stripe_sim, "POST /v1/checkout/sessions")

    again = quickly(lambda: same_browser(shopper).post("/checkout/", form))
    other = quickly(lambda: browser().post("/checkout/", checkout_form(products[2])))

    assert (again.status_code, again["Location"]) == (303, "/")
    assert other.status_code == 303 and other["Location"].startswith(stripe_sim.api_base)
    made = first.result()
    mine = Order.objects.get(lines__product=products[0])
    assert (made.status_code, made["Location"]) == (303, mine.checkout_url)
    assert len(calls(stripe_sim, "POST /v1/checkout/sessions")) == 2
    assert len(stripe_sim.sessions) == Order.objects.count() == 2


# --- Webhooks whose reads from Stripe are slow --------------------------------------------


def _session_paid(shopper, products, stripe_sim):
    order = placed_order(shopper, products[0])
    stripe_sim.pay(order.stripe_session_id)
    session = stripe_sim.sessions[order.stripe_session_id]
    return order, event_about(stripe_sim, "checkout.session.completed", session), "paid"


def _delayed_payment_failed(shopper, products, stripe_sim):
    order = placed_order(shopper, products[0])
    stripe_sim.pay_delayed(order.stripe_session_id, succeed=False)
    stripe_sim.settle(order.stripe_session_id)
    session = stripe_sim.sessions[order.stripe_session_id]
    return (
        order,
        event_about(stripe_sim, "checkout.session.async_payment_failed", session),
        "failed",
    )


def _dashboard_refund(event_type: str):
    def setup(shopper, products, stripe_sim):
        order = paid_order(shopper, products[0], stripe_sim)
        made = stripe_sim.dashboard_refund(order.stripe_payment_intent_id, amount=10000)
        subject = made if event_type == "refund.created" else _charge(stripe_sim, made)
        return order, event_about(stripe_sim, event_type, subject), "refund_recorded"

    return setup


def _charge(stripe_sim, refund: dict) -> dict:
    (event,) = [e for e in stripe_sim.events if e["type"] == "charge.refunded"]
    assert event["data"]["object"]["id"] == refund["charge"]
    return event["data"]["object"]


@pytest.mark.parametrize(
    ("endpoint", "setup"),
    [
        ("GET /v1/checkout/sessions/{id}", _session_paid),
        ("GET /v1/payment_intents/{id}", _delayed_payment_failed),
        ("GET /v1/refunds/{id}", _dashboard_refund("refund.created")),
        ("GET /v1/refunds", _dashboard_refund("charge.refunded")),
    ],
    ids=["session", "payment-intent", "refund", "refunds-list"],
)
def test_a_webhook_waiting_for_stripe_holds_up_nothing_about_its_order(
    dollar_shop, hang, stripe_sim, products, endpoint, setup
):
    shopper, staff = browser(), packer()
    order, event, outcome = setup(shopper, products, stripe_sim)
    hang(endpoint)
    first = Background(lambda: deliver(stripe_sim, event))
    waiting_for_stripe(stripe_sim, endpoint, count=len(calls(stripe_sim, endpoint)) + 1)

    redelivered = quickly(lambda: deliver(stripe_sim, event))
    success_page = quickly(
        lambda: same_browser(shopper).get(
            "/checkout/success/", {"session_id": order.stripe_session_id}
        )
    )

    assert (redelivered.status_code, redelivered.json()["outcome"]) == (200, outcome)
    assert success_page.status_code == 303
    if outcome != "failed":
        assert quickly(lambda: ship(staff, order)).status_code == 302
        assert Order.objects.get(pk=order.pk).fulfilment == "shipped"
    late = first.result()
    assert (late.status_code, late.json()["outcome"]) == (200, "duplicate")
    assert Refund.objects.count() == len(stripe_sim.refunds)


# --- Cancelling ---------------------------------------------------------------------------


def test_the_success_page_and_the_expired_webhook_are_answered_while_a_cancel_expires(
    hang, stripe_sim, products
):
    shopper = browser()
    order = placed_order(shopper, products[0])
    hang("POST /v1/checkout/sessions/{id}/expire")
    cancel = Background(lambda: same_browser(shopper).get(f"/checkout/cancel/{order.public_id}/"))
    waiting_for_stripe(stripe_sim, "POST /v1/checkout/sessions/{id}/expire")

    success_page = quickly(
        lambda: same_browser(shopper).get(
            "/checkout/success/", {"session_id": order.stripe_session_id}
        )
    )
    (expired,) = [e for e in stripe_sim.events if e["type"] == "checkout.session.expired"]
    webhook = quickly(lambda: deliver(stripe_sim, expired))

    assert success_page.status_code == 303
    # Whichever reads the expired session first cancels it (the shopper's cancel is recorded).
    assert Order.objects.get().status == "cancelled"
    assert webhook.status_code == 200
    assert cancel.result().status_code == 303
    assert Order.objects.get().status == "cancelled"
    assert len(calls(stripe_sim, "POST /v1/checkout/sessions/{id}/expire")) == 1


# --- Refunding ----------------------------------------------------------------------------


def test_a_second_press_shipping_and_the_webhook_are_answered_while_a_refund_is_made(
    hang, stripe_sim, products, refunds_succeeded
):
    order = paid_order(browser(), products[0], stripe_sim)
    cashier, staff = staff_client("cashier", "Order refunds"), packer()
    asked = ask_to_refund(cashier, order, amount="100")
    confirmed = fields_of(confirmation_form(asked, order))  # the "Yes" of the confirmation
    hang("POST /v1/refunds")
    first = Background(lambda: cashier.post(f"{ORDERS}refund/{order.pk}/", confirmed, follow=True))
    waiting_for_stripe(stripe_sim, "POST /v1/refunds")

    again = quickly(lambda: cashier.post(f"{ORDERS}refund/{order.pk}/", confirmed, follow=True))
    shipped = quickly(lambda: ship(staff, order))
    (created,) = [e for e in stripe_sim.events if e["type"] == "refund.created"]
    webhook = quickly(lambda: deliver(stripe_sim, created))

    assert "not known yet" in admin_messages(again)[0]
    assert shipped.status_code == 302
    assert (webhook.status_code, webhook.json()["outcome"]) == (200, "refund_recorded")
    assert admin_messages(first.result())[0].endswith(": succeeded.")
    assert len(calls(stripe_sim, "POST /v1/refunds")) == len(stripe_sim.refunds) == 1
    (made,) = Refund.objects.all()
    assert (made.status, made.created_by.username) == ("succeeded", "cashier")
    assert refunds_succeeded == [made.pk]


# --- SQLite: the whole database is the lock -----------------------------------------------


@pytest.fixture(scope="module")
def sqlite_shop(running_simulator):
    """The shop on SQLite, served by gunicorn: this run's test database when the suite is on
    SQLite, else a temporary database file migrated for the purpose."""
    with tempfile.TemporaryDirectory() as directory:
        environment = os.environ | {
            "DJANGO_SETTINGS_MODULE": "mysite.settings.test",
            "STRIPE_API_BASE": running_simulator.api_base,
            "STRIPE_TIMEOUT_SECONDS": str(SLOW_SECONDS + 10),
            "WEB_CONCURRENCY": "1",
        }
        if connection.vendor != "sqlite":
            environment["DATABASE_URL"] = f"sqlite:///{Path(directory) / 'shop.sqlite3'}"
            migrate = [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"]
            subprocess.run(migrate, env=environment, check=True, cwd=django_settings.BASE_DIR)
        else:
            environment["DATABASE_URL"] = f"sqlite:///{connection.settings_dict['NAME']}"
        with gunicorn(environment, Path(directory) / "gunicorn.log", ready_path="/healthz") as url:
            yield url


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_on_sqlite_another_checkout_completes_while_one_waits_for_stripe(sqlite_shop, stripe_sim):
    stripe_sim.hang_next("POST /v1/checkout/sessions", SLOW_SECONDS)
    slow = Background(lambda: Shopper(sqlite_shop).checkout(T_Shirt=1))
    waiting_for_stripe(stripe_sim, "POST /v1/checkout/sessions")

    other = quickly(lambda: Shopper(sqlite_shop).checkout(Cap=1))

    assert other.status_code == 303 and other.headers["Location"].startswith(stripe_sim.api_base)
    assert slow.result().status_code == 303
    assert len(stripe_sim.sessions) == 2
