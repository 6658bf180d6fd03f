"""Disputes and early fraud warnings: Stripe's signed events over HTTP flag the order once,
keep it from shipping, tell staff once by email (through a real SMTP server), and show
on the order's page, the listing and the dashboard."""

from __future__ import annotations

import json
import threading
from types import SimpleNamespace

import pytest
import requests
from bs4 import BeautifulSoup
from django.conf import settings
from django.db import connection, transaction

from store.models import Dispute, EarlyFraudWarning, Order, OrderEmail, WebhookEvent
from store.payments import disputes as payments_disputes
from store.reports import sales_summary
from store.templatetags.store_format import local_datetime
from stripe_simulator import sign_payload
from tests.admin_pages import admin_messages, staff_client
from tests.conftest import requires_postgres
from tests.mail_server import run_worker, text_and_html
from tests.shopping import Shopper
from tests.test_orders_admin import listing_numbers

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

STAFF = "orders@shop.example"
ORDERS = "/admin/orders/"
# What the cardholder's bank does before the event under test is sent, and its outcome.
BANK_STEPS = {
    "charge.dispute.created": (),
    "charge.dispute.funds_withdrawn": (),
    "charge.dispute.updated": ("evidence",),
    "charge.dispute.closed": ("evidence", "lose"),
    "charge.dispute.funds_reinstated": ("evidence", "win"),
}


@pytest.fixture
def paid_order(shop_server, stripe_sim, settings) -> Order:
    """A Cap bought through the shop and paid; from now on the test sends Stripe's events."""
    settings.STORE_ORDER_NOTIFY_EMAILS = [STAFF]
    shopper = Shopper(shop_server.url)
    shopper.checkout(Cap=1)
    order = Order.objects.get()
    stripe_sim.pay(order.stripe_session_id)
    stripe_sim.wait_for_deliveries(1)
    stripe_sim.webhook_url = None
    order.refresh_from_db()
    assert order.status == "paid" and not order.needs_attention
    return order


@pytest.fixture
def fulfiller():
    return staff_client("packer", "Order fulfilment")


def send(shop_server, event: dict) -> requests.Response:
    """The event, signed as Stripe signs it, to the shop's webhook endpoint."""
    body = json.dumps(event).encode()
    return requests.post(
        f"{shop_server.url}/stripe/webhook/",
        data=body,
        headers={
            "Stripe-Signature": sign_payload(body, settings.STRIPE_WEBHOOK_SECRET),
            "Content-Type": "application/json",
        },
        timeout=30,
    )


def bank(stripe_sim, order: Order, *steps: str, **dispute) -> dict:
    """The cardholder's bank opens a dispute of the order's payment, then takes ``steps``."""
    opened = stripe_sim.open_dispute(order.stripe_payment_intent_id, **dispute)
    for step in steps:
        if step == "evidence":
            stripe_sim.submit_dispute_evidence(opened["id"])
        else:
            stripe_sim.close_dispute(opened["id"], won=step == "win")
    return opened


def event_of(stripe_sim, event_type: str) -> dict:
    [event] = [event for event in stripe_sim.events if event["type"] == event_type]
    return event


def dispute_emails(mail_server) -> list:
    return [message for message in mail_server.to(STAFF) if "disputed" in message["Subject"]]


def words(text: str) -> str:
    """Spaces as spaces: a subject line carries no narrow no-break space (as in "4:14 pm")."""
    return " ".join(text.split())


def ship(client, order: Order):
    return client.post(f"{ORDERS}ship/{order.pk}/", {}, follow=True)


@pytest.mark.parametrize("event_type", list(BANK_STEPS))
def test_each_dispute_event_flags_the_order_once_and_tells_staff_once(
    event_type, paid_order, shop_server, stripe_sim, mail_server, fulfiller
):
    opened = bank(stripe_sim, paid_order, *BANK_STEPS[event_type], reason="product_not_received")
    event = event_of(stripe_sim, event_type)

    first, again = send(shop_server, event), send(shop_server, event)

    assert (first.status_code, first.json()["outcome"]) == (200, "dispute_recorded")
    assert again.json()["outcome"] == "duplicate"
    dispute = Dispute.objects.get()
    assert (dispute.stripe_dispute_id, dispute.order_id) == (opened["id"], paid_order.pk)
    assert (dispute.reason, dispute.amount, dispute.currency) == (
        "product_not_received",
        paid_order.amount_total,
        "inr",
    )
    assert dispute.status == stripe_sim.disputes[opened["id"]]["status"]  # Stripe's state now
    order = Order.objects.get()
    assert order.needs_attention and "ispute" in order.attention_reason
    # Every other event of this dispute, in Stripe's order, changes no count.
    for other in stripe_sim.events:
        if other["type"].startswith("charge.dispute.") and other["id"] != event["id"]:
            assert send(shop_server, other).status_code == 200
    assert Dispute.objects.count() == 1
    assert OrderEmail.objects.filter(kind="dispute").count() == 1
    run_worker()
    run_worker()
    assert len(dispute_emails(mail_server)) == 1

    shipped = ship(fulfiller, order)

    order.refresh_from_db()
    if dispute.status == "won":  # the bank sided with the shop: the money is back
        assert order.fulfilment == "shipped"
    else:
        assert order.fulfilment == "unfulfilled"
        assert f"{order} was not marked shipped: its payment is disputed" in " ".join(
            admin_messages(shipped)
        )


