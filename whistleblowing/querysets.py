"""Querysets of the whistleblowing reports: the open ones, what is due when."""

from __future__ import annotations

import datetime as dt
from typing import Self

from django.db import models
from django.db.models import Q

from .choices import Status


class ReportQuerySet(models.QuerySet):
    def open(self) -> Self:
        return self.exclude(status=Status.CLOSED)

    def received_in(self, year: int) -> Self:
        """Received in calendar year `year`, Paris time."""
        from core.dates import PARIS

        start = dt.datetime(year, 1, 1, tzinfo=PARIS)
        end = dt.datetime(year + 1, 1, 1, tzinfo=PARIS)
        return self.filter(received_at__gte=start, received_at__lt=end)

    def acknowledgment_pending(self) -> Self:
        return self.filter(acknowledgment_due_on__isnull=False, acknowledged_on__isnull=True).open()

    def feedback_pending(self) -> Self:
        return self.filter(feedback_due_on__isnull=False, feedback_on__isnull=True).open()

    def meeting_pending(self) -> Self:
        return self.filter(meeting_due_on__isnull=False, meeting_held_on__isnull=True).open()

    def overdue(self, today: dt.date) -> Self:
        """A deadline passed without the act it asks for."""
        return self.open().filter(
            Q(acknowledgment_due_on__lt=today, acknowledged_on__isnull=True)
            | Q(feedback_due_on__lt=today, feedback_on__isnull=True)
            | Q(meeting_due_on__lt=today, meeting_held_on__isnull=True)
        )
