"""The offline Stripe simulator, driven through the official SDK over real HTTP.

The shop's payment tests trust the simulator to behave like Stripe where it
matters (wire format, errors, idempotency, hosted page, signed webhooks), so
those behaviours are pinned here. No database is needed.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import stripe

from store.simulator import StripeSimulator, sign_payload

API_KEY = "sk_test_simulator_tests"
WEBHOOK_SECRET = "whsec_simulator_tests"
SUCCESS_URL = "http://shop.test/checkout/success/?session_id={CHECKOUT_SESSION_ID}"
CANCEL_URL = "http://shop.test/checkout/cancel/order-42/"
DECLINED_CARD = "4000 0000 0000 0002"


# --- Fixtures and helpers ------------------------------------------------------------


class WebhookReceiver(ThreadingHTTPServer):
    """A stand-in for the shop's webhook view: keeps what arrives, answers ``status``."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _ReceiverHandler)
        self.received: list[tuple[bytes, str]] = []
        self.status = 200

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/stripe/webhook/"


class _ReceiverHandler(BaseHTTPRequestHandler):
    server: WebhookReceiver

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append((body, self.headers["Stripe-Signature"]))
        self.send_response(self.server.status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture(scope="module")
def receiver():
    server = WebhookReceiver()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def running_simulator(receiver):
    with StripeSimulator(webhook_url=receiver.url, webhook_secret=WEBHOOK_SECRET) as simulator:
        yield simulator


@pytest.fixture
def sim(running_simulator, receiver):
    """The module's simulator, emptied for each test."""
    running_simulator.reset()
    receiver.received.clear()
    receiver.status = 200
    return running_simulator


def client_for(simulator: StripeSimulator, *, key: str = API_KEY, timeout: float = 5):
    return stripe.StripeClient(
        key,
        base_addresses={"api": simulator.api_base},
        max_network_retries=0,
        http_client=stripe.RequestsClient(timeout=timeout),
    )


@pytest.fixture
def client(sim):
    return client_for(sim)


def line(name: str, unit_amount: int, quantity: int, currency: str = "inr") -> dict:
    return {
        "quantity": quantity,
        "price_data": {
            "currency": currency,
            "unit_amount": unit_amount,
            "product_data": {"name": name},
        },
    }


def session_params(**overrides) -> dict:
    """What the shop sends for an order of two T-Shirts and a Cap."""
    return {
        "mode": "payment",
        "line_items": [line("T-Shirt", 50000, 2), line("Cap", 30000, 1)],
        "success_url": SUCCESS_URL,
        "cancel_url": CANCEL_URL,
        "client_reference_id": "42",
        "metadata": {"order_id": "42"},
    } | overrides


@pytest.fixture
def session(client):
    return client.v1.checkout.sessions.create(params=session_params())


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


BROWSER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirects)


def browse(
    url: str, form: dict | None = None, headers: dict | None = None
) -> tuple[int, dict, str]:
    """GET (or POST a form to) a URL like a browser that does not follow redirects."""
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with BROWSER.open(request, timeout=5) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers, error.read().decode()


def success_url_for(session_id: str) -> str:
    return SUCCESS_URL.replace("{CHECKOUT_SESSION_ID}", session_id)


# --- Creating sessions ---------------------------------------------------------------


def test_create_returns_a_stripe_shaped_session(sim, client):
    session = client.v1.checkout.sessions.create(params=session_params())

    assert session.id.startswith("cs_test_")
    assert session.object == "checkout.session"
    assert (session.status, session.payment_status, session.mode) == ("open", "unpaid", "payment")
    assert session.url == f"{sim.api_base}/pay/{session.id}"
    assert (session.amount_total, session.amount_subtotal, session.currency) == (
        130000,
        130000,
        "inr",
    )
    assert session.client_reference_id == "42"
    assert session.metadata["order_id"] == "42"
    assert (session.success_url, session.cancel_url) == (SUCCESS_URL, CANCEL_URL)
    assert session.payment_intent is None and session.customer_details is None
    assert session.livemode is False
    assert 24 * 3600 - 5 <= session.expires_at - time.time() <= 24 * 3600
    assert sim.sessions[session.id]["amount_total"] == 130000


def test_requests_are_recorded_with_decoded_params(sim, client):
    client.v1.checkout.sessions.create(params=session_params(), options={"idempotency_key": "k1"})

    [request] = sim.requests
    assert (request.method, request.path) == ("POST", "/v1/checkout/sessions")
    assert (request.idempotency_key, request.api_key) == ("k1", API_KEY)
    assert request.params["line_items"][1]["price_data"]["product_data"]["name"] == "Cap"
    assert request.params["metadata"] == {"order_id": "42"}


