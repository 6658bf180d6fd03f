"""Staff see orders in Wagtail's admin, read-only for everyone (Wagtail's own views, over HTTP)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from store.models import Order, OrderLine, WebhookEvent

ORDERS = "/admin/orders/"


def make_order(status="paid", *, amount=130000, email="asha@example.com", days_ago=0, **fields):
    created = timezone.now() - timedelta(days=days_ago)
    order = Order.objects.create(
        status=status,
        currency="inr",
        amount_total=amount,
        browser_token="browser",
        customer_email=email,
        stripe_session_id=f"cs_test_{Order.objects.count() + 1}abc",
        created_at=created,
        paid_at=created if status == "paid" else None,
        **fields,
    )
    OrderLine.objects.create(
        order=order, product_name="T-Shirt", unit_amount=50000, quantity=amount // 50000 or 1
    )
    return order


def listing_numbers(response) -> list[str]:
    page = BeautifulSoup(response.content, "html.parser")
    headings = [th.text.strip() for th in page.select("table.listing thead th")]
    column = headings.index("Order")
    return [row.select("td")[column].text.strip() for row in page.select("table.listing tbody tr")]


@pytest.fixture
def orders(db):
    return [
        make_order("paid", email="asha@example.com"),
        make_order("pending", email="", amount=30000),
        make_order("cancelled", email="", amount=120000, days_ago=10),
    ]


@pytest.fixture
def staff_client(client, django_user_model):
    """An editor who was given only the "view order" permission through a group."""
    editors = Group.objects.create(name="Shop staff")
    editors.permissions.add(
        Permission.objects.get(codename="access_admin"),
        Permission.objects.get(codename="view_order"),
    )
    user = django_user_model.objects.create_user("staff", password="pw", is_staff=True)
    user.groups.add(editors)
    client.force_login(user)
    return client


def test_the_listing_shows_number_status_total_email_and_date(admin_client, orders):
    response = admin_client.get(ORDERS)
    assert response.status_code == 200
    text = BeautifulSoup(response.content, "html.parser").select_one("table.listing").text
    assert "₹1,300.00" in text and "asha@example.com" in text and "Paid" in text
    newest_first = [orders[1], orders[0], orders[2]]
    assert listing_numbers(response) == [str(order.number) for order in newest_first]


def test_the_listing_filters_by_status_and_date(admin_client, orders):
    paid = admin_client.get(ORDERS, {"status": "paid"})
    assert listing_numbers(paid) == [str(orders[0].number)]
    since = (timezone.localdate() - timedelta(days=2)).isoformat()
    recent = admin_client.get(ORDERS, {"created_at__date__gte": since})
    assert sorted(listing_numbers(recent)) == sorted([str(orders[0].number), str(orders[1].number)])


@pytest.mark.parametrize("query", ["asha@example", "cs_test_1abc"])
def test_the_listing_searches_by_email_and_session_id(admin_client, orders, query):
    assert listing_numbers(admin_client.get(ORDERS, {"q": query})) == [str(orders[0].number)]


def test_the_listing_searches_by_order_number(admin_client, orders):
    found = listing_numbers(admin_client.get(ORDERS, {"q": str(orders[1].number)}))
    assert str(orders[1].number) in found


def test_the_inspect_view_shows_lines_and_stripe_ids(admin_client, orders):
    order = orders[0]
    response = admin_client.get(f"{ORDERS}inspect/{order.pk}/")
    assert response.status_code == 200
    text = BeautifulSoup(response.content, "html.parser").text
    assert "T-Shirt" in text and "₹500.00" in text and "₹1,300.00" in text
    assert order.stripe_session_id in text


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "new/"),
        ("post", "new/"),
        ("get", "edit/{pk}/"),
        ("post", "edit/{pk}/"),
        ("get", "delete/{pk}/"),
        ("post", "delete/{pk}/"),
        ("get", "copy/{pk}/"),
    ],
)
def test_no_one_may_add_edit_delete_or_copy_orders_not_even_a_superuser(
    admin_client, orders, method, path
):
    order = orders[0]
    response = getattr(admin_client, method)(
        ORDERS + path.format(pk=order.pk), {"status": "cancelled"}
    )
    assert response.status_code in (403, 404)
    order.refresh_from_db()
    assert order.status == "paid"
    assert Order.objects.count() == 3


def test_the_listing_offers_no_add_or_edit_buttons(admin_client, orders):
    html = admin_client.get(ORDERS).content.decode()
    assert f"{ORDERS}new/" not in html
    assert f"{ORDERS}edit/" not in html


def test_staff_with_the_view_permission_can_list_and_inspect(staff_client, orders):
    assert staff_client.get(ORDERS).status_code == 200
    assert staff_client.get(f"{ORDERS}inspect/{orders[0].pk}/").status_code == 200
    assert staff_client.post(f"{ORDERS}delete/{orders[0].pk}/").status_code in (403, 404)


def test_editors_without_the_view_permission_see_no_orders(client, django_user_model, orders):
    editors = Group.objects.create(name="Writers")
    editors.permissions.add(Permission.objects.get(codename="access_admin"))
    user = django_user_model.objects.create_user("editor2", password="pw")
    user.groups.add(editors)
    client.force_login(user)
    response = client.get(ORDERS)
    assert response.status_code in (302, 403)
    assert "Orders" not in client.get("/admin/").content.decode().split("</nav>")[0]


def test_anonymous_users_are_sent_to_login(client, orders):
    response = client.get(ORDERS)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_the_dashboard_shows_todays_and_this_weeks_sales_and_pending(admin_client, orders):
    make_order("paid", amount=50000, days_ago=3)
    panel = BeautifulSoup(admin_client.get("/admin/").content, "html.parser").select_one(
        "#store-sales-content"
    )
    rows = {row.th.text: [td.text for td in row.select("td")] for row in panel.select("tbody tr")}
    assert rows == {"Today": ["1", "₹1,300.00"], "Last 7 days": ["2", "₹1,800.00"]}
    assert "1 pending" in panel.text


def test_failed_stripe_events_are_visible_to_staff(admin_client, db):
    WebhookEvent.objects.create(
        event_id="evt_1", type="checkout.session.completed", error="UnknownOrder: no order"
    )
    response = admin_client.get("/admin/stripe-events/")
    assert response.status_code == 200 and "checkout.session.completed" in response.content.decode()
    inspect = admin_client.get(f"/admin/stripe-events/inspect/{WebhookEvent.objects.get().pk}/")
    assert "UnknownOrder: no order" in inspect.content.decode()
    assert admin_client.post(
        f"/admin/stripe-events/delete/{WebhookEvent.objects.get().pk}/"
    ).status_code in (403, 404)


def test_orders_needing_attention_are_filtered_counted_and_explained(admin_client, orders):
    flagged = make_order("pending", amount=30000)
    flagged.flag_for_attention("Stripe's payment does not match the order: amount_total 100")

    listing = admin_client.get(ORDERS, {"needs_attention": "true"})
    assert listing_numbers(listing) == [str(flagged.number)]
    dashboard = BeautifulSoup(admin_client.get("/admin/").content, "html.parser")
    link = dashboard.select_one("a[href='/admin/orders/?needs_attention=true']")
    assert link.text == "1 order needs attention"
    page = admin_client.get(f"{ORDERS}inspect/{flagged.pk}/").content.decode()
    assert "Stripe&#x27;s payment does not match the order" in page
