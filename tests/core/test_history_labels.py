"""The history page of every admin reads in words (core/admin_history.py, issue 16): field verbose names,
choice labels, Oui/Non, related records by name, dates in the French layout and times in Paris time, who
by their full name, a translated title and headers; a field the user may not read is left out."""

from __future__ import annotations

import datetime as dt

import pytest

from core.admin_history import LabelledHistoryHelper, field_value
from core.dates import PARIS
from core.services import save_with_history
from tests.clients import admin_client
from tests.factories import EmployeeFactory, LegalEntityFactory, UserFactory

pytestmark = pytest.mark.django_db


def history_page(client, obj) -> str:
    opts = obj._meta
    response = client.get(f"/admin/{opts.app_label}/{opts.model_name}/{obj.pk}/history/")
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def changed_employee(roles):
    employee = EmployeeFactory(gender="F", is_manager=False, entity=LegalEntityFactory(code="OLD", name="Ancienne"))
    actor = UserFactory(first_name="Camille", last_name="Durand")
    employee.gender = "M"
    employee.is_manager = True
    employee.entity = LegalEntityFactory(code="NEW", name="Nouvelle")
    employee.hired_on = dt.date(2021, 2, 3)
    save_with_history(employee, actor=actor, reason="corrigé")
    return employee


def test_a_change_reads_with_labels_verbose_names_and_the_author_full_name(changed_employee):
    body = history_page(admin_client("Training manager"), changed_employee)
    assert "Historique : " in body and "Historique de vue" not in body
    # A choice by its label, a boolean Oui/Non, a related record by its name, a date in the French layout.
    assert "<strong>Sexe</strong>\u00a0: Femme&nbsp;&rarr;&nbsp;Homme" in body
    assert "Cadre dirigeant" not in body  # not changed
    assert "Non&nbsp;&rarr;&nbsp;Oui" in body
    assert "Entity OLD" not in body
    assert "Ancienne" in body and "Nouvelle" in body
    assert "01/01/2020&nbsp;&rarr;&nbsp;03/02/2021" in body
    assert "Camille Durand" in body
    assert "Modifications" in body and "CHANGES" not in body and ">Changes<" not in body
    assert "heure de Paris" in body


def test_the_author_without_a_full_name_is_shown_by_user_name(roles):
    employee = EmployeeFactory()
    employee.last_name = "Autre"
    save_with_history(employee, actor=UserFactory(username="jdupont", first_name="", last_name=""), reason="x")
    assert "jdupont" in history_page(admin_client("Training manager"), employee)


def test_a_rights_request_status_change_reads_as_its_labels(roles):
    from gdpr.choices import RequestStatus
    from tests.gdpr.factories import RightsRequestFactory

    request = RightsRequestFactory(status=RequestStatus.RECEIVED)
    request.status = RequestStatus.IN_PROGRESS
    save_with_history(request, actor=None, reason="prise en charge")
    body = history_page(admin_client("DPO"), request)
    assert "<strong>Statut</strong>\u00a0: Reçue&nbsp;&rarr;&nbsp;En cours" in body
    assert "received" not in body.split('id="change-history"')[1]


def test_a_user_in_a_change_reads_by_their_full_name(roles):
    from tests.gdpr.factories import RightsRequestFactory

    request = RightsRequestFactory()
    request.handler = UserFactory(username="cmartin", first_name="Claire", last_name="Martin")
    save_with_history(request, actor=None, reason="attribuée")
    body = history_page(admin_client("DPO"), request)
    assert "<strong>Chargé du dossier</strong>\u00a0: –&nbsp;&rarr;&nbsp;Claire Martin" in body
    assert "Création" in body  # the version's action, by simple-history's own word


def test_values_in_words():
    from organization.models import Employee

    gender = Employee._meta.get_field("gender")
    assert field_value(gender, "F") in ("Femme", "Female")
    assert field_value(Employee._meta.get_field("is_manager"), None) == "–"
    moment = dt.datetime(2026, 7, 1, 22, 30, tzinfo=dt.UTC)
    assert field_value(None, moment) == "02/07/2026 00:30"  # Paris time (UTC+2 in summer)
    assert field_value(None, dt.date(2026, 7, 1)) == "01/07/2026"


def test_a_field_the_user_may_not_read_is_left_out_of_the_changes(roles):
    from compliance.models import ConflictOfInterestCase
    from tests.compliance.factories import CaseFactory

    case = CaseFactory(reporter_name="")
    case.reporter_name = "Lanceur Secret"
    case.description = "Autre description"
    save_with_history(case, actor=None, reason="x")
    new, old = case.history.order_by("-history_id")[:2]
    delta = new.diff_against(old, foreign_keys_are_objs=True)
    officer = UserFactory(groups=["Compliance officer"])
    auditor = UserFactory(groups=["Auditor"])
    seen = LabelledHistoryHelper(ConflictOfInterestCase, new, user=officer).context_for_delta_changes(delta)
    hidden = LabelledHistoryHelper(ConflictOfInterestCase, new, user=auditor).context_for_delta_changes(delta)
    assert any("Lanceur Secret" in change["new"] for change in seen)
    assert len(hidden) == len(seen) - 1
    assert not any("Lanceur Secret" in change["new"] for change in hidden)
    assert all(
        str(change["field"]) != str(ConflictOfInterestCase._meta.get_field("reporter_name").verbose_name).capitalize()
        for change in hidden
    )


def test_the_history_time_is_in_paris_time(roles):
    employee = EmployeeFactory()
    row = employee.history.get()
    row.history_date = dt.datetime(2026, 1, 15, 23, 30, tzinfo=dt.UTC)
    row.save()
    body = history_page(admin_client("Training manager"), employee)
    assert "16/01/2026 00:30" in body
    assert PARIS.key == "Europe/Paris"


def test_a_version_links_to_its_page_only_for_who_may_open_it(roles):
    from tests.compliance.factories import CaseFactory

    case = CaseFactory()
    case.description = "Autre"
    save_with_history(case, actor=None, reason="x")
    url = f"/admin/compliance/conflictofinterestcase/{case.pk}/history/"
    version = f"{url}{case.history.order_by('history_id').first().history_id}/"
    officer, auditor = admin_client("Compliance officer"), admin_client("Auditor")
    assert f'href="{version}"' in officer.get(url).content.decode()
    assert officer.get(version).status_code == 200
    assert f'href="{version}"' not in auditor.get(url).content.decode()
    assert auditor.get(version).status_code == 403
    # Elsewhere every version links to its page.
    employee = EmployeeFactory()
    employee_url = f"/admin/organization/employee/{employee.pk}/history/"
    assert f'href="{employee_url}{employee.history.get().history_id}/"' in auditor.get(employee_url).content.decode()
