"""The shop as production serves it: gunicorn.conf.py's workers, several processes at once."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
import requests

from tests.servers import gunicorn_shop
from tests.shopping import Shopper

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def timed_get(url: str) -> tuple[int, float]:
    started = time.monotonic()
    response = requests.get(url, timeout=30)
    return response.status_code, time.monotonic() - started


def test_checkouts_waiting_on_a_hung_stripe_leave_the_shop_answering(products, stripe_sim):
    stripe_sim.delay_seconds = 30  # Stripe accepts the connection and never answers in time
    environment = {"STRIPE_API_BASE": stripe_sim.api_base, "STRIPE_TIMEOUT_SECONDS": "5"}
    with gunicorn_shop(workers=2, env=environment) as base_url:
        shoppers = [Shopper(base_url) for _ in range(4)]
        forms = [shopper.checkout_form() for shopper in shoppers]
        waiting = [
            threading.Thread(target=shopper.submit, args=(form,), kwargs={"Cap": 1})
            for shopper, form in zip(shoppers, forms, strict=True)
        ]
        for thread in waiting:
            thread.start()
        while len(stripe_sim.requests) < 4:  # all four are now waiting on Stripe
            time.sleep(0.05)

        shop, shop_seconds = timed_get(f"{base_url}/")
        health, health_seconds = timed_get(f"{base_url}/healthz")

        stripe_sim.delay_seconds = 0
        for thread in waiting:
            thread.join()
    assert (shop, health) == (200, 200)
    assert shop_seconds < 1 and health_seconds < 1, (shop_seconds, health_seconds)


def test_checkout_rate_limits_hold_across_worker_processes(products, stripe_sim, shared_cache):
    environment = {
        "STRIPE_API_BASE": stripe_sim.api_base,
        # Per hour, not minute: a slow machine cannot let the first ones leave the window.
        "STORE_CHECKOUT_RATE_PER_BROWSER": "10/h",
        **shared_cache,
    }
    with gunicorn_shop(workers=4, env=environment) as base_url:
        shopper = Shopper(base_url)
        # A new connection for every request, so the kernel spreads them over the workers.
        shopper.http.headers["Connection"] = "close"
        form = shopper.checkout_form()
        statuses = [
            shopper.submit(form | {"form_token": str(uuid.uuid4())}, Cap=1).status_code
            for _ in range(11)
        ]
    assert statuses == [303] * 10 + [429]
