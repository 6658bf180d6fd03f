"""What an operator sees of a purchase: Prometheus metrics added up across gunicorn workers,
and JSON log lines that share request ids and hold no secret."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from bench.servers import gunicorn
from mysite.metrics import archive_ended_processes
from store.models import Order
from tests import servers
from tests.admin_pages import staff_client
from tests.conftest import quantity_field
from tests.mail_server import run_worker
from tests.shopping import SUCCESS_CARD, Shopper
from tests.test_refunds import refund

TOKEN = "a-scrapers-token"


def scrape(base_url: str, token: str = TOKEN) -> dict[tuple, float]:
    """Every sample as {(name, sorted labels): value}, from whichever worker answers."""
    response = requests.get(
        f"{base_url}/metrics",
        headers={"Authorization": f"Bearer {token}", "Connection": "close"},
        timeout=10,
    )
    assert response.status_code == 200, response.status_code
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: dict[tuple, float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_purchase_is_counted_once_across_workers_and_logged_under_request_ids(
    products, stripe_sim, settings, tmp_path
):
    log_path = tmp_path / "gunicorn.log"
    environment = os.environ | {
        "DJANGO_SETTINGS_MODULE": "mysite.settings.test",
        "DATABASE_URL": servers.test_database_url(),
        "WEB_CONCURRENCY": "2",
        "STRIPE_API_BASE": stripe_sim.api_base,
        "STORE_METRICS_TOKEN": TOKEN,
        "DJANGO_LOG_FORMAT": "json",
    }
    with gunicorn(environment, log_path, ready_path="/healthz") as base_url:
        stripe_sim.webhook_url = f"{base_url}/stripe/webhook/"
        stripe_sim.webhook_secret = settings.STRIPE_WEBHOOK_SECRET
        shopper = Shopper(base_url)
        shopper.http.headers["Connection"] = "close"  # spread the requests over both workers
        shopper.buy(SUCCESS_CARD, T_Shirt=1)
        stripe_sim.wait_until_webhooks_idle()
        scrapes = [scrape(base_url) for _ in range(6)]
    order = Order.objects.get()
    assert order.status == Order.Status.PAID

    # The same totals whichever worker answered, and the one checkout counted once.
    counted = [
        (
            value(samples, "store_checkouts_total", event="started"),
            value(samples, "store_checkouts_total", event="paid"),
            value(
                samples,
                "store_stripe_requests_total",
                method="POST",
                endpoint="/v1/checkout/sessions",
                status="200",
            ),
            value(
                samples, "http_requests_total", view="store:checkout", method="POST", status="303"
            ),
        )
        for samples in scrapes
    ]
    assert counted == [(1, 1, 1, 1)] * len(scrapes)
    webhooks = {
        labels: count
        for (name, labels), count in scrapes[-1].items()
        if name == "store_webhooks_total"
    }
    completed = [
        count
        for labels, count in webhooks.items()
        if ("type", "checkout.session.completed") in labels
    ]
    assert sum(completed) == 1, webhooks
    assert value(scrapes[-1], "store_emails_total", kind="confirmation", event="queued") == 1

    lines = [json.loads(line) for line in log_path.read_text().splitlines() if line.strip()]
    checkout_request = one(lines, message="request", path="/checkout/", method="POST")
    same_request = [
        line for line in lines if line.get("request_id") == checkout_request["request_id"]
    ]
    stripe_call = one(same_request, message="stripe call", endpoint="/v1/checkout/sessions")
    assert str(order.public_id) in stripe_call["idempotency_key"]
    assert stripe_call["stripe_request_id"].startswith("req_")
    started = one(same_request, message="checkout started")
    assert started["order_public_id"] == str(order.public_id)
    assert started["stripe_session_id"] == order.stripe_session_id

    paid = one(lines, message="checkout paid")
    assert paid["order_public_id"] == str(order.public_id)
    assert paid["stripe_payment_intent_id"] == order.stripe_payment_intent_id
    served = {line["request_id"] for line in lines if line["message"] == "request"}
    assert paid["request_id"] in served  # the success page's or the webhook's request

    text = log_path.read_text()
    for secret in (
        settings.STRIPE_SECRET_KEY,
        settings.STRIPE_WEBHOOK_SECRET,
        SUCCESS_CARD.replace(" ", ""),
        SUCCESS_CARD,
        TOKEN,
        order.shipping_line1,
        order.customer_email,
        order.customer_phone,
    ):
        assert secret and secret not in text, secret


def one(lines: list[dict], **fields) -> dict:
    found = [line for line in lines if all(line.get(k) == v for k, v in fields.items())]
    assert len(found) == 1, (fields, found)
    return found[0]


@pytest.mark.django_db
def test_metrics_need_the_token(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404

    settings.METRICS_TOKEN = TOKEN
    assert client.get("/metrics").status_code == 401
    wrong = client.get("/metrics", headers={"Authorization": "Bearer guessed"})
    assert wrong.status_code == 401
    assert wrong["WWW-Authenticate"].startswith("Bearer")
    right = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert right.status_code == 200
    assert b"store_checkouts_total" in right.content
    assert b"store_task_queue_oldest_age_seconds" in right.content


def test_the_counts_of_ended_processes_still_count_once_archived(tmp_path):
    """Each process writes its own file; ended ones are folded into one archive file."""
    count_in_a_process = (
        "from prometheus_client import Counter\n"
        "Counter('drill_total', 'x', ['kind']).labels(kind='a').inc(3)\n"
    )
    environment = os.environ | {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    for _ in range(3):
        subprocess.run([sys.executable, "-c", count_in_a_process], env=environment, check=True)
    assert len(list(tmp_path.glob("counter_*.db"))) == 3
    before = _total(tmp_path)

    assert archive_ended_processes(str(tmp_path)) == 3
    assert [path.name for path in tmp_path.glob("counter_*.db")] == ["counter_ended.db"]
    assert _total(tmp_path) == before == 9
    subprocess.run([sys.executable, "-c", count_in_a_process], env=environment, check=True)
    archive_ended_processes(str(tmp_path))
    assert _total(tmp_path) == 12


def _total(directory: Path) -> float:
    from prometheus_client import CollectorRegistry, generate_latest
    from prometheus_client.multiprocess import MultiProcessCollector

    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(directory))
    families = text_string_to_metric_families(generate_latest(registry).decode())
    return sum(s.value for f in families for s in f.samples if s.name == "drill_total")


@pytest.mark.django_db
def test_a_request_id_comes_back_and_a_proxys_is_believed_only_behind_a_proxy(client, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    made = client.get("/healthz", headers={"X-Request-ID": "from-a-client-0001"})
    assert made["X-Request-ID"] != "from-a-client-0001" and len(made["X-Request-ID"]) == 32

    settings.TRUSTED_PROXY_COUNT = 1
    passed = client.get("/healthz", headers={"X-Request-ID": "0f1e2d3c4b5a69788796a5b4c3d2e1f0"})
    assert passed["X-Request-ID"] == "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
    forged = client.get("/healthz", headers={"X-Request-ID": 'x"\n{"level": "ERROR"}'})
    assert len(forged["X-Request-ID"]) == 32 and "\n" not in forged["X-Request-ID"]


def scrape_here(client) -> dict[tuple, float]:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_emails_refunds_the_queue_and_orders_needing_attention_are_counted(
    client, products, stripe_sim, mail_server, settings
):
    settings.METRICS_TOKEN = TOKEN
    before = scrape_here(client)
    client.post("/checkout/", {quantity_field(products[2]): "1"})
    order = Order.objects.get()
    stripe_sim.pay(order.stripe_session_id, email="asha@example.com")
    client.get("/checkout/success/", {"session_id": order.stripe_session_id})

    owed = scrape_here(client)
    assert value(owed, "store_task_queue_depth") == 2  # the confirmation and the staff's email
    assert value(owed, "store_task_queue_oldest_age_seconds") >= 0
    mail_server.refuse_next(1)
    run_worker()
    sent = scrape_here(client)
    assert value(sent, "store_task_queue_depth") == 0

    refunder = staff_client("cashier", "Order refunds")
    refund(refunder, order)
    Order.objects.filter(pk=order.pk).update(needs_attention=True)
    after = scrape_here(client)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("store_emails_total", kind="confirmation", event="queued") == 1
    assert grew("store_emails_total", kind="confirmation", event="sent") == 1
    assert grew("store_emails_total", kind="new_order", event="sent") == 1
    failed = grew("store_emails_total", kind="confirmation", event="failed")
    assert failed + grew("store_emails_total", kind="new_order", event="failed") == 1
    assert grew("store_refunds_total", status="succeeded") == 1
    assert grew("store_emails_total", kind="refund", event="queued") == 1
    assert grew("store_checkouts_total", event="paid") == 1
    assert value(after, "store_orders_needing_attention") == 1
