"""Reading configuration from the environment (and an optional ``.env`` file).

Kept apart from the settings modules so that tests can call the same functions
with a patched environment instead of re-importing settings.
"""

from __future__ import annotations

import sys
from pathlib import Path

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

    if config["ENGINE"] == "django.db.backends.sqlite3":
        # Concurrent writers (webhook + success page) wait for the lock instead
        # of failing with "database is locked".
        config.setdefault("OPTIONS", {})["transaction_mode"] = "IMMEDIATE"
        config["OPTIONS"].setdefault("timeout", 20)
    else:
        config["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
        config["CONN_HEALTH_CHECKS"] = True
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