def test_the_staff_email_gives_the_deadline_and_stripes_page(
    paid_order, shop_server, stripe_sim, mail_server
):
    stripe_sim.webhook_url = f"{shop_server.url}/stripe/webhook/"
    opened = bank(stripe_sim, paid_order)
    stripe_sim.wait_for_deliveries(3)  # paid, then created and funds_withdrawn
    run_worker()

    [alert] = dispute_emails(mail_server)
    dispute = Dispute.objects.get()
    assert dispute.evidence_due_by.timestamp() == opened["evidence_details"]["due_by"]
    text, html = text_and_html(alert)
    deadline = local_datetime(dispute.evidence_due_by)
    assert words(alert["Subject"]) == words(
        f"Order #{paid_order.number} is disputed: respond by {deadline}"
    )
    for part in (text, html):
        assert words(deadline) in words(part) and "₹300.00" in part and "fraudulent" in part
        assert f"{stripe_sim.api_base}/dashboard" in part  # the simulator's Dashboard
        assert f"/admin/orders/inspect/{paid_order.pk}/" in part


def test_a_dispute_without_its_payment_intent_is_found_through_the_charge(
    paid_order, shop_server, stripe_sim
):
    opened = bank(stripe_sim, paid_order, names_payment_intent=False)
    assert opened["payment_intent"] is None

    response = send(shop_server, event_of(stripe_sim, "charge.dispute.created"))

    assert response.json()["outcome"] == "dispute_recorded"
    assert Dispute.objects.get().order_id == paid_order.pk
    charge_reads = [r for r in stripe_sim.requests if r.path.startswith("/v1/charges/")]
    assert [r.path for r in charge_reads] == [f"/v1/charges/{opened['charge']}"]


def test_a_dispute_of_another_shops_payment_is_acknowledged_and_changes_nothing(
    paid_order, shop_server, stripe_sim
):
    opened = bank(stripe_sim, paid_order)
    Order.objects.update(stripe_payment_intent_id="pi_someone_else")

    response = send(shop_server, event_of(stripe_sim, "charge.dispute.created"))

    assert (response.status_code, response.json()["outcome"]) == (200, "not_ours")
    assert not Dispute.objects.exists() and not Order.objects.get().needs_attention
    assert opened["id"] in WebhookEvent.objects.get(type="charge.dispute.created").object_id


def test_an_early_fraud_warning_flags_the_order_once(paid_order, shop_server, stripe_sim):
    warning = stripe_sim.early_fraud_warning(paid_order.stripe_payment_intent_id)
    event = event_of(stripe_sim, "radar.early_fraud_warning.created")

    assert send(shop_server, event).json()["outcome"] == "dispute_recorded"
    assert send(shop_server, event).json()["outcome"] == "duplicate"

    [recorded] = EarlyFraudWarning.objects.all()
    assert (recorded.stripe_warning_id, recorded.order_id) == (warning["id"], paid_order.pk)
    assert recorded.fraud_type == "made_with_stolen_card"
    order = Order.objects.get()
    assert order.needs_attention and "early fraud warning" in order.attention_reason


def test_staff_see_the_dispute_filter_it_count_it_and_lost_money_leaves_the_sales(
    paid_order, shop_server, stripe_sim, fulfiller, admin_client
):
    revenue = sales_summary().revenue_today
    other = Order.objects.create(
        status="paid", currency="inr", amount_total=50000, browser_token="b"
    )
    opened = bank(stripe_sim, paid_order)
    send(shop_server, event_of(stripe_sim, "charge.dispute.created"))

    page = BeautifulSoup(
        admin_client.get(f"{ORDERS}inspect/{paid_order.pk}/").content, "html.parser"
    )
    link = page.find("a", string=f"Open {opened['id']} in Stripe’s Dashboard")
    assert link["href"] == f"{stripe_sim.api_base}/dashboard"
    assert "needs a response" in link.parent.text and "respond by" in link.parent.text
    assert "cannot be marked shipped: its payment is disputed" in page.text
    listing = admin_client.get(ORDERS, {"disputed": "true"})
    assert listing_numbers(listing) == [str(paid_order.number)] != [str(other.number)]
    dashboard = BeautifulSoup(admin_client.get("/admin/").content, "html.parser")
    assert dashboard.find("a", string="1 dispute needs a response")
    assert sales_summary().revenue_today == revenue

    stripe_sim.close_dispute(opened["id"], won=False)
    send(shop_server, event_of(stripe_sim, "charge.dispute.closed"))

    assert sales_summary().revenue_today == revenue - paid_order.amount_total
    assert sales_summary().disputes_needing_response == 0


@requires_postgres
def test_a_dispute_recorded_while_staff_press_ship_wins_the_race(
    paid_order, shop_server, stripe_sim, fulfiller
):
    """The dispute's transaction has flagged the order but not committed when "Mark shipped"
    arrives: the ship's conditional UPDATE waits for the row, sees ``disputed`` and ships
    nothing. Without ``disputed=False`` in that UPDATE the order ships."""
    opened = bank(stripe_sim, paid_order)
    fetched = payments_disputes.fetch_dispute(SimpleNamespace(id=opened["id"]))
    recorded, release = threading.Event(), threading.Event()

    def record_dispute() -> None:
        try:
            with transaction.atomic():
                payments_disputes.apply_dispute(fetched)
                recorded.set()
                release.wait(10)
        finally:
            connection.close()

    recorder = threading.Thread(target=record_dispute)
    recorder.start()
    assert recorded.wait(10)
    shipper = threading.Thread(target=lambda: (ship(fulfiller, paid_order), connection.close()))
    shipper.start()
    shipper.join(1)
    assert shipper.is_alive()  # waiting for the order's row
    release.set()
    recorder.join(10)
    shipper.join(10)

    order = Order.objects.get()
    assert (order.disputed, order.fulfilment) == (True, "unfulfilled")
