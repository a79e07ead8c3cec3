"""Settings for the test suite: the same engines as configured (SQLite or DATABASE_URL), fast hashing."""

import os

from .base import *
from .base import DATABASES, REST_FRAMEWORK, VAR_DIR, env

SECRET_KEY = "vigie-test-key"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = VAR_DIR / "test-media"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory: end-to-end tests run a worker in another process on the same database.
    # One file per test run, so that two runs on one machine do not overwrite each other's database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-vigie-{os.getpid()}.sqlite3")}
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# API throttling stays on (the throttles and their cache run on every request) at rates no test reaches:
# the tests share one cache and every anonymous request comes from 127.0.0.1.
# tests/core/test_api_throttling.py sets low rates itself.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {"anon": "100000/hour", "user": "100000/hour", "upload": "100000/hour"},
}
