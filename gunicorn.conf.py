"""Production serving: gunicorn reads this file from the working directory by itself.

    gunicorn            # or: gunicorn mysite.wsgi

A checkout waits on Stripe (up to STRIPE_TIMEOUT_SECONDS, with retries). With
plain sync workers every waiting shopper would hold a whole process, so a slow
Stripe would take the shop page and /healthz down with it. Threads keep the
rest of the shop answering while some requests wait.
"""

import multiprocessing
import os
import shutil
import tempfile

wsgi_app = "mysite.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")

# One process per core (WEB_CONCURRENCY overrides), each with a pool of threads.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count()))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", 8))

# Longer than a checkout can take (Stripe timeout × attempts); shorter than a proxy's.
timeout = 30
graceful_timeout = 30
keepalive = 5

# Recycle workers now and then, so a slow leak cannot grow without bound; rarely, because
# a restart costs about a second of CPU (Django and Wagtail import again).
max_requests = 100_000
max_requests_jitter = 10_000

# Logs to stdout/stderr for the process manager; X-Forwarded-* only from a local proxy.
# With DJANGO_LOG_FORMAT=json the shop writes a JSON line per request itself, and
# gunicorn's own messages are JSON too, so every line of the stream parses.
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
if os.environ.get("DJANGO_LOG_FORMAT") == "json":
    accesslog = None
    logconfig_dict = {
        "formatters": {
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "fmt": "%(levelname)s %(name)s %(message)s",
                "rename_fields": {"levelname": "level", "name": "logger"},
                "timestamp": "time",
            }
        },
        "handlers": {
            "error_console": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"level": "INFO", "handlers": []},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["error_console"], "propagate": False},
            # The shop's own line per request replaces the access log.
            "gunicorn.access": {"level": "CRITICAL", "handlers": [], "propagate": False},
        },
    }
else:
    accesslog = "-"

# Metrics (mysite.metrics): each worker counts in files here, and /metrics adds them up.
# Set PROMETHEUS_MULTIPROC_DIR to share it with `manage.py db_worker` on this machine;
# unset, the workers get a directory of their own for this run.
_own_metrics_dir = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if _own_metrics_dir:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="store-metrics-")
os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)


def child_exit(server, worker):
    """A worker ended (recycled, or killed): its counts move to the archive and still count."""
    from mysite.metrics import archive_ended_processes

    archive_ended_processes(os.environ["PROMETHEUS_MULTIPROC_DIR"])


def on_exit(server):
    if _own_metrics_dir:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
