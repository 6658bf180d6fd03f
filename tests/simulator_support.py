"""Helpers for the simulator's own tests: an SDK client, a shop's request, a browser, a receiver.

The fixtures that use them (``sim``, ``sdk``, ``webhook_receiver``, ...) are in
conftest.py. No database is needed: these tests talk to the simulator only.
"""

from __future__ import annotations

import threading
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import stripe
from bs4 import BeautifulSoup

from stripe_simulator import StripeSimulator

API_KEY = "sk_test_simulator_tests"
WEBHOOK_SECRET = "whsec_simulator_tests"
SUCCESS_URL = "http://shop.test/checkout/success/?session_id={CHECKOUT_SESSION_ID}"
CANCEL_URL = "http://shop.test/checkout/cancel/order-42/"
# Short enough to step through with sim.advance(); the last one ends the schedule.
RETRY_DELAYS = (60, 600)


class WebhookReceiver(ThreadingHTTPServer):
    """A stand-in for the shop's webhook view: keeps what arrives, answers from ``answers``."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _ReceiverHandler)
        self.received: list[tuple[bytes, str]] = []
        self.answers: list[int] = []  # statuses for the next deliveries, then 200

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/stripe/webhook/"

    def reset(self, *answers: int) -> None:
        self.received.clear()
        self.answers[:] = answers

    def serve_in_background(self) -> WebhookReceiver:
        threading.Thread(target=self.serve_forever, args=(0.05,), daemon=True).start()
        return self


class _ReceiverHandler(BaseHTTPRequestHandler):
    server: WebhookReceiver

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append((body, self.headers["Stripe-Signature"]))
        status = self.server.answers.pop(0) if self.server.answers else 200
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


def client_for(
    simulator: StripeSimulator, *, key: str = API_KEY, timeout: float = 5, retries: int = 0
) -> stripe.StripeClient:
    return stripe.StripeClient(
        key,
        base_addresses={"api": simulator.api_base},
        max_network_retries=retries,
        http_client=stripe.RequestsClient(timeout=timeout),
    )


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
    """What the shop sends for an order of two T-Shirts and a Cap (₹1,300.00)."""
    return {
        "mode": "payment",
        "line_items": [line("T-Shirt", 50000, 2), line("Cap", 30000, 1)],
        "success_url": SUCCESS_URL,
        "cancel_url": CANCEL_URL,
        "client_reference_id": "42",
        "metadata": {"order_id": "42"},
    } | overrides


def dollar_params(**overrides) -> dict:
    """The same order in USD: the one currency whose sessions offer a bank debit."""
    lines = [line("T-Shirt", 50000, 2, "usd"), line("Cap", 30000, 1, "usd")]
    return session_params(line_items=lines, **overrides)


def shipping_params(*countries: str, phone: bool = True) -> dict:
    """The same order, asking for a delivery address (and a phone number)."""
    return session_params(
        shipping_address_collection={"allowed_countries": list(countries or ["IN"])},
        phone_number_collection={"enabled": phone},
    )


STANDARD_RATE = {
    "display_name": "Standard",
    "type": "fixed_amount",
    "fixed_amount": {"amount": 6000, "currency": "inr"},
    "delivery_estimate": {
        "minimum": {"unit": "business_day", "value": 3},
        "maximum": {"unit": "business_day", "value": 5},
    },
}
EXPRESS_RATE = {
    "display_name": "Express",
    "type": "fixed_amount",
    "fixed_amount": {"amount": 15000, "currency": "inr"},
    "delivery_estimate": {
        "minimum": {"unit": "business_day", "value": 1},
        "maximum": {"unit": "business_day", "value": 2},
    },
}


def shipped_params(**overrides) -> dict:
    """The same order (₹1,300.00) with Standard (₹60) and Express (₹150) delivery offered."""
    return (
        session_params(
            shipping_address_collection={"allowed_countries": ["IN"]},
            shipping_options=[
                {"shipping_rate_data": STANDARD_RATE},
                {"shipping_rate_data": EXPRESS_RATE},
            ],
        )
        | overrides
    )


def success_url_for(session_id: str) -> str:
    return SUCCESS_URL.replace("{CHECKOUT_SESSION_ID}", session_id)


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


def rendered_form(html: str) -> dict[str, str]:
    """The hosted page's fields as a browser would submit them, prefilled values and all."""
    page = BeautifulSoup(html, "html.parser")
    fields = {
        field["name"]: field.get("value", "")
        for field in page.select("form input")
        if field.get("type") != "radio" or field.has_attr("checked")
    }
    for select in page.select("form select"):
        chosen = select.select_one("option[selected]") or select.select_one("option")
        fields[select["name"]] = chosen["value"]
    return fields


def submit(url: str, action: str = "pay", **changes: str) -> tuple[int, dict, str]:
    """Open the hosted page, change some fields, press a button (pay, pay_by_bank_debit, cancel)."""
    _, _, html = browse(url)
    return browse(url, rendered_form(html) | changes | {"action": action})