def test_expires_at_within_stripes_window_is_kept(client):
    expires_at = int(time.time()) + 3600
    session = client.v1.checkout.sessions.create(params=session_params(expires_at=expires_at))
    assert session.expires_at == expires_at


@pytest.mark.parametrize(
    "params, param",
    [
        (session_params(foo="bar"), "foo"),
        (
            session_params(line_items=[{**line("Cap", 30000, 1), "foo": "bar"}]),
            "line_items[0][foo]",
        ),
        (
            session_params(
                line_items=[
                    {
                        "quantity": 1,
                        "price_data": {
                            "currency": "inr",
                            "unit_amount": 30000,
                            "product_data": {"name": "Cap", "colour": "red"},
                        },
                    }
                ]
            ),
            "line_items[0][price_data][product_data][colour]",
        ),
    ],
    ids=["top-level", "line-item", "deeply-nested"],
)
def test_unknown_parameters_are_rejected(sim, client, params, param):
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.checkout.sessions.create(params=params)

    assert caught.value.http_status == 400
    assert caught.value.param == param
    assert f"Received unknown parameter: {param}" in str(caught.value)
    assert sim.sessions == {}


@pytest.mark.parametrize(
    "overrides, param",
    [
        ({"mode": "setup"}, "mode"),
        ({"line_items": []}, "line_items"),
        ({"line_items": [line("Cap", 30000, 0)]}, "line_items[0][quantity]"),
        ({"line_items": [line("Cap", -1, 1)]}, "line_items[0][price_data][unit_amount]"),
        ({"line_items": [line("Cap", "30,000", 1)]}, "line_items[0][price_data][unit_amount]"),
        ({"line_items": [line("Cap", 30000, 1), line("Hat", 100, 1, "usd")]}, "line_items"),
        ({"line_items": [line("Sticker", 10, 1)]}, "line_items"),
        ({"success_url": "not a url"}, "success_url"),
        ({"expires_at": int(time.time()) + 600}, "expires_at"),
        ({"expires_at": int(time.time()) + 2 * 24 * 3600}, "expires_at"),
    ],
    ids=[
        "mode",
        "no-lines",
        "quantity",
        "negative-price",
        "not-an-integer",
        "mixed-currencies",
        "below-minimum-charge",
        "bad-url",
        "expires-too-soon",
        "expires-too-late",
    ],
)
def test_requests_stripe_would_refuse_are_refused(sim, client, overrides, param):
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.checkout.sessions.create(params=session_params(**overrides))

    assert caught.value.param == param
    assert sim.sessions == {}


def test_missing_cancel_url_is_refused(client):
    params = session_params()
    del params["cancel_url"]
    with pytest.raises(stripe.InvalidRequestError, match="Missing required param: cancel_url"):
        client.v1.checkout.sessions.create(params=params)


# --- Idempotency, authentication, failures ----------------------------------------------


def test_repeated_idempotency_key_replays_the_first_session(sim, client):
    first = client.v1.checkout.sessions.create(
        params=session_params(), options={"idempotency_key": "k1"}
    )
    again = client.v1.checkout.sessions.create(
        params=session_params(), options={"idempotency_key": "k1"}
    )

    assert again.id == first.id
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
    assert list(sim.sessions) == [first.id]


def test_idempotency_key_reused_with_other_params_is_an_error(sim, client):
    client.v1.checkout.sessions.create(params=session_params(), options={"idempotency_key": "k1"})

    with pytest.raises(stripe.IdempotencyError, match="same parameters"):
        client.v1.checkout.sessions.create(
            params=session_params(client_reference_id="43"), options={"idempotency_key": "k1"}
        )
    assert len(sim.sessions) == 1


def test_retrieving_an_unknown_session_is_a_404(client):
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.checkout.sessions.retrieve("cs_test_missing")

    assert caught.value.http_status == 404
    assert caught.value.code == "resource_missing"
    assert "No such checkout.session: 'cs_test_missing'" in str(caught.value)


@pytest.mark.parametrize("key", ["sk_live_123456789", "pk_test_123456789"])
def test_only_secret_test_keys_are_accepted(sim, key):
    with pytest.raises(stripe.AuthenticationError, match="Invalid API Key provided"):
        client_for(sim, key=key).v1.checkout.sessions.create(params=session_params())

    assert sim.sessions == {}
    assert sim.requests[0].api_key == key


