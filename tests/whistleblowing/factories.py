"""factory_boy factories of the whistleblowing app (records created directly; use the services for workflows)."""

from __future__ import annotations

import factory
from django.utils import timezone

from whistleblowing.choices import Category, Channel
from whistleblowing.models import Message, ReferentAssignment, Report, ReportContent


class ReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Report

    reference = factory.Sequence(lambda n: f"SIG-T-{n:05d}")
    received_at = factory.LazyFunction(timezone.now)
    category = Category.FRAUD


class ReportContentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReportContent

    report = factory.SubFactory(ReportFactory)
    channel = Channel.EMAIL
    author_name = factory.Sequence(lambda n: f"Author {n} Secretname")
    author_email = factory.Sequence(lambda n: f"author{n}@example.org")
    facts = factory.Sequence(lambda n: f"Confidential facts number {n}")
    persons_concerned = factory.Sequence(lambda n: f"Person concerned {n}")


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    report = factory.SubFactory(ReportFactory)
    direction = "from_author"
    body = factory.Sequence(lambda n: f"Confidential message {n}")


class ReferentAssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReferentAssignment

    user = factory.SubFactory("tests.factories.UserFactory")
    entity = factory.SubFactory("tests.factories.LegalEntityFactory")
