"""factory_boy factories of the AML/CFT app (records created directly; use the services for workflows)."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from aml.choices import AlertSource, BirthSignal, CounterpartyKind, EntryKind, ScreeningTrigger
from aml.matching import normalise
from aml.models import Alert, Counterparty, Hit, ListEntry, ScreeningList, ScreeningRun


class CounterpartyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Counterparty

    reference = factory.Sequence(lambda n: f"CP-T-{n:05d}")
    kind = CounterpartyKind.PERSON
    name = factory.Sequence(lambda n: f"Person {n} Testname")
    name_normalised = factory.LazyAttribute(lambda o: normalise(o.name))
    changed_at = factory.LazyFunction(timezone.now)


class ScreeningListFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ScreeningList
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"LIST{n}")
    name = factory.LazyAttribute(lambda o: f"List {o.code}")


class ListEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ListEntry

    screening_list = factory.SubFactory(ScreeningListFactory)
    list_id = factory.Sequence(lambda n: f"ID-{n:05d}")
    kind = EntryKind.PERSON
    name = factory.Sequence(lambda n: f"Listed {n} Person")
    changed_at = factory.LazyFunction(timezone.now)


class ScreeningRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ScreeningRun

    started_at = factory.LazyFunction(timezone.now)
    trigger = ScreeningTrigger.MANUAL


class HitFactory(factory.django.DjangoModelFactory):
    """A pending hit."""

    class Meta:
        model = Hit

    counterparty = factory.SubFactory(CounterpartyFactory)
    entry = factory.SubFactory(ListEntryFactory)
    entry_hash = factory.LazyAttribute(lambda o: o.entry.content_hash or "h")
    counterparty_name = factory.LazyAttribute(lambda o: o.counterparty.name)
    matched_name = factory.LazyAttribute(lambda o: o.entry.name)
    score = 90
    birth_signal = BirthSignal.ABSENT
    raised_at = factory.LazyFunction(timezone.now)
    review_due_on = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=2))


class AlertFactory(factory.django.DjangoModelFactory):
    """An open alert; `analysis_due_on` as the services compute it (30 days)."""

    class Meta:
        model = Alert

    reference = factory.Sequence(lambda n: f"AML-T-{n:04d}")
    raised_at = factory.LazyFunction(timezone.now)
    source = AlertSource.LOAN
    reason = "Unusual early repayment of a loan"
    analysis_due_on = factory.LazyAttribute(lambda o: timezone.localdate(o.raised_at) + dt.timedelta(days=30))
