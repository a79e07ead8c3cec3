"""factory_boy factories shared by the test suite."""

from __future__ import annotations

import datetime as dt

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from core.models import SignOnIdentity
from organization.models import Department, Employee, LegalEntity


class LegalEntityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LegalEntity
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"ENT{n}")
    name = factory.LazyAttribute(lambda o: f"Entity {o.code}")


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Department {n}")


class EmployeeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Employee

    employee_id = factory.Sequence(lambda n: f"T{n:06d}")
    last_name = factory.Faker("last_name", locale="fr_FR")
    first_name = factory.Faker("first_name", locale="fr_FR")
    email = factory.LazyAttribute(lambda o: f"{o.employee_id.lower()}@example.org")
    entity = factory.SubFactory(LegalEntityFactory)
    department = factory.SubFactory(DepartmentFactory)
    hired_on = dt.date(2020, 1, 1)
    left_on = None
    gender = "F"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    is_staff = True
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def groups(self, create: bool, extracted: list[str] | None, **kwargs: object) -> None:
        if create and extracted:
            for name in extracted:
                self.groups.add(Group.objects.get(name=name))
        if create:
            self.save()


class SignOnIdentityFactory(factory.django.DjangoModelFactory):
    """A company sign-on identity (core/oidc.py makes the real ones at a person's first login)."""

    class Meta:
        model = SignOnIdentity

    user = factory.SubFactory(UserFactory)
    issuer = "https://idp.example.com"
    subject = factory.Sequence(lambda n: f"subject-{n}")
