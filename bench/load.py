"""Load from wrk (Debian's package), and the numbers read back from its report."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass

INSTALL_WRK = "wrk is not installed. Install it with: sudo apt-get install -y wrk"
_SECONDS_PER_UNIT = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


@dataclass(frozen=True)
class LoadSettings:
    threads: int
    connections: int
    seconds: int
    warmup_seconds: int
    # False: a new connection per request. gunicorn gives each connection to one worker
    # for good, and after a worker restart wrk's 8 reconnect to the worker still running;
    # runs then measured one worker or two at random (the same page at 120 or 250 req/s).
    # A proxy without upstream keep-alive (nginx's default) also connects per request.
    keepalive: bool


@dataclass(frozen=True)
class LoadResult:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    # Responses other than 2xx/3xx, and connect/read/write errors and timeouts.
    bad_responses: int
    socket_errors: int


def wrk_installed() -> bool:
    return shutil.which("wrk") is not None


def measure(url: str, headers: Mapping[str, str], load: LoadSettings) -> LoadResult:
    """A warm-up run (workers import templates, fill caches), then the run that counts."""
    if load.warmup_seconds:
        run_wrk(url, headers, load, load.warmup_seconds)
    return run_wrk(url, headers, load, load.seconds)


def run_wrk(url: str, headers: Mapping[str, str], load: LoadSettings, seconds: int) -> LoadResult:
    if not load.keepalive:
        headers = {**headers, "Connection": "close"}
    header_args = [arg for name, value in headers.items() for arg in ("-H", f"{name}: {value}")]
    command = [
        "wrk",
        f"-t{load.threads}",
        f"-c{load.connections}",
        f"-d{seconds}s",
        "--latency",
        *header_args,
        url,
    ]
    report = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return parse_wrk(report)


def parse_wrk(report: str) -> LoadResult:
    """Requests/sec, the 50% and 99% latencies and any errors from ``wrk --latency``."""
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", report
    )
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", report)
    return LoadResult(
        requests_per_second=float(_find(r"Requests/sec:\s+([\d.]+)", report)),
        p50_ms=_milliseconds(_find(r"^\s+50%\s+(\S+)", report)),
        p99_ms=_milliseconds(_find(r"^\s+99%\s+(\S+)", report)),
        bad_responses=int(bad.group(1)) if bad else 0,
        socket_errors=sum(map(int, socket_errors.groups())) if socket_errors else 0,
    )


def _find(pattern: str, report: str) -> str:
    match = re.search(pattern, report, re.MULTILINE)
    if match is None:
        raise ValueError(f"wrk's report has no match for {pattern!r}:\n{report}")
    return match.group(1)


def _milliseconds(duration: str) -> float:
    """wrk writes durations as 812.00us, 3.21ms, 1.02s or 1.50m."""
    number, unit = re.fullmatch(r"([\d.]+)([a-z]+)", duration).groups()
    return float(number) * _SECONDS_PER_UNIT[unit] * 1000
