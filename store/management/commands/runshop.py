"""Serve the shop locally with everything it needs: the web server, the background worker
(order emails, exports), and without Stripe keys the offline Stripe simulator.

Every child runs in a process group of its own (runserver's autoreloader child
goes with its parent). SIGTERM, SIGINT (Ctrl-C) and SIGHUP only set a flag, so a
signal arriving while a child is being started or stopped cannot cut the
shutdown short; then every group gets SIGTERM, and SIGKILL after a grace
period. If any child ends by itself, the others are stopped too.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from stripe_simulator import DEFAULT_PORT as SIMULATOR_PORT

LOCAL_WEBHOOK_SECRET = "whsec_local_simulator"
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
GRACE_SECONDS = 10
POLL_SECONDS = 0.2


class Command(BaseCommand):
    help = (
        "runserver and the task worker, plus the Stripe simulator when STRIPE_SECRET_KEY is empty."
    )

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument(
            "--simulator-port",
            type=int,
            default=SIMULATOR_PORT,
            help="where to start the offline Stripe simulator (default %(default)s)",
        )
        parser.add_argument(
            "--simulator-url",
            default="",
            help="use a simulator that is already running there instead of starting one",
        )

    def handle(self, *args, addrport: str, simulator_port: int, simulator_url: str, **options):
        host, _, port = addrport.rpartition(":")
        _require_free(host or "127.0.0.1", int(port), "the shop", "make run PORT=8001")
        environment = os.environ.copy()
        commands = []
        if not settings.STRIPE_SECRET_KEY:
            webhook_secret = settings.STRIPE_WEBHOOK_SECRET or LOCAL_WEBHOOK_SECRET
            if simulator_url:
                api_base = simulator_url.rstrip("/")
                self.stdout.write(f"Using the Stripe simulator already running at {api_base}.")
            else:
                _require_free(
                    "127.0.0.1",
                    simulator_port,
                    "the Stripe simulator",
                    f"make run SIMULATOR_PORT={simulator_port + 1}, or, to use the simulator "
                    f"already running there, make run SIMULATOR_URL=http://127.0.0.1:{simulator_port}",
                )
                api_base = f"http://127.0.0.1:{simulator_port}"
                # `python -m`: the simulator needs no Django, whichever settings are in use.
                commands.append(
                    ["-m", "stripe_simulator", "--port", str(simulator_port)]
                    + ["--webhook-url", f"http://{addrport}/stripe/webhook/"]
                    + ["--webhook-secret", webhook_secret]
                    + ["--locale", settings.STORE_LOCALE]
                )
            # Children read these before .env, so the whole local shop uses the simulator.
            environment.update(
                STRIPE_SECRET_KEY="sk_test_local_simulator",
                STRIPE_API_BASE=api_base,
                STRIPE_WEBHOOK_SECRET=webhook_secret,
            )
            self.stdout.write(f"No STRIPE_SECRET_KEY: payments are simulated at {api_base}.")
        # The worker sends order emails and writes exports outside requests.
        commands.append(["manage.py", "db_worker", "--no-reload"])
        commands.append(["manage.py", "runserver", addrport])
        code = run_until_stopped(commands, environment, self.stderr.write)
        if code:
            raise CommandError("A process of the shop stopped; the others were stopped too.")


def _require_free(host: str, port: int, what: str, instead: str) -> None:
    """Refuse to start next to something already on ``port``: the shop would talk to it."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise CommandError(
                f"Port {port} on {host}, wanted for {what}, is already in use ({error.strerror}). "
                f"Stop whatever runs there (another `make run`?), or run {instead}."
            ) from error


def run_until_stopped(commands: list[list[str]], environment: dict, say) -> int:
    """Run each command with this Python until a stop signal or until one of them ends; then
    stop them all. Returns 0 after a signal, 1 if a child ended by itself."""
    stop = {"signal": None}

    def request_stop(signum, frame):
        stop["signal"] = signum

    previous = {signum: signal.signal(signum, request_stop) for signum in STOP_SIGNALS}
    children: list[subprocess.Popen] = []
    ended = None
    try:
        for command in commands:
            if stop["signal"] is not None:
                break
            children.append(
                subprocess.Popen(
                    [sys.executable, *command], env=environment, start_new_session=True
                )
            )
        while stop["signal"] is None and ended is None:
            ended = next((child for child in children if child.poll() is not None), None)
            time.sleep(POLL_SECONDS)
    finally:
        _stop_all(children)
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if ended is not None:
        say(f"`{' '.join(ended.args[1:])}` exited with status {ended.returncode}.\n")
        return 1
    return 0


def _stop_all(children: list[subprocess.Popen]) -> None:
    """SIGTERM to every child's process group, then SIGKILL to those still there."""
    for child in children:
        _signal_group(child, signal.SIGTERM)
    deadline = time.monotonic() + GRACE_SECONDS
    for child in children:
        try:
            child.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
    for child in children:
        _signal_group(child, signal.SIGKILL)  # the group may outlive its leader
        child.wait()


def _signal_group(child: subprocess.Popen, signum: int) -> None:
    try:
        os.killpg(child.pid, signum)
    except ProcessLookupError:
        pass
