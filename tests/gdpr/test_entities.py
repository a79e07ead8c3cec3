"""The legal entity that is the controller of a GDPR record (rights request, breach, CNIL case, register
activity): the parent company when none is named, by import (`entity_code`), service, admin and API."""

from __future__ import annotations

import datetime as dt
import json
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.test import Client

from core.imports.testing import read_rejects, run_import_command
from gdpr.choices import CnilCaseKind, Right
from gdpr.exports.register import OVERVIEW_TITLE, register_on
from gdpr.models import Breach, CnilCase, ProcessingActivity, RightsRequest
from gdpr.services.breaches import breach_create, breach_update
from gdpr.services.cnil import cnil_case_create, cnil_case_update
from gdpr.services.register import processing_activity_create, processing_activity_update
from gdpr.services.rights import rights_request_create, rights_request_update
from tests.clients import admin_client, api_client
from tests.factories import LegalEntityFactory
from tests.gdpr.factories import BreachFactory, CnilCaseFactory, ProcessingActivityFactory, RightsRequestFactory

PARIS = ZoneInfo("Europe/Paris")
NOW = dt.datetime(2025, 6, 20, 12, tzinfo=PARIS)
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("english_messages", "isolated_media"),
    pytest.mark.time_machine(NOW, tick=False),
]


@pytest.fixture
def group():
    """A parent company and two subsidiaries; another entity at the top sorts after the parent."""
    parent = LegalEntityFactory(code="AL", name="Action Logement")
    return {
        "parent": parent,
        "onv": LegalEntityFactory(code="ONV", name="ONV", parent=parent),
        "astria": LegalEntityFactory(code="ASTRIA", name="Astria Foncier", parent=parent),
        "other_top": LegalEntityFactory(code="ZZ", name="Another group"),
    }


# --- imports: the optional entity_code column -----------------------------------------------------------

#: kind → (model, the header of the required columns, a valid line of them with `{ref}`).
IMPORTS = {
    "rights_requests": (RightsRequest, "reference;received_at;right", "{ref};02/06/2025 10:00;accès"),
    "breaches": (Breach, "reference;aware_at", "{ref};02/06/2025 10:00"),
    "cnil_cases": (CnilCase, "reference;kind;received_on", "{ref};plainte sans saisine;02/06/2025"),
    "processing_activities": (ProcessingActivity, "reference;name;role", "{ref};Paie;responsable de traitement"),
}