def test_fail_next_answers_with_errors_then_recovers(sim, client):
    sim.fail_next(500, count=2)
    for _ in range(2):
        with pytest.raises(stripe.APIError) as caught:
            client.v1.checkout.sessions.create(
                params=session_params(), options={"idempotency_key": "k1"}
            )
        assert caught.value.http_status == 500

    # A failed attempt is not saved, so retrying with the same key creates the session.
    session = client.v1.checkout.sessions.create(
        params=session_params(), options={"idempotency_key": "k1"}
    )
    assert list(sim.sessions) == [session.id]
    assert len(sim.requests) == 3


def test_slow_answer_times_out_although_the_session_was_created(sim):
    sim.delay_seconds = 1.0
    slow_client = client_for(sim, timeout=0.3)
    with pytest.raises(stripe.APIConnectionError):
        slow_client.v1.checkout.sessions.create(
            params=session_params(), options={"idempotency_key": "k1"}
        )

    # Like Stripe, the work may be done although the answer never arrived: retrying
    # with the same idempotency key returns that session instead of a second one.
    sim.delay_seconds = 0
    session = slow_client.v1.checkout.sessions.create(
        params=session_params(), options={"idempotency_key": "k1"}
    )
    assert list(sim.sessions) == [session.id]


def test_unknown_api_urls_are_stripe_shaped_404s(sim):
    status, _, body = browse(
        f"{sim.api_base}/v1/customers", headers={"Authorization": f"Bearer {API_KEY}"}
    )

    assert status == 404
    assert json.loads(body)["error"]["type"] == "invalid_request_error"


# --- The hosted page and webhooks -----------------------------------------------------


def test_paying_redirects_to_success_url_and_sends_a_signed_webhook(sim, receiver, session):
    status, headers, _ = browse(session.url, {"card": "4242 4242 4242 4242", "action": "pay"})

    assert status == 303
    assert headers["Location"] == success_url_for(session.id)
    stored = sim.sessions[session.id]
    assert (stored["status"], stored["payment_status"]) == ("complete", "paid")
    assert stored["payment_intent"].startswith("pi_")
    assert stored["customer_details"]["email"] == "shopper@example.com"

    [delivery] = sim.wait_for_deliveries(1)
    assert (delivery.status, delivery.error) == (200, None)
    [(body, signature)] = receiver.received
    event = stripe.Webhook.construct_event(body, signature, WEBHOOK_SECRET)
    assert event.type == "checkout.session.completed"
    assert event.id.startswith("evt_") and event.object == "event" and event.livemode is False
    assert event.data.object.id == session.id
    assert event.data.object.payment_status == "paid"


def test_declined_card_keeps_the_session_open(sim, session):
    status, _, html = browse(session.url, {"card": DECLINED_CARD, "action": "pay"})

    assert status == 402
    assert 'role="alert"' in html
    assert "Your card was declined. Try another card." in html
    assert sim.sessions[session.id]["status"] == "open"
    assert sim.deliveries == []


def test_other_card_numbers_ask_for_a_test_card(sim, session):
    status, _, html = browse(session.url, {"card": "1234 5678 9012 3456", "action": "pay"})

    assert status == 400
    assert "Use a test card" in html
    assert sim.sessions[session.id]["status"] == "open"


def test_cancel_redirects_to_cancel_url_and_leaves_the_session_open(sim, session):
    status, headers, _ = browse(session.url, {"card": "", "action": "cancel"})

    assert (status, headers["Location"]) == (303, CANCEL_URL)
    assert sim.sessions[session.id]["status"] == "open"


def test_pay_helper_reports_the_outcome(sim, session):
    assert sim.pay(session.id, DECLINED_CARD) is False
    assert sim.pay(session.id) is True
    assert sim.pay(session.id) is False  # already paid
    assert [d.event["type"] for d in sim.wait_for_deliveries(1)] == ["checkout.session.completed"]


def test_expire_closes_the_session_and_sends_the_expired_webhook(sim, client, session):
    expired = client.v1.checkout.sessions.expire(session.id)

    assert (expired.status, expired.payment_status, expired.url) == ("expired", "unpaid", None)
    assert client.v1.checkout.sessions.expire(session.id).status == "expired"
    [delivery] = sim.wait_for_deliveries(1)
    assert delivery.event["type"] == "checkout.session.expired"
    assert delivery.event["data"]["object"]["id"] == session.id


def test_expiring_a_paid_session_is_an_error(sim, client, session):
    sim.pay(session.id)

    with pytest.raises(stripe.InvalidRequestError, match=r"status in \[open\]"):
        client.v1.checkout.sessions.expire(session.id)
    assert sim.sessions[session.id]["status"] == "complete"


