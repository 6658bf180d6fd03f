"""Serve the shop locally; without Stripe keys, alongside the offline Stripe simulator."""

import os
import subprocess
import sys

from django.conf import settings
from django.core.management.base import BaseCommand

SIMULATOR_PORT = 12111
LOCAL_WEBHOOK_SECRET = "whsec_local_simulator"


class Command(BaseCommand):
    help = "runserver, plus the Stripe simulator when STRIPE_SECRET_KEY is empty."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args, addrport: str, **options):
        environment = os.environ.copy()
        simulator = None
        if not settings.STRIPE_SECRET_KEY:
            api_base = f"http://127.0.0.1:{SIMULATOR_PORT}"
            webhook_secret = settings.STRIPE_WEBHOOK_SECRET or LOCAL_WEBHOOK_SECRET
            # Children read these before .env, so the whole local shop uses the simulator.
            environment.update(
                STRIPE_SECRET_KEY="sk_test_local_simulator",
                STRIPE_API_BASE=api_base,
                STRIPE_WEBHOOK_SECRET=webhook_secret,
            )
            self.stdout.write(f"No STRIPE_SECRET_KEY: payments are simulated at {api_base}.")
            simulator = subprocess.Popen(
                [
                    sys.executable,
                    "manage.py",
                    "stripe_simulator",
                    "--port",
                    str(SIMULATOR_PORT),
                    "--webhook-url",
                    f"http://{addrport}/stripe/webhook/",
                    "--webhook-secret",
                    webhook_secret,
                ],
                env=environment,
            )
        try:
            subprocess.call([sys.executable, "manage.py", "runserver", addrport], env=environment)
        except KeyboardInterrupt:
            pass
        finally:
            if simulator:
                simulator.terminate()
                simulator.wait(timeout=10)
