"""Fixtures shared by the suite: the shop's products, admin users, the Stripe simulator."""

from __future__ import annotations

import importlib

import environ
import pytest
import redis
import stripe
from django.apps import apps as django_apps
from django.core.cache import cache, caches
from django.db import connection, connections

from home import shop_page
from mysite.settings.environment import media_storage_config
from store.models import Product, ProductVariant, ShippingRate, ShippingSettings
from store.payments.stripe_http import InstrumentedRequestsClient, endpoint_of
from store.signals import order_paid
from stripe_simulator import StripeSimulator
from tests.mail_server import MailServer
from tests.s3_server import S3Server
from tests.servers import REDIS_URL, redis_missing_reason
from tests.simulator_support import (
    RETRY_DELAYS,
    WEBHOOK_SECRET,
    WebhookReceiver,
    client_for,
    dollar_params,
    session_params,
)


def make_product(
    name: str,
    price: int,
    *,
    live: bool = True,
    sort_order: int = 0,
    stock: int | None = None,
    **fields,
) -> Product:
    """A product without options: its one variant carries ``stock``."""
    slug = fields.pop("slug", name.lower().replace(" ", "-"))
    product = Product.objects.create(
        name=name, slug=slug, price=price, live=live, sort_order=sort_order, **fields
    )
    ProductVariant.objects.create(product=product, stock=stock)
    return product


def quantity_field(product: Product) -> str:
    """The shop form's field for a product without options (its one variant)."""
    return f"quantity_{product.variants.get().pk}"


def set_stock(product_name: str, on_hand: int | None) -> None:
    """The stock of a product without options (its one variant), as an UPDATE."""
    ProductVariant.objects.filter(product__name=product_name).update(stock=on_hand)


def give_sizes(product: Product, stock_by_size: dict[str, int | None], **prices: int) -> None:
    """Replace the product's one variant with one per size (``prices``: a size's own price)."""
    Product.objects.filter(pk=product.pk).update(option_1="Size")
    product.refresh_from_db()
    product.variants.all().delete()
    for order, (size, on_hand) in enumerate(stock_by_size.items()):
        ProductVariant.objects.create(
            product=product,
            value_1=size,
            sku=f"{product.slug.upper()}-{size}",
            stock=on_hand,
            price=prices.get(size),
            sort_order=order,
        )


@pytest.fixture(autouse=True)
def no_stripe_call_in_a_transaction(monkeypatch):
    """Fail any test in which the shop calls Stripe while a transaction is open (issue 18).

    The blocks pytest-django opens around a non-transactional test are marked
    ``_from_testcase`` by Django and do not count: only the shop's own do. Any
    thread's call counts (a live server's too); the test fails at teardown even
    if the shop caught the error raised here.
    """
    calls_in_transactions: list[str] = []
    request = InstrumentedRequestsClient.request

    def checked(client, method, url, headers, post_data=None):
        open_blocks = [
            block
            for connection in connections.all(initialized_only=True)
            for block in connection.atomic_blocks
            if not block._from_testcase
        ]
        if open_blocks:
            calls_in_transactions.append(f"{method.upper()} {endpoint_of(url)}")
            raise AssertionError(f"Stripe called inside a transaction: {method} {url}")
        return request(client, method, url, headers, post_data)

    monkeypatch.setattr(InstrumentedRequestsClient, "request", checked)
    yield
    if calls_in_transactions:
        pytest.fail(f"Stripe was called with a transaction open: {calls_in_transactions}")


@pytest.fixture(autouse=True)
def empty_cache():
    """Rate-limit counters and the shop page's rendering start afresh in every test."""
    cache.clear()
    caches[shop_page.PAGE_CACHE].clear()
    shop_page.forget_worker_copy()


@pytest.fixture(autouse=True)
def free_shipping(request):
    """Tests that do not ask for shipping rates (``shipping_rates``, or marked
    ``seeded_shipping``) run without the ones the migration seeds: every order ships free,
    as before shipping could be charged, so their totals are the lines' sums."""
    uses_database = request.node.get_closest_marker("django_db") or {
        "db",
        "transactional_db",
        "live_server",
    } & set(request.fixturenames)
    if (
        not uses_database
        or "shipping_rates" in request.fixturenames
        or request.node.get_closest_marker("seeded_shipping")
    ):
        return
    request.getfixturevalue("_django_db_helper")
    ShippingRate.objects.all().delete()


@pytest.fixture
def shipping_rates(db) -> ShippingSettings:
    """The sample rates as the migration seeds them (again, if a flush removed them):
    Standard ₹60 (3–5 business days), Express ₹150 (1–2), free from ₹999."""
    seed = importlib.import_module("store.migrations.0025_shipping_and_discount_amounts")
    seed.create_sample_rates(django_apps, None)
    return ShippingSettings.objects.get(site__is_default_site=True)


def behind_the_shops_back() -> None:
    """A test changed rows directly (an UPDATE, no signals): the shop page must see it."""
    shop_page.invalidate()


@pytest.fixture
def products(db) -> list[Product]:
    """The three sample products the data migration creates, in shop order."""
    return list(Product.objects.published())


@pytest.fixture
def admin_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("editor", "editor@example.com", "pw")
    client.force_login(user)
    return client


requires_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL (set DATABASE_URL=postgres://…); .ci/run does",
)


