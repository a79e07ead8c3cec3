"""A deletion never answers differently because of records the user may not view (issue 14, item 1).

A training manager could delete employees; deleting one that a conflict-of-interest case names as its
reporter was refused ("dossier de conflit d'intérêts", on the admin page and in the API's 400), deleting
anyone else was not: scanning the ids gave the whistleblowers. The rule now: the permission to delete a
model's records needs the view permission on every model that deletion could block, delete or change
(core.roles.deletion_reaches), so a role that may not see a domain referring to the roster may not delete
from it, whatever the record. The walk covers every model and every role, so a relation added later is
covered without editing this file; what it reaches is checked against Django's collector on real records.
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib.admin.utils import NestedObjects
from django.contrib.auth.models import Permission
from django.db import router
from django.test import Client
from rest_framework.test import APIClient

from core.roles import ROLES, TRAINING_MANAGER, can_view, deletion_reaches
from tests.compliance.factories import CaseFactory
from tests.factories import DepartmentFactory, EmployeeFactory, LegalEntityFactory, UserFactory

pytestmark = pytest.mark.django_db

HIDDEN_WORDS = ("conflit", "conflict", "dossier", "signalement", "reporter")


@pytest.mark.parametrize("role", [role.name for role in ROLES])
def test_a_role_may_delete_only_what_it_may_see_every_reference_to(roles, role):
    user = UserFactory(groups=[role])
    problems = []
    for model in apps.get_models():
        opts = model._meta
        if not user.has_perm(f"{opts.app_label}.delete_{opts.model_name}"):
            continue
        hidden = sorted(other._meta.label_lower for other in deletion_reaches(model) if not can_view(user, other))
        if hidden:
            problems.append(f"{opts.label_lower}: deleting one reaches {', '.join(hidden)}")
    assert not problems, "\n".join(problems)


def test_what_a_deletion_reaches_covers_what_django_s_collector_touches(people):
    """The collector of the admin's delete page, on an employee named by a case, trained and attending a
    session: every model it would block, delete or update is in deletion_reaches."""
    from tests.training.factories import AttendanceFactory, CompletionFactory

    for employee in (people["reporter"], people["concerned"]):
        CompletionFactory(employee=employee)
        AttendanceFactory(employee=employee)
        collector = NestedObjects(using=router.db_for_write(type(employee)))
        collector.collect([employee])
        touched = set(collector.data) | {obj._meta.model for obj in collector.protected}
        touched |= {field.model for field, _value in collector.field_updates}
        touched = {model._meta.auto_created or model for model in touched} - {type(employee)}
        assert touched, "the collector found nothing: the scenario is wrong"
        assert touched <= deletion_reaches(type(employee)), touched - deletion_reaches(type(employee))


def test_a_permission_granted_by_hand_does_not_reopen_the_oracle(roles):
    """The rule holds for any user, not only the roles' groups: a delete permission given directly."""
    user = UserFactory(groups=[TRAINING_MANAGER])
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="organization", codename="delete_employee")
    )
    user = type(user).objects.get(pk=user.pk)  # fresh permission cache
    assert not user.has_perm("organization.delete_employee")
    assert user.has_perm("organization.change_employee")


@pytest.fixture
def people():
    reporter = EmployeeFactory(last_name="Reporter")
    concerned = EmployeeFactory(last_name="Concerned")
    nobody = EmployeeFactory(last_name="Nobody")
    case = CaseFactory(source="whistleblowing", reporter_employee=reporter)
    case.persons_concerned.add(concerned)
    return {"reporter": reporter, "concerned": concerned, "nobody": nobody, "case": case}


def answers(client: Client, api: APIClient, admin_url: str, api_url: str) -> tuple:
    page = client.get(admin_url)
    posted = client.post(admin_url, {"post": "yes"})
    deleted = api.delete(api_url)
    bodies = (page.content + posted.content + deleted.content).decode(errors="replace").lower()
    return (page.status_code, posted.status_code, deleted.status_code), bodies


def test_a_training_manager_cannot_tell_a_whistleblower_from_anyone_by_deleting_them(roles, people):
    user = UserFactory(groups=[TRAINING_MANAGER])
    client, api = Client(), APIClient()
    client.force_login(user)
    api.force_authenticate(user)
    seen = {}
    for name in ("reporter", "concerned", "nobody"):
        pk = people[name].pk
        seen[name] = answers(
            client, api, f"/admin/organization/employee/{pk}/delete/", f"/api/organization/employees/{pk}/"
        )
    statuses = {name: status for name, (status, _body) in seen.items()}
    assert statuses["reporter"] == statuses["concerned"] == statuses["nobody"] == (403, 403, 403), statuses
    for name, (_status, body) in seen.items():
        assert not any(word in body for word in HIDDEN_WORDS), name
    # Nothing was deleted, and the case still names the person concerned.
    assert {e.pk for e in people["case"].persons_concerned.all()} == {people["concerned"].pk}
    assert type(people["nobody"]).objects.filter(pk=people["nobody"].pk).exists()


def test_a_training_manager_cannot_tell_an_entity_named_by_a_case_either(roles):
    user = UserFactory(groups=[TRAINING_MANAGER])
    client, api = Client(), APIClient()
    client.force_login(user)
    api.force_authenticate(user)
    named, plain = LegalEntityFactory(), LegalEntityFactory()
    CaseFactory(entity=named)
    seen = [
        answers(
            client,
            api,
            f"/admin/organization/legalentity/{entity.pk}/delete/",
            f"/api/organization/entities/{entity.pk}/",
        )[0]
        for entity in (named, plain)
    ]
    assert seen[0] == seen[1] and seen[0][0] == 403


def test_a_training_manager_still_deletes_what_only_their_domains_refer_to(roles):
    """A department is referred to by employees and training modules only: still theirs to delete."""
    user = UserFactory(groups=[TRAINING_MANAGER])
    client = Client()
    client.force_login(user)
    empty = DepartmentFactory()
    assert client.get(f"/admin/organization/department/{empty.pk}/delete/").status_code == 200
    assert client.post(f"/admin/organization/department/{empty.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not type(empty).objects.filter(pk=empty.pk).exists()
