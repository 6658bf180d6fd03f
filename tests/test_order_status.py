"""An order's status page from any device: reached by the signed link its emails carry, never
by another order's link or an altered one; "Find my order" emails the link, telling a
stranger nothing."""

from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import Permission
from django.core import mail, signing
from django.test import Client
from django.urls import reverse

from home import shop_page
from store import emails, order_links
from store.models import Order, OrderEmail, Refund
from tests.gst_support import paid_order

CUSTOMER = "asha@example.com"
LINK = re.compile(r"https?://[^/\s]+(/orders/[^\s\"<]+/)")


@pytest.fixture
def order(products) -> Order:
    shirt, _, cap = products
    order = paid_order([(shirt, 2), (cap, 1)], state="MH")
    Order.objects.filter(pk=order.pk).update(
        customer_email=CUSTOMER, customer_phone="+91 98200 00000"
    )
    order.refresh_from_db()
    return order


@pytest.fixture
def other_order(products) -> Order:
    other = paid_order([(products[1], 1)])
    Order.objects.filter(pk=other.pk).update(customer_email="ravi@example.com")
    return other


def status_page(path: str) -> tuple[int, BeautifulSoup]:
    """The page as a phone that never visited the shop sees it: no browser token, no session."""
    response = Client().get(path)
    return response.status_code, BeautifulSoup(response.content, "html.parser")


def emailed_link(kind: str) -> str:
    """The status link in the one email of ``kind`` the shop owes, as the worker sends it."""
    (owed,) = OrderEmail.objects.filter(kind=kind, sent_at__isnull=True)
    message = emails.message(owed)
    message.send()
    (path,) = set(LINK.findall(message.body))
    assert path in message.alternatives[0].content  # the HTML part links the same page
    return path


def test_the_confirmation_emails_a_link_that_opens_the_order_on_another_device(order):
    emails.queue(order, OrderEmail.Kind.CONFIRMATION)
    path = emailed_link(OrderEmail.Kind.CONFIRMATION)

    status, page = status_page(path)

    assert status == 200
    assert page.select_one("h1").text == f"Order #{order.number}"
    assert page.select_one(".status").text == "Paid"
    assert "2 × T-Shirt" not in page.text  # a table, not My Orders' list
    assert [cell.text for cell in page.select("tbody td")][:3] == ["T-Shirt", "2", "₹1,000.00"]
    assert "₹1,300.00" in page.select_one(".order-total").text
    assert "12 MG Road" in page.select_one("address").text
    assert "+91 98200 00000" in page.select_one("address").text


def test_the_link_shows_shipping_with_the_carriers_tracking_page_and_refunds(order, admin_client):
    admin_client.post(
        reverse("orders:ship", args=[order.pk]),
        {"carrier": "Delhivery", "tracking_number": "DL 1234/5"},
    )
    Refund.objects.create(order=order, amount=30000, currency="inr", status=Refund.Status.SUCCEEDED)

    status, page = status_page(order_links.status_path(order))

    assert status == 200
    assert page.select_one(".status").text == "Shipped"
    track = page.select_one(".order-tracking a")
    assert track["href"] == "https://www.delhivery.com/track/package/DL%201234%2F5"
    assert "noreferrer" in track["rel"]  # the carrier never sees this page's secret address
    assert "₹300.00 refunded" in page.select_one(".order-refunds").text


def test_one_orders_link_never_opens_another(order, other_order):
    own = order_links.token_for(order)
    other_order.refresh_from_db()
    # A correctly signed value pairing one order's id with another order's token.
    mixed = signing.dumps([str(other_order.public_id), order.status_token], salt=order_links.SALT)

    assert status_page(f"/orders/{own}/")[1].select_one("h1").text == f"Order #{order.number}"
    assert status_page(f"/orders/{mixed}/")[0] == 404
    assert status_page(order_links.status_path(other_order))[1].select_one("h1").text == (
        f"Order #{other_order.number}"
    )


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),  # the signature
        lambda token: ("x" if token[0] != "x" else "y") + token[1:],  # the signed value
        lambda token: token.split(":")[0],  # no signature at all
        lambda token: "not-a-link",
    ],
)
def test_an_altered_link_is_404(order, tamper):
    assert status_page(f"/orders/{tamper(order_links.token_for(order))}/")[0] == 404


def test_rotating_the_token_revokes_every_link_sent(order):
    old = order_links.status_path(order)
    order.rotate_status_token()

    assert status_page(old)[0] == 404
    assert status_page(order_links.status_path(order))[0] == 200


def test_an_order_from_before_links_gets_its_own_token_when_first_linked(order, other_order):
    Order.objects.update(status_token="")
    order.refresh_from_db()
    other_order.refresh_from_db()

    first, second = order_links.token_for(order), order_links.token_for(other_order)

    order.refresh_from_db()
    other_order.refresh_from_db()
    assert order.status_token and other_order.status_token
    assert order.status_token != other_order.status_token
    assert status_page(f"/orders/{first}/")[1].select_one("h1").text == f"Order #{order.number}"
    assert status_page(f"/orders/{second}/")[0] == 200


def test_the_page_is_kept_by_no_cache_and_no_search_engine(order):
    response = Client().get(order_links.status_path(order))
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex, nofollow"


# --- Find my order ----------------------------------------------------------------------


def find(client: Client, email: str, number) -> tuple[int, str]:
    """Ask, follow the answer, and return the status and the page's words as shown."""
    response = client.post("/orders/find/", {"email": email, "order_number": str(number)})
    if response.status_code == 303:
        response = client.get(response["Location"])
    page = BeautifulSoup(response.content, "html.parser")
    return response.status_code, " ".join(page.select_one("main").text.split())


