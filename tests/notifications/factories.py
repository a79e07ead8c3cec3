"""factory_boy factories of the notifications app's people records (issue 19): absences and calendar feeds."""

from __future__ import annotations

import datetime as dt
import hashlib

import factory
from django.utils import timezone

from notifications.models import Absence, CalendarFeed
from tests.factories import UserFactory


class AbsenceFactory(factory.django.DjangoModelFactory):
    """A week away starting tomorrow, with a deputy."""

    class Meta:
        model = Absence

    user = factory.SubFactory(UserFactory)
    deputy = factory.SubFactory(UserFactory)
    starts_on = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=1))
    ends_on = factory.LazyAttribute(lambda o: o.starts_on + dt.timedelta(days=6))


class CalendarFeedFactory(factory.django.DjangoModelFactory):
    """A feed whose secret is `calendar-secret-<n>` (notifications.calendar.feed_renew makes real ones)."""

    class Meta:
        model = CalendarFeed

    user = factory.SubFactory(UserFactory)
    token_digest = factory.Sequence(lambda n: hashlib.sha256(f"calendar-secret-{n}".encode()).hexdigest())
