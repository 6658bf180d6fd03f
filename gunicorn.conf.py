"""Production serving: gunicorn reads this file from the working directory by itself.

    gunicorn            # or: gunicorn mysite.wsgi

A checkout waits on Stripe (up to STRIPE_TIMEOUT_SECONDS, with retries). With
plain sync workers every waiting shopper would hold a whole process, so a slow
Stripe would take the shop page and /healthz down with it. Threads keep the
rest of the shop answering while some requests wait.
"""

import multiprocessing
import os

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
accesslog = "-"
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
