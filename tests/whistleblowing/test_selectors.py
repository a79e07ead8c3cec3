"""Who reads a report's sealed part (whistleblowing/selectors.py), and the floor's seals on MODELS: the roles'
permissions (core/roles.py), the ledger's sealed alerts (notifications/querysets.py), the user choosers."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from core.admin_choosers import users_who_may_change
from core.roles import (
    AML_OFFICER,
    AUDITOR,
    COMPLIANCE_OFFICER,
    DPO,
    ROLES,
    TRAINING_MANAGER,
    WHISTLEBLOWING_REFERENT,
    can_view,
    permissions_for,
    sealed_models,
)
from notifications.models import Alert as LedgerAlert
from tests.factories import LegalEntityFactory, UserFactory
from tests.whistleblowing.factories import ReferentAssignmentFactory, ReportContentFactory, ReportFactory
from whistleblowing.models import (
    Attachment,
    DeadlineEvent,
    FollowUpAccess,
    Message,
    ReferentAssignment,
    Report,
    ReportContent,
    ReportLink,
)
from whistleblowing.selectors import content_visible_to, is_referent, reports_with_content_for

pytestmark = pytest.mark.django_db

SEALED = (ReportContent, Message, Attachment, FollowUpAccess, ReportLink)


@pytest.fixture
def world(roles):
    e1, e2 = LegalEntityFactory(code="E1"), LegalEntityFactory(code="E2")
    in_e1 = ReportContentFactory(entity=e1).report
    in_e2 = ReportContentFactory(entity=e2).report
    nowhere = ReportContentFactory(entity=None).report
    referent_e1 = UserFactory(groups=[WHISTLEBLOWING_REFERENT])
    ReferentAssignmentFactory(user=referent_e1, entity=e1)
    referent_e2 = UserFactory(groups=[WHISTLEBLOWING_REFERENT])
    ReferentAssignmentFactory(user=referent_e2, entity=e2)
    return {"e1": in_e1, "e2": in_e2, "none": nowhere, "referent_e1": referent_e1, "referent_e2": referent_e2}


def test_every_referent_reads_every_report_when_referents_are_not_per_entity(world, settings):
    settings.VIGIE_WHISTLEBLOWING_REFERENTS_PER_ENTITY = False
    referent = world["referent_e1"]
    assert is_referent(referent)
    assert all(content_visible_to(referent, world[key]) for key in ("e1", "e2", "none"))
    assert set(reports_with_content_for(referent)) == {world["e1"], world["e2"], world["none"]}


def test_per_entity_a_referent_reads_the_reports_of_their_entities_and_those_without(world, settings):
    settings.VIGIE_WHISTLEBLOWING_REFERENTS_PER_ENTITY = True
    referent = world["referent_e1"]
    assert content_visible_to(referent, world["e1"])
    assert content_visible_to(referent, world["none"])
    assert not content_visible_to(referent, world["e2"])
    assert set(reports_with_content_for(referent)) == {world["e1"], world["none"]}
    unassigned = UserFactory(groups=[WHISTLEBLOWING_REFERENT])
    assert set(reports_with_content_for(unassigned)) == {world["none"]}


def test_per_entity_an_entity_no_active_referent_staffs_is_read_by_every_referent(world, settings):
    """No report is left without a referent: E2's only referent leaves (inactive), then is no longer one."""
    settings.VIGIE_WHISTLEBLOWING_REFERENTS_PER_ENTITY = True
    referent = world["referent_e1"]
    assert not content_visible_to(referent, world["e2"])
    leaver = world["referent_e2"]
    leaver.is_active = False
    leaver.save()
    assert content_visible_to(referent, world["e2"])
    assert set(reports_with_content_for(referent)) == {world["e1"], world["e2"], world["none"]}
    leaver.is_active = True
    leaver.save()
    leaver.groups.clear()
    assert content_visible_to(referent, world["e2"])
    ReferentAssignmentFactory(user=referent, entity=world["e2"].content.entity)
    assert content_visible_to(referent, world["e2"])


@pytest.mark.parametrize("kind", ["superuser", AUDITOR, COMPLIANCE_OFFICER, DPO, TRAINING_MANAGER, AML_OFFICER, None])
def test_nobody_else_reads_any_report_s_content(world, settings, kind):
    settings.VIGIE_WHISTLEBLOWING_REFERENTS_PER_ENTITY = False
    if kind is None:
        user = UserFactory()
    elif kind == "superuser":
        user = UserFactory(is_superuser=True)
    else:
        user = UserFactory(groups=[kind])
    assert not is_referent(user)
    assert not any(content_visible_to(user, world[key]) for key in ("e1", "e2", "none"))
    assert not reports_with_content_for(user).exists()
    for model in SEALED:
        assert not can_view(user, model)


def test_an_inactive_referent_reads_nothing(world):
    referent = world["referent_e1"]
    referent.is_active = False
    referent.save()
    assert not is_referent(referent)
    assert not reports_with_content_for(referent).exists()


# --- the floor's seals on models ---------------------------------------------------------------------------


