"""Refunds from the order's admin page (Wagtail over HTTP) through Stripe's Refunds API (the
simulator), and refunds made in Stripe's Dashboard kept in line by webhooks and reconcile."""

from __future__ import annotations

import uuid
from io import StringIO

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.test import Client

from store.models import Order, OrderEmail, Refund
from tests.admin_pages import admin_messages, staff_client
from tests.conftest import quantity_field
from tests.test_webhooks import deliver

ORDERS = "/admin/orders/"


@pytest.fixture
def paid_order(client, products, stripe_sim) -> Order:
    """Two T-Shirts and a Cap (₹1,300.00), paid by card through the simulator."""
    form = {quantity_field(products[0]): "2", quantity_field(products[2]): "1"}
    client.post("/checkout/", form)
    order = Order.objects.get()
    stripe_sim.pay(order.stripe_session_id, email="asha@example.com")
    client.get("/checkout/success/", {"session_id": order.stripe_session_id})
    order.refresh_from_db()
    assert order.status == "paid" and order.stripe_payment_intent_id
    return order


@pytest.fixture
def refunder(db) -> Client:
    return staff_client("cashier", "Order refunds")


def fields_of(form) -> dict[str, str]:
    """What a browser submits: every input but unticked checkboxes."""
    return {
        field["name"]: field.get("value", "on" if field.get("type") == "checkbox" else "")
        for field in form.select("input")
        if field.get("type") != "checkbox" or field.has_attr("checked")
    }


def refund_form(staff: Client, order: Order) -> dict[str, str]:
    """The refund form as the order's page renders it (hidden fields included)."""
    page = BeautifulSoup(staff.get(f"{ORDERS}inspect/{order.pk}/").content, "html.parser")
    form = page.select_one(f"form[action='{ORDERS}refund/{order.pk}/confirm/']")
    assert form is not None, "no refund form on the order's page"
    return fields_of(form)


def ask_to_refund(staff: Client, order: Order, form: dict | None = None, **fields):
    """Send the order page's refund form: the confirmation page, or the order's page saying
    why not. No ``amount``: "Refund everything that is left" is ticked."""
    data = (form or refund_form(staff, order)) | fields
    if not data.get("amount"):
        data.setdefault("refund_all", "on")
    return staff.post(f"{ORDERS}refund/{order.pk}/confirm/", data, follow=True)


def confirmation_form(response, order: Order):
    page = BeautifulSoup(response.content, "html.parser")
    return page.select_one(f"form[action='{ORDERS}refund/{order.pk}/']")


def refund(staff: Client, order: Order, form: dict | None = None, **fields):
    """Fill in the refund form on the order's page, then press "Yes" on the confirmation."""
    asked = ask_to_refund(staff, order, form, **fields)
    confirmation = confirmation_form(asked, order)
    if confirmation is None:
        return asked  # refused before the confirmation: the order's page says why
    return staff.post(f"{ORDERS}refund/{order.pk}/", fields_of(confirmation), follow=True)


def refund_requests(stripe_sim) -> list:
    return [r for r in stripe_sim.requests if (r.method, r.path) == ("POST", "/v1/refunds")]


def test_a_partial_refund_then_the_rest(refunder, paid_order, stripe_sim):
    page = refunder.get(f"{ORDERS}inspect/{paid_order.pk}/").content.decode()
    assert "Left to refund" in page and "₹1,300.00" in page

    first = refund(refunder, paid_order, amount="300", reason="requested_by_customer")

    assert "Refund of ₹300.00 for Order" in admin_messages(first)[0]
    paid_order.refresh_from_db()
    assert (paid_order.amount_refunded, paid_order.refund_state) == (30000, "Partially refunded")
    (made,) = refund_requests(stripe_sim)
    assert made.params == {
        "payment_intent": paid_order.stripe_payment_intent_id,
        "amount": "30000",
        "reason": "requested_by_customer",
        "metadata": {
            "order_id": str(paid_order.pk),
            "mini_store_refund": str(Refund.objects.get().public_id),
        },
    }
    assert made.idempotency_key == f"refund-{Refund.objects.get().public_id}"

    refund(refunder, paid_order)  # amount left empty: the rest

    paid_order.refresh_from_db()
    assert (paid_order.amount_refunded, paid_order.refund_state) == (130000, "Refunded")
    assert sorted(Refund.objects.values_list("amount", "status")) == [
        (30000, "succeeded"),
        (100000, "succeeded"),
    ]
    assert "Refund" not in [
        h.text
        for h in BeautifulSoup(
            refunder.get(f"{ORDERS}inspect/{paid_order.pk}/").content, "html.parser"
        ).select("h2")
    ]  # nothing left: no form


