"""The six role groups, what each may do, and the seal of the aml app (only LCB-FT, superusers by setting)."""

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from core import roles


@pytest.fixture
def role_groups(db):
    call_command("setup_roles", verbosity=0)
    return {g.name: g for g in Group.objects.all()}


def codenames(group):
    return set(group.permissions.values_list("content_type__app_label", "codename"))


def test_setup_roles_creates_the_six_groups(role_groups):
    assert set(role_groups) == {
        "Compliance officer",
        "DPO",
        "Training manager",
        "LCB-FT",
        "Référent alertes",
        "Auditor",
    }


def test_setup_roles_is_idempotent(role_groups):
    before = {name: codenames(g) for name, g in role_groups.items()}
    call_command("setup_roles", verbosity=0)
    after = {g.name: codenames(g) for g in Group.objects.all()}
    assert before == after
    assert Group.objects.count() == len(roles.ROLES) == 6


def test_setup_roles_restores_a_permission_removed_by_hand(role_groups):
    auditor = role_groups["Auditor"]
    auditor.permissions.remove(auditor.permissions.get(codename="view_employee"))
    call_command("setup_roles", verbosity=0)
    assert ("organization", "view_employee") in codenames(auditor)


def test_auditor_can_only_view_history_included(role_groups):
    perms = codenames(role_groups["Auditor"])
    assert ("organization", "view_employee") in perms
    assert ("organization", "view_historicalemployee") in perms
    assert all(codename.startswith("view_") for _app, codename in perms)


def test_nobody_may_edit_history_rows(role_groups):
    for group in role_groups.values():
        for _app, codename in codenames(group):
            if "historical" in codename:
                assert codename.startswith("view_"), (group.name, codename)


def test_training_manager_maintains_the_roster_but_dpo_only_reads_it(role_groups):
    assert ("organization", "change_employee") in codenames(role_groups["Training manager"])
    dpo = codenames(role_groups["DPO"])
    assert ("organization", "view_employee") in dpo
    assert ("organization", "change_employee") not in dpo


def test_only_superusers_name_the_contacts_of_an_entity_every_role_sees_them(role_groups):
    """Naming an entity's DPO decides who receives its alerts: no role may add, change or delete a contact,
    not even the training managers who maintain the rest of the roster; every role may see them."""
    for name, group in role_groups.items():
        perms = codenames(group)
        assert ("organization", "view_entitycontact") in perms, name
        for action in ("add", "change", "delete"):
            assert ("organization", f"{action}_entitycontact") not in perms, (name, action)
    assert ("organization", "change_legalentity") in codenames(role_groups["Training manager"])


def test_every_role_is_declared_over_known_apps():
    for role in roles.ROLES:
        assert set(role.apps) <= set(roles.VIGIE_APPS) | set(roles.sealed_apps())


# --- the seal of the aml app (core/roles.py seal_of, sealed_out, SealedAppsBackend) ---------------------------


def test_no_role_but_lcb_ft_names_the_aml_app():
    """The auditor sees the AML aggregates only (frozen indicators), never the records: no other role names
    the app, and the Auditor's "every app" list leaves it out."""
    naming = {role.name for role in roles.ROLES if "aml" in role.apps}
    assert naming == {roles.AML_OFFICER}
    assert "aml" not in roles.VIGIE_APPS


def test_only_the_aml_app_is_sealed_and_by_the_lcb_ft_role():
    assert roles.sealed_apps() == ("aml",)
    assert roles.seal_of("aml.alert") == (roles.AML_OFFICER, "VIGIE_AML_VISIBLE_TO_SUPERUSERS")
    assert roles.seal_of("aml") == roles.seal_of("aml.view_hit")
    assert roles.seal_of("compliance.conflictofinterestcase") is None
    assert roles.seal_of("nosuchapp.model") is None


@pytest.fixture
def seal_world(role_groups, django_user_model):
    from django.contrib.auth.models import Permission

    def user(name, *, group=None, superuser=False, active=True, perms=()):
        made = django_user_model.objects.create_user(
            name, f"{name}@example.org", is_staff=True, is_superuser=superuser, is_active=active
        )
        if group:
            made.groups.add(role_groups[group])
        for codename in perms:
            made.user_permissions.add(Permission.objects.get(content_type__app_label="aml", codename=codename))
        return django_user_model.objects.get(pk=made.pk)  # no cached permissions

    return {
        "officer": user("officer", group=roles.AML_OFFICER),
        "inactive officer": user("gone", group=roles.AML_OFFICER, active=False),
        "superuser": user("root", superuser=True),
        "superuser officer": user("rootaml", superuser=True, group=roles.AML_OFFICER),
        "by hand": user("hand", perms=("view_alert", "change_alert", "view_counterparty")),
        "auditor": user("audit", group=roles.AUDITOR),
        "compliance": user("coi", group=roles.COMPLIANCE_OFFICER, perms=("view_alert",)),
    }


@pytest.mark.parametrize("visible", [True, False])
def test_sealed_out_lets_in_the_role_and_superusers_by_setting_only(seal_world, settings, visible):
    from django.contrib.auth.models import AnonymousUser

    settings.VIGIE_AML_VISIBLE_TO_SUPERUSERS = visible
    expected_in = {"officer", "superuser officer"} | ({"superuser"} if visible else set())
    for name, user in seal_world.items():
        let_in = name in expected_in
        assert roles.sealed_out(user, "aml.alert") is not let_in, name
        assert roles.can_view(user, "aml.alert") is let_in, name
        # The backend: permissions given by hand, or through another role, do not open the seal. (Django
        # answers True for an active superuser before any backend: the floor asks sealed_out/can_view.)
        if not user.is_superuser:
            assert user.has_perm("aml.view_alert") is let_in, name
            assert user.has_module_perms("aml") is let_in, name
        # Everything else is unchanged by the seal.
        assert roles.sealed_out(user, "compliance.conflictofinterestcase") is False
    assert roles.sealed_out(AnonymousUser(), "aml.alert") is True
    assert roles.sealed_out(None, "aml.alert") is True
    assert seal_world["compliance"].has_perm("compliance.view_conflictofinterestcase")