def test_only_the_sealed_models_and_their_history_are_sealed_models():
    found = {model._meta.label_lower for model in sealed_models()}
    expected = {model._meta.label_lower for model in SEALED}
    expected |= {
        f"whistleblowing.historical{model._meta.model_name}" for model in SEALED if model is not FollowUpAccess
    }
    # Who handles which entity: sealed too (with the report's history it would tell the report's entity).
    expected |= {"whistleblowing.referentassignment", "whistleblowing.historicalreferentassignment"}
    assert found == expected
    for public in (Report, DeadlineEvent):
        assert public not in sealed_models()


def test_no_role_but_the_referents_holds_a_permission_on_the_sealed_models(roles):
    for role in ROLES:
        codenames = {p.codename for p in Group.objects.get(name=role.name).permissions.all()}
        sealed = {c for c in codenames for m in SEALED if c.endswith(f"_{m._meta.model_name}")}
        if role.name == WHISTLEBLOWING_REFERENT:
            assert "view_reportcontent" in sealed and "change_message" in sealed
            assert not {c for c in sealed if c.startswith("delete_")}
        else:
            assert sealed == set(), role.name
    # The public part stays readable by the roles that read whistleblowing; nobody deletes a report.
    auditor = {p.codename for p in Group.objects.get(name=AUDITOR).permissions.all()}
    assert {"view_report", "view_historicalreport", "view_deadlineevent"} <= auditor
    for role in ROLES:
        assert not any(p.codename == "delete_report" for p in permissions_for(role))


def test_only_superusers_designate_the_referents(roles):
    referents = {p.codename for p in Group.objects.get(name=WHISTLEBLOWING_REFERENT).permissions.all()}
    assert "view_referentassignment" in referents
    assert not {"add_referentassignment", "change_referentassignment"} & referents


def test_the_users_offered_to_handle_a_sealed_record_are_the_referents_only(roles):
    referent = UserFactory(groups=[WHISTLEBLOWING_REFERENT])
    UserFactory(is_superuser=True)
    UserFactory(groups=[COMPLIANCE_OFFICER])
    assert set(users_who_may_change(Message)) == {referent}


def test_an_alert_about_a_sealed_record_is_kept_from_the_operator_s_counts(roles):
    content = ReportContentFactory()
    public = ReportFactory()
    now = timezone.now()
    common = {"threshold": "d-0", "due_at": now, "fires_at": now, "urgency": "overdue", "unaddressed": True}
    sealed_alert = LedgerAlert.objects.create(
        rule="no-such-rule-sealed",
        content_type=ContentType.objects.get_for_model(ReportContent),
        object_id=content.pk,
        object_label="x",
        title="x",
        admin_path="/admin/",
        **common,
    )
    public_alert = LedgerAlert.objects.create(
        rule="no-such-rule-public",
        content_type=ContentType.objects.get_for_model(Report),
        object_id=public.pk,
        object_label=public.reference,
        title=public.reference,
        admin_path="/admin/",
        **common,
    )
    assert set(LedgerAlert.objects.filter(pk__in=[sealed_alert.pk, public_alert.pk]).unsealed()) == {public_alert}


# --- a deleted legal entity ---------------------------------------------------------------------------------


def test_deleting_an_entity_reaches_no_whistleblowing_model():
    """The assignments and the reports name an entity without a database constraint: deleting an entity (the
    roster's managers may) neither lists nor blocks on what they may not see."""
    from core.roles import deletion_reaches
    from organization.models import LegalEntity

    assert not {model._meta.app_label for model in deletion_reaches(LegalEntity)} & {"whistleblowing"}


def test_an_assignment_to_a_deleted_entity_counts_for_nothing(settings, roles):
    from whistleblowing.alerts import assigned_referents

    settings.VIGIE_WHISTLEBLOWING_REFERENTS_PER_ENTITY = True
    kept, gone = LegalEntityFactory(code="KEPT"), LegalEntityFactory(code="GONE")
    on_kept = ReportContentFactory(entity=kept).report
    on_gone = ReportContentFactory(entity=gone).report
    referent = UserFactory(groups=[WHISTLEBLOWING_REFERENT], email="ref@example.org")
    other = UserFactory(groups=[WHISTLEBLOWING_REFERENT])
    ReferentAssignmentFactory(user=referent, entity=gone)
    ReferentAssignmentFactory(user=other, entity=kept)
    assert not content_visible_to(referent, on_kept)
    assert content_visible_to(referent, on_gone) and not content_visible_to(other, on_gone)
    assert assigned_referents([gone.pk]) == {gone.pk: ("ref@example.org",)}
    gone_pk = gone.pk
    gone.delete()
    assignment = ReferentAssignment.objects.get(user=referent)  # kept, pointing nowhere
    assert str(assignment).endswith(f"#{gone_pk}")
    # A report whose entity was deleted reads as one with no entity: every referent, never none.
    assert content_visible_to(referent, on_gone) and content_visible_to(other, on_gone)
    assert set(reports_with_content_for(other)) == {on_kept, on_gone}
    assert set(reports_with_content_for(referent)) == {on_gone}
    assert assigned_referents([gone_pk]) == {}  # the alerts fall back to every referent
