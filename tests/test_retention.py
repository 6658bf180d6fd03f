"""Retention (issue 21): prune_old_data removes what is past its time, in batches, and keeps
paid orders, flagged or refunded ones, and the events of orders still open."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from store import exports, retention
from store.emails import send_order_email
from store.models import Order, OrderExport, OrderLine, Refund, WebhookEvent
from tests.test_orders_admin import make_order

LONG_AGO = 400  # days: past every retention setting's default


def ago(days: int):
    return timezone.now() - timedelta(days=days)


def old_event(event_id: str, object_id: str = "", days: int = LONG_AGO) -> WebhookEvent:
    return WebhookEvent.objects.create(
        event_id=event_id, type="checkout.session.expired", object_id=object_id,
        received_at=ago(days),
    )  # fmt: skip


def finished_task(days: int, status: str = "SUCCESSFUL") -> DBTaskResult:
    """A task the worker finished ``days`` ago."""
    task = DBTaskResult.objects.get(pk=send_order_email.enqueue(1).id)
    DBTaskResult.objects.filter(pk=task.pk).update(status=status, finished_at=ago(days))
    return task


@pytest.fixture
def history(db, monkeypatch):
    monkeypatch.setattr(retention, "BATCH_SIZE", 2)  # several batches of each kind
    kept, gone = {}, {}
    kept["paid"] = make_order("paid", days_ago=LONG_AGO)
    kept["flagged"] = make_order("expired", days_ago=LONG_AGO, needs_attention=True)
    kept["recent unpaid"] = make_order("expired", days_ago=3)
    kept["pending"] = make_order("pending", days_ago=LONG_AGO)
    refunded = make_order("cancelled", days_ago=LONG_AGO)
    Refund.objects.create(order=refunded, amount=100, currency="inr", status="succeeded")
    kept["refunded"] = refunded
    gone["orders"] = [make_order(status, days_ago=LONG_AGO) for status in UNPAID * 2]
    kept["open order's event"] = old_event("evt_open", kept["pending"].stripe_session_id)
    kept["recent event"] = old_event("evt_recent", days=5)
    gone["events"] = [old_event(f"evt_old_{n}", f"cs_gone_{n}") for n in range(5)]
    kept["running task"] = DBTaskResult.objects.get(pk=send_order_email.enqueue(1).id)
    kept["recent task"] = finished_task(days=1)
    gone["tasks"] = [finished_task(30, status) for status in ["SUCCESSFUL", "FAILED"] * 2]
    Session.objects.create(session_key="old", session_data="", expire_date=ago(1))
    Session.objects.create(session_key="live", session_data="", expire_date=ago(-1))
    return kept, gone


UNPAID = ["expired", "cancelled", "failed"]


def test_pruning_removes_what_is_past_its_time_and_keeps_the_rest(history):
    kept, gone = history
    out = StringIO()
    call_command("prune_old_data", stdout=out)

    assert set(Order.objects.values_list("pk", flat=True)) == {
        kept[name].pk for name in ("paid", "flagged", "recent unpaid", "pending", "refunded")
    }
    assert not OrderLine.objects.filter(order_id__in=[o.pk for o in gone["orders"]]).exists()
    assert set(WebhookEvent.objects.values_list("event_id", flat=True)) == {
        "evt_open",
        "evt_recent",
    }
    assert set(DBTaskResult.objects.values_list("pk", flat=True)) == {
        kept["running task"].pk,
        kept["recent task"].pk,
    }
    assert list(Session.objects.values_list("session_key", flat=True)) == ["live"]
    assert out.getvalue().startswith("pruned 4 finished tasks, 5 Stripe events, 1 expired")
    assert "6 unpaid orders" in out.getvalue()


def test_a_dry_run_only_counts(history):
    out = StringIO()
    call_command("prune_old_data", "--dry-run", stdout=out)
    assert "would prune 4 finished tasks, 5 Stripe events" in out.getvalue()
    assert Order.objects.count() == 11 and WebhookEvent.objects.count() == 7


def test_old_exports_go_with_their_files(db, settings):
    user = get_user_model().objects.create_user("staff")
    old = OrderExport.objects.create(
        requested_by=user, format="csv", description="All orders", created_at=ago(30)
    )
    old.file = exports.storage().save(old.file_name, ContentFile(b"Order\n"))
    old.save()
    recent = OrderExport.objects.create(requested_by=user, format="csv", description="x")

    retention.prune()

    assert list(OrderExport.objects.all()) == [recent]
    assert not exports.storage().exists(old.file)
