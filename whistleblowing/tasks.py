"""Celery tasks of the whistleblowing app."""

from __future__ import annotations

import datetime as dt

from celery import shared_task


@shared_task(name="whistleblowing.tasks.delete_orphan_files", acks_late=True)
def delete_orphan_files() -> dict:
    """The attachment files that no row points to any more (a submission rolled back after its file was
    written) older than an hour: deleted from the private storage. What it logs is a count, never a name."""
    from .services.attachments import delete_orphan_files as delete

    return {"deleted": delete(older_than=dt.timedelta(hours=1))}
