"""HTTP: the API under ``/v1/``, the hosted page under ``/pay/``, ``/dashboard``, else a 404."""

from __future__ import annotations

import json
import sys
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from stripe_simulator import dashboard, page
from stripe_simulator.api import Api, ApiResponse
from stripe_simulator.dashboard import Dashboard
from stripe_simulator.hosted import HostedPage, Reply, html_reply
from stripe_simulator.wire import api_key_from, decode_form

PAY_PREFIX = "/pay/"
API_PREFIX = "/v1/"
SERVER_VERSION = "StripeSimulator/2.0"


class SimulatorServer(ThreadingHTTPServer):
    """A threaded HTTP server whose handler asks the API, the hosted page or the dashboard."""

    daemon_threads = True
    # socketserver's backlog of 5 drops the connections of a burst (20 racing checkouts); their
    # clients try again only after 1 s and 3 s, as if Stripe were down. Stripe takes them all.
    request_queue_size = 128

    def __init__(
        self,
        address: tuple[str, int],
        api: Api,
        hosted: HostedPage,
        dashboard: Dashboard,
        log: Any,
    ) -> None:
        super().__init__(address, _Handler)
        self.api = api
        self.hosted = hosted
        self.dashboard = dashboard
        self.log = log

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (a timeout test) is expected, not a failure.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: SimulatorServer
    server_version = SERVER_VERSION

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        url = urlsplit(self.path)
        body = self._read_body()
        if url.path.startswith(API_PREFIX):
            self._serve_api(url.path, url.query if self.command == "GET" else body)
        elif url.path.startswith(PAY_PREFIX):
            session_id = url.path.removeprefix(PAY_PREFIX)
            if self.command == "POST":
                self._write(self.server.hosted.submit(session_id, dict(parse_qsl(body))))
            else:
                self._write(self.server.hosted.show(session_id))
        elif url.path == dashboard.PATH and self.command == "GET":
            self._write(self.server.dashboard.show(dict(parse_qsl(url.query)).get("refunded", "")))
        elif url.path == dashboard.REFUND_PATH and self.command == "POST":
            self._write(self.server.dashboard.refund(dict(parse_qsl(body))))
        elif url.path == dashboard.DISPUTE_PATH and self.command == "POST":
            self._write(self.server.dashboard.dispute(dict(parse_qsl(body))))
        else:
            self._write(html_reply(HTTPStatus.NOT_FOUND, page.not_found_page()))

    do_POST = do_DELETE = do_GET  # noqa: N815

    def _serve_api(self, path: str, form: str) -> None:
        response = self.server.api.handle(
            self.command,
            path,
            decode_form(form),
            api_key_from(self.headers.get("Authorization")),
            self.headers.get("Idempotency-Key"),
        )
        if response.drop:
            self.close_connection = True  # the work is done, the answer is lost on the way
            return
        self._write_api(response)

    def _write_api(self, response: ApiResponse) -> None:
        data = json.dumps(response.body, indent=2).encode()
        headers = [
            ("Content-Type", "application/json"),
            ("Request-Id", response.request_id),
            *response.headers,
        ]
        if key := self.headers.get("Idempotency-Key"):
            headers.append(("Idempotency-Key", key))
        self._write(Reply(response.status, data, tuple(headers)))

    def _write(self, reply: Reply) -> None:
        self.send_response(reply.status)
        for name, value in reply.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    def _read_body(self) -> str:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length).decode("utf-8", "replace")

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (http.server's name)
        self.server.log(format % args)
