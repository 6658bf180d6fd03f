"""Reading configuration from the environment (and an optional ``.env`` file).

Kept apart from the settings modules so that tests can call the same functions
with a patched environment instead of re-importing settings.
"""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import urlsplit

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    env.read_env(BASE_DIR / ".env")


def database_config(sqlite_path: Path) -> dict:
    """``DATABASE_URL``, else the brief's ``DB_NAME``/``DB_USER``/… (PostgreSQL), else SQLite."""
    if env.str("DATABASE_URL", default=""):
        config = env.db_url("DATABASE_URL")
    elif env.str("DB_NAME", default=""):
        config = {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": env.str("DB_NAME"),
            "USER": env.str("DB_USER", default=""),
            "PASSWORD": env.str("DB_PASSWORD", default=""),
            "HOST": env.str("DB_HOST", default="localhost"),
            "PORT": env.str("DB_PORT", default="5432"),
        }
    else:
        config = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(sqlite_path)}

    # The longest a statement waits for a lock before failing. No transaction waits for
    # Stripe (store.payments), so locks are held for milliseconds; this bounds the rest.
    lock_timeout = env.float("DB_LOCK_TIMEOUT_SECONDS", default=10.0)
    options = config.setdefault("OPTIONS", {})
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # Concurrent writers (webhook + success page) wait for the lock instead
        # of failing with "database is locked", for at most the lock timeout.
        options["transaction_mode"] = "IMMEDIATE"
        options.setdefault("timeout", lock_timeout)
    else:
        config["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
        config["CONN_HEALTH_CHECKS"] = True
        setting = f"-c lock_timeout={round(lock_timeout * 1000)}"
        options["options"] = f"{options.get('options', '')} {setting}".strip()
    return config


def required(name: str, why: str) -> str:
    """The value of ``name``, or exit with one readable line instead of a traceback."""
    value = env.str(name, default="")
    if not value:
        sys.exit(f"Configuration error: {name} is not set. {why}")
    return value


def cache_config(default_dir: Path) -> dict:
    """``CACHE_URL`` (e.g. ``redis://127.0.0.1:6379/0``), else files shared by local workers.

    Rate limits and the shop page's cache must be seen by every worker, so the
    embedded default is a directory, not per-process memory.
    """
    if env.str("CACHE_URL", default=""):
        return env.cache_url("CACHE_URL")
    return {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(default_dir),
    }


# The embedded page cache's size: skeletons of each page at the latest versions, per process.
PAGE_CACHE_ENTRIES = 500


def page_cache_config() -> dict:
    """``STORE_PAGE_CACHE_URL`` (``redis://…`` so several servers share renderings), else
    each worker process's memory, at most PAGE_CACHE_ENTRIES renderings (least recently
    used go first). Its own alias: sessions and rate limits cannot push a rendering out."""
    if env.str("STORE_PAGE_CACHE_URL", default=""):
        return env.cache_url("STORE_PAGE_CACHE_URL")
    return {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "shop-page-renderings",
        "OPTIONS": {"MAX_ENTRIES": PAGE_CACHE_ENTRIES},
    }


def media_storage_config() -> dict:
    """Where uploads (product photos, renditions) go: this machine's disk by default, or an
    S3-compatible bucket named by ``AWS_STORAGE_BUCKET_NAME``, which every server sees.

    The variables are django-storages' own names. Objects are read through plain URLs
    (the bucket, or ``AWS_S3_CUSTOM_DOMAIN``'s CDN, serves them publicly) unless
    ``AWS_QUERYSTRING_AUTH`` asks for signed ones.
    """
    bucket = env.str("AWS_STORAGE_BUCKET_NAME", default="")
    if not bucket:
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    options = {
        "bucket_name": bucket,
        "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="") or None,
        "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
        "access_key": env.str("AWS_ACCESS_KEY_ID", default="") or None,
        "secret_key": env.str("AWS_SECRET_ACCESS_KEY", default="") or None,
        "custom_domain": env.str("AWS_S3_CUSTOM_DOMAIN", default="") or None,
        "addressing_style": env.str("AWS_S3_ADDRESSING_STYLE", default="") or None,
        "location": env.str("AWS_LOCATION", default=""),
        "querystring_auth": env.bool("AWS_QUERYSTRING_AUTH", default=False),
        # Two photos both called photo.jpg must not replace each other (one HEAD per upload).
        "file_overwrite": False,
    }
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}


def media_origins(storage: dict) -> list[str]:
    """The origins photos are served from when they are not on this site (for CSP img-src)."""
    options = storage.get("OPTIONS")
    if not options:
        return []
    if options["custom_domain"]:
        return [f"https://{options['custom_domain'].split('/')[0]}"]
    if options["endpoint_url"]:
        parts = urlsplit(options["endpoint_url"])
        if options["addressing_style"] == "virtual":
            return [f"{parts.scheme}://{options['bucket_name']}.{parts.netloc}"]
        return [f"{parts.scheme}://{parts.netloc}"]
    bucket = options["bucket_name"]
    region = options["region_name"]
    hosts = [f"{bucket}.s3.amazonaws.com"] + (
        [f"{bucket}.s3.{region}.amazonaws.com"] if region else []
    )
    return [f"https://{host}" for host in hosts]


LOG_FORMATS = ("plain", "json")


def logging_config(log_format: str, level: str) -> dict:
    """Plain lines for a terminal, or one JSON object per line for a log pipeline.

    Every line carries the request id (``mysite.request_context``). In JSON, each request
    and each payment event is a line of its own (``mysite.requests``, ``store.events``);
    in plain text the server's access log already says which requests came.
    """
    if log_format not in LOG_FORMATS:
        sys.exit(f"Configuration error: DJANGO_LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}.")
    json_lines = log_format == "json"
    formatters = {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"levelname": "level", "name": "logger"},
            # ISO 8601 in UTC, whatever the shop's time zone.
            "timestamp": "time",
        },
    }
    console = {
        "class": "logging.StreamHandler",
        "formatter": log_format,
        "filters": ["request_id"],
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "mysite.request_context.RequestIdFilter"}},
        "formatters": formatters,
        "handlers": {"console": console},
        "loggers": {
            "store": {"handlers": ["console"], "level": level},
            "mysite": {"handlers": ["console"], "level": "INFO" if json_lines else "WARNING"},
            # Unhandled exceptions (500s), which otherwise go only to ADMINS by email.
            "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        },
    }
