"""The shop as deployed on several servers, on this machine: nginx (deploy/nginx's template)
with TLS in front of gunicorn instances, for tests/test_topology.py.

nginx runs as the test's own process, with its own prefix and configuration,
never as the system's service. Client addresses other than 127.0.0.1 come from
the rest of the loopback range (127.0.0.2, …), which every Linux machine has.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import string
import subprocess
import threading
import time
from contextlib import ExitStack
from pathlib import Path

import requests
from requests.adapters import HTTPAdapter

from bench.servers import BASE_DIR, free_port, gunicorn

TEMPLATE = BASE_DIR / "deploy" / "nginx" / "shop.conf.template"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
# Production settings, with static files found in the apps instead of collected.
SETTINGS = "tests.topology_settings"


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 that only this test trusts (openssl, as an operator would)."""
    certificate, key = directory / "shop.crt", directory / "shop.key"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
            "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", str(key), "-out", str(certificate),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return certificate, key


class Instance:
    """One gunicorn server of the shop on a fixed port, which can be stopped and started."""

    def __init__(self, name: str, environment: dict[str, str], log_dir: Path):
        self.name, self.environment, self.log_dir = name, environment, log_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._stack: ExitStack | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        stack = ExitStack()
        log = self.log_dir / f"{self.name}-{self.starts}.log"
        stack.enter_context(gunicorn(self.environment, log, ready_path="/healthz", port=self.port))
        self._stack = stack

    def stop(self) -> None:
        """Gracefully: gunicorn finishes the requests it has, then exits."""
        if self._stack:
            self._stack.close()
            self._stack = None


def start_all(instances: list[Instance]) -> None:
    """Start them side by side: each spends seconds importing Django and Wagtail."""
    failures: list[BaseException] = []

    def start(instance: Instance) -> None:
        try:
            instance.start()
        except BaseException as error:  # reported below, in the test's thread
            failures.append(error)

    threads = [threading.Thread(target=start, args=(instance,)) for instance in instances]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]


class Nginx:
    """nginx with the shop's site configuration rendered from the deploy template."""

    def __init__(self, prefix: Path, certificate: tuple[Path, Path]):
        self.prefix = prefix
        self.certificate, self.key = certificate
        self.https_port, self.http_port = free_port(), free_port()
        self.url = f"https://127.0.0.1:{self.https_port}"
        self.process: subprocess.Popen | None = None
        for temp in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (prefix / "temp" / temp).mkdir(parents=True, exist_ok=True)
            # Worker processes may run as another user (nobody) when the test runs as root.
            os.chmod(prefix / "temp" / temp, 0o777)
        os.chmod(prefix / "temp", 0o777)

    def configure(self, upstream_servers: list[str]) -> None:
        """Write the configuration: ``upstream_servers`` as nginx ``server`` lines."""
        site = string.Template(TEMPLATE.read_text()).safe_substitute(
            SHOP_SERVER_NAME="127.0.0.1",
            SHOP_HTTPS_LISTEN=f"127.0.0.1:{self.https_port}",
            SHOP_HTTP_LISTEN=f"127.0.0.1:{self.http_port}",
            SHOP_TLS_CERTIFICATE=str(self.certificate),
            SHOP_TLS_KEY=str(self.key),
            SHOP_UPSTREAM_SERVERS=" ".join(f"server {line};" for line in upstream_servers),
        )
        (self.prefix / "shop.conf").write_text(site)
        temp = self.prefix / "temp"
        (self.prefix / "nginx.conf").write_text(
            f"""
daemon off;
worker_processes 1;
pid {self.prefix}/nginx.pid;
error_log {self.prefix}/error.log warn;
events {{ worker_connections 512; }}
http {{
    access_log {self.prefix}/access.log;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {self.prefix}/shop.conf;
}}
"""
        )

    def _command(self, *extra: str) -> list[str]:
        prefix, log, conf = self.prefix, self.prefix / "error.log", self.prefix / "nginx.conf"
        return [NGINX, "-p", str(prefix), "-e", str(log), "-c", str(conf), *extra]

    def start(self, upstream_servers: list[str]) -> None:
        self.configure(upstream_servers)
        subprocess.run(self._command("-t"), check=True, capture_output=True)
        self.process = subprocess.Popen(self._command(), stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not _listening(self.https_port):
            assert self.process.poll() is None, (self.prefix / "error.log").read_text()
            assert time.monotonic() < deadline, "nginx did not start"
            time.sleep(0.05)

    def reload(self, upstream_servers: list[str]) -> None:
        """New configuration; returns once the workers of the old one have finished."""
        assert self.process
        self.configure(upstream_servers)
        subprocess.run(self._command("-t"), check=True, capture_output=True)
        old_workers = _children(self.process.pid)
        self.process.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 30
        while old_workers & _children(self.process.pid) or not _children(self.process.pid):
            assert time.monotonic() < deadline, "nginx's old workers did not finish"
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process:
            self.process.send_signal(signal.SIGQUIT)  # graceful
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _children(pid: int) -> set[int]:
    found = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # The command may hold spaces and parentheses: fields follow the last ")".
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.add(int(entry))
    return found


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


class _FromAddress(HTTPAdapter):
    def __init__(self, address: str, **kwargs):
        self._address = address
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self._address, 0)
        super().init_poolmanager(*args, **kwargs)


def browser(certificate: Path, address: str = "127.0.0.1") -> requests.Session:
    """A browser on ``address`` that trusts the test's certificate."""
    session = requests.Session()
    # Not the environment's CA bundle or proxies: requests would prefer them to ``verify``.
    session.trust_env = False
    session.verify = str(certificate)
    session.mount("https://", _FromAddress(address))
    session.mount("http://", _FromAddress(address))
    return session
