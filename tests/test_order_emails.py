"""Order emails: one per change however many callers race, sent by the worker through a real
SMTP server, and kept until the server takes them."""

from __future__ import annotations

import json

import pytest
import requests
from django.conf import settings

from store.models import Order, OrderEmail
from stripe_simulator import sign_payload
from tests.mail_server import run_worker, text_and_html
from tests.shopping import Shopper
from tests.test_concurrency import race

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

CUSTOMER = "asha@example.com"
STAFF = "orders@shop.example"


@pytest.fixture
def shopper(shop_server) -> Shopper:
    return Shopper(shop_server.url)


def paid_at_stripe(shopper: Shopper, stripe_sim, **quantities) -> Order:
    """Checked out and paid on Stripe's page, the browser not back yet, no webhook sent."""
    stripe_sim.webhook_url = None
    shopper.checkout(**quantities)
    order = Order.objects.get()
    stripe_sim.pay(order.stripe_session_id, email=CUSTOMER, name="Asha Rao")
    return order


def test_one_confirmation_while_the_success_page_and_three_webhooks_race(
    shopper, shop_server, stripe_sim, mail_server
):
    order = paid_at_stripe(shopper, stripe_sim, T_Shirt=2, Cap=1)
    body = json.dumps(
        stripe_sim.build_event(
            "checkout.session.completed", stripe_sim.sessions[order.stripe_session_id]
        )
    ).encode()

    def webhook() -> int:
        return requests.post(
            f"{shop_server.url}/stripe/webhook/",
            data=body,
            headers={
                "Stripe-Signature": sign_payload(body, settings.STRIPE_WEBHOOK_SECRET),
                "Content-Type": "application/json",
            },
            timeout=30,
        ).status_code

    success_url = f"/checkout/success/?session_id={order.stripe_session_id}"
    results = race(4, lambda i: shopper.get(success_url).status_code if i == 0 else webhook())
    assert results == [303, 200, 200, 200]
    assert mail_server.received == []  # nothing is sent inside a request

    run_worker()
    run_worker()  # a second run finds nothing more to send

    assert len(mail_server.to(CUSTOMER)) == 1 and len(mail_server.to(STAFF)) == 1
    assert len(mail_server.received) == 2
    (confirmation,) = mail_server.to(CUSTOMER)
    assert confirmation["Subject"] == f"Mini Store: your order #{order.number} is confirmed"
    text, html = text_and_html(confirmation)
    assert "2 × T-Shirt: ₹1,000.00" in text and "1 × Cap: ₹300.00" in text
    assert "<td><bdi>T-Shirt</bdi></td>" in html
    for part in (text, html):
        assert "₹1,300.00" in part
        assert "12 MG Road" in part and "Bengaluru 560001" in part
    (new_order,) = mail_server.to(STAFF)
    assert f"/admin/orders/inspect/{order.pk}/" in text_and_html(new_order)[0]


def test_a_refusing_mail_server_is_tried_again_and_the_email_is_not_lost(
    shopper, stripe_sim, mail_server
):
    order = paid_at_stripe(shopper, stripe_sim, Cap=1)
    shopper.get(f"/checkout/success/?session_id={order.stripe_session_id}")
    mail_server.refuse_next(3)

    run_worker()

    assert len(mail_server.to(CUSTOMER)) == 1 and len(mail_server.to(STAFF)) == 1
    attempts = sorted(OrderEmail.objects.values_list("attempts", flat=True))
    assert sum(attempts) == 2 + 3  # each sent once, after three refusals between them
    assert all(OrderEmail.objects.values_list("sent_at", flat=True))


def test_an_unreachable_mail_server_keeps_the_email_with_its_error(
    shopper, stripe_sim, mail_server, settings
):
    order = paid_at_stripe(shopper, stripe_sim, Cap=1)
    settings.EMAIL_PORT = 9  # nothing listens there
    shopper.get(f"/checkout/success/?session_id={order.stripe_session_id}")

    with pytest.raises(TimeoutError):
        run_worker(timeout=0.5)

    confirmation = OrderEmail.objects.get(kind="confirmation")
    assert confirmation.sent_at is None and confirmation.attempts >= 1
    assert "ConnectionRefusedError" in confirmation.last_error
    settings.EMAIL_PORT = mail_server.port  # the server is back
    run_worker()
    assert len(mail_server.to(CUSTOMER)) == 1


def test_no_customer_email_no_confirmation_but_staff_still_hear(shopper, stripe_sim, mail_server):
    order = paid_at_stripe(shopper, stripe_sim, Cap=1)
    stripe_sim.tamper(order.stripe_session_id, customer_details=None)
    shopper.get(f"/checkout/success/?session_id={order.stripe_session_id}")

    run_worker()

    assert [message["To"] for message in mail_server.received] == [STAFF]


def test_a_refund_sends_the_customer_one_notice(shopper, stripe_sim, mail_server, admin_client):
    from tests.test_refunds import refund

    order = paid_at_stripe(shopper, stripe_sim, Cap=1)
    shopper.get(f"/checkout/success/?session_id={order.stripe_session_id}")
    order.refresh_from_db()
    refund(admin_client, order, amount="100")
    run_worker()

    notices = [m for m in mail_server.to(CUSTOMER) if "refunded" in m["Subject"]]
    assert [m["Subject"] for m in notices] == [
        f"Mini Store: ₹100.00 refunded for order #{order.number}"
    ]
    text, html = text_and_html(notices[0])
    assert "Refunded so far: ₹100.00 of ₹300.00." in text and "₹100.00 refunded" in html
