"""Indicators per legal entity (issue 19): `?entity=CODE`, `export_indicators --entity CODE`.

Each figure that can be split is computed on the records of that exact entity (its subsidiaries' not
included; a record naming no entity is the parent company's), so the entities' counts add up to the company
total and a rate is the entity's own numerator over its own denominator. A figure whose records carry no
entity (risk maps, phishing campaigns) and a manual value are "not_by_entity", never the company's figure.
The per-entity figures are computed now and never published: a frozen year's snapshot does not move, and a
role that may not view the records does not see them before or after the freeze.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from core.roles import AUDITOR, TRAINING_MANAGER
from organization.models import LegalEntity
from reporting import catalogue, exports, registry, services
from reporting.models import IndicatorValue, ManualValue
from tests.clients import admin_client, api_client, messages_of
from tests.compliance.factories import CaseFactory, CorruptionIncidentFactory, RiskFactory, RiskMapFactory
from tests.factories import EmployeeFactory, LegalEntityFactory, UserFactory
from tests.gdpr.factories import PARIS, BreachFactory, ProcessingActivityFactory, RightsRequestFactory
from tests.training.factories import CompletionFactory, PhishingCampaignFactory, paris
from training.models import Module

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_messages")]

YEAR = 2025
API = "/api/reporting/indicators/"


@pytest.fixture
def group():
    """A parent company (PAR) with two subsidiaries (SUB, OTH) and records of each, some naming no entity."""
    parent = LegalEntityFactory(code="PAR", name="Parent company")
    sub = LegalEntityFactory(code="SUB", name="Subsidiary", parent=parent)
    other = LegalEntityFactory(code="OTH", name="Other subsidiary", parent=parent)
    received = dt.datetime(YEAR, 3, 3, 10, tzinfo=PARIS)
    due = dt.date(YEAR, 4, 3)

    def request(entity, *, on_time: bool | None):
        answered = None if on_time is None else received + dt.timedelta(days=10 if on_time else 40)
        RightsRequestFactory(
            entity=entity, received_at=received, due_on=due, applicable_due_on=due, answered_at=answered
        )

    # Rights requests: PAR 2 (one naming no entity), SUB 3 (2 on time, 1 late), OTH 1 open.
    request(parent, on_time=True)
    request(None, on_time=False)
    request(sub, on_time=True)
    request(sub, on_time=True)
    request(sub, on_time=False)
    request(other, on_time=None)
    # Breaches notified: SUB 1 within 72 hours, OTH 1 late.
    aware = dt.datetime(YEAR, 5, 5, 10, tzinfo=PARIS)
    BreachFactory(entity=sub, aware_at=aware, notified_at=aware + dt.timedelta(hours=20))
    BreachFactory(
        entity=other, aware_at=aware, notified_at=aware + dt.timedelta(hours=100), delay_reasons="Found late."
    )
    ProcessingActivityFactory(entity=None)
    ProcessingActivityFactory(entity=sub)
    # Conflicts of interest and incidents: SUB 1, OTH 2, none named 1.
    for entity in (sub, other, other, None):
        CaseFactory(entity=entity, reported_on=dt.date(YEAR, 2, 2))
    CorruptionIncidentFactory(entity=other, confirmed_on=dt.date(YEAR, 6, 6))
    # A risk map and a phishing campaign: the whole company's.
    RiskFactory(map=RiskMapFactory(approved_on=dt.date(YEAR, 1, 15)))
    PhishingCampaignFactory(sent_on=dt.date(YEAR, 9, 9))
    # The GDPR e-learning: PAR 1 of 2 trained, SUB 2 of 3, OTH 0 of 1.
    module = Module.objects.get(code="RGPD")
    for entity, trained, untrained in ((parent, 1, 1), (sub, 2, 1), (other, 0, 1)):
        for _i in range(trained):
            CompletionFactory(
                employee=EmployeeFactory(entity=entity),
                module=module,
                completed_at=paris(dt.date(YEAR, 10, 1)),
                duration_minutes=60,
            )
        for _i in range(untrained):
            EmployeeFactory(entity=entity)
    return parent, sub, other


def scope(code: str) -> registry.EntityScope:
    return services.entity_check(code)


def split_codes() -> list[str]:
    return [code for code, computation in registry.computations().items() if computation.by_entity is not None]


def test_the_entities_figures_add_up_to_the_company_total_and_their_records_partition_its_records(group):
    company = services.year_evaluate(YEAR)
    per_entity = {code: services.year_evaluate(YEAR, entity=scope(code)) for code in ("PAR", "SUB", "OTH")}
    checked = 0
    for code in split_codes():
        whole = company[code]
        parts = [values[code] for values in per_entity.values()]
        ids = [{(r["model"], i) for r in part.records for i in r["ids"]} for part in parts]
        assert set().union(*ids) == {(r["model"], i) for r in whole.records for i in r["ids"]}, code
        assert sum(len(s) for s in ids) == whole.records_count, code  # disjoint: no record counted twice
        unit = catalogue.get(code).unit
        if whole.denominator is not None:  # a rate (or a mean): its parts add up, not its value
            assert sum(p.denominator or 0 for p in parts) == whole.denominator, code
            assert sum(p.numerator or 0 for p in parts) == whole.numerator, code
        elif unit in ("count", "eur") and whole.status == "ok":
            assert sum(Decimal(p.value or 0) for p in parts) == Decimal(whole.value), code
            checked += 1
    assert checked >= 10
    assert company["E2_RIGHTS_REQUESTS"].value == 6
    assert [per_entity[c]["E2_RIGHTS_REQUESTS"].value for c in ("PAR", "SUB", "OTH")] == [2, 3, 1]
    assert [per_entity[c]["E1_COI_SUSPICIONS"].value for c in ("PAR", "SUB", "OTH")] == [1, 1, 2]


def test_a_rate_per_entity_is_the_entitys_numerator_over_its_denominator(group):
    sub = services.year_evaluate(YEAR, entity=scope("SUB"))
    company = services.year_evaluate(YEAR)
    on_time = sub["E2_RIGHTS_REQUESTS_ON_TIME_RATE"]
    assert (on_time.numerator, on_time.denominator, on_time.value) == (2, 3, Decimal("66.7"))
    assert (
        company["E2_RIGHTS_REQUESTS_ON_TIME_RATE"].numerator,
        company["E2_RIGHTS_REQUESTS_ON_TIME_RATE"].denominator,
    ) == (3, 6)  # OTH's open request is past its deadline: judged, late
    gdpr = sub["E2_GDPR_ELEARNING_RATE"]
    assert (gdpr.numerator, gdpr.denominator, gdpr.value) == (2, 3, Decimal("66.7"))
    breach = services.year_evaluate(YEAR, entity=scope("OTH"))["E2_BREACH_NOTIFIED_WITHIN_72H_RATE"]
    assert (breach.numerator, breach.denominator, breach.value) == (0, 1, Decimal("0.0"))
    # An entity without a breach notified: no rate (not 0 %), while the company's is 50 %.
    assert services.year_evaluate(YEAR)["E2_BREACH_NOTIFIED_WITHIN_72H_RATE"].value == Decimal("50.0")
    parent = services.year_evaluate(YEAR, entity=scope("PAR"))["E2_BREACH_NOTIFIED_WITHIN_72H_RATE"]
    assert (parent.status, parent.value, parent.denominator) == ("no_data", None, 0)


def test_a_record_naming_no_entity_is_the_parent_companys_and_a_subsidiarys_are_not(group):
    parent = services.year_evaluate(YEAR, codes=["E2_RIGHTS_REQUESTS", "E2_PROCESSING_ACTIVITIES"], entity=scope("PAR"))
    assert parent["E2_RIGHTS_REQUESTS"].value == 2  # its own and the one naming no entity, not SUB's 3
    assert parent["E2_PROCESSING_ACTIVITIES"].value == 1
    # The parent company's is the top entity, whatever its code.
    assert scope("PAR").parent_company and not scope("SUB").parent_company
    assert LegalEntity.objects.parent_company().code == "PAR"


def test_a_figure_whose_records_carry_no_entity_is_not_given_under_an_entitys_name(group):
    company = exports.as_dict(YEAR)
    sub = exports.as_dict(YEAR, entity=scope("SUB"))
    assert (company["entity"], sub["entity"], sub["entity_name"]) == (None, "SUB", "Subsidiary")
    whole = {i["code"]: i for i in company["indicators"] + company["esrs"]}
    items = {i["code"]: i for i in sub["indicators"] + sub["esrs"]}
    for code in ("E1_CORRUPTION_RISK_MAP_RISKS", "E2_PHISHING_TESTS"):
        assert whole[code]["value"] == 1 and whole[code]["status"] == "computed"
        assert items[code]["status"] == services.NOT_BY_ENTITY, code
        assert (items[code]["value"], items[code]["previous_value"]) == (None, None)
        assert "SUB" in items[code]["note"]
    manual = next(d for d in catalogue.DEFINITIONS if not d.computed)
    ManualValue.objects.create(year=YEAR, code=manual.code, value=Decimal(42), owner="HR", source_reference="x")
    item = {i["code"]: i for i in exports.as_dict(YEAR, entity=scope("SUB"))["indicators"]}[manual.code]
    assert (item["status"], item["value"]) == (services.NOT_BY_ENTITY, None)
    assert all(i["entity"] == "SUB" for i in items.values())


def test_the_api_takes_an_entity_and_names_an_unknown_one(group, roles):
    client = api_client(AUDITOR)
    response = client.get(API, {"year": YEAR, "entity": "SUB"})
    assert response.status_code == 200
    data = response.json()
    assert data["entity"] == "SUB"
    assert {i["code"]: i["value"] for i in data["indicators"]}["E2_RIGHTS_REQUESTS"] == 3
    assert client.get(API, {"year": YEAR}).json()["entity"] is None
    for bad in ("NOPE", "", "sub"):
        response = client.get(API, {"year": YEAR, "entity": bad})
        assert response.status_code == 400, bad
        assert list(response.json()) == ["entity"]
        assert "SUB" in response.json()["entity"][0]  # the known codes are listed


def test_the_command_takes_an_entity_and_refuses_an_unknown_one(group, capsys, tmp_path):
    call_command("export_indicators", "--year", str(YEAR), "--format", "json", "--entity", "SUB")
    data = json.loads(capsys.readouterr().out)
    assert data["entity"] == "SUB"
    assert {i["code"]: i["value"] for i in data["indicators"]}["E1_COI_SUSPICIONS"] == 1
    call_command("export_indicators", "--year", str(YEAR), "--format", "csv", "--dialect", "machine", "--entity", "OTH")
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out, newline="")))
    assert {r["entity"] for r in rows} == {"OTH"}
    assert {r["code"]: r["value"] for r in rows}["E1_COI_SUSPICIONS"] == "2"
    call_command("export_indicators", "--year", str(YEAR), "--format", "csv", "--dialect", "machine")
    assert {r["entity"] for r in csv.DictReader(io.StringIO(capsys.readouterr().out, newline=""))} == {""}
    out = tmp_path / "sub.xlsx"
    call_command("export_indicators", "--year", str(YEAR), "--format", "xlsx", "--entity", "SUB", "--output", str(out))
    from openpyxl import load_workbook

    assert "SUB" in load_workbook(out).active["A1"].value
    with pytest.raises(CommandError, match="NOPE"):
        call_command("export_indicators", "--year", str(YEAR), "--format", "json", "--entity", "NOPE")


def test_a_frozen_year_keeps_its_published_figures_and_the_entitys_are_computed_not_published(group, roles):
    auditor = UserFactory(groups=[AUDITOR])
    services.year_compute(YEAR)
    services.year_freeze(YEAR, auditor)
    stored = {v.code: (v.value, v.records_sha256, v.history.count()) for v in IndicatorValue.objects.all()}
    # A request recorded after the freeze, for SUB: the published figure stays, SUB's figure counts it.
    RightsRequestFactory(
        entity=LegalEntity.objects.get(code="SUB"), received_at=dt.datetime(YEAR, 7, 1, 10, tzinfo=PARIS)
    )
    sub = exports.as_dict(YEAR, entity=scope("SUB"))
    item = {i["code"]: i for i in sub["indicators"]}["E2_RIGHTS_REQUESTS"]
    assert sub["frozen"] is True and item["value"] == 4
    assert "not published" in item["note"] and "SUB" in item["note"]
    company = {i["code"]: i for i in exports.as_dict(YEAR)["indicators"]}["E2_RIGHTS_REQUESTS"]
    assert company["value"] == 6 and "not published" not in company["note"]
    assert {v.code: (v.value, v.records_sha256, v.history.count()) for v in IndicatorValue.objects.all()} == stored
    # A role that may not view the rights requests reads the published company figure, never SUB's.
    client = api_client(TRAINING_MANAGER)
    whole = {i["code"]: i for i in client.get(API, {"year": YEAR}).json()["indicators"]}["E2_RIGHTS_REQUESTS"]
    assert whole["value"] == 6
    one = {i["code"]: i for i in client.get(API, {"year": YEAR, "entity": "SUB"}).json()["indicators"]}
    assert (one["E2_RIGHTS_REQUESTS"]["status"], one["E2_RIGHTS_REQUESTS"]["value"]) == ("withheld", None)
    assert one["E2_GDPR_ELEARNING_RATE"]["value"] == 66.7  # the training figures are theirs to read


def test_the_admin_year_page_downloads_one_entitys_figures_and_refuses_a_pack_for_one(group, roles):
    client = admin_client(AUDITOR, language="en")
    download = reverse("admin:reporting_reportingyear_download")
    page = client.get(reverse("admin:reporting_reportingyear_changelist")).content.decode()
    assert 'name="entity"' in page and 'value="SUB"' in page
    response = client.get(download, {"year": YEAR, "format": "csv", "dialect": "machine", "entity": "SUB"})
    assert response.status_code == 200 and "vigie-indicators-2025-sub.csv" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8"))))
    assert {r["code"]: r["value"] for r in rows}["E2_RIGHTS_REQUESTS"] == "3" and {r["entity"] for r in rows} == {"SUB"}
    for params in ({"format": "zip", "entity": "SUB"}, {"format": "json", "entity": "NOPE"}):
        response = client.get(download, {"year": YEAR, **params})
        assert response.status_code == 302, params
        assert any(m.startswith("Legal entity") for m in messages_of(response)), params
