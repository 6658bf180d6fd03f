"""The command line shared by ``python -m stripe_simulator`` and ``manage.py stripe_simulator``.

It serves until Ctrl-C or SIGTERM (what ``Popen.terminate`` sends, e.g. from
``runshop``) and then stops cleanly.
"""

from __future__ import annotations

import argparse
import signal
import threading
from collections.abc import Callable

from babel import Locale, UnknownLocaleError

from stripe_simulator import DEFAULT_HOST, DEFAULT_PORT
from stripe_simulator.money import DEFAULT_LOCALE
from stripe_simulator.payments import DEFAULT_DELAYED_PAYMENT_SECONDS
from stripe_simulator.simulator import StripeSimulator

DESCRIPTION = (
    "Serve an offline stand-in for Stripe's Checkout, PaymentIntent and Refund APIs, "
    "its hosted payment page and signed webhooks."
)


class CannotListen(Exception):
    """The port is taken (another simulator?) or the host is not this machine's."""


def add_arguments(
    parser: argparse.ArgumentParser,
    *,
    default_webhook_secret: str = "",
    default_locale: str = DEFAULT_LOCALE,
) -> None:
    parser.add_argument("--host", default=DEFAULT_HOST)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument(
        "--webhook-url",
        default="",
        help="Where to POST signed events (e.g. http://127.0.0.1:8000/stripe/webhook/); "
        "empty sends none.",
    )
    parser.add_argument(
        "--webhook-secret",
        default=default_webhook_secret,
        help="Signing secret for webhooks (whsec_…).",
    )
    parser.add_argument(
        "--delayed-payment-seconds",
        type=float,
        default=DEFAULT_DELAYED_PAYMENT_SECONDS,
        help="How long a bank debit paid on the hosted page takes to settle.",
    )
    parser.add_argument(
        "--locale",
        type=_babel_locale,
        default=default_locale,
        help="How the pages write amounts, as a Babel locale (en_IN: ₹1,25,000.00).",
    )


def _babel_locale(value: str) -> str:
    try:
        Locale.parse(value)
    except (ValueError, UnknownLocaleError):
        message = f"{value!r} is not a locale Babel knows (e.g. en_IN)"
        raise argparse.ArgumentTypeError(message) from None
    return value


def serve(
    *,
    host: str,
    port: int,
    webhook_url: str,
    webhook_secret: str,
    delayed_payment_seconds: float,
    locale: str,
    write: Callable[[str], None],
) -> None:
    """Run a simulator in the foreground until Ctrl-C or SIGTERM."""
    simulator = StripeSimulator(
        host=host,
        port=port,
        webhook_url=webhook_url or None,
        webhook_secret=webhook_secret,
        log=lambda message: write(f"[stripe simulator] {message}"),
        delayed_payment_seconds=delayed_payment_seconds,
        locale=locale,
    )
    try:
        simulator.start()
    except OSError as error:
        raise CannotListen(
            f"Cannot listen on {host}:{port} ({error.strerror}). "
            "Is another simulator running? Pick another --port."
        ) from error
    stopped = threading.Event()
    previous_handler = signal.signal(signal.SIGTERM, lambda signum, frame: stopped.set())
    try:
        write(_announcement(simulator, webhook_secret))
        stopped.wait()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous_handler)
        simulator.stop()
    write("Stripe simulator stopped.")


def _announcement(simulator: StripeSimulator, webhook_secret: str) -> str:
    lines = [
        f"Offline Stripe simulator on {simulator.api_base}",
        f"  Set STRIPE_API_BASE={simulator.api_base} and any sk_test_… key.",
    ]
    if simulator.webhook_url:
        lines.append(f"  Webhooks: POST {simulator.webhook_url}")
        if not webhook_secret:
            lines.append(
                "  No webhook secret: the shop cannot verify these events. "
                "Set STRIPE_WEBHOOK_SECRET or pass --webhook-secret."
            )
    else:
        lines.append("  Webhooks: off (no --webhook-url)")
    lines.append("Quit with CONTROL-C.")
    return "\n".join(lines)
