"""Run the offline Stripe simulator (store.simulator) in the foreground.

For the no-keys demo: ``runshop`` starts it when STRIPE_SECRET_KEY is empty and
points the shop's STRIPE_API_BASE at it. It serves until Ctrl-C or SIGTERM
(what ``Popen.terminate`` sends) and then stops cleanly.
"""

from __future__ import annotations

import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from store.simulator import StripeSimulator

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 12111  # the port stripe-mock uses, so it is easy to remember


class Command(BaseCommand):
    help = "Serve an offline stand-in for Stripe's Checkout API, hosted page and webhooks."

    def add_arguments(self, parser):
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
            default=getattr(settings, "STRIPE_WEBHOOK_SECRET", ""),
            help="Signing secret for webhooks; defaults to settings.STRIPE_WEBHOOK_SECRET.",
        )

    def handle(self, *args, host: str, port: int, webhook_url: str, webhook_secret: str, **options):
        simulator = StripeSimulator(
            host=host,
            port=port,
            webhook_url=webhook_url or None,
            webhook_secret=webhook_secret,
            log=self._log,
        )
        try:
            simulator.start()
        except OSError as error:
            raise CommandError(
                f"Cannot listen on {host}:{port} ({error.strerror}). "
                "Is another simulator running? Pick another --port."
            ) from error
        stopped = threading.Event()
        previous_handler = signal.signal(signal.SIGTERM, lambda signum, frame: stopped.set())
        try:
            self._announce(simulator, webhook_secret)
            stopped.wait()
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGTERM, previous_handler)
            simulator.stop()
        self.stdout.write("Stripe simulator stopped.")

    def _announce(self, simulator: StripeSimulator, webhook_secret: str) -> None:
        self.stdout.write(
            self.style.SUCCESS(f"Offline Stripe simulator on {simulator.api_base}")
            + f"\n  Set STRIPE_API_BASE={simulator.api_base} and any sk_test_… key."
        )
        if simulator.webhook_url:
            self.stdout.write(f"  Webhooks: POST {simulator.webhook_url}")
            if not webhook_secret:
                self.stdout.write(
                    self.style.WARNING(
                        "  No webhook secret: the shop cannot verify these events. "
                        "Set STRIPE_WEBHOOK_SECRET or pass --webhook-secret."
                    )
                )
        else:
            self.stdout.write("  Webhooks: off (no --webhook-url)")
        self.stdout.write("Quit with CONTROL-C.")

    def _log(self, message: str) -> None:
        self.stdout.write(f"[stripe simulator] {message}")
