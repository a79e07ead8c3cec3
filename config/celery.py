"""The Celery application and the one beat schedule of Vigie.

Every periodic job is declared here and nowhere else, so one beat process runs them all.
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("vigie")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _beat_schedule() -> dict:
    from celery.schedules import crontab
    from django.conf import settings

    # crontab entries are read in the app's timezone (CELERY_TIMEZONE = Europe/Paris).
    digest_hour = int(getattr(settings, "VIGIE_DIGEST_HOUR", os.environ.get("VIGIE_DIGEST_HOUR", 7)))
    immediate_seconds = float(
        getattr(settings, "VIGIE_IMMEDIATE_SECONDS", os.environ.get("VIGIE_IMMEDIATE_SECONDS", 300))
    )
    daily_hour, daily_minute = settings.VIGIE_DAILY_SWEEP_AT
    return {
        # Proves beat and a worker are alive; the health page shows the last beat.
        "heartbeat": {"task": "core.tasks.heartbeat", "schedule": settings.VIGIE_HEARTBEAT_SECONDS},
        # Deadline alerts (notifications/tasks.py). Day thresholds fire at midnight Paris time: the daily
        # sweep runs every rule just after; the hourly one runs the hourly rules (breaches, 72-hour clock).
        # Both send the immediate alerts they created; a missed run catches up at the next one.
        "notifications-sweep-hourly": {
            "task": "notifications.tasks.sweep_and_send",
            "schedule": crontab(minute=5),
            "kwargs": {"schedule": "hourly"},
        },
        # A lost trigger of the daily sweep or of the digests (beat drops what it cannot hand to the broker)
        # is caught up by the next hourly one (notifications/jobs.py).
        "notifications-sweep-daily": {
            "task": "notifications.tasks.sweep_and_send",
            "schedule": crontab(hour=daily_hour, minute=daily_minute),
            "kwargs": {"schedule": "daily"},
        },
        # One digest per recipient per day, at VIGIE_DIGEST_HOUR (Paris time, default 7).
        "notifications-digests": {
            "task": "notifications.tasks.send_digests",
            "schedule": crontab(hour=digest_hour, minute=0),
        },
        # Immediate alerts due (new ones, and those whose wait after a failed attempt is over): every few minutes.
        "notifications-immediate": {"task": "notifications.tasks.send_immediate", "schedule": immediate_seconds},
        # Asset-freeze screening (aml/tasks.py): every active counterparty against every active list, each
        # night before the indicators (screening coverage). A list or counterparty import screens its changes.
        "aml-screening-nightly": {"task": "aml.tasks.screen_nightly", "schedule": crontab(hour=1, minute=30)},
        # Every training module's figures (rate, breakdowns, trend: training/tasks.py), which the module pages
        # and the dashboard's trends read, computed every night before the indicators.
        "training-module-figures-nightly": {
            "task": "training.tasks.compute_module_figures",
            "schedule": crontab(hour=2, minute=15),
        },
        # The current year's indicators, recomputed every night (reporting/tasks.py; a frozen year is left
        # as it is), after the daily sweep.
        "reporting-indicators-nightly": {
            "task": "reporting.tasks.compute_indicators",
            "schedule": crontab(hour=2, minute=30),
        },
        # Personal-data retention (core/retention.py): anonymise the records whose period ended, every night
        # at 03:15 Paris time, after the indicators (idempotent: a missed night is caught up the next one).
        "retention-anonymise-daily": {"task": "core.tasks.anonymise_expired", "schedule": crontab(hour=3, minute=15)},
        # Whistleblowing attachments left on disk by a submission that failed after writing them
        # (whistleblowing/tasks.py): deleted every night.
        "whistleblowing-orphan-files-daily": {
            "task": "whistleblowing.tasks.delete_orphan_files",
            "schedule": crontab(hour=3, minute=30),
        },
        # Login records past VIGIE_LOGIN_RECORDS_DAYS are deleted (core/tasks.py).
        "login-records-purge-daily": {"task": "core.tasks.purge_login_records", "schedule": crontab(hour=3, minute=45)},
        # Imports whose process died (a killed worker or machine) are marked interrupted (core/models.py).
        "imports-mark-interrupted": {"task": "core.tasks.mark_interrupted_imports", "schedule": 300.0},
    }


@app.on_after_configure.connect
def _setup_periodic_tasks(sender: Celery, **kwargs: object) -> None:
    sender.conf.beat_schedule = _beat_schedule()
