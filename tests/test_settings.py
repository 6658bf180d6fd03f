"""Configuration comes from the environment, as the README's table says."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mysite.settings.environment import cache_config, database_config

ROOT = Path(__file__).resolve().parent.parent
DB_VARIABLES = ["DATABASE_URL", "DB_NAME", "DB_USER", "DB_PASSWORD", "DB_HOST", "DB_PORT"]


@pytest.fixture
def clean_db_env(monkeypatch):
    for name in DB_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_database_url_wins(clean_db_env):
    clean_db_env.setenv("DATABASE_URL", "postgres://shop:s3cret@db.internal:6543/shopdb")
    clean_db_env.setenv("DB_NAME", "ignored")
    config = database_config(Path("/tmp/x.sqlite3"))
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["NAME"], config["USER"], config["PASSWORD"]) == ("shopdb", "shop", "s3cret")
    assert (config["HOST"], str(config["PORT"])) == ("db.internal", "6543")


def test_the_briefs_db_variables_configure_postgresql(clean_db_env):
    for name, value in {
        "DB_NAME": "store",
        "DB_USER": "storeuser",
        "DB_PASSWORD": "pw",
        "DB_HOST": "10.0.0.5",
        "DB_PORT": "5433",
    }.items():
        clean_db_env.setenv(name, value)
    config = database_config(Path("/tmp/x.sqlite3"))
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["NAME"], config["USER"], config["PASSWORD"]) == ("store", "storeuser", "pw")
    assert (config["HOST"], config["PORT"]) == ("10.0.0.5", "5433")


def test_sqlite_is_the_embedded_default_and_waits_for_the_write_lock(clean_db_env):
    config = database_config(Path("/tmp/x.sqlite3"))
    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert config["NAME"] == "/tmp/x.sqlite3"
    assert config["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


def run_with_production_settings(**env) -> subprocess.CompletedProcess:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DB_", "DATABASE_URL"))
    }
    environment.update(DJANGO_SETTINGS_MODULE="mysite.settings.production", **env)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = run_with_production_settings(DJANGO_ALLOWED_HOSTS="shop.example.com")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr
    assert "Traceback" not in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    result = run_with_production_settings(DJANGO_SECRET_KEY="x" * 50)
    assert result.returncode != 0
    assert "DJANGO_ALLOWED_HOSTS is not set" in result.stderr


def test_production_starts_with_both():
    result = run_with_production_settings(
        DJANGO_SECRET_KEY="x" * 50, DJANGO_ALLOWED_HOSTS="shop.example.com"
    )
    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout


def test_the_cache_is_files_every_local_worker_shares_unless_cache_url_is_set(
    monkeypatch, tmp_path
):
    monkeypatch.delenv("CACHE_URL", raising=False)
    assert cache_config(default_dir=tmp_path) == {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(tmp_path),
    }
    monkeypatch.setenv("CACHE_URL", "redis://127.0.0.1:6379/3")
    assert cache_config(default_dir=tmp_path) == {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:6379/3",
    }


def email_settings(email_url: str) -> list[str]:
    environment = {key: value for key, value in os.environ.items() if key != "EMAIL_URL"}
    if email_url:
        environment["EMAIL_URL"] = email_url
    environment["DJANGO_SETTINGS_MODULE"] = "mysite.settings.dev"
    script = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_HOST_USER, s.EMAIL_USE_TLS)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=environment, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_email_url_sends_by_smtp_and_without_it_emails_go_to_the_console():
    assert email_settings("smtp+tls://shop:s3cret@smtp.example.com:587") == [
        "django.core.mail.backends.smtp.EmailBackend",
        "smtp.example.com",
        "587",
        "shop",
        "True",
    ]
    assert email_settings("")[0] == "django.core.mail.backends.console.EmailBackend"
