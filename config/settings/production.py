"""Production: PostgreSQL, Redis, SMTP. Refuses to start without its secrets and services.

Every variable below must be set (in the environment or in `.env`): a production that quietly ran on
SQLite, the filesystem broker, mail written to files or links to 127.0.0.1 would lose alerts unseen.
"""

from django.core.exceptions import ImproperlyConfigured

from core.checks import site_url_problem

from .base import *
from .base import ALLOWED_HOSTS, DATABASES, SECRET_KEY, VIGIE_OIDC_ENABLED, env

DEBUG = False
VIGIE_PRODUCTION = True

_missing = []
if not SECRET_KEY or len(SECRET_KEY) < 50:
    _missing.append("SECRET_KEY (a random string of at least 50 characters)")
if not ALLOWED_HOSTS:
    _missing.append("ALLOWED_HOSTS (the host names Vigie is served under)")
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    _missing.append("DATABASE_URL (postgres://user:password@host:5432/name)")
if not env.str("REDIS_URL", default=""):
    _missing.append("REDIS_URL (the Celery broker and the cache, redis://host:6379/0)")
if not env.str("EMAIL_HOST", default=""):
    _missing.append("EMAIL_HOST (the SMTP relay the alerts go through)")
# The same rule as the system check core.E401 (core/checks.py): no default here, unlike base.py's.
VIGIE_SITE_URL = env.str("VIGIE_SITE_URL", default="").strip().rstrip("/")
if (_site_url_problem := site_url_problem(VIGIE_SITE_URL)) is not None:
    _missing.append(_site_url_problem)
# The placeholders of .env.example left in place: the values are public.
_placeholders = sorted(
    name
    for name in (
        "SECRET_KEY",
        "DATABASE_URL",
        "EMAIL_HOST_PASSWORD",
        "VIGIE_HEALTH_TOKEN",
        "POSTGRES_PASSWORD",
        "VIGIE_DEMO_PASSWORD",
    )
    if "CHANGE-ME" in env.str(name, default="")
)
if _placeholders:
    _missing.append(
        "a value of its own instead of the CHANGE-ME placeholder of .env.example for " + ", ".join(_placeholders)
    )
if VIGIE_OIDC_ENABLED:
    # Company sign-on: the client secret, the codes and the tokens only travel over TLS.
    _plain = [
        name
        for name in (
            "OIDC_OP_AUTHORIZATION_ENDPOINT",
            "OIDC_OP_TOKEN_ENDPOINT",
            "OIDC_OP_USER_ENDPOINT",
            "OIDC_OP_JWKS_ENDPOINT",
        )
        if env.str(name, default="") and not env.str(name, default="").startswith("https://")
    ]
    if _plain:
        _missing.append("an https:// address for " + ", ".join(_plain))
if _missing:
    raise ImproperlyConfigured(
        "Production settings need these environment variables (see .env.example): " + "; ".join(_missing) + "."
    )

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# The __Host- prefix: the browser only keeps these cookies over HTTPS, for this exact host and path /.
SESSION_COOKIE_NAME = "__Host-vigie_session"
CSRF_COOKIE_NAME = "__Host-vigie_csrftoken"
# Two-factor authentication for the admin (django-otp TOTP): on in production.
VIGIE_ADMIN_OTP_REQUIRED = env.bool("VIGIE_ADMIN_OTP_REQUIRED", default=True)
# Static files under content-hashed names (collectstatic), served by whitenoise with a one-year cache
# lifetime and compressed copies: a new release changes the names, so no browser keeps a stale file.
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
