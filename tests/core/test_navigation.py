"""The sidebar (core/navigation.py): sections by what people do, each role sees only the pages it may open."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import Client, RequestFactory
from django.utils import translation

from core.navigation import sidebar
from core.roles import AML_OFFICER, AUDITOR, COMPLIANCE_OFFICER, DPO, TRAINING_MANAGER, WHISTLEBLOWING_REFERENT
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

#: The AML/CFT section (French "LCB-FT"), once the aml app registers its admins: for its role and the
#: superusers the setting lets in, never for anyone else (core/admin_seal.py).
AML = ["LCB-FT"] if any(model._meta.app_label == "aml" for model in admin.site._registry) else []
#: The whistleblowing section: the reports' public part for who reads whistleblowing (superusers included).
WB = ["Alerte professionnelle"]


def sections_of(user) -> dict[str, list[tuple[str, str]]]:
    request = RequestFactory().get("/admin/")
    request.user = user
    with translation.override("fr"):
        return {
            str(group["title"]): [(str(i["title"]), i["link"]) for i in group["items"]] for group in sidebar(request)
        }


@pytest.mark.parametrize(
    ("group", "sections"),
    [
        (None, ["Mon bureau", "RGPD", "Conformité", *AML, *WB, "Formation", "Indicateurs", "Administration"]),
        (COMPLIANCE_OFFICER, ["Mon bureau", "RGPD", "Conformité", *WB, "Formation", "Indicateurs", "Administration"]),
        (DPO, ["Mon bureau", "RGPD", "Indicateurs", "Administration"]),
        (TRAINING_MANAGER, ["Mon bureau", "Formation", "Indicateurs", "Administration"]),
        (AML_OFFICER, ["Mon bureau", *AML, "Indicateurs", "Administration"]),
        (WHISTLEBLOWING_REFERENT, ["Mon bureau", *WB, "Indicateurs", "Administration"]),
    ],
)
def test_the_sections_follow_what_people_do_and_what_the_role_may_open(roles, group, sections):
    user = UserFactory(is_superuser=group is None, groups=[group] if group else [])
    found = sections_of(user)
    assert list(found) == sections
    assert found["Mon bureau"][0] == ("Ce qui est dû", "/admin/")
    if "Indicateurs" in found:
        assert found["Indicateurs"][0] == ("Tableau de bord", "/admin/reporting/reportingyear/dashboard/")


@pytest.mark.parametrize(
    "group", [COMPLIANCE_OFFICER, DPO, TRAINING_MANAGER, AML_OFFICER, WHISTLEBLOWING_REFERENT, AUDITOR]
)
def test_every_link_of_the_sidebar_opens_for_the_role(roles, group):
    user = UserFactory(groups=[group])
    client = Client()
    client.force_login(user)
    links = [link for items in sections_of(user).values() for _title, link in items]
    assert links
    refused = [link for link in links if client.get(link).status_code != 200]
    assert refused == []
    # The users' and groups' admin is an administrator's: no role but the superuser has it in its sidebar.
    assert not [link for link in links if link.startswith("/admin/auth/")]


def test_superusers_see_the_aml_section_only_when_the_setting_lets_them_in(roles, settings):
    superuser = UserFactory(is_superuser=True)
    settings.VIGIE_AML_VISIBLE_TO_SUPERUSERS = False
    sealed = sections_of(superuser)
    assert "LCB-FT" not in sealed
    assert not [link for items in sealed.values() for _title, link in items if link.startswith("/admin/aml/")]
    settings.VIGIE_AML_VISIBLE_TO_SUPERUSERS = True
    assert ("LCB-FT" in sections_of(superuser)) is bool(AML)
