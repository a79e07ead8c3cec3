"""factory_boy factories of the training app (records created directly; use the services for rules)."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from tests.factories import EmployeeFactory
from training.choices import ModuleKind
from training.models import Attendance, Completion, Module, PhishingCampaign, Session

PARIS = timezone.get_default_timezone()


def paris(day: dt.date, hour: int = 10) -> dt.datetime:
    """An aware datetime on `day` at `hour` o'clock, Paris time."""
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=PARIS)


class ModuleFactory(factory.django.DjangoModelFactory):
    """A test e-learning module (codes T-…, never a reference code)."""

    class Meta:
        model = Module
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"T-MOD{n}")
    title = factory.LazyAttribute(lambda o: f"Module {o.code}")
    kind = ModuleKind.E_LEARNING
    mandatory = True
    deployed_on = dt.date(2022, 4, 11)
    expected_minutes = 45


class WorkshopFactory(ModuleFactory):
    kind = ModuleKind.IN_PERSON
    mandatory = False
    min_attendance_minutes = 45
    expected_minutes = 90


class CompletionFactory(factory.django.DjangoModelFactory):
    """A counted completion; `completed_on` follows `completed_at` (Completion.save)."""

    class Meta:
        model = Completion

    employee = factory.SubFactory(EmployeeFactory)
    module = factory.SubFactory(ModuleFactory)
    completed_at = factory.LazyAttribute(lambda o: paris(o.module.deployed_on + dt.timedelta(days=30)))
    duration_minutes = 40
    anomaly = ""


class SessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Session

    reference = factory.Sequence(lambda n: f"SES-T-{n:04d}")
    module = factory.SubFactory(WorkshopFactory)
    held_on = dt.date(2023, 3, 14)
    duration_minutes = 90
    trainer = "Direction de la Conformité"
    place = "Paris, salle 4.12"


class AttendanceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Attendance

    session = factory.SubFactory(SessionFactory)
    employee = factory.SubFactory(EmployeeFactory)
    minutes_attended = 90


class PhishingCampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PhishingCampaign

    reference = factory.Sequence(lambda n: f"PHI-T-{n:02d}")
    sent_on = dt.date(2023, 5, 16)
    theme = "Faux colis en attente"
    targeted = 2600
    clicked = 310
    reported = 540
