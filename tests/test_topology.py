"""Several servers as deployed: nginx with TLS (deploy/nginx's template) in front of two
gunicorn instances with production settings, one PostgreSQL, one Redis, one S3 bucket."""

from __future__ import annotations

import os
import shutil
import socketserver
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import environ
import pytest
import redis
import requests
from axes.models import AccessAttempt, AccessFailureLog
from bs4 import BeautifulSoup
from wagtail.images import get_image_model
from wagtail.images.tests.utils import get_test_image_file

from store.models import Order, Product
from tests import servers
from tests.conftest import requires_postgres
from tests.topology import NGINX, Instance, Nginx, browser, self_signed_certificate, start_all

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    requires_postgres,
    pytest.mark.skipif(not shutil.which(NGINX), reason="needs nginx (.ci/run installs it)"),
]

BUCKET = "shop-media-topology"
PASSWORD = "a known password"


@dataclass
class Topology:
    a: Instance
    b: Instance
    proxy: Nginx
    certificate: Path

    @property
    def url(self) -> str:
        return self.proxy.url

    def browser(self, address: str = "127.0.0.1"):
        return browser(self.certificate, address)

    def only(self, *up: Instance) -> None:
        """Send every request to ``up`` (the others are drained), as an operator would."""
        self.proxy.reload(
            [f"127.0.0.1:{i.port}" + ("" if i in up else " down") for i in (self.a, self.b)]
        )

    def all_up(self) -> None:
        self.only(self.a, self.b)


@pytest.fixture(scope="module")
def topology(django_db_setup, running_simulator, s3_server, tmp_path_factory):
    if reason := servers.redis_missing_reason():
        pytest.skip(reason)
    redis.Redis.from_url(servers.REDIS_URL).flushdb()  # rate limits of an earlier run
    s3_server.fresh_bucket(BUCKET)
    directory = tmp_path_factory.mktemp("topology")
    certificate, key = self_signed_certificate(directory)
    environment = {
        name: value for name, value in os.environ.items() if not name.startswith("DJANGO_")
    } | {
        "DJANGO_SETTINGS_MODULE": "tests.topology_settings",
        "DJANGO_SECRET_KEY": "topology-test-only-" + "x" * 40,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_PROXY_SSL_HEADER": "true",
        "DJANGO_TRUSTED_PROXY_COUNT": "1",
        "DATABASE_URL": servers.test_database_url(),
        "DB_CONN_MAX_AGE": "0",  # the test database is dropped at the end
        "CACHE_URL": servers.REDIS_URL,
        "STRIPE_SECRET_KEY": "sk_test_simulator",
        "STRIPE_WEBHOOK_SECRET": "whsec_test_secret",
        "STRIPE_API_BASE": running_simulator.api_base,
        "STORE_CHECKOUT_RATE_PER_IP": "2/h",
        "STORE_CHECKOUT_RATE_PER_BROWSER": "100/h",
        "STORE_LOGIN_FAILURE_LIMIT": "3",
        "WEB_CONCURRENCY": "1",
        **s3_server.environment(BUCKET),
    }
    a, b = Instance("a", environment, directory), Instance("b", environment, directory)
    proxy = Nginx(directory / "nginx", (certificate, key))
    try:
        start_all([a, b])
        proxy.start([f"127.0.0.1:{a.port}", f"127.0.0.1:{b.port}"])
        yield Topology(a, b, proxy, certificate)
    finally:
        proxy.stop()
        a.stop()
        b.stop()


@pytest.fixture
def shared_cache(settings):
    """This process's changes reach the servers' cache (the shop page's invalidation)."""
    settings.CACHES = {"default": environ.Env.cache_url_config(servers.REDIS_URL)}


def form_fields(page: str, selector: str) -> dict[str, str]:
    form = BeautifulSoup(page, "html.parser").select_one(selector)
    return {field["name"]: field.get("value", "") for field in form.select("input[name]")}


def checkout(topology: Topology, address: str, spoofed: str | None = None) -> int:
    """A new shopper on ``address`` buys a T-Shirt; the status of the Checkout POST."""
    shopper = topology.browser(address)
    # No connection kept open: one that nginx closes on a reload would fail the next request
    # on the client's side (browsers retry those; requests does not).
    shopper.headers["Connection"] = "close"
    page = shopper.get(f"{topology.url}/", timeout=30)
    assert page.status_code == 200, page.status_code
    fields = form_fields(page.text, "form.checkout-form")
    quantity = next(name for name in fields if name.startswith("quantity"))
    headers = {"Referer": f"{topology.url}/"} | ({"X-Forwarded-For": spoofed} if spoofed else {})
    response = shopper.post(
        f"{topology.url}/checkout/",
        data=fields | {quantity: "1"},
        headers=headers,
        allow_redirects=False,
        timeout=30,
    )
    return response.status_code