def test_a_session_past_expires_at_expires_when_read(sim, client, session):
    sim.sessions[session.id]["expires_at"] = int(time.time()) - 1

    assert client.v1.checkout.sessions.retrieve(session.id).status == "expired"
    assert client.v1.checkout.sessions.retrieve(session.id).status == "expired"
    [delivery] = sim.wait_for_deliveries(1)
    assert delivery.event["type"] == "checkout.session.expired"


def test_tamper_changes_what_the_api_and_webhooks_say(sim, client, session):
    sim.tamper(session.id, amount_total=1, currency="usd")

    retrieved = client.v1.checkout.sessions.retrieve(session.id)
    assert (retrieved.amount_total, retrieved.currency) == (1, "usd")
    assert sim.sessions[session.id]["amount_total"] == 130000
    sim.pay(session.id)
    [delivery] = sim.wait_for_deliveries(1)
    assert delivery.event["data"]["object"]["amount_total"] == 1


def test_webhook_endpoint_errors_are_recorded(sim, receiver, session):
    receiver.status = 500
    sim.pay(session.id)

    [delivery] = sim.wait_for_deliveries(1)
    assert (delivery.status, delivery.error) == (500, None)


def test_unreachable_webhook_endpoint_is_recorded():
    with StripeSimulator(webhook_url="http://127.0.0.1:9/", webhook_secret=WEBHOOK_SECRET) as other:
        session = client_for(other).v1.checkout.sessions.create(params=session_params())
        other.pay(session.id)
        [delivery] = other.wait_for_deliveries(1)
    assert delivery.status is None
    assert delivery.error


def test_without_a_webhook_url_nothing_is_sent():
    with StripeSimulator() as other:
        session = client_for(other).v1.checkout.sessions.create(params=session_params())
        assert other.pay(session.id) is True
        assert other.deliveries == []


def test_hosted_page_escapes_names_and_shows_the_total(client):
    session = client.v1.checkout.sessions.create(
        params=session_params(line_items=[line("<script>alert(1)</script>", 120000, 2)])
    )

    status, headers, html = browse(session.url)

    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "₹2,400.00" in html and "₹1,200.00" in html
    assert '<html lang="en">' in html and "<main>" in html and "<title>" in html
    assert '<label for="card">Card number</label>' in html
    assert 'value="pay"' in html and 'value="cancel"' in html
    assert "Offline Stripe simulator" in html and "4000 0000 0000 0002" in html


@pytest.mark.parametrize(
    "close, heading, link",
    [
        ("expire", "This checkout session has expired", CANCEL_URL),
        ("pay", "This checkout session is already paid", None),
    ],
)
def test_closed_sessions_say_so_and_offer_no_pay_button(sim, session, close, heading, link):
    getattr(sim, close)(session.id)

    status, _, html = browse(f"{sim.api_base}/pay/{session.id}")

    assert status == 200
    assert heading in html
    assert "<button" not in html
    assert f'href="{link or success_url_for(session.id)}"' in html
    assert browse(f"{sim.api_base}/pay/{session.id}", {"card": "4242424242424242"})[0] == 409


def test_unknown_sessions_and_paths_are_404_pages(sim):
    for path in ("/pay/cs_test_missing", "/favicon.ico"):
        status, _, html = browse(sim.api_base + path)
        assert status == 404
        assert "Checkout session not found" in html


# --- Events and signatures ------------------------------------------------------------


def test_build_event_is_stripe_shaped(sim, session):
    event = sim.build_event("checkout.session.completed", sim.sessions[session.id])

    assert set(event) == {
        "id", "object", "api_version", "created", "data", "livemode",
        "pending_webhooks", "request", "type",
    }  # fmt: skip
    assert event["data"]["object"]["id"] == session.id
    assert event["api_version"] == stripe.api_version


def test_sign_payload_is_what_construct_event_accepts():
    body = json.dumps({"id": "evt_1", "object": "event", "type": "ping", "data": {"object": {}}})

    header = sign_payload(body.encode(), WEBHOOK_SECRET)

    assert stripe.Webhook.construct_event(body, header, WEBHOOK_SECRET).type == "ping"
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body, header, "whsec_wrong")
    with pytest.raises(stripe.SignatureVerificationError):
        stale = sign_payload(body.encode(), WEBHOOK_SECRET, timestamp=int(time.time()) - 3600)
        stripe.Webhook.construct_event(body, stale, WEBHOOK_SECRET)
