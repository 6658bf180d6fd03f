"""Issue 20's attacks re-run against gunicorn: the figures in docs/SECURITY.md.

Opt-in (a run waits for the turn of a minute):
``STORE_MEASURE_HARDENING=1 .venv/bin/python -m pytest -s tests/test_hardening_measurements.py``.
Each test prints what it measured and asserts the defence held.
"""

from __future__ import annotations

import json
import os
import threading
import time

import pytest
import requests
from django.conf import settings

from store import stock
from store.models import Order, ProductVariant
from stripe_simulator import sign_payload
from tests.servers import gunicorn_shop
from tests.shopping import Shopper

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        not os.environ.get("STORE_MEASURE_HARDENING"),
        reason="measurements for docs/SECURITY.md: set STORE_MEASURE_HARDENING=1",
    ),
]

BEHIND_A_PROXY = {"DJANGO_TRUSTED_PROXY_COUNT": "1"}


def checkout_from(base_url: str, address: str) -> int:
    """A fresh browser (no cookie) at ``address`` starts a checkout of one Cap."""
    shopper = Shopper(base_url)
    shopper.http.headers["X-Forwarded-For"] = address
    return shopper.checkout(Cap=1).status_code


def test_checkouts_across_the_turn_of_a_minute(products, stripe_sim, shared_cache):
    """Issue 20: 104 checkouts in 3.4 s from one address, against 60 a minute. Measured at 10
    a minute, which a busy machine can outrun in 3.4 s: a fixed window would admit 20."""
    environment = {
        "STRIPE_API_BASE": stripe_sim.api_base,
        "STORE_CHECKOUT_RATE_PER_IP": "10/m",
        **BEHIND_A_PROXY,
        **shared_cache,
    }
    with gunicorn_shop(workers=2, env=environment) as base_url:
        time.sleep(60 - time.time() % 60 + 58)  # two seconds before a minute turns
        started, statuses = time.monotonic(), []

        def keep_posting():
            while time.monotonic() - started < 3.4:
                statuses.append(checkout_from(base_url, "203.0.113.9"))

        threads = [threading.Thread(target=keep_posting) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    admitted = statuses.count(303)
    print(f"\n{shared_cache}: {len(statuses)} posts in 3.4 s, {admitted} admitted")
    assert admitted <= 10 and statuses.count(429) == len(statuses) - admitted


def test_one_ipv6_network_taking_a_new_address_for_each_checkout(
    products, stripe_sim, shared_cache
):
    environment = {"STRIPE_API_BASE": stripe_sim.api_base, **BEHIND_A_PROXY, **shared_cache}
    with gunicorn_shop(workers=2, env=environment) as base_url:
        statuses = [checkout_from(base_url, f"2001:db8:42:7::{n:x}") for n in range(1, 101)]
    print(f"\n{shared_cache}: 100 addresses in one /64, {statuses.count(303)} admitted")
    assert statuses.count(303) == 60


def test_one_address_with_fresh_cookies_trying_to_hold_all_the_stock(
    products, stripe_sim, shared_cache
):
    """Issue 20: one checkout of 5 held all 5 units for an hour. Now: fresh browsers from one
    IPv6 /64, each posting the most one order allows (10), against 500 Caps on hand."""
    ProductVariant.objects.filter(product__name="Cap").update(stock=500)
    environment = {"STRIPE_API_BASE": stripe_sim.api_base, **BEHIND_A_PROXY, **shared_cache}
    with gunicorn_shop(workers=2, env=environment) as base_url:
        started = 0
        for n in range(1, 31):
            shopper = Shopper(base_url)
            shopper.http.headers["X-Forwarded-For"] = f"2001:db8:42:9::{n:x}"
            response = shopper.checkout(Cap=10)
            assert response.status_code == 303  # to Stripe, or back to the shop saying why
            started += not response.headers["Location"].startswith("/")
        past_the_max = Shopper(base_url)
        past_the_max.http.headers["X-Forwarded-For"] = "2001:db8:42:a::1"
        refused = past_the_max.checkout(Cap=11).headers["Location"].startswith("/")
    cap = variant_with_held_units("Cap")
    print(
        f"\n{shared_cache}: 30 fresh browsers in one /64 asked for 10 Caps each: {started} "
        f"checkouts, {cap.held_units} of {cap.stock} held; 11 in one order refused: {refused}"
    )
    assert cap.held_units == 50 and refused


def variant_with_held_units(name: str) -> ProductVariant:
    return stock.with_held_units(ProductVariant.objects.filter(product__name=name)).get()


def test_guessing_the_admin_password_does_not_lock_the_admin_out(db, django_user_model):
    django_user_model.objects.create_superuser("admin", "admin@example.com", "the password")
    with gunicorn_shop(workers=2, env=BEHIND_A_PROXY) as base_url:

        def sign_in(password: str, address: str) -> requests.Response:
            browser = requests.Session()
            browser.get(f"{base_url}/admin/login/", timeout=10)
            return browser.post(
                f"{base_url}/admin/login/",
                data={
                    "username": "admin",
                    "password": password,
                    "csrfmiddlewaretoken": browser.cookies["csrftoken"],
                },
                headers={"X-Forwarded-For": address},
                allow_redirects=False,
                timeout=10,
            )

        guesses = [sign_in("guess", "198.51.100.66").status_code for _ in range(50)]
        guesser = sign_in("the password", "198.51.100.66")
        owner = sign_in("the password", "203.0.113.7")
    print(
        f"\n50 guesses: {guesses.count(200)} answered, {guesses.count(429)} locked; "
        f"the guesser's address then: {guesser.status_code}, Retry-After "
        f"{guesser.headers.get('Retry-After')}; the admin elsewhere: {owner.status_code}"
    )
    assert guesser.status_code == 429 and owner.status_code == 302


def test_hostile_webhooks(products, stripe_sim):
    def deliver(base_url: str, body: bytes) -> requests.Response:
        signature = sign_payload(body, settings.STRIPE_WEBHOOK_SECRET)
        return requests.post(
            f"{base_url}/stripe/webhook/",
            data=body,
            headers={"Stripe-Signature": signature, "Content-Type": "application/json"},
            timeout=30,
        )

    event = b'{"id": "evt_1", "object": "event", "type": "checkout.session.completed", "data": '
    deep = event + b'{"object": {"id": "cs_test_1", "x": ' + b"[" * 5000 + b"]" * 5000 + b"}}}"
    big = event + b'{"object": {"id": "cs_test_1", "x": "' + b"x" * 3_000_000 + b'"}}}'
    ghost = json.dumps(
        stripe_sim.build_event("checkout.session.completed", {"id": "cs_test_nobody"})
    ).encode()
    with gunicorn_shop(workers=2, env={"STRIPE_API_BASE": stripe_sim.api_base}) as base_url:
        answers = {
            name: deliver(base_url, body)
            for name, body in [("5,000 deep", deep), ("3 MB", big), ("unknown session", ghost)]
        }
    print("\n" + "; ".join(f"{name}: {r.status_code} {r.text}" for name, r in answers.items()))
    assert [r.status_code for r in answers.values()] == [400, 400, 200]


def test_a_5000_character_address_line_typed_on_stripes_page(shop_server, stripe_sim):
    shopper = Shopper(shop_server.url)
    checkout_url = shopper.checkout(Cap=1).headers["Location"]
    line = ("Flat 7, Long Building Name, Long Road, " * 130)[:4995] + "India"
    form = shopper.payment_form(checkout_url) | {"line1": line, "name": "Asha \u202eRao"}
    paid = shopper.http.post(
        checkout_url,
        data={**form, "card": "4242424242424242", "action": "pay"},
        timeout=10,
        allow_redirects=False,
    )
    shopper.follow_to_shop(paid)
    order = Order.objects.get()
    print(f"\nstored: {len(order.shipping_line1)} characters, name {order.customer_name!r}")
    assert order.shipping_line1 == line