def test_a_double_click_makes_one_refund(refunder, paid_order, stripe_sim):
    form = refund_form(refunder, paid_order) | {"amount": "300"}

    refund(refunder, paid_order, form)
    again = refund(refunder, paid_order, form)

    assert "This form was already sent" in admin_messages(again)[0]
    assert Refund.objects.count() == 1 and len(refund_requests(stripe_sim)) == 1
    paid_order.refresh_from_db()
    assert paid_order.amount_refunded == 30000


def test_two_staff_with_the_page_open_make_one_refund(
    refunder, paid_order, stripe_sim, django_user_model
):
    colleague = staff_client("manager", "Order refunds")
    mine, theirs = refund_form(refunder, paid_order), refund_form(colleague, paid_order)

    refund(refunder, paid_order, mine, amount="300")
    late = refund(colleague, paid_order, theirs, amount="300")

    assert "Another refund was made while this page was open" in admin_messages(late)[0]
    assert Refund.objects.count() == 1 and len(refund_requests(stripe_sim)) == 1


def test_more_than_is_left_is_refused_without_asking_stripe(refunder, paid_order, stripe_sim):
    response = refund(refunder, paid_order, amount="1300.01")

    assert "Only ₹1,300.00 is left to refund." in admin_messages(response)[0]
    assert Refund.objects.count() == 0 and refund_requests(stripe_sim) == []


@pytest.mark.parametrize("amount", ["0", "-5", "lots", "$5"])
def test_a_bad_amount_is_refused_without_asking_stripe(refunder, paid_order, stripe_sim, amount):
    response = refund(refunder, paid_order, amount=amount)
    assert admin_messages(response)[0].startswith("No refund was made")
    assert Refund.objects.count() == 0 and refund_requests(stripe_sim) == []


def test_a_stripe_error_is_shown_and_leaves_no_half_made_refund(refunder, paid_order, stripe_sim):
    stripe_sim.fail_next(400, "invalid_request_error", "This charge is disputed.")

    response = refund(refunder, paid_order, amount="300")

    (message,) = admin_messages(response)
    assert message.startswith(
        "Stripe refused the refund, so nothing changed: "
        "InvalidRequestError: This charge is disputed."
    )
    assert Refund.objects.count() == 0
    paid_order.refresh_from_db()
    assert paid_order.amount_refunded == 0


def test_a_refund_that_fails_later_is_kept_failed_and_flagged(
    client, refunder, paid_order, stripe_sim
):
    refund(refunder, paid_order, amount="300")
    made = Refund.objects.get()
    stripe_sim.fail_refund(made.stripe_refund_id)
    failed_event = next(e for e in stripe_sim.events if e["type"] == "refund.failed")

    assert deliver(client, failed_event).json()["outcome"] == "refund_recorded"

    made.refresh_from_db()
    paid_order.refresh_from_db()
    assert (made.status, made.failure_reason) == ("failed", "lost_or_stolen_card")
    assert paid_order.amount_refunded == 0
    assert paid_order.needs_attention
    assert paid_order.attention_reason.startswith("A refund of ₹300.00 failed")
    page = refunder.get(f"{ORDERS}inspect/{paid_order.pk}/").content.decode()
    assert "₹300.00: failed" in page


def test_a_dashboard_refund_arriving_twice_is_counted_once(client, paid_order, stripe_sim):
    made = stripe_sim.dashboard_refund(paid_order.stripe_payment_intent_id, amount=50000)
    events = [e for e in stripe_sim.events if e["type"] in ("refund.created", "charge.refunded")]

    outcomes = [deliver(client, event).json()["outcome"] for event in events + events]
    again = stripe_sim.build_event("refund.updated", stripe_sim.refunds[made["id"]])
    outcomes.append(deliver(client, again).json()["outcome"])

    assert outcomes[0] == "refund_recorded" and set(outcomes[1:]) <= {"unchanged", "duplicate"}
    (recorded,) = Refund.objects.all()
    assert (recorded.stripe_refund_id, recorded.amount, recorded.made_in_stripe) == (
        made["id"],
        50000,
        True,
    )
    paid_order.refresh_from_db()
    assert paid_order.amount_refunded == 50000


