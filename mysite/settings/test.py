"""The test suite: fast hashing, in-memory media, no real Stripe."""

import os
import tempfile

from mysite.settings.base import *  # noqa: F403
from mysite.settings.environment import env

SECRET_KEY = "test-only-secret-key"
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = [*INSTALLED_APPS, "stripe_simulator"]  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = tempfile.mkdtemp(prefix="store-test-media-")
STORAGES["exports"]["OPTIONS"]["location"] = tempfile.mkdtemp(prefix="store-test-exports-")  # noqa: F405
if not env.str("EMAIL_URL", default=""):
    # Worker processes a test starts get EMAIL_URL=smtp://… (tests/mail_server.py) instead.
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORE_ORDER_NOTIFY_EMAILS = ["orders@shop.example"]
STORE_EMAIL_RETRY_SECONDS = 0.05
if not env.str("CACHE_URL", default=""):
    # One directory per run, so parallel runs do not share rate-limit counters.
    CACHES["default"]["LOCATION"] = tempfile.mkdtemp(prefix="store-test-cache-")  # noqa: F405

# Tests point these at the in-process simulator; never at Stripe.
STRIPE_SECRET_KEY = "sk_test_simulator"
STRIPE_WEBHOOK_SECRET = "whsec_test_secret"
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="http://127.0.0.1:9")
STRIPE_TIMEOUT_SECONDS = env.float("STRIPE_TIMEOUT_SECONDS", default=2.0)
STRIPE_MAX_NETWORK_RETRIES = 0
SERVE_MEDIA = True
# Serve static files straight from the apps, without collectstatic, for the live server.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not shared-cache memory: live-server and webhook threads then wait
    # for SQLite's write lock instead of failing with "database table is locked".
    # One file per run, so parallel runs do not share it.
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(tempfile.gettempdir(), f"store-test-{os.getpid()}.sqlite3")
    }
else:
    # Live-server threads must not keep connections: the test database is dropped at the end.
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