def write(tmp_path: Path, text: str, name: str = "records.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("kind", sorted(IMPORTS))
def test_an_import_names_the_entity_by_its_code_empty_is_the_parent_and_unknown_is_rejected(tmp_path, group, kind):
    model, header, line = IMPORTS[kind]
    text = "\n".join(
        [
            f"{header};Entité",
            f"{line.format(ref='R-ONV')};onv",  # codes are matched whatever their case
            f"{line.format(ref='R-EMPTY')};",
            f"{line.format(ref='R-BAD')};XX",
        ]
    )
    result = run_import_command(kind, write(tmp_path, text))
    assert result.exit_code == 1, result.stdout
    entities = dict(model.objects.values_list("reference", "entity__code"))
    assert entities == {"R-ONV": "ONV", "R-EMPTY": "AL"}
    (rejected,) = read_rejects(tmp_path / "records.rejects.csv")[1:]
    assert rejected[0] == "4"
    assert rejected[1] == "entity_code (\"Entité\"): unknown entity 'XX'"


@pytest.mark.parametrize("kind", sorted(IMPORTS))
def test_without_the_column_a_new_record_gets_the_parent_and_a_stored_one_keeps_its_entity(tmp_path, group, kind):
    model, header, line = IMPORTS[kind]
    first = "\n".join([f"{header};entity_code", f"{line.format(ref='R-1')};ASTRIA"])
    assert run_import_command(kind, write(tmp_path, first)).exit_code == 0
    again = "\n".join([header, line.format(ref="R-1"), line.format(ref="R-2")])
    result = run_import_command(kind, write(tmp_path, again, "again.csv"))
    assert result.exit_code == 0, result.stdout
    assert dict(model.objects.values_list("reference", "entity__code")) == {"R-1": "ASTRIA", "R-2": "AL"}


def test_the_unknown_entity_reason_is_french_by_default(tmp_path, group, settings):
    from django.utils import translation

    model, header, line = IMPORTS["breaches"]
    with translation.override("fr"):
        result = run_import_command("breaches", write(tmp_path, f"{header};Société\n{line.format(ref='B')};XX"))
    assert result.exit_code == 1
    (rejected,) = read_rejects(tmp_path / "records.rejects.csv")[1:]
    assert "entity_code" in rejected[1] and "XX" in rejected[1] and "inconnue" in rejected[1], rejected[1]


# --- services: a record created without an entity belongs to the parent company --------------------------


def test_the_services_give_the_parent_company_when_no_entity_is_named(group):
    request = rights_request_create(actor=None, received_at=NOW - dt.timedelta(days=1), right=Right.ACCESS)
    breach = breach_create(actor=None, aware_at=NOW - dt.timedelta(hours=2))
    case = cnil_case_create(actor=None, kind=CnilCaseKind.COMPLAINT_WITHOUT_REFERRAL, received_on=NOW.date())
    activity = processing_activity_create(actor=None, reference="PA-1", name="Paie", purposes="Pay", legal_basis="x")
    for record in (request, breach, case, activity):
        record.refresh_from_db()
        assert record.entity == group["parent"], record


def test_the_services_keep_a_named_entity_and_an_update_to_none_gives_the_parent(group):
    onv = group["onv"]
    request = rights_request_create(actor=None, received_at=NOW - dt.timedelta(days=1), right=Right.ACCESS, entity=onv)
    breach = breach_create(actor=None, aware_at=NOW - dt.timedelta(hours=2), entity=onv)
    case = cnil_case_create(
        actor=None, kind=CnilCaseKind.COMPLAINT_WITHOUT_REFERRAL, received_on=NOW.date(), entity=onv
    )
    activity = processing_activity_create(
        actor=None, reference="PA-1", name="Paie", purposes="Pay", legal_basis="x", entity=onv
    )
    assert {r.entity for r in (request, breach, case, activity)} == {onv}
    request = rights_request_update(request=request, actor=None, entity=None)
    breach = breach_update(actor=None, breach=breach, entity=None)
    case = cnil_case_update(actor=None, case=case, entity=None)
    activity = processing_activity_update(activity=activity, actor=None, data={"entity": None})
    for record in (request, breach, case, activity):
        record.refresh_from_db()
        assert record.entity == group["parent"], record
    assert breach.history.latest().entity_id == group["parent"].pk  # the change is in the history


# --- API: entity_code read and written, ?entity=<code> ----------------------------------------------------

#: collection → (factory, the fields of a valid POST).
COLLECTIONS = {
    "rights-requests": (RightsRequestFactory, {"received_at": "2025-06-19T10:00:00+02:00", "right": "access"}),
    "breaches": (BreachFactory, {"aware_at": "2025-06-20T09:00:00+02:00", "title": "Lost laptop"}),
    "cnil-cases": (CnilCaseFactory, {"kind": "complaint_without_referral", "received_on": "2025-06-19"}),
    "processing-activities": (
        ProcessingActivityFactory,
        {"reference": "PA-API", "name": "Paie", "purposes": "Pay", "legal_basis": "legal obligation"},
    ),
}


@pytest.fixture
def dpo_api(roles):
    return api_client("DPO", language="en")


@pytest.mark.parametrize("collection", sorted(COLLECTIONS))
def test_the_api_reads_and_filters_by_entity_code(dpo_api, group, collection):
    factory, _post = COLLECTIONS[collection]
    factory(entity=group["onv"])
    factory(entity=group["parent"])
    url = f"/api/gdpr/{collection}/"
    every = dpo_api.get(url).json()["results"]
    assert sorted(item["entity_code"] for item in every) == ["AL", "ONV"]
    (only,) = dpo_api.get(url, {"entity": "ONV"}).json()["results"]
    assert only["entity_code"] == "ONV"
    assert dpo_api.get(url, {"entity": "ASTRIA"}).json()["results"] == []


@pytest.mark.parametrize("collection", sorted(COLLECTIONS))
def test_the_api_refuses_an_unknown_entity_code_in_the_filter(dpo_api, group, collection):
    factory, _post = COLLECTIONS[collection]
    factory(entity=group["onv"])
    refused = dpo_api.get(f"/api/gdpr/{collection}/", {"entity": "NOPE"})
    assert refused.status_code == 400
    assert refused.json() == {"entity": ["Unknown legal entity code 'NOPE'."]}
    french = api_client("DPO", language="fr").get(f"/api/gdpr/{collection}/", {"entity": "NOPE"})
    assert french.status_code == 400
    assert french.json() == {"entity": ["Code d'entité juridique inconnu : « NOPE »."]}


@pytest.mark.parametrize("collection", sorted(COLLECTIONS))
def test_the_api_writes_the_entity_by_code_the_parent_by_default_and_refuses_an_unknown_code(
    dpo_api, group, collection
):
    _factory, post = COLLECTIONS[collection]
    url = f"/api/gdpr/{collection}/"
    refused = dpo_api.post(url, {**post, "entity_code": "XX"}, format="json")
    assert refused.status_code == 400
    assert refused.json() == {"entity_code": ["Unknown legal entity code 'XX'."]}
    created = dpo_api.post(url, post, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["entity_code"] == "AL"
    detail = f"{url}{created.json()['id']}/"
    changed = dpo_api.patch(detail, {"entity_code": "ASTRIA"}, format="json")
    assert changed.status_code == 200, changed.json()
    assert changed.json()["entity_code"] == "ASTRIA"


def test_the_register_export_names_each_activitys_entity_and_can_be_one_entitys(dpo_api, group):
    ProcessingActivityFactory(reference="PA-AL", entity=group["parent"])
    ProcessingActivityFactory(reference="PA-ONV", entity=group["onv"])
    response = dpo_api.get("/api/gdpr/processing-activities/export/")
    overview = openpyxl.load_workbook(BytesIO(response.content))[OVERVIEW_TITLE]
    header = [cell.value for cell in overview[1]]
    column = header.index("Code entité")
    assert {row[0].value: row[column].value for row in overview.iter_rows(min_row=2)} == {
        "PA-AL": "AL",
        "PA-ONV": "ONV",
    }
    one = dpo_api.get("/api/gdpr/processing-activities/export/", {"entity": "ONV"})
    assert one.status_code == 200
    assert 'filename="registre-traitements-onv-' in one["Content-Disposition"]
    sheet = openpyxl.load_workbook(BytesIO(one.content))[OVERVIEW_TITLE]
    assert [row[0].value for row in sheet.iter_rows(min_row=2)] == ["PA-ONV"]
    assert dpo_api.get("/api/gdpr/processing-activities/export/", {"entity": "XX"}).status_code == 400


def test_the_exported_register_imports_back_with_its_entities(tmp_path, group):
    from gdpr.exports.register import register_xlsx

    ProcessingActivityFactory(reference="PA-ONV", entity=group["onv"])
    path = tmp_path / "register.xlsx"
    path.write_bytes(register_xlsx(register_on(NOW.date()), on=NOW.date()))
    ProcessingActivity.objects.update(entity=group["astria"])
    result = run_import_command("processing_activities", path)
    assert result.exit_code == 0, result.stdout
    assert ProcessingActivity.objects.get().entity == group["onv"]


def test_register_on_reads_the_entities_in_the_same_query(group, django_assert_num_queries):
    for n in range(5):
        ProcessingActivityFactory(entity=group["onv"] if n % 2 else group["parent"])
    with django_assert_num_queries(1):
        codes = [activity.entity.code for activity in register_on(NOW.date())]
    assert sorted(codes) == ["AL", "AL", "AL", "ONV", "ONV"]


# --- admin: the entity in the forms, a filter on the lists -------------------------------------------------

ADMIN_LISTS = {
    "rightsrequest": RightsRequestFactory,
    "breach": BreachFactory,
    "cnilcase": CnilCaseFactory,
    "processingactivity": ProcessingActivityFactory,
}


@pytest.fixture
def dpo_browser(roles) -> Client:
    return admin_client("DPO", language="en")


@pytest.mark.parametrize("model", sorted(ADMIN_LISTS))
def test_the_admin_lists_filter_by_entity_and_the_forms_show_it(dpo_browser, group, model):
    factory = ADMIN_LISTS[model]
    mine = factory(entity=group["onv"])
    theirs = factory(entity=group["parent"])
    url = f"/admin/gdpr/{model}/"
    page = dpo_browser.get(url, {"entity__id__exact": group["onv"].pk})
    assert page.status_code == 200
    listed = [obj.pk for obj in page.context["cl"].result_list]
    assert listed == [mine.pk] and theirs.pk not in listed
    change = dpo_browser.get(f"{url}{mine.pk}/change/")
    assert change.status_code == 200
    assert 'name="entity"' in change.content.decode()
    add = dpo_browser.get(f"{url}add/")
    assert 'name="entity"' in add.content.decode()


def test_an_admin_add_form_without_entity_records_the_parent_company(dpo_browser, group):
    response = dpo_browser.post(
        "/admin/gdpr/breach/add/",
        {
            "reference": "",
            "title": "Lost laptop",
            "aware_at_0": "2025-06-20",
            "aware_at_1": "09:00",
            "entity": "",
            "notifications-TOTAL_FORMS": "0",
            "notifications-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Breach.objects.get().entity == group["parent"]


def test_a_refused_register_export_answers_json_even_when_xlsx_was_asked_for(dpo_api):
    """A 400 is JSON, as the schema declares it, whatever `?format=` or `Accept:` asked for (schemathesis)."""
    client = dpo_api
    for query in ("?format=xlsx&entity=NOPE", "?format=xlsx&date=not-a-date"):
        response = client.get("/api/gdpr/processing-activities/export/" + query)
        assert response.status_code == 400, query
        assert response["Content-Type"].startswith("application/json"), query
        assert json.loads(response.content), query
