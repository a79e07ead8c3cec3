"""Celery tasks of the AML/CFT app: screening runs (config/celery.py schedules the nightly one at 01:30).

Broker payloads carry list codes only, never a name or an id list: the changed counterparties are found again
in the database (`changed_at` after `screened_at`). Runs are idempotent (a pair is raised once per version of
its entry), hence `acks_late`.
"""

from __future__ import annotations

import logging

from celery import shared_task

from .choices import ScreeningTrigger

logger = logging.getLogger(__name__)

#: Above this many changed counterparties, one full run (the index is built once anyway) instead of an id list.
CHANGED_AS_FULL_RUN = 20_000


def queue(task, *args, what: str, covered_by: str, **kwargs) -> None:
    """`task.delay(*args, **kwargs)` after a commit: the data is already saved, so a broker that cannot be reached
    is logged (with `what` was not queued and what `covered_by` catches up) instead of failing the request."""
    try:
        task.delay(*args, **kwargs)
    except Exception:  # noqa: BLE001 - the data is saved; the periodic run covers it
        logger.warning("aml: %s not queued (broker unreachable); %s covers it", what, covered_by)


def _summary(run) -> dict:
    # What Celery logs and keeps in its result backend, read by ops: no count of hits (no tipping off).
    return {"run": run.pk, "status": run.status}


@shared_task(name="aml.tasks.screen_nightly", acks_late=True)
def screen_nightly() -> dict:
    """Every active counterparty against every active list."""
    from .screening import run_screening

    return _summary(run_screening(trigger=ScreeningTrigger.NIGHTLY))


@shared_task(name="aml.tasks.screen_lists", acks_late=True)
def screen_lists(codes: list[str]) -> dict | None:
    """After an import of these lists: their entries changed since the list was last covered by a full run,
    against the counterparties that share a blocking key with them; a list never covered is screened whole."""
    from .models import ScreeningList
    from .screening import run_screening

    lists = list(ScreeningList.objects.filter(code__in=codes, active=True))
    never = [screening_list.code for screening_list in lists if screening_list.covered_at is None]
    result = None
    if never:
        result = _summary(run_screening(trigger=ScreeningTrigger.LIST_IMPORT, lists=never))
    covered = [screening_list for screening_list in lists if screening_list.covered_at is not None]
    if covered:
        from django.db.models import Q

        from .models import ListEntry

        changed = Q()
        for screening_list in covered:
            changed |= Q(screening_list=screening_list, changed_at__gt=screening_list.covered_at)
        entry_ids = list(ListEntry.objects.listed().filter(changed).values_list("pk", flat=True))
        if entry_ids:
            result = _summary(
                run_screening(
                    trigger=ScreeningTrigger.LIST_IMPORT,
                    lists=[screening_list.code for screening_list in covered],
                    entry_ids=entry_ids,
                )
            )
    return result


@shared_task(name="aml.tasks.screen_changed_counterparties", acks_late=True)
def screen_changed_counterparties() -> dict | None:
    """The active counterparties never screened, or changed since, against every active list."""
    from django.db.models import F, Q

    from .models import Counterparty
    from .screening import run_screening

    ids = list(
        Counterparty.objects.active()
        .filter(Q(screened_at__isnull=True) | Q(changed_at__gt=F("screened_at")))
        .values_list("pk", flat=True)
    )
    if not ids:
        return None
    if len(ids) > CHANGED_AS_FULL_RUN:
        return _summary(run_screening(trigger=ScreeningTrigger.COUNTERPARTY_CHANGE))
    return _summary(run_screening(trigger=ScreeningTrigger.COUNTERPARTY_CHANGE, counterparty_ids=ids))