@pytest.fixture(scope="session")
def running_simulator():
    """One offline Stripe for the whole run; each test gets it reset."""
    simulator = StripeSimulator().start()
    yield simulator
    simulator.stop()


@pytest.fixture
def stripe_sim(running_simulator, settings):
    """The simulator, with the shop's Stripe client pointed at it and no webhooks."""
    running_simulator.reset()
    running_simulator.webhook_url = None
    settings.STRIPE_API_BASE = running_simulator.api_base
    yield running_simulator
    # A webhook still being handled by the shop would hold locks on the tables the database
    # teardown truncates (a deadlock), or land in the next test.
    running_simulator.webhook_url = None
    running_simulator.wait_until_webhooks_idle()


@pytest.fixture
def dollar_shop(settings):
    """The shop selling in USD, the one currency Stripe offers its delayed bank debit in."""
    settings.STORE_CURRENCY = "usd"


@pytest.fixture
def shop_server(live_server, stripe_sim, settings):
    """The shop on a real port, with the simulator sending it signed webhooks."""
    stripe_sim.webhook_url = f"{live_server.url}/stripe/webhook/"
    stripe_sim.webhook_secret = settings.STRIPE_WEBHOOK_SECRET
    return live_server


@pytest.fixture(scope="session")
def running_mail_server():
    server = MailServer().start()
    yield server
    server.stop()


@pytest.fixture
def mail_server(running_mail_server, settings):
    """The SMTP server on loopback, empty, with the shop's email going to it."""
    running_mail_server.reset()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = running_mail_server.port
    return running_mail_server


@pytest.fixture(params=["embedded", "redis"])
def shared_cache(request, tmp_path, settings) -> dict[str, str]:
    """The caches the servers share, used by this test too: the embedded defaults (files on
    this machine; renderings in each process) or Redis for both (CACHE_URL and
    STORE_PAGE_CACHE_URL). Changes made here invalidate what they cached."""
    page_cache = settings.CACHES[shop_page.PAGE_CACHE]
    if request.param == "embedded":
        url = f"filecache://{tmp_path / 'cache'}"
        variables = {"CACHE_URL": url}
    else:
        if reason := redis_missing_reason():
            pytest.skip(reason)
        redis.Redis.from_url(REDIS_URL).flushdb()
        url = REDIS_URL
        page_cache = environ.Env.cache_url_config(url)
        variables = {"CACHE_URL": url, "STORE_PAGE_CACHE_URL": url}
    settings.CACHES = {
        "default": environ.Env.cache_url_config(url),
        shop_page.PAGE_CACHE: page_cache,
    }
    return variables


@pytest.fixture
def paid_signals():
    """Every order_paid signal sent during the test: one per paid transition."""
    received = []

    def receiver(sender, order, **kwargs):
        received.append(order.pk)

    order_paid.connect(receiver, weak=False)
    yield received
    order_paid.disconnect(receiver)


# --- The simulator's own tests (tests/test_simulator_*.py) -------------------------------


@pytest.fixture(scope="session")
def webhook_receiver():
    """A webhook endpoint for the simulator's tests; each test says what it answers."""
    receiver = WebhookReceiver().serve_in_background()
    yield receiver
    receiver.shutdown()
    receiver.server_close()


@pytest.fixture(scope="session")
def tested_simulator(webhook_receiver):
    with StripeSimulator(
        webhook_url=webhook_receiver.url,
        webhook_secret=WEBHOOK_SECRET,
        webhook_retry_delays=RETRY_DELAYS,
    ) as simulator:
        yield simulator


@pytest.fixture
def sim(tested_simulator, webhook_receiver):
    """The simulator under test, emptied, its clock back to now, its endpoint answering 200."""
    # A delivery from the previous test still on its way would reach this test's receiver.
    tested_simulator.wait_until_webhooks_idle()
    tested_simulator.reset()
    tested_simulator.webhook_url = webhook_receiver.url
    webhook_receiver.reset()
    return tested_simulator


@pytest.fixture
def sdk(sim):
    """The official SDK pointed at the simulator, with no retries of its own."""
    return client_for(sim)


@pytest.fixture
def checkout_session(sdk):
    """An open session for two T-Shirts and a Cap, as the shop creates it."""
    return sdk.v1.checkout.sessions.create(params=session_params())


@pytest.fixture
def dollar_session(sdk):
    """The same order in USD, so it can also be paid by bank debit (USD only at Stripe)."""
    return sdk.v1.checkout.sessions.create(params=dollar_params())


@pytest.fixture
def fast_sdk_retries(monkeypatch):
    """The SDK's retry backoff in milliseconds instead of half a second and more."""
    monkeypatch.setattr(stripe.HTTPClient, "INITIAL_DELAY", 0.01)
    monkeypatch.setattr(stripe.HTTPClient, "MAX_DELAY", 0.05)


@pytest.fixture(scope="session")
def s3_server():
    """A real S3 API (moto's server) for the whole run."""
    server = S3Server().start()
    yield server
    server.stop()


@pytest.fixture
def s3_media(s3_server, settings, monkeypatch) -> dict[str, str]:
    """Uploads go to an empty bucket on the S3 server, configured as an operator would
    (the environment), for this process and for the servers a test starts."""
    s3_server.fresh_bucket()
    environment = s3_server.environment()
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    settings.STORAGES = {**settings.STORAGES, "default": media_storage_config()}
    return environment
