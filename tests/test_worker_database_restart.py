"""The worker survives a PostgreSQL restart (issue 21): on a second cluster this test makes for
itself (initdb, pg_ctl), never the machine's own server, it sends what waits before the
restart, waits through it, and sends what became due after it, without being restarted."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from glob import glob
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.utils import timezone

from bench.servers import free_port
from store import emails
from store.emails import send_order_email
from store.models import OrderEmail
from tests.conftest import requires_postgres
from tests.test_orders_admin import make_order
from tests.worker_processes import wait_for, worker_process

pytestmark = [
    requires_postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

BINARIES = sorted(glob("/usr/lib/postgresql/*/bin"))


def _run(*command: str, user: str | None = None) -> str:
    if user and os.geteuid() == 0:
        command = ("runuser", "-u", user, "--", *command)  # initdb refuses to run as root
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


@contextmanager
def second_cluster() -> Iterator[tuple[str, int, Path, str | None]]:
    """A PostgreSQL cluster of this test's own on a free port: (bin dir, port, data, owner)."""
    if not BINARIES:
        pytest.skip("PostgreSQL's server binaries (initdb, pg_ctl) are not installed")
    bin_dir, port = BINARIES[-1], free_port()
    data = Path(tempfile.mkdtemp(prefix="store-pg-"))
    owner = "postgres" if os.geteuid() == 0 else None
    if owner:
        shutil.chown(data, owner)
    try:
        _run(f"{bin_dir}/initdb", "-D", str(data), "-A", "trust", "-U", "postgres", user=owner)
        _run(
            f"{bin_dir}/pg_ctl", "-D", str(data), "-l", str(data / "log"), "-w", "-o",
            f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off", "start",
            user=owner,
        )  # fmt: skip
        yield bin_dir, port, data, owner
    finally:
        subprocess.run(
            ["runuser", "-u", owner, "--"] * bool(owner)
            + [f"{bin_dir}/pg_ctl", "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
        )
        shutil.rmtree(data, ignore_errors=True)


def copy_test_database(bin_dir: str, port: int) -> str:
    """The suite's test database, schema and rows, copied into the second cluster."""
    source = connection.settings_dict
    dump = subprocess.run(
        [f"{bin_dir}/pg_dump", "--no-owner", "-h", source["HOST"] or "127.0.0.1",
         "-p", str(source["PORT"] or 5432), "-U", source["USER"] or "postgres", source["NAME"]],
        check=True, capture_output=True,
        env=os.environ | {"PGPASSWORD": source["PASSWORD"] or ""},
    ).stdout  # fmt: skip
    target = ["-h", "127.0.0.1", "-p", str(port), "-U", "postgres"]
    _run(f"{bin_dir}/createdb", *target, "store")
    subprocess.run(
        [f"{bin_dir}/psql", "-q", "-v", "ON_ERROR_STOP=1", *target, "store"],
        input=dump, check=True, capture_output=True,
    )  # fmt: skip
    return f"postgres://postgres@127.0.0.1:{port}/store"


def test_the_worker_sends_before_and_after_a_database_restart(mail_server):
    before = make_order("paid", email="before@example.com")
    after = make_order("paid", email="after@example.com")
    with transaction.atomic():
        emails.queue(before, OrderEmail.Kind.CONFIRMATION)
        owed_later = OrderEmail.objects.create(
            order=after, kind="confirmation", key="confirmation", to="after@example.com"
        )
        # Due in an hour; made due by hand once the database is back.
        send_order_email.using(run_after=timezone.now() + timedelta(hours=1)).enqueue(owed_later.pk)

    with second_cluster() as (bin_dir, port, data, owner):
        database = copy_test_database(bin_dir, port)
        psql = [f"{bin_dir}/psql", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "store"]
        with worker_process(database, mail_server.port) as worker:
            wait_for(lambda: mail_server.to("before@example.com"), 60, "the first email")

            pg_ctl = [f"{bin_dir}/pg_ctl", "-D", str(data), "-w", "-m", "fast"]
            _run(*pg_ctl, "stop", user=owner)
            wait_for(
                lambda: "The database went away" in worker.log_path.read_text(),
                30,
                "the worker to notice the outage",
            )
            _run(
                *pg_ctl, "-l", str(data / "log"), "-o",
                f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off", "start",
                user=owner,
            )  # fmt: skip
            _run(
                *psql, "-c",
                "UPDATE django_tasks_database_dbtaskresult SET run_after = now() "
                "WHERE status = 'READY'",
            )  # fmt: skip

            wait_for(lambda: mail_server.to("after@example.com"), 60, "the email due after")
            assert worker.poll() is None, "the worker exited"
    assert len(mail_server.received) == 2
