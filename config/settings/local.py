"""The embedded default (`make run`): one machine, no service to install."""

from .base import *
from .base import VAR_DIR, env

DEBUG = env.bool("DEBUG", default=True)
# A development key only: production.py refuses to start without SECRET_KEY.
SECRET_KEY = env.str("SECRET_KEY", default="vigie-local-development-key-not-for-production")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
# Serve static files straight from the apps (no collectstatic needed for `make run`).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# The links Vigie sends: VIGIE_SITE_URL, else the address the last `make run` served at (var/site-url, written by
# the Makefile from HOST/PORT), so that `manage.py run_sweeps` run by hand beside it links to the same port.
_served_at = VAR_DIR / "site-url"
VIGIE_SITE_URL = env.str(
    "VIGIE_SITE_URL",
    default=_served_at.read_text(encoding="utf-8").strip() if _served_at.is_file() else "http://127.0.0.1:8000",
).rstrip("/")
