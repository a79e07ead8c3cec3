"""review 21b #2: whoever joins or leaves a sealed role's group ("Référent alertes", "LCB-FT"), by whatever path,
is told to every member of that role (before and after) and to the ADMINS: who, by whom, when; nothing else."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core import mail

from core.oidc import CompanySignOnBackend
from core.roles import AML_OFFICER, AUDITOR, WHISTLEBLOWING_REFERENT, sealed_roles
from tests.factories import UserFactory
from tests.whistleblowing.factories import ReportContentFactory, ReportFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("roles")]


@pytest.fixture
def referents(settings):
    settings.ADMINS = [("Ops", "ops@example.org")]
    return [
        UserFactory(username=f"ref{n}", email=f"ref{n}@example.org", groups=[WHISTLEBLOWING_REFERENT]) for n in (1, 2)
    ]


def change_form_data(response, **changes):
    """The user change form as the page shows it, with `changes`: what the browser would post."""
    form = response.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        widget = field.widget
        if hasattr(widget, "widgets"):  # a split date and time
            for index, part in enumerate(widget.decompress(value)):
                data[f"{name}_{index}"] = widget.widgets[index].format_value(part) or ""
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        elif isinstance(value, list | tuple):
            data[name] = [str(getattr(v, "pk", v)) for v in value]
        elif value is not None:
            data[name] = value
    for name, value in changes.items():
        if value is False:
            data.pop(name, None)
        else:
            data[name] = value
    return data


def post_groups(client, user, groups):
    url = f"/admin/auth/user/{user.pk}/change/"
    response = client.post(url, change_form_data(client.get(url), groups=[str(g.pk) for g in groups]))
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    return response


def test_the_roles_a_seal_names():
    assert sealed_roles() == {WHISTLEBLOWING_REFERENT, AML_OFFICER}


@time_machine.travel(dt.datetime(2026, 7, 1, 22, 30, tzinfo=dt.UTC), tick=False)
def test_a_superuser_joining_the_referents_is_told_to_the_referents(
    referents, client, django_capture_on_commit_callbacks
):
    report = ReportFactory()
    ReportContentFactory(report=report, author_name="Anselme SECRET")
    boss = UserFactory(username="boss", first_name="Big", last_name="Boss", email="boss@example.org", is_superuser=True)
    client.force_login(boss)
    group = Group.objects.get(name=WHISTLEBLOWING_REFERENT)
    with django_capture_on_commit_callbacks(execute=True):
        post_groups(client, boss, [group])
    assert boss.groups.filter(pk=group.pk).exists()
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert sorted(email.to) == ["boss@example.org", "ops@example.org", "ref1@example.org", "ref2@example.org"]
    assert "Référent alertes" in email.subject
    assert "Big Boss (boss) a rejoint le rôle Référent alertes." in email.body
    assert "Fait par : Big Boss (boss)" in email.body
    assert "02/07/2026 00:30" in email.body  # Paris time
    assert "SECRET" not in email.body and report.reference not in email.body

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        post_groups(client, boss, [])
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert "Big Boss (boss) a quitté le rôle Référent alertes." in email.body
    # The one who left (a member before the change) is told too.
    assert sorted(email.to) == ["boss@example.org", "ops@example.org", "ref1@example.org", "ref2@example.org"]


def test_a_change_of_another_group_tells_nobody(referents, client, django_capture_on_commit_callbacks):
    boss = UserFactory(username="boss", is_superuser=True)
    client.force_login(boss)
    with django_capture_on_commit_callbacks(execute=True):
        post_groups(client, boss, [Group.objects.get(name=AUDITOR)])
        UserFactory(username="x").groups.add(Group.objects.get(name=AUDITOR))
    assert mail.outbox == []


def test_the_group_side_clear_sign_on_and_deletion_are_told_too(referents, django_capture_on_commit_callbacks):
    group = Group.objects.get(name=WHISTLEBLOWING_REFERENT)
    newcomer = UserFactory(username="new", email="new@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        group.user_set.add(newcomer)
    assert [m.body.splitlines()[0] for m in mail.outbox] == ["new a rejoint le rôle Référent alertes."]
    assert "non connu" in mail.outbox[0].body  # no request: a command, a task or the sign-on
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        CompanySignOnBackend().apply_roles(newcomer, set())
    assert [m.body.splitlines()[0] for m in mail.outbox] == ["new a quitté le rôle Référent alertes."]
    assert "new@example.org" in mail.outbox[0].to
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        referents[0].groups.clear()
    assert [m.body.splitlines()[0] for m in mail.outbox] == ["ref1 a quitté le rôle Référent alertes."]
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        referents[1].delete()
    assert [m.body.splitlines()[0] for m in mail.outbox] == ["ref2 a quitté le rôle Référent alertes."]


def test_the_aml_role_is_told_as_well(settings, django_capture_on_commit_callbacks):
    settings.ADMINS = []
    officer = UserFactory(username="lcb", email="lcb@example.org", groups=[AML_OFFICER])
    with django_capture_on_commit_callbacks(execute=True):
        UserFactory(username="other", email="other@example.org").groups.add(Group.objects.get(name=AML_OFFICER))
    assert len(mail.outbox) == 1
    assert sorted(mail.outbox[0].to) == [officer.email, "other@example.org"]
