"""Settings shared by every environment; everything that varies comes from the environment."""

from __future__ import annotations

from datetime import timedelta

from csp.constants import NONE, SELF, UNSAFE_INLINE

from mysite.settings.environment import (
    BASE_DIR,
    cache_config,
    database_config,
    env,
    logging_config,
    media_origins,
    media_storage_config,
    page_cache_config,
)

PROJECT_DIR = BASE_DIR / "mysite"

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "home",
    "store",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.contrib.sitemaps",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.sitemaps",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    # Outermost: a request id for every log line, and each request timed and counted.
    "mysite.request_observer.RequestObserverMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "store.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "store.shopper.BrowserTokenMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # After everything that reads the request, as django-axes asks.
    "axes.middleware.AxesMiddleware",
    # Wagtail's site for the host, remembered per rendering version, for its page serving.
    "home.shop_page.KnownSitesMiddleware",
]

ROOT_URLCONF = "mysite.urls"
WSGI_APPLICATION = "mysite.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "store.context_processors.store",
            ],
        },
    },
]

DATABASES = {"default": database_config(sqlite_path=BASE_DIR / "db.sqlite3")}
# Shared by every worker: CACHE_URL (redis://… for several servers), else files on this machine.
CACHES = {
    "default": cache_config(default_dir=BASE_DIR / ".cache"),
    # The shop pages' shared renderings (home.shop_page), apart from everything else.
    "page": page_cache_config(),
}
# Sessions read from that cache and written through to the database.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    # Refuses logins while a username or address is locked out, before checking the password.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("DJANGO_TIME_ZONE", default="Asia/Kolkata")
USE_I18N = True
USE_TZ = True

STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STATIC_URL = "/static/"
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=BASE_DIR / "media")
MEDIA_URL = "/media/"
SERVE_MEDIA = env.bool("DJANGO_SERVE_MEDIA", default=False)

STORAGES = {
    # MEDIA_ROOT on this machine, or an S3-compatible bucket (AWS_STORAGE_BUCKET_NAME) that
    # every server shares: a photo uploaded through one server is shown by all of them.
    "default": media_storage_config(),
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    # Order exports hold customers' addresses: never under MEDIA_URL. The worker writes them
    # and the web servers read them, so with several machines this must be shared storage.
    "exports": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": env.path("STORE_EXPORTS_DIR", default=BASE_DIR / "exports")},
    },
}
# Where photos come from when a bucket or CDN serves them (allowed by the CSP's img-src).
MEDIA_ORIGINS = env.list("DJANGO_MEDIA_ORIGINS", default=media_origins(STORAGES["default"]))
if MEDIA_ORIGINS:
    # Served from the bucket, documents go through Django, which checks their privacy.
    WAGTAILDOCS_SERVE_METHOD = "serve_view"

DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

# DJANGO_LOG_FORMAT=json: one JSON object per line (each request, each payment event).
LOG_FORMAT = env.str("DJANGO_LOG_FORMAT", default="plain")
LOGGING = logging_config(LOG_FORMAT, level=env.str("STORE_LOG_LEVEL", default="INFO"))

# Prometheus metrics at /metrics, for scrapers that send "Authorization: Bearer <token>".
# Empty: the endpoint does not exist (404).
METRICS_TOKEN = env.str("STORE_METRICS_TOKEN", default="")

