"""The Celery tasks of the alerts: sweep the deadline rules, then send (config/celery.py schedules them;
notifications/jobs.py does the work and catches up a lost daily trigger).

Reliability (issue 6, issue 14):
- `sweep_and_send` is idempotent: the ledger's unique constraint makes a second sweep, a retried one or
  two at once create nothing more. So it runs with `acks_late=True`: a worker killed in the middle
  leaves the message unacknowledged, it is delivered again and the sweep simply runs again.
- sending (`send_immediate`, `send_digests`, and the sending step of `sweep_and_send`) claims pending
  deliveries in the database (a lease), sends with no transaction open, and marks them sent after the
  SMTP server accepted the message. It is NOT strictly idempotent: a worker killed between the server's
  acceptance and the database update sends that one message again when its lease is over (5 minutes
  after a first attempt), with the same Message-ID. So these tasks keep the default early
  acknowledgement (`acks_late=False`): a replayed message would add nothing, because what is left to
  send lives in the ledger, not in the message, and the next scheduled run (every few minutes) picks
  up whatever is still pending. Nothing is lost; at most the one message in flight is repeated.
- SMTP errors: no task retries. Each delivery carries its own retry time (`next_attempt_at`, backing
  off from minutes to hours, notifications/sending.py) and the next scheduled run sends what is due. A
  Celery retry a few seconds later would only have burned attempts against a server that is still down.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.utils import timezone

from .jobs import run_sending, run_sweep

logger = logging.getLogger(__name__)


def _summary(report: object) -> dict:
    """A JSON-friendly view of a SendReport (for the result backend and the logs)."""
    out: dict = {}
    for name, value in vars(report).items() if hasattr(report, "__dict__") else ():
        if isinstance(value, bool | int | str) or value is None:
            out[name] = value
        elif isinstance(value, list | tuple | set | dict):
            out[name] = len(value)
    return out


@shared_task(name="notifications.tasks.sweep_and_send", acks_late=True)
def sweep_and_send(schedule: str = "daily") -> dict:
    """Sweep the rules of `schedule` (the hourly tick also does the day's sweep and digests when their
    trigger was lost), then send what is due."""
    now = timezone.now()
    ran, report = run_sweep(schedule, now)
    logger.info("sweep %s: %s alert(s), %s deliveries created", ran, report.created, report.deliveries)
    sent = _summary(run_sending(now, digests=True))
    return {"schedule": ran, "created": report.created, "deliveries": report.deliveries, "sent": sent}


@shared_task(name="notifications.tasks.send_digests")  # acks_late=False: see the module docstring
def send_digests() -> dict:
    """The day's digest to each recipient (and any immediate alert due)."""
    return _summary(run_sending(timezone.now(), digests=True))


@shared_task(name="notifications.tasks.send_immediate")  # acks_late=False: see the module docstring
def send_immediate() -> dict:
    """The immediate alerts (breaches, anything overdue) that are due."""
    return _summary(run_sending(timezone.now(), digests=False))
