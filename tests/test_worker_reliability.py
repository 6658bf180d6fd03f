"""The background worker keeps its promises (issue 21): a task of a worker killed mid-send is
sent once after the lease, a permanent refusal stops and is flagged, an address that is not
one mailbox is never sent to, and /healthz/worker tells whether a worker is alive."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from store import emails
from store.models import OrderEmail
from store.worker import beat
from tests import servers
from tests.mail_server import PERMANENT_REFUSAL, run_worker
from tests.test_orders_admin import make_order
from tests.worker_processes import wait_for, worker_process

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

CUSTOMER = "asha@example.com"


def owe_confirmation(email: str = CUSTOMER) -> OrderEmail:
    order = make_order("paid", email=email)
    with transaction.atomic():
        return emails.queue(order, OrderEmail.Kind.CONFIRMATION)


def test_a_task_left_running_by_a_killed_worker_is_sent_once_after_the_lease(mail_server):
    mail_server.hold_next(1)  # the first worker's message is never answered
    owed = owe_confirmation()
    database, port = servers.test_database_url(), mail_server.port

    with worker_process(database, port) as first:
        wait_for(lambda: mail_server.handler.hold_next == 0, 60, "the first worker to send")
        first.kill()  # SIGKILL mid-send: its task stays RUNNING
        first.wait()
    mail_server.release_held()
    left_running = DBTaskResult.objects.get(status="RUNNING")

    with worker_process(database, port) as second:
        wait_for(
            lambda: DBTaskResult.objects.get(pk=left_running.pk).status == "SUCCESSFUL",
            60,
            "the second worker to take the task back and run it",
        )
        second_log = second.log_path.read_text()

    (message,) = mail_server.to(CUSTOMER)
    owed.refresh_from_db()
    assert message["Message-ID"] == owed.message_id != ""
    assert "Took back a task left running" in second_log


def test_a_permanent_refusal_stops_after_a_few_attempts_and_is_flagged(
    mail_server, admin_client, settings
):
    settings.STORE_EMAIL_MAX_REFUSALS = 3
    mail_server.refuse_next(100, PERMANENT_REFUSAL)
    owed = owe_confirmation()

    run_worker()

    owed.refresh_from_db()
    assert owed.attempts == 3 and owed.gave_up_at and owed.sent_at is None
    assert "550" in owed.last_error and mail_server.received == []
    page = admin_client.get(f"/admin/orders/inspect/{owed.order_id}/").content.decode()
    assert "not sent, given up" in page
    panel = BeautifulSoup(admin_client.get("/admin/").content, "html.parser")
    assert "1 email could not be sent" in panel.select_one("#store-sales-content").text


def test_a_transient_refusal_is_still_tried_until_taken(mail_server, settings):
    settings.STORE_EMAIL_MAX_REFUSALS = 2
    mail_server.refuse_next(4)  # 451: busy, try later
    owed = owe_confirmation()

    run_worker()

    owed.refresh_from_db()
    assert owed.sent_at and not owed.gave_up_at and owed.attempts == 5


def test_an_address_that_is_not_one_mailbox_is_never_sent_to(mail_server):
    owed = owe_confirmation(email="a,b@evil.com")

    run_worker()

    owed.refresh_from_db()
    assert owed.gave_up_at and "not one email address" in owed.last_error
    assert mail_server.received == []
    assert not DBTaskResult.objects.exists()


def test_worker_health_says_whether_a_worker_is_alive(client, settings):
    assert client.get("/healthz/worker").status_code == 503
    beat("worker-1")
    answer = client.get("/healthz/worker")
    assert answer.status_code == 200 and answer.json()["status"] == "ok"
    assert client.get("/healthz").json() == {"status": "ok", "database": "ok"}
