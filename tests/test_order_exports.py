"""Order exports: the CSV streams the listing's orders (date range included); big and XLSX
exports are written by the worker into private storage, with progress, for whoever asked."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import openpyxl
import pytest
from django.contrib.auth.models import Group, Permission
from django.http import StreamingHttpResponse
from django.test import Client
from django.utils import timezone

from store.models import OrderExport
from tests.mail_server import run_worker
from tests.test_orders_admin import make_order

# The worker commits as it goes (and closes connections between tasks), as in production.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

ORDERS = "/admin/orders/"
EXPORTS = "/admin/orders/exports/"


@pytest.fixture
def orders():
    return [
        make_order("paid", email="old@example.com", days_ago=40),
        make_order("paid", email="recent@example.com", days_ago=2),
        make_order("expired", email="", days_ago=1),
    ]


def numbers_in_csv(content: bytes) -> list[str]:
    return [row["Order"] for row in csv.DictReader(io.StringIO(content.decode()))]


def test_the_csv_streams_the_listings_orders_for_a_date_range(admin_client, orders):
    since = (timezone.localdate() - timedelta(days=7)).isoformat()
    response = admin_client.get(
        ORDERS, {"export": "csv", "status": "paid", "created_at__date__gte": since}
    )
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv"
    assert numbers_in_csv(b"".join(response.streaming_content)) == [str(orders[1].pk)]


def test_a_day_is_the_shops_day(admin_client, orders, settings):
    day = timezone.localdate(orders[1].created_at).isoformat()
    response = admin_client.get(
        ORDERS, {"export": "csv", "created_at__date__gte": day, "created_at__date__lte": day}
    )
    assert str(orders[1].pk) in numbers_in_csv(b"".join(response.streaming_content))


def test_a_big_xlsx_goes_to_the_worker_and_is_downloaded_when_ready(admin_client, orders, settings):
    settings.STORE_EXPORT_INLINE_ROWS = 1
    response = admin_client.get(ORDERS, {"export": "xlsx", "status": "paid"})
    assert response.status_code == 302 and response["Location"].startswith(EXPORTS)
    page = admin_client.get(response["Location"])
    assert "more than 1 orders" in page.content.decode()

    form = page.context["form"]
    assert form.initial["format"] == "xlsx" and "status=paid" in form.initial["query"]
    created = admin_client.post(EXPORTS, {"format": "xlsx", "query": form.initial["query"]})
    assert created.status_code == 302
    export = OrderExport.objects.get()
    assert export.status == "queued" and export.description == "Status: Paid"
    progress = admin_client.get(f"{EXPORTS}{export.pk}/progress/").json()
    assert progress["status"] == "queued" and progress["download_url"] is None

    run_worker()

    progress = admin_client.get(f"{EXPORTS}{export.pk}/progress/").json()
    assert progress["status"] == "ready" and progress["percent"] == 100
    download = admin_client.get(progress["download_url"])
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
    assert sorted(row[0] for row in sheet.iter_rows(min_row=2, values_only=True)) == [
        orders[0].pk,
        orders[1].pk,
    ]


def test_a_background_csv_for_a_date_range(admin_client, orders):
    until = (timezone.localdate() - timedelta(days=30)).isoformat()
    admin_client.post(EXPORTS, {"format": "csv", "created_until": until, "query": ""})
    run_worker()
    export = OrderExport.objects.get()
    assert export.status == "ready" and export.rows_written == 1
    download = admin_client.get(f"{EXPORTS}{export.pk}/download/")
    assert numbers_in_csv(b"".join(download.streaming_content)) == [str(orders[0].pk)]


def test_only_who_asked_downloads_an_export(admin_client, orders, django_user_model):
    admin_client.post(EXPORTS, {"format": "csv", "query": ""})
    run_worker()
    export = OrderExport.objects.get()
    staff = Group.objects.create(name="Shop staff")
    staff.permissions.add(
        Permission.objects.get(codename="access_admin"),
        Permission.objects.get(codename="view_order"),
    )
    colleague = django_user_model.objects.create_user("colleague", password="pw", is_staff=True)
    colleague.groups.add(staff)
    other = Client()
    other.force_login(colleague)

    response = other.get(f"{EXPORTS}{export.pk}/download/")
    assert response.status_code in (302, 403)
    assert not getattr(response, "streaming", False)
    assert f"{EXPORTS}{export.pk}/" not in other.get(EXPORTS).content.decode()


def test_a_wrong_date_range_changes_nothing(admin_client, orders):
    response = admin_client.post(
        EXPORTS, {"format": "csv", "created_from": "2026-02-01", "created_until": "2026-01-01"}
    )
    assert response.status_code == 200
    assert "The first day comes after the last." in response.content.decode()
    assert not OrderExport.objects.exists()
