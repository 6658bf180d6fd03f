"""Serve the shop locally with everything it needs: the web server, the background worker
(order emails), and without Stripe keys the offline Stripe simulator."""

import os
import signal
import subprocess
import sys

from django.conf import settings
from django.core.management.base import BaseCommand

from stripe_simulator import DEFAULT_PORT as SIMULATOR_PORT

LOCAL_WEBHOOK_SECRET = "whsec_local_simulator"


class Command(BaseCommand):
    help = (
        "runserver and the task worker, plus the Stripe simulator when STRIPE_SECRET_KEY is empty."
    )

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args, addrport: str, **options):
        environment = os.environ.copy()
        commands = []
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
            # `python -m`: the simulator needs no Django, whichever settings are in use.
            commands.append(
                ["-m", "stripe_simulator", "--port", str(SIMULATOR_PORT)]
                + ["--webhook-url", f"http://{addrport}/stripe/webhook/"]
                + ["--webhook-secret", webhook_secret]
                + ["--locale", settings.STORE_LOCALE]
            )
        # The worker sends order emails outside requests; it stops with the server.
        commands.append(["manage.py", "db_worker", "--no-reload"])
        commands.append(["manage.py", "runserver", addrport])
        self._run_until_stopped(commands, environment)

    def _run_until_stopped(self, commands: list[list[str]], environment: dict) -> None:
        """Run each command with this Python; when the server ends, or on Ctrl-C / SIGTERM,
        stop them all.

        Each child gets its own process group so that runserver's autoreloader
        child is stopped with it instead of being left holding the port.
        """
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        children = []
        try:
            for command in commands:
                children.append(
                    subprocess.Popen(
                        [sys.executable, *command],
                        env=environment,
                        start_new_session=True,
                    )
                )
            children[-1].wait()
        except KeyboardInterrupt:
            pass
        finally:
            for child in reversed(children):
                _stop_group(child)


def _stop_group(child: subprocess.Popen) -> None:
    try:
        os.killpg(child.pid, signal.SIGTERM)
        child.wait(timeout=10)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
