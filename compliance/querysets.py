"""Chainable reads of the compliance app, shared by the admin, the API, the alerts and the indicators."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils import timezone

from .choices import OPEN_CASE_STATUSES, CaseStatus, Defendant


class CaseQuerySet(models.QuerySet):
    def open(self) -> CaseQuerySet:
        return self.filter(status__in=OPEN_CASE_STATUSES)

    def awaiting_qualification(self) -> CaseQuerySet:
        # Received or under analysis: the analysis period runs until the case is qualified.
        return self.filter(status__in=(CaseStatus.RECEIVED, CaseStatus.UNDER_ANALYSIS))

    def analysis_overdue(self, today: dt.date | None = None) -> CaseQuerySet:
        """Open, not qualified, past their analysis due date (a missed day is still caught the next)."""
        return self.awaiting_qualification().filter(analysis_due_on__lt=today or timezone.localdate())

    def reported_in(self, year: int) -> CaseQuerySet:
        return self.filter(reported_on__year=year)

    def with_measure(self, kind: str) -> CaseQuerySet:
        # A subquery rather than a join: one row per case whatever its measures (no DISTINCT needed).
        from .models import CaseMeasure

        return self.filter(pk__in=CaseMeasure.objects.filter(kind=kind).values("case_id"))


class ActionItemQuerySet(models.QuerySet):
    def open(self) -> ActionItemQuerySet:
        return self.filter(done_on__isnull=True)

    def done(self) -> ActionItemQuerySet:
        return self.filter(done_on__isnull=False)

    def overdue(self, today: dt.date | None = None) -> ActionItemQuerySet:
        return self.open().filter(due_on__lt=today or timezone.localdate())

    def due_within(self, days: int, today: dt.date | None = None) -> ActionItemQuerySet:
        """Open items due on or before today + `days` (overdue ones included: `due <= horizon`)."""
        return self.open().filter(due_on__lte=(today or timezone.localdate()) + dt.timedelta(days=days))

    def due_within_week(self) -> ActionItemQuerySet:
        """The 7-day horizon of the amber badges (for list filters, which call methods without arguments)."""
        return self.due_within(7)


class CorruptionIncidentQuerySet(models.QuerySet):
    def confirmed_in(self, year: int) -> CorruptionIncidentQuerySet:
        return self.filter(confirmed_on__year=year)


class LegalProceedingQuerySet(models.QuerySet):
    def decided_in(self, year: int) -> LegalProceedingQuerySet:
        return self.filter(decided_on__year=year)

    def against_the_undertaking(self) -> LegalProceedingQuerySet:
        """Brought against the company or an entity of the group (not against one of its workers)."""
        return self.filter(defendant=Defendant.UNDERTAKING)
