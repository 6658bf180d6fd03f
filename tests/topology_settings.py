"""Production settings, as tests/test_topology.py serves them: static files are found in the
apps (no collectstatic run), and passwords the test process hashed (MD5, for speed) are
understood. Everything else exactly as production has it."""

from django.conf import global_settings

from mysite.settings.production import *  # noqa: F403

STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
WHITENOISE_USE_FINDERS = True
PASSWORD_HASHERS = [
    *global_settings.PASSWORD_HASHERS,
    "django.contrib.auth.hashers.MD5PasswordHasher",
]
