"""Beat in frozen time: the notifications entries of the real beat schedule (config/celery.py) fired at
each tick as beat would, each task run in this process with the clock travelled to that moment.

Tasks run through `Task.apply()`, so their Celery options (a retry policy, if any) apply as they would
in a worker, only without the waiting.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

import time_machine
from celery.schedules import crontab
from django.utils import timezone

STEP = dt.timedelta(minutes=5)


def ticks(start: dt.datetime, end: dt.datetime, step: dt.timedelta = STEP) -> Iterator[dt.datetime]:
    """`start`, `start + step`, ... up to `end` included."""
    at = start
    while at <= end:
        yield at
        at += step


def _fires(schedule: crontab | float, at: dt.datetime) -> bool:
    local = timezone.localtime(at)
    if isinstance(schedule, crontab):
        # celery-types omits a crontab's expanded fields (sets of ints)
        return local.minute in schedule.minute and local.hour in schedule.hour  # type: ignore[attr-defined]
    seconds = local.hour * 3600 + local.minute * 60 + local.second
    return seconds % int(float(schedule)) == 0  # an interval: from midnight, as the ticks are aligned


def due(at: dt.datetime) -> list[tuple[str, str, dict]]:
    """(entry name, task name, kwargs) of the notifications entries beat fires at `at`."""
    from config.celery import _beat_schedule

    return [
        (name, entry["task"], entry.get("kwargs", {}))
        for name, entry in _beat_schedule().items()
        if name.startswith("notifications-") and _fires(entry["schedule"], at)
    ]


def tick(at: dt.datetime, *, skip: Callable[[str, dt.datetime], bool] = lambda name, at: False) -> list[str]:
    """Run what beat fires at `at` (but the entries `skip` says were lost); the names of those run."""
    import notifications.tasks  # noqa: F401 - registers the tasks
    from config.celery import app

    ran = []
    for name, task, kwargs in due(at):
        if skip(name, at):
            continue
        with time_machine.travel(at, tick=False):
            app.tasks[task].apply(kwargs=kwargs)
        ran.append(name)
    return ran
