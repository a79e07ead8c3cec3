"""The embedded default (`make run`): one machine, no service to install."""

from .base import *
from .base import env

DEBUG = env.bool("DEBUG", default=True)
# A development key only: production.py refuses to start without SECRET_KEY.
SECRET_KEY = env.str("SECRET_KEY", default="vigie-local-development-key-not-for-production")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
# Serve static files straight from the apps (no collectstatic needed for `make run`).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
