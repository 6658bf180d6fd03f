"""A bare Django project to measure the shop against.

Django's default middleware from ``startproject``, one view, no database and no
templates: what any Django page costs on this machine. It is served by the
shop's ``gunicorn.conf.py``, so a ratio to it shows what the shop adds.
"""

# Signs nothing: the one view reads no session or cookie and the bench sends none.
SECRET_KEY = "bench-bare-project-signs-nothing"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

# What startproject's middleware needs; admin and staticfiles serve nothing here.
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "bench.bare.urls"
WSGI_APPLICATION = "bench.bare.wsgi.application"
DATABASES: dict = {}
USE_TZ = True

# Treated like the shop's production settings: HTTPS only, told so by X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = True