def sign_in(topology: Topology, session, username: str, password: str, **headers) -> int:
    login = f"{topology.url}/admin/login/"
    fields = form_fields(session.get(login, timeout=30).text, "form[method=post]")
    response = session.post(
        login,
        data=fields | {"username": username, "password": password},
        headers={"Referer": login, **headers},
        allow_redirects=False,
        timeout=30,
    )
    return response.status_code


def test_a_photo_uploaded_through_one_server_is_shown_by_the_other(
    topology, products, shared_cache, django_user_model, s3_server
):
    django_user_model.objects.create_superuser("editor", "editor@example.com", PASSWORD)
    try:
        topology.only(topology.a)
        editor = topology.browser()
        assert sign_in(topology, editor, "editor", PASSWORD) == 302
        add = f"{topology.url}/admin/images/add/"
        upload = get_test_image_file(filename="tee.png")
        upload.seek(0)
        uploaded = editor.post(
            add,
            data=form_fields(editor.get(add, timeout=30).text, "form[method=post]")
            | {"title": "Tee photo"},
            files={"file": ("tee.png", upload.read(), "image/png")},
            headers={"Referer": add},
            allow_redirects=False,
            timeout=30,
        )
        assert uploaded.status_code == 302, uploaded.text[:300]
        shirt = Product.objects.get(pk=products[0].pk)
        shirt.image = get_image_model().objects.get(title="Tee photo")
        shirt.save()

        topology.only(topology.b)
        page = BeautifulSoup(topology.browser().get(f"{topology.url}/").text, "html.parser")
    finally:
        topology.all_up()
    source = page.select_one("img.product-image")["src"]
    assert source.startswith(f"{s3_server.endpoint_url}/{BUCKET}/images/"), source
    photo = requests.get(source, timeout=10)
    assert photo.status_code == 200 and photo.content.startswith(b"\x89PNG")


def test_the_client_address_reaches_rate_limits_and_lockouts_and_cannot_be_spoofed(
    topology, products, stripe_sim, django_user_model
):
    # Two checkouts an hour per address (STORE_CHECKOUT_RATE_PER_IP=2/h).
    assert [checkout(topology, "127.0.0.2") for _ in range(3)] == [303, 303, 429]
    # Claiming another address in X-Forwarded-For changes nothing: nginx appends the real one.
    assert [checkout(topology, "127.0.0.2", spoofed="127.0.0.3") for _ in range(2)] == [429, 429]
    assert [checkout(topology, "127.0.0.3") for _ in range(2)] == [303, 303]

    django_user_model.objects.create_user("target", password=PASSWORD, is_staff=True)
    django_user_model.objects.create_user("colleague", password=PASSWORD, is_staff=True)
    intruder = topology.browser("127.0.0.4")
    statuses = [
        sign_in(topology, intruder, "target", "wrong", **{"X-Forwarded-For": "127.0.0.5"})
        for _ in range(4)
    ]
    assert statuses[-1] == 429, statuses  # locked out after STORE_LOGIN_FAILURE_LIMIT=3
    seen = set(AccessFailureLog.objects.values_list("ip_address", flat=True))
    seen |= set(AccessAttempt.objects.values_list("ip_address", flat=True))
    assert seen == {"127.0.0.4"}
    # The address the intruder claimed was never counted against.
    assert sign_in(topology, topology.browser("127.0.0.5"), "colleague", PASSWORD) == 302


def test_cookies_are_secure_and_plain_http_is_sent_to_https(topology, products, s3_server):
    session = topology.browser()
    shop = session.get(f"{topology.url}/", timeout=30)
    login = session.get(f"{topology.url}/admin/login/", timeout=30)
    cookies = [
        header
        for response in (shop, login)
        for header in response.raw.headers.getlist("Set-Cookie")
    ]
    assert cookies and all("; Secure" in cookie for cookie in cookies), cookies
    assert shop.headers["Strict-Transport-Security"].startswith("max-age=")
    image_sources = next(
        part for part in shop.headers["Content-Security-Policy"].split(";") if "img-src" in part
    )
    assert s3_server.endpoint_url in image_sources

    plain = session.get(
        f"http://127.0.0.1:{topology.proxy.http_port}/", allow_redirects=False, timeout=10
    )
    assert plain.status_code == 301 and plain.headers["Location"].startswith("https://")


