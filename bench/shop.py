"""The shop in the bench's own process: its data, its shoppers, their queries and checkouts.

Import after ``django.setup()``. Shoppers are Django's test client with
cookies, talking to the shop as a browser over HTTPS would (CSRF enforced,
the page's own form tokens), so their orders come from the real checkout and
their cookies are the ones the shop hands out.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import stripe
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench.servers import HTTPS_HEADERS
from store.models import Order, Product, ProductVariant
from stripe_simulator import StripeSimulator

HOST = "127.0.0.1"
# What a browser behind the TLS proxy sends: the proxy's header, the host, and (for CSRF
# on HTTPS) a same-origin Referer.
BROWSER_HEADERS = HTTPS_HEADERS | {"Host": HOST}
SHOP_REFERER = f"https://{HOST}/"
# A product page `make bench` loads (the seed data's first product).
PRODUCT_PAGE = "/products/t-shirt/"
# Markup the shop page uses once per product and once per order under My Orders.
PRODUCT_MARK = re.compile(r'<li class="product[ "]')
ORDER_MARK = re.compile(r"data-order-number=")


def prepare_shop() -> None:
    """Migrate (the HomePage and three products), collect static files, start with an empty cache.

    Static files go to the settings' STATIC_ROOT (``staticfiles/``, git-ignored):
    production's manifest storage needs them to render a page. The cache is
    cleared as the test suite clears it, so no page or counter of another run counts.
    """
    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    cache.clear()


def publish_products(total: int) -> None:
    """Publish products, as an editor would (a revision, then publish), until ``total`` are live."""
    live = Product.objects.filter(live=True).count()
    for number in range(live + 1, total + 1):
        product = Product.objects.create(
            name=f"Bench product {number}",
            slug=f"bench-product-{number}",
            price=10_000 + 100 * number,
            description="A product the benchmark added, with a sentence like the samples have.",
            sort_order=number,
            live=False,
            variants=[ProductVariant()],  # sold one way: its one variant
        )
        product.save_revision().publish()


def check_product_page(html: str) -> None:
    """The T-Shirt's page, with its price and the data a shared link's preview reads."""
    parts = ("<h1>T-Shirt</h1>", 'property="og:title" content="T-Shirt"', "application/ld+json")
    for part in parts:
        if part not in html:
            raise AssertionError(f"The product page lacks {part!r}")


def check_page(html: str, *, products: int, orders: int) -> None:
    """A fast wrong page is no result: the page must list what the database holds."""
    shown_products, shown_orders = len(PRODUCT_MARK.findall(html)), len(ORDER_MARK.findall(html))
    if (shown_products, shown_orders) != (products, orders):
        raise AssertionError(
            f"The shop page shows {shown_products} products and {shown_orders} orders; "
            f"expected {products} and {orders}."
        )


@dataclass(frozen=True)
class CheckoutTiming:
    """One checkout POST: the whole request, and the part spent waiting on Stripe."""

    total_seconds: float
    stripe_seconds: float

    @property
    def shop_seconds(self) -> float:
        return self.total_seconds - self.stripe_seconds


class Shopper:
    """One browser: a cookie jar that visits the shop page and checks out."""

    def __init__(self) -> None:
        self.client = Client(enforce_csrf_checks=True, headers=BROWSER_HEADERS)

    def visit(self) -> str:
        response = self.client.get("/")
        if response.status_code != 200:
            raise AssertionError(f"The shop page answered {response.status_code}, not 200")
        return response.content.decode()

    def cookies(self) -> dict[str, str]:
        """What this browser sends with its next request (cookies the shop deleted are gone)."""
        return {name: morsel.value for name, morsel in self.client.cookies.items() if morsel.value}

    def checkout(self) -> tuple[str, CheckoutTiming]:
        """Open the shop page and order one of each of its first three products.

        Returns where the shop sent the browser (Stripe's page) and how long the POST took.
        """
        page = self.visit()
        form = {
            "csrfmiddlewaretoken": _input_value(page, "csrfmiddlewaretoken"),
            "form_token": _input_value(page, "form_token"),
        }
        form |= {name: "1" for name in re.findall(r'name="(quantity_\d+)"', page)[:3]}
        with stripe_calls() as stripe_seconds:
            started = time.perf_counter()
            response = self.client.post("/checkout/", form, headers={"Referer": SHOP_REFERER})
            total = time.perf_counter() - started
        if response.status_code != 303:
            raise AssertionError(f"Checkout answered {response.status_code}, not 303 to Stripe")
        return response["Location"], CheckoutTiming(total, sum(stripe_seconds))

    def buy(self, simulator: StripeSimulator) -> CheckoutTiming:
        """Check out, pay on the (simulated) Stripe page and come back to the success page."""
        checkout_url, timing = self.checkout()
        session_id = Order.objects.get(checkout_url=checkout_url).stripe_session_id
        if not simulator.pay(session_id):
            raise AssertionError(f"The simulator did not take the payment for {session_id}")
        response = self.client.get("/checkout/success/", {"session_id": session_id})
        if response.status_code != 303:
            raise AssertionError(f"The success page answered {response.status_code}, not 303")
        return timing


def page_queries(shopper: Shopper, *, products: int, orders: int) -> list[str]:
    """The SQL of a visit by ``shopper``, whose page must show ``products`` and ``orders``.

    Measured once the page and the shopper's My Orders have been shown since the
    last change: what every visit costs until the next one. A shopper with
    orders has visited before; a fresh one has not (its first visit is counted).
    """
    Shopper().visit()
    if orders:
        shopper.visit()
    with CaptureQueriesContext(connection) as queries:
        page = shopper.visit()
    check_page(page, products=products, orders=orders)
    return [query["sql"] for query in queries.captured_queries]


@contextmanager
def stripe_calls() -> Iterator[list[float]]:
    """Seconds spent in each Stripe HTTP call (the SDK's retries included) inside the block."""
    spent: list[float] = []
    original = stripe.RequestsClient.request_with_retries

    def timed(self, *args, **kwargs):
        started = time.perf_counter()
        try:
            return original(self, *args, **kwargs)
        finally:
            spent.append(time.perf_counter() - started)

    stripe.RequestsClient.request_with_retries = timed
    try:
        yield spent
    finally:
        stripe.RequestsClient.request_with_retries = original


def _input_value(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]+)"', page)
    if match is None:
        raise AssertionError(f"The shop page has no {name} field")
    return match.group(1)
