"""Local development: debug on, a throwaway secret key, localhost only."""

from mysite.settings.base import *  # noqa: F403
from mysite.settings.environment import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
# The offline Stripe simulator, for `manage.py stripe_simulator`; never in production.
INSTALLED_APPS = [*INSTALLED_APPS, "stripe_simulator"]  # noqa: F405
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="django-insecure-dev-only-not-for-production")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
SERVE_MEDIA = env.bool("DJANGO_SERVE_MEDIA", default=True)