# Email: EMAIL_URL (smtp://user:password@host:587 with ?tls=True, or smtp+tls://…);
# unset, emails are written to the console (the log) instead of being sent.
_email = env.email_url("EMAIL_URL", default="consolemail://")
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email["EMAIL_HOST"] or "localhost"
EMAIL_PORT = _email["EMAIL_PORT"] or 25
EMAIL_HOST_USER = _email["EMAIL_HOST_USER"] or ""
EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_PASSWORD"] or ""
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
# The worker waits on the mail server, not forever: a refused email is tried again later.
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env.str("STORE_FROM_EMAIL", default="Mini Store <shop@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Background tasks (order emails, exports) in the database: no extra server; `manage.py
# db_worker` runs them (store.worker). A worker says it is alive every HEARTBEAT seconds; a
# task still running under a worker silent for LEASE seconds is taken again by another.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
STORE_WORKER_HEARTBEAT_SECONDS = env.float("STORE_WORKER_HEARTBEAT_SECONDS", default=10)
STORE_WORKER_LEASE_SECONDS = env.float("STORE_WORKER_LEASE_SECONDS", default=120)

# Wagtail
WAGTAIL_SITE_NAME = env.str("STORE_NAME", default="Mini Store")
WAGTAILADMIN_BASE_URL = env.str("WAGTAILADMIN_BASE_URL", default="http://127.0.0.1:8000")
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = ["pdf", "txt"]
WAGTAILIMAGES_MAX_UPLOAD_SIZE = 5 * 1024 * 1024
# Avatars from Gravatar would be the admin's only third-party request.
WAGTAIL_GRAVATAR_PROVIDER_URL = None

# The store
STORE_CURRENCY = env.str("STORE_CURRENCY", default="inr").lower()
# How amounts and dates are written for people (Babel): en_IN groups ₹1,25,000.00 in lakhs.
STORE_LOCALE = env.str("STORE_LOCALE", default="en_IN")
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_PUBLIC_KEY = env.str("STRIPE_PUBLIC_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
# Empty means Stripe's own API; the offline simulator sets e.g. http://127.0.0.1:12111.
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="")
# A shopper waits on this, so fail fast and tell them instead of hanging.
STRIPE_TIMEOUT_SECONDS = env.float("STRIPE_TIMEOUT_SECONDS", default=5.0)
STRIPE_MAX_NETWORK_RETRIES = env.int("STRIPE_MAX_NETWORK_RETRIES", default=1)
# Where Stripe's Checkout may ship to (ISO country codes), and who hears of each new order.
STORE_SHIPPING_COUNTRIES = [
    code.upper() for code in env.list("STORE_SHIPPING_COUNTRIES", default=["IN"])
]
# Carriers staff ship with, each to its public tracking page ({number}: the tracking number).
# STORE_TRACKING_URLS (JSON) adds carriers or replaces these: {"XpressBees": "https://…/{number}"}.
INDIAN_CARRIER_TRACKING_URLS = {
    "India Post": (
        "https://www.indiapost.gov.in/_layouts/15/dop.portal.tracking/trackconsignment.aspx"
        "?consignmentno={number}"
    ),
    "Delhivery": "https://www.delhivery.com/track/package/{number}",
    "Blue Dart": "https://www.bluedart.com/web/guest/trackdartresult?trackFor=0&trackNo={number}",
    "DTDC": "https://www.dtdc.in/trace.asp?strCnno={number}",
    "Ekart": "https://ekartlogistics.com/shipmenttrack/{number}",
}
STORE_TRACKING_URLS = INDIAN_CARRIER_TRACKING_URLS | env.json("STORE_TRACKING_URLS", default={})
# Shoppers asking for their order's link ("Find my order"): per client address, per email.
STORE_FIND_ORDER_RATE_PER_IP = env.str("STORE_FIND_ORDER_RATE_PER_IP", default="10/h")
STORE_FIND_ORDER_RATE_PER_EMAIL = env.str("STORE_FIND_ORDER_RATE_PER_EMAIL", default="3/h")
STORE_ORDER_NOTIFY_EMAILS = env.list("STORE_ORDER_NOTIFY_EMAILS", default=[])
# The first pause before sending a refused email again; pauses double up to an hour.
STORE_EMAIL_RETRY_SECONDS = env.float("STORE_EMAIL_RETRY_SECONDS", default=60)
# A mail server that refuses an email permanently (5xx) this many times: stop, flag it.
STORE_EMAIL_MAX_REFUSALS = env.int("STORE_EMAIL_MAX_REFUSALS", default=3)
# The shop page's shared rendering (home.shop_page): kept at most this long, and each worker
# reads the rendering version from the database this often, so changes show everywhere
# within about a second.
STORE_PAGE_CACHE_SECONDS = env.int("STORE_PAGE_CACHE_SECONDS", default=300)
STORE_PAGE_VERSION_CHECK_SECONDS = 1.0
# Retention (manage.py prune_old_data, store.retention): days kept before deletion. Paid
# orders are kept for ever; unpaid ones that ended (expired, cancelled, failed) go.
STORE_TASK_RETENTION_DAYS = env.int("STORE_TASK_RETENTION_DAYS", default=14)
STORE_WEBHOOK_EVENT_RETENTION_DAYS = env.int("STORE_WEBHOOK_EVENT_RETENTION_DAYS", default=90)
STORE_UNPAID_ORDER_RETENTION_DAYS = env.int("STORE_UNPAID_ORDER_RETENTION_DAYS", default=90)
STORE_EXPORT_RETENTION_DAYS = env.int("STORE_EXPORT_RETENTION_DAYS", default=7)
# An XLSX export of more orders than this is written by the background worker, not at once.
STORE_EXPORT_INLINE_ROWS = env.int("STORE_EXPORT_INLINE_ROWS", default=5000)
# How long a shopper has on Stripe's page, and so how long an abandoned checkout holds its
# units; Stripe allows 30 minutes to 24 hours.
STORE_CHECKOUT_EXPIRES_MINUTES = env.int("STORE_CHECKOUT_EXPIRES_MINUTES", default=30)
# The most units of counted stock one browser, and one client address (an IPv6 client's
# /64), may hold at once in unpaid checkouts (store.holding_limits).
STORE_MAX_HELD_UNITS_PER_BROWSER = env.int("STORE_MAX_HELD_UNITS_PER_BROWSER", default=20)
STORE_MAX_HELD_UNITS_PER_ADDRESS = env.int("STORE_MAX_HELD_UNITS_PER_ADDRESS", default=50)

# The address a request came from: REMOTE_ADDR, or, behind DJANGO_TRUSTED_PROXY_COUNT
# proxies, the address they saw (never a client-supplied X-Forwarded-For otherwise).
TRUSTED_PROXY_COUNT = env.int("DJANGO_TRUSTED_PROXY_COUNT", default=0)

# Admin login throttling (django-axes): after STORE_LOGIN_FAILURE_LIMIT failures, signing in
# as that username from that address (an IPv6 client's whole /64) is locked for
# STORE_LOGIN_COOLOFF_MINUTES. Only the pair: a stranger guessing cannot lock staff out from
# their own addresses, nor lock out everyone behind a shared address (docs/SECURITY.md).
AXES_FAILURE_LIMIT = env.int("STORE_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("STORE_LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# Attempts during a lockout do not restart it: a lock ends when its Retry-After says.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "store.admin.lockout.locked_out"
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "mysite.client_ip.client_network"

# Checkout rate limits (store.throttling): new Checkout Sessions in any window of that length,
# per browser and per client address (an IPv6 client's /64), counted in the default cache:
# exactly with CACHE_URL=redis://… (across servers too); the embedded file cache is shared by
# one machine's workers, and a burst of simultaneous requests may slip a few over.
STORE_CHECKOUT_RATE_PER_BROWSER = env.str("STORE_CHECKOUT_RATE_PER_BROWSER", default="10/m")
STORE_CHECKOUT_RATE_PER_IP = env.str("STORE_CHECKOUT_RATE_PER_IP", default="60/m")

# Content-Security-Policy (django-csp). The shop runs no inline script or style and may not
# be framed; its form may also go on to Stripe's checkout (added by store.csp).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [NONE],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", *MEDIA_ORIGINS],
        "font-src": [SELF],
        "connect-src": [SELF],
        "manifest-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}
CONTENT_SECURITY_POLICY_REPORT_ONLY = None
# Wagtail's admin needs more (found with the browser tests' CSP listener): its choosers
# start from inline scripts, uploads preview as blob: images, and previews are same-origin
# frames. Everything else stays as strict as the shop's.
ADMIN_CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": CONTENT_SECURITY_POLICY["DIRECTIVES"]
    | {
        "script-src": [SELF, UNSAFE_INLINE],
        # The rich text editor (Draftail, for a product page's text) sets inline styles.
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:", "blob:", *MEDIA_ORIGINS],
        "frame-src": [SELF],
        "frame-ancestors": [SELF],
    }
}
# The admin would otherwise ask releases.wagtail.org for news: a third party, and a CSP breach.
WAGTAIL_ENABLE_UPDATE_CHECK = False
