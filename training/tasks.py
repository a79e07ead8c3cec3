"""Celery tasks of training/: the nightly computation of every module's figures (config/celery.py schedules
it before the indicators). Idempotent (a snapshot is replaced by its recomputation), so `acks_late`."""

from __future__ import annotations

import logging

from celery import shared_task

from . import figures

logger = logging.getLogger(__name__)


@shared_task(name="training.tasks.compute_module_figures", acks_late=True)
def compute_module_figures() -> dict:
    """Every module's whole-company figures for today (Paris), then the old snapshots of chosen selections
    deleted."""
    computed = figures.compute_all()
    pruned = figures.prune()
    logger.info("module figures: %s modules computed, %s old snapshots deleted", computed, pruned)
    return {"computed": computed, "pruned": pruned}
