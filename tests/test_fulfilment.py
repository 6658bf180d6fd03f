"""Staff ship and deliver paid orders from the order's admin page (Wagtail's views, over HTTP),
behind their own permission, each step in the audit log, the customer told by email."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import Group, Permission
from django.test import Client
from wagtail.models import ModelLogEntry

from store.models import Dispute, Order, OrderEmail
from tests.admin_pages import admin_messages, staff_client
from tests.conftest import quantity_field
from tests.test_orders_admin import listing_numbers, make_order

ORDERS = "/admin/orders/"


def page_of(order: Order) -> str:
    return f"{ORDERS}inspect/{order.pk}/"


@pytest.fixture
def fulfiller(db) -> Client:
    """Staff in the "Order fulfilment" group the migrations create."""
    return staff_client("packer", "Order fulfilment")


@pytest.fixture
def viewer(django_user_model) -> Client:
    """Staff who may see orders but not fulfil them."""
    group = Group.objects.create(name="Order viewers")
    group.permissions.add(
        Permission.objects.get(codename="access_admin"),
        Permission.objects.get(codename="view_order"),
    )
    user = django_user_model.objects.create_user("viewer", password="pw", is_staff=True)
    user.groups.add(group)
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def paid(db) -> Order:
    return make_order("paid", email="asha@example.com")


def ship(client: Client, order: Order, **form):
    return client.post(f"{ORDERS}ship/{order.pk}/", form, follow=True)


def test_the_fulfilment_group_may_see_and_fulfil_orders_and_nothing_else(db):
    group = Group.objects.get(name="Order fulfilment")
    assert sorted(group.permissions.values_list("codename", flat=True)) == [
        "access_admin",
        "fulfil_order",
        "view_order",
    ]


def test_marking_shipped_records_tracking_logs_who_and_owes_one_email(fulfiller, paid):
    page = fulfiller.get(page_of(paid))
    assert page.status_code == 200
    assert BeautifulSoup(page.content, "html.parser").find("button", string="Mark shipped")

    response = ship(fulfiller, paid, carrier="Blue Dart", tracking_number="BD123456789IN")

    assert f"{paid} marked shipped; the customer has been emailed." in admin_messages(response)
    paid.refresh_from_db()
    assert (paid.fulfilment, paid.carrier, paid.tracking_number) == (
        "shipped",
        "Blue Dart",
        "BD123456789IN",
    )
    assert paid.shipped_at is not None
    entry = ModelLogEntry.objects.get(action="store.order.shipped")
    assert (entry.user.username, entry.object_id) == ("packer", str(paid.pk))
    assert entry.data == {"carrier": "Blue Dart", "tracking_number": "BD123456789IN"}
    assert entry.timestamp is not None
    history = fulfiller.get(f"{ORDERS}history/{paid.pk}/").content.decode()
    assert "Marked shipped (Blue Dart, BD123456789IN)" in history
    (email,) = OrderEmail.objects.filter(kind="shipped")
    assert email.to == "asha@example.com"

    assert "was not marked shipped" in admin_messages(ship(fulfiller, paid))[0]
    assert OrderEmail.objects.filter(kind="shipped").count() == 1


def test_delivered_then_undo_step_by_step(fulfiller, paid):
    ship(fulfiller, paid)
    fulfiller.post(f"{ORDERS}deliver/{paid.pk}/")
    paid.refresh_from_db()
    assert paid.fulfilment == "delivered" and paid.delivered_at is not None

    fulfiller.post(f"{ORDERS}undo-fulfilment/{paid.pk}/")
    paid.refresh_from_db()
    assert (paid.fulfilment, paid.delivered_at) == ("shipped", None)
    response = fulfiller.post(f"{ORDERS}undo-fulfilment/{paid.pk}/", follow=True)
    paid.refresh_from_db()
    assert (paid.fulfilment, paid.shipped_at, paid.carrier) == ("unfulfilled", None, "")
    assert f"Last step undone: {paid} is now “Not shipped”." in admin_messages(response)
    actions = list(ModelLogEntry.objects.order_by("pk").values_list("action", flat=True))
    assert actions == [
        "store.order.shipped",
        "store.order.delivered",
        "store.order.fulfilment_undone",
        "store.order.fulfilment_undone",
    ]


@pytest.mark.parametrize("status", ["pending", "cancelled", "failed"])
def test_only_paid_orders_can_be_shipped(fulfiller, status):
    order = make_order(status)
    assert (
        BeautifulSoup(fulfiller.get(page_of(order)).content, "html.parser").find(
            "button", string="Mark shipped"
        )
        is None
    )
    ship(fulfiller, order)
    order.refresh_from_db()
    assert order.fulfilment == "unfulfilled"


@pytest.mark.parametrize("action", ["ship", "deliver", "undo-fulfilment"])
def test_without_the_permission_there_are_no_forms_and_a_post_is_forbidden(viewer, paid, action):
    page = BeautifulSoup(viewer.get(page_of(paid)).content, "html.parser")
    assert page.find("button", string="Mark shipped") is None
    assert viewer.post(f"{ORDERS}{action}/{paid.pk}/").status_code == 403
    paid.refresh_from_db()
    assert paid.fulfilment == "unfulfilled"


def test_orders_stay_read_only_for_fulfilment_staff(fulfiller, paid):
    assert fulfiller.get(f"{ORDERS}edit/{paid.pk}/").status_code == 404
    assert fulfiller.post(f"{ORDERS}delete/{paid.pk}/").status_code == 404


def test_the_listing_filters_by_fulfilment(fulfiller, paid):
    other = make_order("paid")
    ship(fulfiller, paid)

    shipped = fulfiller.get(ORDERS, {"fulfilment": "shipped"})
    waiting = fulfiller.get(ORDERS, {"fulfilment": "unfulfilled"})

    assert listing_numbers(shipped) == [str(paid.number)]
    assert listing_numbers(waiting) == [str(other.number)]


def test_bulk_mark_shipped(fulfiller, paid):
    second, pending = make_order("paid"), make_order("pending")
    url = (
        f"/admin/bulk/store/order/mark_shipped/?next={ORDERS}"
        f"&id={paid.pk}&id={second.pk}&id={pending.pk}"
    )
    listing = BeautifulSoup(fulfiller.get(ORDERS).content, "html.parser")
    assert listing.select("input[data-bulk-action-checkbox]")
    assert fulfiller.get(url).status_code == 200

    response = fulfiller.post(url, follow=True)

    assert "2 orders marked shipped; their customers have been emailed." in admin_messages(response)
    statuses = dict(Order.objects.values_list("pk", "fulfilment"))
    assert statuses == {paid.pk: "shipped", second.pk: "shipped", pending.pk: "unfulfilled"}
    assert ModelLogEntry.objects.filter(action="store.order.shipped").count() == 2


def test_bulk_mark_shipped_is_not_offered_or_done_without_the_permission(viewer, paid):
    listing = BeautifulSoup(viewer.get(ORDERS).content, "html.parser")
    assert not listing.select("input[data-bulk-action-checkbox]")
    url = f"/admin/bulk/store/order/mark_shipped/?id={paid.pk}"

    assert viewer.get(url).status_code == 403
    response = viewer.post(url, follow=True)

    assert response.status_code == 403
    assert admin_messages(response) == []
    paid.refresh_from_db()
    assert paid.fulfilment == "unfulfilled"
    assert not OrderEmail.objects.filter(kind="shipped").exists()


def refunded(amount_refunded: int) -> Order:
    return make_order("paid", amount=130000, amount_refunded=amount_refunded)


def disputed() -> Order:
    order = make_order("paid", disputed=True, needs_attention=True)
    Dispute.objects.create(
        order=order,
        stripe_dispute_id="dp_test_1",
        status="needs_response",
        reason="fraudulent",
        amount=order.amount_total,
        currency="inr",
    )
    return order


def test_bulk_mark_shipped_skips_refunded_and_disputed_orders_and_says_why(fulfiller, paid):
    partly, fully, contested = refunded(30000), refunded(130000), disputed()
    ids = "".join(f"&id={order.pk}" for order in (paid, partly, fully, contested))
    url = f"/admin/bulk/store/order/mark_shipped/?next={ORDERS}{ids}"
    confirm = BeautifulSoup(fulfiller.get(url).content, "html.parser").text
    assert f"{fully}: Refunded, not shipped: skipped, it is fully refunded" in " ".join(
        confirm.split()
    )

    response = fulfiller.post(url, follow=True)

    assert admin_messages(response) == [
        "2 orders marked shipped; their customers have been emailed.",
        f"Not marked shipped: {fully} (it is fully refunded); {contested} (its payment is "
        "disputed: the cardholder's bank may take the money back, so wait for the dispute's "
        "outcome (on the order's page)).",
    ]
    statuses = dict(Order.objects.values_list("pk", "fulfilment"))
    assert statuses == {
        paid.pk: "shipped",
        partly.pk: "shipped",
        fully.pk: "unfulfilled",
        contested.pk: "unfulfilled",
    }
    shipped_notices = OrderEmail.objects.filter(kind="shipped")
    assert sorted(shipped_notices.values_list("order_id", flat=True)) == [paid.pk, partly.pk]


@pytest.mark.parametrize(
    "make, reason",
    [(lambda: refunded(130000), "it is fully refunded"), (disputed, "its payment is disputed")],
)
def test_a_refunded_or_disputed_order_cannot_be_shipped_and_says_why(fulfiller, make, reason):
    order = make()
    page = BeautifulSoup(fulfiller.get(page_of(order)).content, "html.parser")
    assert not page.find("button", string="Mark shipped")
    assert f"This order cannot be marked shipped: {reason}" in page.text

    response = ship(fulfiller, order, carrier="Blue Dart")

    assert admin_messages(response)[0].startswith(f"{order} was not marked shipped: {reason}")
    order.refresh_from_db()
    assert (order.fulfilment, order.carrier) == ("unfulfilled", "")
    assert not OrderEmail.objects.filter(kind="shipped").exists()


def test_the_listing_and_the_page_say_refunded_instead_of_paid(fulfiller, paid):
    partly, fully = refunded(30000), refunded(130000)
    listing = BeautifulSoup(fulfiller.get(ORDERS).content, "html.parser")
    headings = [th.text.strip() for th in listing.select("table.listing thead th")]
    status = headings.index("Status")
    shown = {
        row.select("td")[headings.index("Order")].text.strip(): row.select("td")[
            status
        ].text.strip()
        for row in listing.select("table.listing tbody tr")
    }
    assert shown == {
        str(paid.number): "Paid",
        str(partly.number): "Partially refunded",
        str(fully.number): "Refunded",
    }
    for order, expected in ((paid, "Paid"), (partly, "Partially refunded"), (fully, "Refunded")):
        page = BeautifulSoup(fulfiller.get(page_of(order)).content, "html.parser")
        label = page.find("dt", string="Status")
        assert label.find_next_sibling("dd").text.strip() == expected


# Each request commits, as in production, so the shopper's page hears of every change.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_my_orders_follows_paid_shipped_delivered(fulfiller, client, products, stripe_sim):
    client.post("/checkout/", {quantity_field(products[2]): "1"})
    order = Order.objects.get()
    stripe_sim.pay(order.stripe_session_id)
    client.get("/checkout/success/", {"session_id": order.stripe_session_id})

    def status() -> tuple[str, str]:
        page = BeautifulSoup(client.get("/").content, "html.parser")
        entry = page.select_one("section.my-orders li.order")
        tracking = entry.select_one(".order-tracking")
        return entry.select_one(".status").text, tracking.text.strip() if tracking else ""

    assert status() == ("Paid", "")
    ship(fulfiller, order, carrier="India Post", tracking_number="EE123456789IN")
    assert status() == ("Shipped", "India Post, tracking number EE123456789IN")
    fulfiller.post(f"{ORDERS}deliver/{order.pk}/")
    assert status()[0] == "Delivered"
