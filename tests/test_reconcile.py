"""Orders whose shopper never came back: the webhook pays them; `sync_orders` heals the rest."""

from __future__ import annotations

import uuid
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from store.models import Order
from tests.conftest import quantity_field
from tests.shopping import Shopper


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_webhook_pays_an_order_whose_browser_never_returned(shop_server, stripe_sim):
    shopper = Shopper(shop_server.url)
    to_stripe = shopper.checkout(Shoes=1)
    # Pay on Stripe's page, then close the tab instead of following the redirect.
    assert shopper.pay(to_stripe.headers["Location"]).status_code == 303

    (delivery,) = stripe_sim.wait_for_deliveries(1)

    assert delivery.event["type"] == "checkout.session.completed"
    assert delivery.status == 200
    order = Order.objects.get()
    assert order.status == "paid"
    # When the shopper opens the shop again, the order is there.
    assert "1 × Shoes" in shopper.shop().select_one("section.my-orders").text


def place_order(client, products, *, quantity_of_cap: int = 1, minutes_ago: int = 11) -> Order:
    form = {"form_token": str(uuid.uuid4()), quantity_field(products[2]): str(quantity_of_cap)}
    client.post("/checkout/", form)
    order = Order.objects.latest("pk")
    # Placed, and its Checkout Session asked for, that long ago.
    then = timezone.now() - timedelta(minutes=minutes_ago)
    Order.objects.filter(pk=order.pk).update(created_at=then, checkout_started_at=then)
    return order


def sync_orders(*args) -> str:
    out = StringIO()
    call_command("sync_orders", *args, stdout=out)
    return out.getvalue().strip()


def test_sync_orders_pays_an_order_when_no_webhook_arrived(client, products, stripe_sim):
    order = place_order(client, products)
    stripe_sim.pay(order.stripe_session_id)

    summary = sync_orders()

    assert summary == (
        "checked 1 pending orders: 1 paid, 0 expired, 0 cancelled, 0 failed, 0 unchanged, "
        "0 need attention, 0 errors"
    )
    order.refresh_from_db()
    assert order.status == "paid" and order.customer_email == "shopper@example.com"
    assert sync_orders().startswith("checked 0 pending orders: 0 paid")


def test_sync_orders_settles_expired_and_overdue_sessions(client, products, stripe_sim):
    expired_at_stripe = place_order(client, products)
    stripe_sim.expire(expired_at_stripe.stripe_session_id)
    overdue = place_order(client, products, quantity_of_cap=2)
    stripe_sim.sessions[overdue.stripe_session_id]["expires_at"] = int(time_ago(1).timestamp())
    still_open = place_order(client, products, quantity_of_cap=3)
    too_young = place_order(client, products, quantity_of_cap=4, minutes_ago=2)

    summary = sync_orders("--older-than", "10")

    assert summary.startswith(
        "checked 3 pending orders: 0 paid, 2 expired, 0 cancelled, 0 failed, 1 unchanged"
    )
    statuses = {
        order.pk: Order.objects.get(pk=order.pk).status
        for order in (expired_at_stripe, overdue, still_open, too_young)
    }
    assert statuses == {
        expired_at_stripe.pk: "expired",
        overdue.pk: "expired",
        still_open.pk: "pending",
        too_young.pk: "pending",
    }
    assert stripe_sim.sessions[overdue.stripe_session_id]["status"] == "expired"


def time_ago(minutes: int):
    return timezone.now() - timedelta(minutes=minutes)


def test_sync_orders_dry_run_changes_nothing(client, products, stripe_sim):
    order = place_order(client, products)
    stripe_sim.pay(order.stripe_session_id)

    summary = sync_orders("--dry-run")

    assert summary.startswith("[dry run: nothing changed] checked 1 pending orders: 1 paid")
    assert Order.objects.get().status == "pending"


def test_sync_orders_fails_an_order_whose_session_was_never_created(client, products, stripe_sim):
    stripe_sim.fail_next(500)
    order = place_order(client, products)
    Order.objects.filter(pk=order.pk).update(status="pending")
    assert "1 failed" in sync_orders()
    assert Order.objects.get().status == "failed"


def test_sync_orders_reports_stripe_errors_and_exits_non_zero(client, products, stripe_sim):
    place_order(client, products)
    stripe_sim.fail_next(500, count=5)
    with pytest.raises(CommandError, match="1 orders could not be checked"):
        sync_orders()
    assert Order.objects.get().status == "pending"


def test_sync_orders_refuses_a_negative_age(db):
    with pytest.raises(CommandError, match="0 or more"):
        sync_orders("--older-than", "-1")


def test_sync_orders_reports_a_payment_that_does_not_match_separately(client, products, stripe_sim):
    order = place_order(client, products)
    stripe_sim.pay(order.stripe_session_id)
    stripe_sim.tamper(order.stripe_session_id, amount_total=100)

    summary = sync_orders()

    assert "0 paid" in summary and "1 need attention" in summary
    order.refresh_from_db()
    assert order.status == "pending" and order.needs_attention


def test_sync_orders_dry_run_predicts_what_the_real_run_does(client, products, stripe_sim):
    paid = place_order(client, products)
    stripe_sim.pay(paid.stripe_session_id)
    expired = place_order(client, products, quantity_of_cap=2)
    stripe_sim.sessions[expired.stripe_session_id]["expires_at"] = int(time_ago(1).timestamp())
    mismatched = place_order(client, products, quantity_of_cap=3)
    stripe_sim.pay(mismatched.stripe_session_id)
    stripe_sim.tamper(mismatched.stripe_session_id, amount_total=1)
    place_order(client, products, quantity_of_cap=4)  # still open: unchanged

    predicted = sync_orders("--dry-run").removeprefix("[dry run: nothing changed] ")
    assert [Order.objects.get(pk=o.pk).status for o in (paid, expired)] == ["pending"] * 2
    assert not Order.objects.filter(needs_attention=True).exists()
    assert [r for r in stripe_sim.requests if r.method == "POST"][-1].path == (
        "/v1/checkout/sessions"  # the dry run asked Stripe to change nothing
    )

    assert sync_orders() == predicted


def test_money_for_an_order_that_had_ended_is_kept_and_flagged(client, products, stripe_sim):
    order = place_order(client, products)
    Order.objects.filter(pk=order.pk).update(status="cancelled")
    stripe_sim.pay(order.stripe_session_id)

    client.get("/checkout/success/", {"session_id": order.stripe_session_id})

    order.refresh_from_db()
    assert order.status == "paid"
    assert order.needs_attention
    assert order.attention_reason.startswith("Paid after it was cancelled")


def test_sync_orders_leaves_a_checkout_that_is_still_starting_alone(client, products, stripe_sim):
    """Issue 9: `--older-than 0` while the Stripe call is in flight failed a live checkout."""
    order = place_order(client, products, minutes_ago=0)
    Order.objects.filter(pk=order.pk).update(stripe_session_id=None, checkout_url="")

    assert "0 failed" in sync_orders("--older-than", "0")
    assert Order.objects.get(pk=order.pk).status == "pending"
