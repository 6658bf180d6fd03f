"""`make bench`: latency of the hot paths against targets, printed as a table.

Not part of `make test`: timings depend on the machine. Each benchmark fails
when its median misses the target, so a regression is loud when someone runs it.
"""

from __future__ import annotations

import statistics
import time
import tracemalloc
import uuid

import pytest

from store import payments
from store.models import Order
from tests.conftest import make_product

ROUNDS = 200
# Targets on the 2-core CI machine, in milliseconds (median).
TARGETS_MS = {
    "shop page, 50 products": 40,
    "checkout, POST to Stripe redirect": 60,
    "fulfill_checkout, already paid": 15,
}
# Peak Python memory for rendering the shop page once, in KiB.
SHOP_PAGE_MEMORY_KIB = 2048


def measure(action, rounds: int = ROUNDS) -> tuple[float, float]:
    action()  # warm caches
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def report(name: str, median: float, p95: float) -> None:
    target = TARGETS_MS[name]
    verdict = "ok" if median <= target else "SLOW"
    print(f"\n{name:<38} median {median:6.1f} ms  p95 {p95:6.1f} ms  target {target} ms  {verdict}")
    assert median <= target, f"{name}: median {median:.1f} ms > {target} ms"


@pytest.fixture
def fifty_products(db):
    for number in range(47):
        make_product(f"Bench {number}", 1000 + number, sort_order=10 + number)


def test_shop_page(client, fifty_products):
    median, p95 = measure(lambda: client.get("/"))
    report("shop page, 50 products", median, p95)


def test_shop_page_memory(client, fifty_products):
    client.get("/")
    tracemalloc.start()
    client.get("/")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"\nshop page peak Python memory {peak / 1024:.0f} KiB (target {SHOP_PAGE_MEMORY_KIB})")
    assert peak / 1024 <= SHOP_PAGE_MEMORY_KIB


def test_checkout(client, products, stripe_sim):
    field = f"quantity_{products[0].pk}"

    def checkout():
        response = client.post("/checkout/", {"form_token": str(uuid.uuid4()), field: "1"})
        assert response.status_code == 303

    median, p95 = measure(checkout, rounds=100)
    report("checkout, POST to Stripe redirect", median, p95)


def test_fulfill_already_paid(client, products, stripe_sim):
    client.post("/checkout/", {"form_token": str(uuid.uuid4()), f"quantity_{products[0].pk}": "1"})
    order = Order.objects.get()
    stripe_sim.pay(order.stripe_session_id)
    payments.fulfill_checkout(order.stripe_session_id)

    median, p95 = measure(lambda: payments.fulfill_checkout(order.stripe_session_id))
    report("fulfill_checkout, already paid", median, p95)
