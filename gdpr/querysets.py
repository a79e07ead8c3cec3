"""Chainable reads of the gdpr app, shared by the admin, the API, the alerts and the indicators."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Self

from django.db import models
from django.db.models import Q
from django.utils import timezone

from .choices import OPEN_REQUEST_STATUSES, CnilCaseKind

if TYPE_CHECKING:  # the models import this module
    from .models import Breach, CnilCase, ProcessingActivity, RightsRequest  # noqa: F401 - named in base classes


def paris_year_bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    """[1 Jan 00:00, next 1 Jan 00:00) in Europe/Paris, as aware datetimes."""
    tz = timezone.get_default_timezone()
    return dt.datetime(year, 1, 1, tzinfo=tz), dt.datetime(year + 1, 1, 1, tzinfo=tz)


class RightsRequestQuerySet(models.QuerySet["RightsRequest"]):
    def open(self) -> Self:
        return self.filter(status__in=OPEN_REQUEST_STATUSES)

    def received_in(self, year: int) -> Self:
        start, end = paris_year_bounds(year)
        return self.filter(received_at__gte=start, received_at__lt=end)

    def due_before(self, day: dt.date) -> Self:
        """Open requests whose applicable deadline is on or before `day` (overdue ones included)."""
        return self.open().filter(applicable_due_on__lte=day)

    def overdue(self, today: dt.date | None = None) -> Self:
        return self.open().filter(applicable_due_on__lt=today or timezone.localdate())


class CnilCaseQuerySet(models.QuerySet["CnilCase"]):
    def referrals(self) -> Self:
        return self.filter(kind=CnilCaseKind.REFERRAL)

    def awaiting_reply(self) -> Self:
        """Not answered, with a reply date the CNIL set (docs/rules.md, "CNIL cases"): every referral until
        answered, and a complaint without referral once a CNIL letter set it a date (the 2023 DPEF
        answered two such "dans le délai prescrit"); whatever the kind, the date is alerted on."""
        return self.filter(answered_on__isnull=True, due_on__isnull=False)

    def received_in(self, year: int) -> Self:
        return self.filter(received_on__year=year)

    def overdue(self, today: dt.date | None = None) -> Self:
        return self.awaiting_reply().filter(due_on__lt=today or timezone.localdate())


class BreachQuerySet(models.QuerySet["Breach"]):
    def awaiting_decision_or_notification(self) -> Self:
        """The 72-hour clock runs: not notified, and not decided "no notification"."""
        return self.filter(notified_at__isnull=True).exclude(notification_required=False)

    def notified_in(self, year: int) -> Self:
        start, end = paris_year_bounds(year)
        return self.filter(notified_at__gte=start, notified_at__lt=end)


class ProcessingActivityQuerySet(models.QuerySet["ProcessingActivity"]):
    def in_register_on(self, day: dt.date) -> Self:
        """In the register on `day`: registered on or before it, not retired before it."""
        return self.filter(Q(registered_on__lte=day) & (Q(retired_on__isnull=True) | Q(retired_on__gt=day)))
