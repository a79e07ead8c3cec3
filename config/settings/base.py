"""Settings shared by every environment, read from the environment with typed helpers.

Every variable of docs/interfaces.md (Environment) is read here; `local`, `test` and `production`
only change defaults and hardening.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(environ.Env().str("VIGIE_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
ALLOWED_HOSTS: list[str] = env.list("ALLOWED_HOSTS", default=[])
CSRF_TRUSTED_ORIGINS: list[str] = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # django-unfold's templates and static files only: its AppConfig "unfold" would replace admin.site with its own site.
    "unfold.apps.BasicAppConfig",
    # Django's admin with Vigie's site (core/admin_config.py, core/admin_site.py): two-factor login when required.
    "core.admin_config.VigieAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # The trigram search indexes' operator class in index expressions (core/postgres.py); harmless on SQLite.
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "unfold.contrib.simple_history",  # django-simple-history's pages in the admin's look (templates only)
    "simple_history",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "core",
    "organization",
    "compliance",
    "gdpr",
    "training",
    "aml",
    "whistleblowing",
    "notifications",
    "reporting",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # A request that waited too long for another writer: 503 "busy, try again", not a 500.
    "core.middleware.DatabaseBusyMiddleware",
    # Last, as django-axes requires: turns a locked-out login into its lockout page.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # First, so that a locked-out user or address is refused before the password is even checked.
    "axes.backends.AxesStandaloneBackend",
    # Before ModelBackend: refuses a delete permission whose deletion reaches records the user may not view.
    "core.roles.HiddenReferencesBackend",
    # Before ModelBackend: a sealed app's permissions (aml) hold only for its role's members (core/roles.py).
    "core.roles.SealedAppsBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "config.urls"
# None: `runserver` builds its own WSGI handler. config/wsgi.py is production's entry point (gunicorn) and
# refuses any other settings.
WSGI_APPLICATION = None
# True in config/settings/production.py only: the production entry points (config/wsgi.py, the Docker
# image's entrypoint) refuse to start without it, and `load_demo` refuses to run with it.
VIGIE_PRODUCTION = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: DATABASE_URL, else the embedded SQLite file under var/.
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'vigie.sqlite3'}"),
}
#: Seconds a writer waits for SQLite's write lock before "database is locked" (embedded default only).
VIGIE_SQLITE_TIMEOUT = env.float("VIGIE_SQLITE_TIMEOUT", default=60)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default is one file shared by several processes (web, Celery worker, beat, imports), each
    # with its own connections. SQLite lets one of them write at a time; these settings make the others wait
    # for their turn instead of failing:
    # - journal_mode=WAL: readers never wait for the writer, nor the writer for them (persistent in the file);
    # - synchronous=NORMAL: with WAL, no fsync per commit; a process crash loses nothing committed (a power
    #   cut may lose the last commits, never corrupts the file);
    # - transaction_mode IMMEDIATE (Django 5.1+): every transaction takes the write lock when it begins, so a
    #   second writer waits there (the busy timeout), then reads what the first one committed. With SQLite's
    #   default (DEFERRED), two transactions that read and then write collide: the second one's write fails
    #   at once with "database is locked", whatever the timeout, as its snapshot is stale. So a transaction
    #   must not be opened around slow reads: it blocks every writer while it lasts;
    # - timeout (the busy timeout): longer than the longest normal hold of the lock, an import batch (2,000
    #   rows, a second or two). No transaction waits on another server: alert emails are sent with none open
    #   (notifications/sending.py). A web request that waits longer is answered 503, "busy, try again"
    #   (core/middleware.py).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": VIGIE_SQLITE_TIMEOUT,
        }
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Internationalisation: French by default, English available; times in Europe/Paris.
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

# The admin's look (django-unfold, issue 16): its sidebar is Vigie's navigation (core/navigation.py), organised
# by what people do and showing each role only what it may open; the language switch in the user menu.
UNFOLD = {
    "SITE_TITLE": "Vigie",
    "SITE_HEADER": "Vigie",
    "SITE_SUBHEADER": _("Compliance monitoring"),
    "SITE_SYMBOL": "verified_user",
    "SITE_URL": None,
    "SHOW_LANGUAGES": True,
    "SHOW_HISTORY": True,
    "SHOW_VIEW_ON_SITE": False,
    # The user menu: "My account" (absences, calendar feed) and "Change password" (core/admin_site.py).
    "ACCOUNT": {"navigation": "core.admin_site.account_links"},
    "SIDEBAR": {
        "show_search": False,
        "command_search": False,
        "show_all_applications": False,
        "navigation": "core.navigation.sidebar",
    },
    "STYLES": ["core.navigation.stylesheet"],
    "SCRIPTS": ["core.navigation.script"],
}

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Uploads (imports): keep big files on disk, refuse absurd ones.
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
VIGIE_IMPORT_MAX_BYTES = env.int("VIGIE_IMPORT_MAX_BYTES", default=100 * 1024 * 1024)
# What a file may hold, checked before it is read (core/imports/readers.py): a workbook is a ZIP that can
# unpack to gigabytes, a cell can hold gigabytes, a sheet can claim two billion rows. 512 MB is ten times a
# 100,000-row roster; 131,072 characters is the csv module's own limit of a field (Excel's is 32,767).
VIGIE_IMPORT_XLSX_MAX_UNCOMPRESSED_BYTES = env.int(
    "VIGIE_IMPORT_XLSX_MAX_UNCOMPRESSED_BYTES", default=512 * 1024 * 1024
)
VIGIE_IMPORT_XLSX_MAX_ROWS = env.int("VIGIE_IMPORT_XLSX_MAX_ROWS", default=1_048_576)
VIGIE_IMPORT_MAX_CELL_CHARS = env.int("VIGIE_IMPORT_MAX_CELL_CHARS", default=131_072)
# Lines after the header × the header's columns: every line is read as wide as the header, so this bounds the
# work of a file whatever its lines hold (one cell at XFD on each of 20,000 rows was 16,384 values a row). A full
# sheet of 32 columns; a 100,000-line roster of 12 columns is 1.2 million.
VIGIE_IMPORT_MAX_CELLS = env.int("VIGIE_IMPORT_MAX_CELLS", default=32 * 1_048_576)
# Shared strings of a workbook: openpyxl keeps them all in memory, about 150 bytes and up to 30 µs each, so the
# unpacked-size limit alone would let 30 million one-letter strings (4 GB) through. Four million distinct
# texts (about 600 MB held) are far more than a roster or an LMS export of a million rows has.
VIGIE_IMPORT_XLSX_MAX_SHARED_STRINGS = env.int("VIGIE_IMPORT_XLSX_MAX_SHARED_STRINGS", default=4_000_000)
# XML elements of a workbook besides its rows, cells and shared strings (styles, column widths, merged cells,
# names...): openpyxl holds them all at once, about 800 bytes each for styles. Excel's 64,000 cell formats are
# about 200,000.
VIGIE_IMPORT_XLSX_MAX_ELEMENTS = env.int("VIGIE_IMPORT_XLSX_MAX_ELEMENTS", default=1_000_000)
# A workbook's member of more than 1 MiB unpacks to this many times its size in the archive at most (a sheet is
# about 15; Apache POI refuses past 100 too).
VIGIE_IMPORT_XLSX_MAX_RATIO = env.int("VIGIE_IMPORT_XLSX_MAX_RATIO", default=100)
# A running import seen from another machine is marked interrupted after this long without a heartbeat
# (it sends one after each batch, and every 30 s on PostgreSQL).
VIGIE_IMPORT_STALE_SECONDS = env.int("VIGIE_IMPORT_STALE_SECONDS", default=300)

# Cache: Redis when configured, else files shared by the web, worker and beat processes.
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# Celery: Redis when REDIS_URL is set, else kombu's filesystem transport (a real broker with no
# server, so `make run` has a real worker and beat).
CELERY_BROKER_DIR = VAR_DIR / "broker"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict = {"visibility_timeout": 3600}
    CELERY_RESULT_BACKEND = REDIS_URL
else:
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "queue"),
        "data_folder_out": str(CELERY_BROKER_DIR / "queue"),
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
    }
    CELERY_RESULT_BACKEND = f"file://{VAR_DIR / 'results'}"
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = 24 * 3600
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# A fresh clone has no var/: SQLite, the filesystem broker and the file result backend need their
# folders to exist before the web, worker and beat processes start.
for _folder in [VAR_DIR] + (
    [] if REDIS_URL else [CELERY_BROKER_DIR / "queue", CELERY_BROKER_DIR / "control", VAR_DIR / "results"]
):
    _folder.mkdir(parents=True, exist_ok=True)
# How often beat writes its heartbeat (seconds); the health page says when it last did.
VIGIE_HEARTBEAT_SECONDS = env.float("VIGIE_HEARTBEAT_SECONDS", default=60.0)
# GET /health/ (core/views.py) answers everyone with the overall status only ({"status": "ok"|"degraded"},
# 200; {"status": "down"}, 503 when the database does not answer). The details (database engine, broker and
# cache checked live, scheduler, undelivered alerts) go to a logged-in staff user, or to a monitoring tool
# sending `Authorization: Bearer <VIGIE_HEALTH_TOKEN>` (a long random string; empty: no token accepted).
VIGIE_HEALTH_TOKEN = env.str("VIGIE_HEALTH_TOKEN", default="")

# Email: SMTP when EMAIL_HOST is set, else one file per message under var/mail/.
EMAIL_HOST = env.str("EMAIL_HOST", default="")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="vigie@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The administrators (comma-separated addresses): Django mails them server errors in production, and
# they are told of an alert email that could not be delivered when VIGIE_ESCALATION_EMAILS is empty.
ADMINS: list[tuple[str, str]] = [(address, address) for address in env.list("ADMINS", default=[])]
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(VAR_DIR / "mail")

# Who gets the alerts of each domain (comma-separated lists).
DPO_EMAILS: list[str] = env.list("DPO_EMAILS", default=[])
COMPLIANCE_EMAILS: list[str] = env.list("COMPLIANCE_EMAILS", default=[])
# AML/CFT (aml/): extra addresses for the AML alerts (besides the LCB-FT role's members).
AML_EMAILS: list[str] = env.list("AML_EMAILS", default=[])
# Whether superusers see the AML records (no tipping off): False where administrators are delegated IT staff.
VIGIE_AML_VISIBLE_TO_SUPERUSERS = env.bool("VIGIE_AML_VISIBLE_TO_SUPERUSERS", default=True)
# A vigilance alert not decided within this many days of being raised is overdue.
VIGIE_AML_ANALYSIS_DAYS = env.int("VIGIE_AML_ANALYSIS_DAYS", default=30)
# A screening hit not reviewed within this many days is overdue (asset freezes apply without delay).
VIGIE_AML_HIT_REVIEW_DAYS = env.int("VIGIE_AML_HIT_REVIEW_DAYS", default=2)
# Name-matching score (0-100) from which a potential match is recorded as a hit.
VIGIE_AML_SCREENING_THRESHOLD = env.int("VIGIE_AML_SCREENING_THRESHOLD", default=85)
# Birth years further apart than this exclude a pair; closer ones are neutral (transcription slips).
VIGIE_AML_BIRTH_YEAR_TOLERANCE = env.int("VIGIE_AML_BIRTH_YEAR_TOLERANCE", default=1)
TRAINING_EMAILS: list[str] = env.list("TRAINING_EMAILS", default=[])
# Whistleblowing (whistleblowing/): the alerts go to the members of the "Référent alertes" role only.
# When true, a referent sees the content of the reports of the legal entities they are assigned to (and of
# the reports with no entity); when false, every referent sees every report.
VIGIE_WHISTLEBLOWING_REFERENTS_PER_ENTITY = env.bool("VIGIE_WHISTLEBLOWING_REFERENTS_PER_ENTITY", default=False)
# Where the attachments of reports are kept: outside MEDIA_ROOT and STATIC_ROOT, served by no URL.
VIGIE_WHISTLEBLOWING_FILES_ROOT = Path(
    env.str("VIGIE_WHISTLEBLOWING_FILES_ROOT", default=str(VAR_DIR / "whistleblowing"))
)
# Attachments: the largest file accepted (megabytes), how many per submission or message, and the accepted
# extensions (the file's first bytes must agree with its extension).
VIGIE_WHISTLEBLOWING_MAX_FILE_MB = env.int("VIGIE_WHISTLEBLOWING_MAX_FILE_MB", default=10)
VIGIE_WHISTLEBLOWING_MAX_FILES = env.int("VIGIE_WHISTLEBLOWING_MAX_FILES", default=5)
VIGIE_WHISTLEBLOWING_FILE_TYPES: list[str] = env.list(
    "VIGIE_WHISTLEBLOWING_FILE_TYPES", default=["pdf", "jpg", "jpeg", "png", "txt", "docx", "xlsx", "odt", "ods"]
)
# The public pages' rate limits, per hour and per keyed counter (an expiring cache counter; no address is
# stored): submissions that go through, per client address (and an author's messages, per report); failed
# follow-up sign-ins, per receipt code at FOLLOW_UP_ATTEMPTS_PER_HOUR and per client address at five times it
# (authors behind one office address must not lock each other out; successful sign-ins do not count). Behind a
# proxy, VIGIE_TRUSTED_PROXY_COUNT must be right, or every visitor shares the proxy's counters.
VIGIE_WHISTLEBLOWING_SUBMISSIONS_PER_HOUR = env.int("VIGIE_WHISTLEBLOWING_SUBMISSIONS_PER_HOUR", default=10)
VIGIE_WHISTLEBLOWING_FOLLOW_UP_ATTEMPTS_PER_HOUR = env.int(
    "VIGIE_WHISTLEBLOWING_FOLLOW_UP_ATTEMPTS_PER_HOUR", default=10
)

# Alert thresholds per rule code (notifications/thresholds.py), read at each sweep; a rule left out keeps
# its defaults. Day rules: calendar days before the deadline day, negative after it (-1 = overdue, the
# next day). The breach rule: hours after awareness (72 = the deadline). E.g. to add a 14-day reminder:
# {"compliance.action_item.due": [14, 7, -1]}. The defaults, for reference:
#   gdpr.rights_request.deadline [7, 3, 1, -1]; gdpr.rights_request.extension_decision [7];
#   gdpr.cnil_referral.deadline [3, 1, -1]; gdpr.breach.notification [24, 48, 60, 72] (hours);
#   compliance.coi_case.analysis_overdue [-1]; compliance.action_item.due [7, -1]; training.renewal.due [30].
VIGIE_ALERT_THRESHOLDS: dict[str, list[int]] = {}

# Alert emails (notifications/sending.py): absolute links in emails, the hour (Paris) the daily digest is
# due, how long an "acknowledge" link stays valid.
# VIGIE_SITE_URL: the address users reach Vigie at (production requires it; `make run` sets it from HOST/PORT).
VIGIE_SITE_URL = env.str("VIGIE_SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
VIGIE_DIGEST_HOUR = env.int("VIGIE_DIGEST_HOUR", default=7)
VIGIE_ACK_MAX_AGE_DAYS = env.int("VIGIE_ACK_MAX_AGE_DAYS", default=14)
# Retries of an alert email the SMTP server did not take (notifications/sending.py). One attempt is one SMTP
# conversation about it; after a failed one it waits VIGIE_ALERT_RETRY_BASE_SECONDS, doubled at each failure,
# at most VIGIE_ALERT_RETRY_MAX_SECONDS (by default 5, 10, 20, 40, 80 minutes, then every 2 hours). After
# VIGIE_ALERT_MAX_ATTEMPTS attempts (8: about 6 h 30 of failures) it is escalated, never given up: the health
# page and the admin count it, VIGIE_ESCALATION_EMAILS (else the addresses of ADMINS) get one email naming the
# recipient and the error (not what the alert is about) when the server takes mail, and it is still tried
# every VIGIE_ALERT_RETRY_MAX_SECONDS until it goes or a person closes it in the admin.
VIGIE_ALERT_MAX_ATTEMPTS = env.int("VIGIE_ALERT_MAX_ATTEMPTS", default=8)
VIGIE_ALERT_RETRY_BASE_SECONDS = env.int("VIGIE_ALERT_RETRY_BASE_SECONDS", default=300)
VIGIE_ALERT_RETRY_MAX_SECONDS = env.int("VIGIE_ALERT_RETRY_MAX_SECONDS", default=2 * 3600)
VIGIE_ESCALATION_EMAILS: list[str] = env.list("VIGIE_ESCALATION_EMAILS", default=[])
# When (Paris time, hour and minute) beat's daily sweep of every rule is triggered; the hourly sweep does it
# when that trigger was lost (Redis down at that minute), as it sends the day's digests when theirs was.
VIGIE_DAILY_SWEEP_AT = (0, 15)
# The auditor pack (reporting/auditor_pack/): the share of each indicator's records drawn for tests
# of detail (20-40 %, what an independent third party verifies), and the seed of the draw (default: the
# year), so that the same pack can be drawn again.
VIGIE_AUDIT_SAMPLE_RATE = env.float("VIGIE_AUDIT_SAMPLE_RATE", default=0.3)
VIGIE_AUDIT_SAMPLE_SEED = env.str("VIGIE_AUDIT_SAMPLE_SEED", default="") or None
VIGIE_IMMEDIATE_SECONDS = env.float("VIGIE_IMMEDIATE_SECONDS", default=300)  # how often immediate alerts go out

# The demo data set (`load_demo`, core/demo.py). Its users' password: VIGIE_DEMO_PASSWORD, else the
# development default printed by `make run`. Production settings refuse `load_demo` unless
# VIGIE_DEMO_SERVER is true (a server set up for demonstrations), and then require a VIGIE_DEMO_PASSWORD
# that is not the public default and passes the password validators.
VIGIE_DEMO_PASSWORD = env.str("VIGIE_DEMO_PASSWORD", default="")
VIGIE_DEMO_SERVER = env.bool("VIGIE_DEMO_SERVER", default=False)

# The user that tasks and imports without a person act as, so history always names someone.
VIGIE_SYSTEM_USERNAME = env.str("VIGIE_SYSTEM_USERNAME", default="vigie-system")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "core.security.VerifiedSessionAuthentication",  # a session counts once two-factor verified
        # A token; a company sign-on user's only while the provider confirmed them lately (core/oidc.py).
        "core.security.SignOnTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["core.api.permissions.StrictModelPermissions"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exceptions.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Vigie API",
    "DESCRIPTION": "Compliance monitoring: conflicts of interest, GDPR, training, indicators.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Served from our own static files: the machines that run Vigie need no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Choices shared by several fields get one schema name each (and the two "status" enums apart).
    "ENUM_NAME_OVERRIDES": {
        "RightEnum": "gdpr.choices.Right",
        "ChannelEnum": "gdpr.choices.Channel",
        "RefusalGroundEnum": "gdpr.choices.RefusalGround",
        "RightsRequestStatusEnum": "gdpr.choices.RequestStatus",
        "ImportRunStatusEnum": "core.models.ImportRun.Status",
        "RiskMapKindEnum": "compliance.choices.RiskMapKind",
        "MeasureKindEnum": "compliance.choices.MeasureKind",
        # Beside gdpr's rights-request outcome (OutcomeEnum): a legal case's outcome.
        "ProceedingOutcomeEnum": "compliance.choices.ProceedingOutcome",
    },
    # A query parameter's choices refer to the enum component of the same choices (core/api/schema.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api.schema.postprocess_parameter_enums",
        # Last: a sealed app's paths, components and tags are left out for a reader outside its seal.
        "core.api.schema.postprocess_sealed",
    ],
}

# Django's refusals of a request (CSRF, bad host, oversized or malformed body...) are logged with the request
# attached, to the console and, errors, to ADMINS: not with the visitor of a public whistleblowing page.
_REQUEST_REFUSALS = (
    "csrf",
    "DisallowedHost",
    "RequestDataTooBig",
    "TooManyFieldsSent",
    "TooManyFilesSent",
    "SuspiciousMultipartForm",
    "SuspiciousFileOperation",
    "SuspiciousOperation",
)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    # A refused page (403) is one INFO line, a missing one (404) has no traceback (core/logs.py).
    "filters": {
        "quiet_client_errors": {"()": "core.logs.QuietClientErrors"},
        # No calendar feed secret in a logged request line (core/logs.py).
        "redact_secret_paths": {"()": "core.logs.RedactSecretPaths"},
        # No visitor's address or browser in a record about the public whistleblowing pages (core/logs.py).
        "forget_visitors": {"()": "core.logs.ForgetVisitors"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        "django.request": {"filters": ["quiet_client_errors", "redact_secret_paths", "forget_visitors"]},
        # runserver's request lines (`make run`), through the console like every other line.
        "django.server": {
            "handlers": ["console"],
            "level": "INFO",
            "propagate": False,
            "filters": ["redact_secret_paths", "forget_visitors"],
        },
        **{f"django.security.{refusal}": {"filters": ["forget_visitors"]} for refusal in _REQUEST_REFUSALS},
    },
}

LOGIN_URL = "admin:login"

# --- GDPR deadline policies (gdpr/deadlines.py; docs/rules.md "Rights requests", "Settings") -----------------
# Read at each computation by gdpr.deadlines.policy_from_settings(): a missing key takes the docs/rules.md
# default; an unknown key or value raises ImproperlyConfigured.
VIGIE_GDPR_DEADLINES = {
    "ROLLOVER": "next_working_day",  # or "none"
    "CALENDAR": "FR",  # or "FR-57" (Alsace-Moselle: adds Good Friday and 26 December)
    "EXTENSION_BASE": "receipt_plus_3_months",  # or "first_raw_plus_2_months"
    "PAUSE": "add_elapsed_days",  # or "none"
    "INTERNAL_TARGET_DAYS": 7,  # alerts start this many calendar days before the legal deadline
}
# How old a register entry's last review may be before the admin flags it (months).
VIGIE_GDPR_REGISTER_REVIEW_MONTHS = env.int("VIGIE_GDPR_REGISTER_REVIEW_MONTHS", default=12)
# --- end of GDPR deadline policies ----------------------------------------------------------------------

# --- Compliance (docs/rules.md "Conflicts of interest and corruption") ---------------------------------------
# A conflict-of-interest suspicion should be analysed within this many days of its report.
VIGIE_COI_ANALYSIS_DAYS = env.int("VIGIE_COI_ANALYSIS_DAYS", default=60)
# Risk-map scales (AFA method): likelihood and impact from 1 to these maxima.
VIGIE_RISK_LIKELIHOOD_MAX = env.int("VIGIE_RISK_LIKELIHOOD_MAX", default=4)
VIGIE_RISK_IMPACT_MAX = env.int("VIGIE_RISK_IMPACT_MAX", default=4)

# --- Login protection (issue 8; core/security.py, core/admin_site.py) ------------------------------------
# django-axes: after VIGIE_LOGIN_FAILURE_LIMIT failed logins from one address, or for one user name, that
# address or user name is refused for VIGIE_LOGIN_COOLOFF_MINUTES (even with the right password); a
# success resets the count. Attempts and logins are kept in the database (admin: "Axes").
AXES_ENABLED = env.bool("VIGIE_LOGIN_PROTECTION", default=True)
AXES_FAILURE_LIMIT = env.int("VIGIE_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("VIGIE_LOGIN_COOLOFF_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "admin/vigie/lockout.html"
AXES_CLIENT_IP_CALLABLE = "core.security.client_ip"
# Masked in the stored attempts (besides the password): the two-factor code.
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "otp_token"]
# Login records (who logged in or failed, from which address) are kept this many days, then deleted by
# the daily task core.tasks.purge_login_records (CNIL, recommandation journalisation 2021: 6 months to
# 1 year). Failure counts older than the cool-off no longer lock anyone and go at the same time.
VIGIE_LOGIN_RECORDS_DAYS = env.int("VIGIE_LOGIN_RECORDS_DAYS", default=365)
# How many reverse proxies in front of Vigie append to X-Forwarded-For (0: use the connection's address).
# The client address is read that many places from the right, so a client cannot choose its own.
VIGIE_TRUSTED_PROXY_COUNT = env.int("VIGIE_TRUSTED_PROXY_COUNT", default=0)
# django-otp: when True, the admin (and the API's session login) needs a TOTP code from an authenticator
# app besides the password; a user without a device is asked to register one at the first login. On in
# production settings. Tokens of the API (issued by an administrator) are not affected.
VIGIE_ADMIN_OTP_REQUIRED = env.bool("VIGIE_ADMIN_OTP_REQUIRED", default=False)
OTP_TOTP_ISSUER = env.str("VIGIE_OTP_ISSUER", default="Vigie")
# --- end of login protection ----------------------------------------------------------------------------

# --- Personal-data retention (issue 8; core/retention.py) -----------------------------------------------
# How long each record type keeps its personal data after its period starts; the daily task
# core.tasks.anonymise_expired (03:15 Paris) then anonymises it, live row and history rows (dates, types,
# statuses, outcomes and counts stay for the indicators). `manage.py anonymise_expired --dry-run` lists
# what is due. A record type left out takes its default; a period is a dict of years/months/days
# ({"years": 5}, {"months": 2}); None disables a record type. An unknown code or a bad value stops the
# start (ImproperlyConfigured, system check core.E301). The record types, their defaults and why:
#   gdpr.rights_request      5 years after closure (else the answer): Art. 5(2) accountability, Code civil
#                            art. 2224 (5-year limitation); covers the 3 years the CNIL asks to keep an objection.
#   gdpr.cnil_case           5 years after the answer (complaint without referral: its receipt); same basis.
#   gdpr.breach              5 years after closure: Art. 33(5) sets no period; the register entry stays,
#                            its free texts (facts, reasoning, notification content) go.
#   compliance.coi_case      2 months after closure, cases without disciplinary or judicial follow-up: CNIL
#                            référentiel alertes professionnelles (délibération 2023-064), loi Sapin II art. 9.
#   compliance.coi_case_proceedings  6 years after closure, cases with a sanction or a referral: same
#                            référentiel, "until the end of the proceedings"; 6 years = limitation of a délit
#                            (code de procédure pénale art. 8). Adapt to the proceedings' actual end.
#   organization.employee    5 years after the last day of contract: CNIL référentiel gestion du personnel
#                            (délibération 2019-160), Code civil art. 2224, Code du travail L.1134-5.
#   core.import_rejects      3 months after the import: the rejected rows' CSV (raw lines) is deleted.
#   whistleblowing.inadmissible       0 days after closure (without delay): CNIL référentiel alertes
#                            professionnelles, loi Sapin II art. 9; the author, facts, messages, attachments
#                            (files and rows) and follow-up credentials go, the report's public part stays.
#   whistleblowing.verified  2 months after closure (the end of the verification), reports without proceedings.
#   whistleblowing.proceedings_ended  0 days after the end of the proceedings the referent records; a report
#                            whose proceedings are under way is kept.
# E.g. VIGIE_RETENTION = {"gdpr.rights_request": {"years": 6}, "gdpr.breach": None}
VIGIE_RETENTION: dict[str, dict[str, int] | None] = {}
# --- end of personal-data retention ---------------------------------------------------------------------

# --- API robustness (issue 8) ---------------------------------------------------------------------------
# Throttling (core/api/throttling.py): requests with a login are counted per user, without one per client
# address (the one django-axes sees, VIGIE_TRUSTED_PROXY_COUNT); views with a `throttle_scope` (the file
# uploads of the imports: "upload") have a stricter limit on top. A rate is "N/second|minute|hour|day";
# "none" switches that limit off. Past it: 429 with Retry-After. The counters are in the cache; when the
# cache is down the API answers unthrottled and logs a warning.
VIGIE_API_THROTTLE_RATES: dict[str, str | None] = {
    scope: (None if rate.strip().lower() in ("", "none") else rate.strip())
    for scope, rate in {
        "anon": env.str("VIGIE_API_THROTTLE_ANON", default="100/hour"),
        "user": env.str("VIGIE_API_THROTTLE_USER", default="1000/hour"),
        "upload": env.str("VIGIE_API_THROTTLE_UPLOAD", default="30/hour"),
    }.items()
}
REST_FRAMEWORK.update(
    {
        "DEFAULT_THROTTLE_CLASSES": [
            "core.api.throttling.AnonThrottle",
            "core.api.throttling.UserThrottle",
            "core.api.throttling.ScopedThrottle",
        ],
        "DEFAULT_THROTTLE_RATES": VIGIE_API_THROTTLE_RATES,
        # Strict filters: `?flag=maybe` or `?year=1.5` is a 400, not a silent "any" (core/api/filters.py).
        "DEFAULT_FILTER_BACKENDS": ["core.api.filters.FilterBackend"],
        # Documents the errors every view can answer (400/403/404/413/415/429) besides each view's own.
        "DEFAULT_SCHEMA_CLASS": "core.api.schema.AutoSchema",
    }
)
# The schema and its browsable UI describe the data model of a whistleblowing tool: login required.
SPECTACULAR_SETTINGS["SERVE_PERMISSIONS"] = ["rest_framework.permissions.IsAuthenticated"]
# --- end of API robustness ------------------------------------------------------------------------------


# --- Company sign-on (OpenID Connect, issue 19; core/oidc.py, docs/deployment.md) -------------------------
# Off unless the client and the provider's endpoints are all set; then the admin login page offers "Sign in
# with the company account", and a local password login is only accepted for a superuser with a confirmed
# TOTP device (the break-glass administrator). Partly configured: the start is refused.


def parse_role_map(value: str) -> dict[str, str]:
    """`VIGIE_OIDC_ROLE_MAP`: a JSON object {"group value": "Role name", ...} (for values with commas or
    equals signs, such as LDAP DNs), or `value=Role name,value=Role name`."""
    value = (value or "").strip()
    if not value:
        return {}
    if value.startswith("{"):
        try:
            parsed = json.loads(value)
        except ValueError as error:
            raise ImproperlyConfigured(f"VIGIE_OIDC_ROLE_MAP is not valid JSON: {error}.") from None
        if not isinstance(parsed, dict) or not all(
            isinstance(key, str) and isinstance(role, str) for key, role in parsed.items()
        ):
            raise ImproperlyConfigured('VIGIE_OIDC_ROLE_MAP (JSON) must map strings to role names: {"group": "DPO"}.')
        pairs = list(parsed.items())
    else:
        pairs = []
        for part in value.split(","):
            if not part.strip():
                continue
            group, sep, role = part.partition("=")
            if not sep or not group.strip() or not role.strip():
                raise ImproperlyConfigured(
                    f"VIGIE_OIDC_ROLE_MAP: {part.strip()!r} is not 'group value=Role name' "
                    "(use the JSON form for values containing ',' or '=')."
                )
            pairs.append((group, role))
    return {group.strip(): role.strip() for group, role in pairs}


OIDC_RP_CLIENT_ID = env.str("OIDC_RP_CLIENT_ID", default="")
OIDC_RP_CLIENT_SECRET = env.str("OIDC_RP_CLIENT_SECRET", default="")
OIDC_OP_AUTHORIZATION_ENDPOINT = env.str("OIDC_OP_AUTHORIZATION_ENDPOINT", default="")
OIDC_OP_TOKEN_ENDPOINT = env.str("OIDC_OP_TOKEN_ENDPOINT", default="")
OIDC_OP_USER_ENDPOINT = env.str("OIDC_OP_USER_ENDPOINT", default="")
OIDC_OP_JWKS_ENDPOINT = env.str("OIDC_OP_JWKS_ENDPOINT", default="")
OIDC_RP_SIGN_ALGO = env.str("OIDC_RP_SIGN_ALGO", default="RS256")
OIDC_RP_SCOPES = env.str("OIDC_RP_SCOPES", default="openid email profile")
# Seconds after which a page load goes back to the provider (prompt=none) to check that it still accepts
# the user (and to apply the roles again); until then the session is not valid for anything else.
OIDC_RENEW_ID_TOKEN_EXPIRY_SECONDS = env.int("OIDC_RENEW_ID_TOKEN_EXPIRY_SECONDS", default=15 * 60)
OIDC_TIMEOUT = env.int("OIDC_TIMEOUT", default=10)
OIDC_USE_PKCE = env.bool("OIDC_USE_PKCE", default=True)
# The claim holding the user's groups at the provider, and which group values give which role of
# core/roles.py: JSON ({"cn=vigie-dpo,ou=groups,dc=example,dc=com": "DPO"}) or "value=Role,value=Role"
# (e.g. "vigie-dpo=DPO,vigie-compliance=Compliance officer"). Roles are applied exactly at every login.
VIGIE_OIDC_GROUPS_CLAIM = env.str("VIGIE_OIDC_GROUPS_CLAIM", default="groups")
VIGIE_OIDC_ROLE_MAP: dict[str, str] = parse_role_map(env.str("VIGIE_OIDC_ROLE_MAP", default=""))
# Days after the provider's last confirmation of a sign-on user (a login or a silent renewal) beyond which
# their calendar feed (404) and API token (401) stop working until they sign in again.
VIGIE_OIDC_CONFIRMATION_MAX_AGE_DAYS = env.int("VIGIE_OIDC_CONFIRMATION_MAX_AGE_DAYS", default=30)
if VIGIE_OIDC_CONFIRMATION_MAX_AGE_DAYS < 1:
    raise ImproperlyConfigured("VIGIE_OIDC_CONFIRMATION_MAX_AGE_DAYS must be a number of days, at least 1.")
# Who to contact when the company account gives access to no space of Vigie (else the ADMINS addresses).
VIGIE_SUPPORT_CONTACT = env.str("VIGIE_SUPPORT_CONTACT", default="")
_oidc_required = {
    "OIDC_RP_CLIENT_ID": OIDC_RP_CLIENT_ID,
    "OIDC_RP_CLIENT_SECRET": OIDC_RP_CLIENT_SECRET,
    "OIDC_OP_AUTHORIZATION_ENDPOINT": OIDC_OP_AUTHORIZATION_ENDPOINT,
    "OIDC_OP_TOKEN_ENDPOINT": OIDC_OP_TOKEN_ENDPOINT,
    "OIDC_OP_USER_ENDPOINT": OIDC_OP_USER_ENDPOINT,
}
if OIDC_RP_SIGN_ALGO.startswith(("RS", "ES")):
    # The provider's public keys, to check the signature of its ID tokens (HS256 uses the client secret).
    _oidc_required["OIDC_OP_JWKS_ENDPOINT"] = OIDC_OP_JWKS_ENDPOINT
VIGIE_OIDC_ENABLED = all(_oidc_required.values())
if any(_oidc_required.values()) and not VIGIE_OIDC_ENABLED:
    raise ImproperlyConfigured(
        "Company sign-on is partly configured; also set "
        + ", ".join(name for name, value in _oidc_required.items() if not value)
        + "."
    )
if VIGIE_OIDC_ENABLED:
    if not VIGIE_OIDC_ROLE_MAP:
        raise ImproperlyConfigured("Company sign-on needs VIGIE_OIDC_ROLE_MAP (which IdP groups give which role).")
    AUTHENTICATION_BACKENDS = [*AUTHENTICATION_BACKENDS, "core.oidc.CompanySignOnBackend"]
    # The provider's answers are not password guesses: django-axes neither counts nor locks them.
    AXES_WHITELIST_CALLABLE = "core.oidc.axes_exempt"
    # After the login and two-factor middleware: a session past its renewal limit goes back to the provider.
    MIDDLEWARE.insert(MIDDLEWARE.index("django_otp.middleware.OTPMiddleware") + 1, "core.oidc.SessionRefresh")
# --- end of company sign-on -----------------------------------------------------------------------------
