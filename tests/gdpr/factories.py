"""factory_boy factories of the gdpr app (records created directly; services compute deadlines)."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from gdpr.choices import CnilCaseKind, ProcessingRole, Right
from gdpr.deadlines import breach_notification_deadline
from gdpr.models import Breach, CnilCase, ProcessingActivity, RightsRequest

PARIS = timezone.get_default_timezone()


class ProcessingActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProcessingActivity

    reference = factory.Sequence(lambda n: f"PA-{n:04d}")
    name = factory.Sequence(lambda n: f"Processing {n}")
    role = ProcessingRole.CONTROLLER
    purposes = "Management of housing loans"
    legal_basis = "contract"
    registered_on = dt.date(2020, 1, 1)


class RightsRequestFactory(factory.django.DjangoModelFactory):
    """A bare row: use gdpr.services to get computed deadline columns."""

    class Meta:
        model = RightsRequest

    reference = factory.Sequence(lambda n: f"DSR-TEST-{n:05d}")
    requester_name = factory.Faker("name", locale="fr_FR")
    requester_email = factory.Faker("email")
    right = Right.ACCESS
    received_at = factory.LazyFunction(lambda: dt.datetime(2025, 3, 5, 10, 0, tzinfo=PARIS))
    answered_at = None
    # An answer date needs an outcome, and the reverse (constraint rightsrequest_outcome_iff_answered).
    outcome = factory.LazyAttribute(lambda o: "granted" if o.answered_at else "")


class CnilCaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CnilCase

    reference = factory.Sequence(lambda n: f"CNIL-TEST-{n:04d}")
    kind = CnilCaseKind.REFERRAL
    received_on = dt.date(2025, 3, 3)
    due_on = factory.LazyAttribute(
        lambda o: o.received_on + dt.timedelta(days=10) if o.kind == CnilCaseKind.REFERRAL else None
    )


class BreachFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Breach

    reference = factory.Sequence(lambda n: f"BR-TEST-{n:04d}")
    title = "Misdirected email"
    aware_at = factory.LazyFunction(lambda: dt.datetime(2025, 3, 28, 10, 0, tzinfo=PARIS))
    notification_due_at = factory.LazyAttribute(lambda o: breach_notification_deadline(o.aware_at))
