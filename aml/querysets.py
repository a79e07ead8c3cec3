"""Chainable reads of the AML/CFT app, shared by the admin, the API, the alerts and the indicators."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils import timezone

from .choices import OPEN_ALERT_STATUSES, HitStatus


class CounterpartyQuerySet(models.QuerySet):
    def active(self) -> CounterpartyQuerySet:
        """The business relationship lasts (no end date) and the record is not anonymised."""
        return self.filter(relationship_ended_on__isnull=True, anonymised_on__isnull=True)


class ListEntryQuerySet(models.QuerySet):
    def listed(self) -> ListEntryQuerySet:
        """Entries still on their list, of lists that are active: what screening compares with."""
        return self.filter(delisted_on__isnull=True, screening_list__active=True)


class HitQuerySet(models.QuerySet):
    def pending(self) -> HitQuerySet:
        return self.filter(status=HitStatus.PENDING)

    def overdue(self, today: dt.date | None = None) -> HitQuerySet:
        """Pending past their review date (a missed day is still caught the next)."""
        return self.pending().filter(review_due_on__lt=today or timezone.localdate())


class AlertQuerySet(models.QuerySet):
    def open(self) -> AlertQuerySet:
        """Not decided yet: open or under analysis."""
        return self.filter(status__in=OPEN_ALERT_STATUSES)

    def overdue(self, today: dt.date | None = None) -> AlertQuerySet:
        """Not decided, past their analysis due date."""
        return self.open().filter(analysis_due_on__lt=today or timezone.localdate())

    def due_between(self, start: dt.date, end: dt.date) -> AlertQuerySet:
        return self.open().filter(analysis_due_on__range=(start, end))

    def assigned(self, user: models.Model) -> AlertQuerySet:
        return self.filter(analyst=user)

    def raised_in(self, year: int) -> AlertQuerySet:
        return self.filter(raised_at__year=year)