def test_sync_orders_finds_a_dashboard_refund_whose_events_were_missed(
    client, refunder, paid_order, stripe_sim
):
    refund(refunder, paid_order, amount="100")  # refunded lately: reconcile keeps an eye on it
    stripe_sim.dashboard_refund(paid_order.stripe_payment_intent_id, amount=20000)

    out = StringIO()
    call_command("sync_orders", stdout=out)

    assert "checked the refunds of 1 orders: 1 updated" in out.getvalue()
    paid_order.refresh_from_db()
    assert paid_order.amount_refunded == 10000 + 20000


def test_a_pending_refund_counts_against_what_is_left_until_it_succeeds(
    client, refunder, paid_order, stripe_sim
):
    stripe_sim.make_next_refunds_pending()
    refund(refunder, paid_order, amount="1000")
    made = Refund.objects.get()
    assert made.status == "pending"
    paid_order.refresh_from_db()
    assert paid_order.amount_refunded == 0
    assert "Only ₹300.00 is left" in admin_messages(refund(refunder, paid_order, amount="400"))[0]

    stripe_sim.settle_refund(made.stripe_refund_id)
    updated = next(e for e in reversed(stripe_sim.events) if e["type"] == "refund.updated")
    deliver(client, updated)

    paid_order.refresh_from_db()
    assert paid_order.amount_refunded == 100000


def test_each_refund_owes_the_customer_one_email(client, refunder, paid_order, stripe_sim):
    refund(refunder, paid_order, amount="300")
    refund(refunder, paid_order, amount="200")
    for event in [e for e in stripe_sim.events if e["type"].startswith("refund.")]:
        deliver(client, event)

    notices = OrderEmail.objects.filter(kind="refund")
    assert sorted(notice.refund.amount for notice in notices) == [20000, 30000]
    assert {notice.to for notice in notices} == {"asha@example.com"}


# Each request commits, as in production, so the shopper's page hears of every change.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_my_orders_shows_what_was_refunded(client, refunder, paid_order, stripe_sim):
    refund(refunder, paid_order, amount="300")
    entry = BeautifulSoup(client.get("/").content, "html.parser").select_one("li.order")
    assert entry.select_one(".order-refunded").text == ", refunded ₹300.00"
    assert entry.select_one(".status").text == "Paid"
    refund(refunder, paid_order)
    entry = BeautifulSoup(client.get("/").content, "html.parser").select_one("li.order")
    assert entry.select_one(".status").text == "Refunded"


def test_the_sales_panel_counts_revenue_net_of_refunds(admin_client, refunder, paid_order):
    refund(refunder, paid_order, amount="300")
    dashboard = BeautifulSoup(admin_client.get("/admin/").content, "html.parser")
    today = dashboard.select_one("#store-sales-section tbody tr")
    assert [cell.text for cell in today.select("td")] == ["1", "₹1,000.00"]


# --- Who may refund ----------------------------------------------------------------------


@pytest.fixture
def packer(db) -> Client:
    return staff_client("packer", "Order fulfilment")


def test_staff_without_the_permission_see_no_form_and_a_post_is_forbidden(
    packer, paid_order, stripe_sim
):
    page = BeautifulSoup(packer.get(f"{ORDERS}inspect/{paid_order.pk}/").content, "html.parser")
    assert page.select_one(f"form[action='{ORDERS}refund/{paid_order.pk}/']") is None

    response = packer.post(
        f"{ORDERS}refund/{paid_order.pk}/",
        {"form_token": str(uuid.uuid4()), "outstanding_when_shown": "0", "amount": "300"},
    )

    assert response.status_code == 403
    assert Refund.objects.count() == 0 and refund_requests(stripe_sim) == []


def test_the_refunds_group_has_only_what_it_needs(db):
    group = Group.objects.get(name="Order refunds")
    assert sorted(group.permissions.values_list("codename", flat=True)) == [
        "access_admin",
        "refund_order",
        "view_order",
    ]
    assert Permission.objects.get(codename="refund_order").name == "Can refund orders"
