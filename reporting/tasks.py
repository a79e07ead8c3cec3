"""Celery tasks of reporting/: the nightly recomputation of the current year (config/celery.py
schedules it), and any year on demand. Idempotent (a recomputation writes only what changed), so
`acks_late`: a worker killed in the middle leaves the task to run again."""

from __future__ import annotations

import logging

from celery import shared_task
from django.utils import timezone

from . import services

logger = logging.getLogger(__name__)


@shared_task(name="reporting.tasks.compute_indicators", acks_late=True)
def compute_indicators(year: int | None = None) -> dict:
    """Recompute `year` (default: the current year, Paris time); a frozen year is left as it is."""
    year = year or timezone.localdate().year
    try:
        report = services.year_compute(year)
    except services.YearFrozen:
        logger.info("indicators of %s not recomputed: the year is frozen", year)
        return {"year": year, "frozen": True}
    logger.info(
        "indicators of %s: %s created, %s changed, %s unchanged, %s failed",
        year,
        report.created,
        report.changed,
        report.unchanged,
        len(report.problems),
    )
    return {
        "year": year,
        "frozen": False,
        "created": report.created,
        "changed": report.changed,
        "unchanged": report.unchanged,
        "problems": report.problems,
    }
