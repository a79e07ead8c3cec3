"""The four role groups and what each may do."""

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


def test_setup_roles_creates_the_four_groups(role_groups):
    assert set(role_groups) == {"Compliance officer", "DPO", "Training manager", "Auditor"}


def test_setup_roles_is_idempotent(role_groups):
    before = {name: codenames(g) for name, g in role_groups.items()}
    call_command("setup_roles", verbosity=0)
    after = {g.name: codenames(g) for g in Group.objects.all()}
    assert before == after
    assert Group.objects.count() == 4


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
        assert set(role.apps) <= set(roles.VIGIE_APPS)