def test_find_my_order_emails_the_link_for_a_real_order_and_nothing_for_a_wrong_one(order):
    client = Client()
    real = find(client, "Asha@Example.com ", order.number)
    wrong_number = find(client, CUSTOMER, order.number + 1000)
    wrong_email = find(client, "ravi@example.com", order.number)

    assert real == wrong_number == wrong_email  # the same page, whatever was found
    assert real[0] == 200 and "we have emailed the link" in real[1]
    assert "Order #" not in real[1] and "T-Shirt" not in real[1]
    path = emailed_link(OrderEmail.Kind.STATUS_LINK)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [CUSTOMER]
    assert status_page(path)[1].select_one("h1").text == f"Order #{order.number}"


def test_find_my_order_is_rate_limited_per_email_address(order, settings):
    settings.STORE_FIND_ORDER_RATE_PER_EMAIL = "2/h"
    assert find(Client(), CUSTOMER, order.number)[0] == 200
    assert find(Client(), CUSTOMER, order.number)[0] == 200

    status, text = find(Client(), CUSTOMER, order.number)

    assert status == 429 and "Please try again in" in text
    assert OrderEmail.objects.filter(kind=OrderEmail.Kind.STATUS_LINK).count() == 2


def test_find_my_order_is_rate_limited_per_client(order, settings):
    settings.STORE_FIND_ORDER_RATE_PER_IP = "3/h"
    for number in range(1, 4):
        assert find(Client(), f"guess{number}@example.com", number)[0] == 200

    assert find(Client(), CUSTOMER, order.number)[0] == 429
    assert not OrderEmail.objects.filter(kind=OrderEmail.Kind.STATUS_LINK).exists()


def test_find_my_order_says_what_is_wrong_with_the_form_at_the_top(db):
    response = Client().post("/orders/find/", {"email": "not an address", "order_number": "#12"})
    page = BeautifulSoup(response.content, "html.parser")

    assert response.status_code == 400
    summary = page.select_one(".error-summary[role=alert]")
    assert [(link["href"], link.text) for link in summary.select("a")] == [
        ("#id_email", "Enter an email address like name@example.com."),
        ("#id_order_number", "Enter the order number as digits, e.g. 1042."),
    ]
    assert page.select_one("#id_email")["value"] == "not an address"
    assert not OrderEmail.objects.exists()


def test_a_failed_bank_payment_emails_the_customer_what_happened_and_the_link(order):
    Order.objects.filter(pk=order.pk).update(
        status=Order.Status.FAILED, failure_reason="The payment failed: insufficient funds"
    )
    order.refresh_from_db()
    emails.queue(order, OrderEmail.Kind.PAYMENT_FAILED)

    path = emailed_link(OrderEmail.Kind.PAYMENT_FAILED)

    (message,) = mail.outbox
    assert message.subject == f"Mini Store: the payment for order #{order.number} failed"
    assert "insufficient funds" in message.body and "nothing was taken" in message.body
    assert status_page(path)[1].select_one(".status").text == "Payment failed"


def test_another_carrier_is_typed_and_shown_without_a_tracking_link(order, admin_client):
    admin_client.post(
        reverse("orders:ship", args=[order.pk]),
        {"carrier": "other", "other_carrier": "Shadowfax", "tracking_number": "SF1"},
    )
    order.refresh_from_db()
    assert (order.carrier, order.tracking_number) == ("Shadowfax", "SF1")

    page = status_page(order_links.status_path(order))[1]
    assert "Tracking number SF1" in page.select_one(".order-tracking").text
    assert page.select_one(".order-tracking a") is None


def test_my_orders_links_each_order_to_its_page(order, client):
    token = client.get("/").wsgi_request.browser_token  # this browser's, from its cookie
    Order.objects.filter(pk=order.pk).update(browser_token=token)
    shop_page.forget_my_orders(token)

    page = BeautifulSoup(client.get("/").content, "html.parser")
    link = page.select_one("section.my-orders .order-page-link a")

    assert link.text == f"View order #{order.number}"
    assert status_page(link["href"])[1].select_one("h1").text == f"Order #{order.number}"


def test_page_titles_name_the_shop_once_and_the_favicon_is_found(order):
    client = Client()
    titles = {
        path: BeautifulSoup(client.get(path).content, "html.parser").title.text
        for path in ("/", "/orders/find/", order_links.status_path(order), "/no-such-page/")
    }
    assert list(titles.values()) == [
        "Mini Store",
        "Find my order · Mini Store",
        f"Order #{order.number} · Mini Store",
        "Page not found · Mini Store",
    ]
    favicon = client.get("/favicon.ico", follow=True)
    assert favicon.status_code == 200 and favicon.redirect_chain[0][1] == 301
    assert b"<svg" in b"".join(favicon.streaming_content)


def test_staff_who_fulfil_orders_revoke_the_links_from_the_orders_page(
    order, admin_client, django_user_model
):
    old = order_links.status_path(order)
    outsider = django_user_model.objects.create_user("viewer", password="pw", is_staff=True)
    outsider.user_permissions.add(
        *Permission.objects.filter(codename__in=["access_admin", "view_order"])
    )
    viewer = Client()
    viewer.force_login(outsider)
    revoke = reverse("orders:revoke_links", args=[order.pk])

    assert viewer.post(revoke).status_code == 403
    assert status_page(old)[0] == 200
    response = admin_client.post(revoke, follow=True)

    assert "no longer works" in response.content.decode()
    assert status_page(old)[0] == 404
    order.refresh_from_db()
    assert status_page(order_links.status_path(order))[0] == 200
    history = admin_client.get(reverse("orders:history", args=[order.pk])).content.decode()
    assert "Revoked the links to the order&#x27;s page" in history