class _Dropper(socketserver.ThreadingTCPServer):
    """An upstream that reads each request and closes the connection without answering."""

    daemon_threads = True

    def __init__(self):
        self.seen: list[str] = []
        super().__init__(("127.0.0.1", 0), _DropHandler)


class _DropHandler(socketserver.StreamRequestHandler):
    def handle(self):
        request_line = self.rfile.readline().decode(errors="replace").strip()
        length = 0
        while (header := self.rfile.readline()) not in (b"\r\n", b""):
            name, _, text = header.decode(errors="replace").partition(":")
            if name.lower() == "content-length":
                length = int(text)
        self.rfile.read(length)
        self.server.seen.append(request_line.split(" ")[0])


def test_nginx_asks_another_server_after_a_failed_get_but_never_resends_a_post(
    topology, products, stripe_sim, tmp_path
):
    dropper = _Dropper()
    threading.Thread(target=dropper.serve_forever, daemon=True).start()
    proxy = Nginx(tmp_path / "nginx", (topology.certificate, topology.proxy.key))
    try:
        proxy.start(
            [
                f"127.0.0.1:{dropper.server_address[1]} max_fails=0",
                f"127.0.0.1:{topology.b.port} backup",
            ]
        )
        shopper = browser(topology.certificate)
        page = shopper.get(f"{proxy.url}/", timeout=30)
        assert page.status_code == 200 and dropper.seen == ["GET"]  # B answered in its place

        fields = form_fields(page.text, "form.checkout-form")
        quantity = next(name for name in fields if name.startswith("quantity"))
        posted = shopper.post(
            f"{proxy.url}/checkout/",
            data=fields | {quantity: "1"},
            headers={"Referer": f"{proxy.url}/"},
            allow_redirects=False,
            timeout=30,
        )
    finally:
        proxy.stop()
        dropper.shutdown()
        dropper.server_close()
    assert posted.status_code == 502
    assert dropper.seen == ["GET", "POST"]
    assert not Order.objects.exists()  # B never saw the checkout
    assert not [r for r in stripe_sim.requests if r.method == "POST"]


def test_a_rolling_restart_under_load_fails_no_request(topology, products, stripe_sim):
    statuses: list[tuple[str, object]] = []
    stop = threading.Event()
    addresses = iter(f"127.0.1.{n}" for n in range(1, 255))
    lock = threading.Lock()

    def record(kind: str, call) -> None:
        try:
            outcome = call()
        except requests.RequestException as error:
            outcome = repr(error)
        with lock:
            statuses.append((kind, outcome))

    def load() -> None:
        session = topology.browser()
        session.headers["Connection"] = "close"  # as in checkout()
        for turn in range(400):  # bounded, whatever happens
            if stop.is_set():
                return
            record("GET", lambda: session.get(f"{topology.url}/", timeout=30).status_code)
            if turn % 5 == 4:
                with lock:
                    address = next(addresses)
                record("POST", lambda address=address: checkout(topology, address))

    threads = [threading.Thread(target=load) for _ in range(3)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(1)
        topology.only(topology.b)  # drain A: nginx's old workers finish what A had
        topology.a.stop()  # gracefully: A finishes its own requests
        topology.a.start()
        topology.all_up()
        time.sleep(1.5)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)

    gets = [outcome for kind, outcome in statuses if kind == "GET"]
    posts = [outcome for kind, outcome in statuses if kind == "POST"]
    assert set(gets) == {200} and set(posts) == {303}, statuses
    assert len(gets) >= 30 and len(posts) >= 3, (len(gets), len(posts))
    # Each checkout reached one server once: one order and one Checkout Session per POST.
    sessions = [
        r for r in stripe_sim.requests if (r.method, r.path) == ("POST", "/v1/checkout/sessions")
    ]
    assert Order.objects.count() == len(sessions) == len(posts)
    # A is back in rotation.
    restarted = (topology.a.log_dir / f"a-{topology.a.starts}.log").read_text()
    assert '"GET / HTTP/1.0" 200' in restarted
