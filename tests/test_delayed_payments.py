"""A payment that settles later (a bank debit): processing, then paid or failed, whether
Stripe's webhooks arrive or ``sync_orders`` has to find out. Stripe offers that debit
for USD only, so the shop sells in dollars here."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from store.models import Order, OrderEmail
from stripe_simulator.payments import FAILING_ACCOUNT, SETTLING_ACCOUNT
from tests.shopping import Shopper, messages, my_orders

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("dollar_shop"),
]


@pytest.fixture
def shopper(shop_server) -> Shopper:
    return Shopper(shop_server.url)


def status_in_my_orders(shopper: Shopper) -> str:
    (order,) = my_orders(shopper.shop())
    return order["status"]


def owed_failure_emails() -> list[str]:
    """Who is owed a "your payment failed" email (store.emails sends it)."""
    return [email.to for email in OrderEmail.objects.filter(kind=OrderEmail.Kind.PAYMENT_FAILED)]


def debit(shopper: Shopper, account: str) -> Order:
    to_stripe = shopper.checkout(Cap=1)
    landing = shopper.follow_to_shop(
        shopper.pay_by_bank_debit(to_stripe.headers["Location"], account)
    )
    order = Order.objects.get()
    assert f"Your payment for order #{order.number} is processing." in " ".join(messages(landing))
    return order


@pytest.mark.parametrize(
    "account, status, shown",
    [(SETTLING_ACCOUNT, "paid", "Paid"), (FAILING_ACCOUNT, "failed", "Payment failed")],
)
def test_by_webhook(shopper, stripe_sim, account, status, shown):
    order = debit(shopper, account)
    stripe_sim.wait_for_deliveries(1)
    assert status_in_my_orders(shopper) == "Payment processing"

    stripe_sim.settle(order.stripe_session_id)
    stripe_sim.wait_for_deliveries(2)

    order.refresh_from_db()
    assert order.status == status
    assert status_in_my_orders(shopper) == shown
    assert owed_failure_emails() == ([order.customer_email] if status == "failed" else [])


@pytest.mark.parametrize(
    "account, status, reported",
    [(SETTLING_ACCOUNT, "paid", "1 paid"), (FAILING_ACCOUNT, "failed", "1 failed")],
)
def test_by_sync_orders_when_the_webhooks_never_came(
    shopper, stripe_sim, account, status, reported
):
    stripe_sim.webhook_url = None
    order = debit(shopper, account)
    stripe_sim.settle(order.stripe_session_id)

    predicted, out = StringIO(), StringIO()
    call_command("sync_orders", "--older-than", "0", "--dry-run", stdout=predicted)
    assert Order.objects.get().status == "pending"
    call_command("sync_orders", "--older-than", "0", stdout=out)

    assert reported in out.getvalue()
    assert predicted.getvalue().removeprefix("[dry run: nothing changed] ") == out.getvalue()
    assert Order.objects.get().status == status
    assert len(owed_failure_emails()) == (1 if status == "failed" else 0)


def test_sync_orders_leaves_a_payment_still_processing_alone(shopper, stripe_sim):
    stripe_sim.webhook_url = None
    debit(shopper, SETTLING_ACCOUNT)
    out = StringIO()
    call_command("sync_orders", "--older-than", "0", stdout=out)
    assert "1 unchanged" in out.getvalue()
    assert Order.objects.get().payment_processing
