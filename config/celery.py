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
    from django.conf import settings

    return {
        # Proves beat and a worker are alive; the health page shows the last beat.
        "heartbeat": {"task": "core.tasks.heartbeat", "schedule": settings.VIGIE_HEARTBEAT_SECONDS},
    }


@app.on_after_configure.connect
def _setup_periodic_tasks(sender: Celery, **kwargs: object) -> None:
    sender.conf.beat_schedule = _beat_schedule()
