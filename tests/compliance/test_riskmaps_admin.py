"""Risk maps in the admin: the list, the heat maps and ranked risks of a version, its buttons and actions,
risks frozen with their approved version, and the service's refusals shown on the forms."""

from __future__ import annotations

import datetime as dt
import io
import re
from functools import partial
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

from compliance.choices import FunctionType, RiskMapKind
from compliance.models import Risk, RiskMap
from tests.clients import admin_client, list_cells, messages_of
from tests.compliance.factories import MacroProcessFactory, RiskFactory, RiskInterviewFactory, RiskMapFactory

PARIS = ZoneInfo("Europe/Paris")
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("roles"),
    pytest.mark.time_machine(dt.datetime(2025, 3, 10, 12, 0, tzinfo=PARIS), tick=False),
]
MAPS = "/admin/compliance/riskmap/"
RISKS = "/admin/compliance/risk/"
client_for = partial(admin_client, language="en")  # the messages asserted are the English ones


def cell(body: str, grid: str, likelihood: int, impact: int) -> str:
    """The count shown in one cell of a heat map."""
    table = body[body.index(f'id="heatmap-{grid}"') :]
    table = table[: table.index("</table>")]
    match = re.search(rf'data-likelihood="{likelihood}" data-impact="{impact}"[^>]*>(\d+)<', table)
    assert match, (grid, likelihood, impact)
    return match.group(1)


@pytest.fixture
def corruption_map():
    risk_map = RiskMapFactory(kind=RiskMapKind.CORRUPTION, version=1, title="Corruption 2024")
    process = MacroProcessFactory(kind=risk_map.kind, code="BUY", name="Purchasing")
    RiskFactory(
        map=risk_map,
        code="R1",
        macro_process=process,
        gross_likelihood=4,
        gross_impact=4,
        net_likelihood=3,
        net_impact=3,
    )
    RiskFactory(
        map=risk_map,
        code="R2",
        macro_process=process,
        gross_likelihood=4,
        gross_impact=4,
        net_likelihood=1,
        net_impact=2,
    )
    RiskFactory(
        map=risk_map,
        code="R3",
        macro_process=MacroProcessFactory(kind=risk_map.kind, code="HR"),
        gross_likelihood=2,
        gross_impact=1,
        net_likelihood=1,
        net_impact=2,
    )
    RiskInterviewFactory(map=risk_map, function_type=FunctionType.BUSINESS)
    RiskInterviewFactory(map=risk_map, function_type=FunctionType.BUSINESS)
    RiskInterviewFactory(map=risk_map, function_type=FunctionType.SUPPORT)
    return risk_map


# --- list and change page -------------------------------------------------------------------------------


def test_the_list_shows_risks_macro_processes_and_interviews_by_function_type(corruption_map):
    body = client_for("Compliance officer").get(MAPS).content.decode()
    assert "Corruption v1" in body
    assert "3" in list_cells(body, "risk_count")
    assert "2" in list_cells(body, "macro_process_count")
    assert "3 (2 / 1)" in body


def test_the_map_list_query_count_is_pinned(django_assert_max_num_queries):
    for version in range(1, 11):
        RiskFactory.create_batch(3, map=RiskMapFactory(version=version))
    client = client_for("Compliance officer")
    with django_assert_max_num_queries(10):
        assert client.get(MAPS).status_code == 200


def test_the_change_page_shows_gross_and_net_heat_maps_with_counts(corruption_map):
    body = client_for("Auditor").get(f"{MAPS}{corruption_map.pk}/change/").content.decode()
    assert cell(body, "gross", 4, 4) == "2" and cell(body, "gross", 2, 1) == "1" and cell(body, "gross", 1, 1) == "0"
    assert cell(body, "net", 3, 3) == "1" and cell(body, "net", 1, 2) == "2" and cell(body, "net", 4, 4) == "0"
    assert "background:#ffc7ce" in body  # red cells (score 9 and more)


def test_the_change_page_ranks_the_net_risks(corruption_map):
    body = client_for("Auditor").get(f"{MAPS}{corruption_map.pk}/change/").content.decode()
    ranking = body[body.index('id="ranked-risks"') :]
    assert ranking.index(">R1<") < ranking.index(">R2<") < ranking.index(">R3<")  # 9, then 2 (gross 16), 2 (gross 2)


def test_the_buttons_show_for_a_compliance_officer_but_not_for_an_auditor(corruption_map):
    url = f"{MAPS}{corruption_map.pk}/change/"
    officer = client_for("Compliance officer").get(url).content.decode()
    auditor = client_for("Auditor").get(url).content.decode()
    assert f"{MAPS}{corruption_map.pk}/approve/" in officer and f"{MAPS}{corruption_map.pk}/new-version/" in officer
    assert f"{MAPS}{corruption_map.pk}/approve/" not in auditor and f"{MAPS}{corruption_map.pk}/export/" in auditor


def test_the_dpo_cannot_see_the_maps(corruption_map):
    assert client_for("DPO").get(MAPS).status_code == 403


# --- buttons and actions ------------------------------------------------------------------------------------


def test_the_approve_button_approves_and_freezes(corruption_map):
    client = client_for("Compliance officer")
    response = client.post(f"{MAPS}{corruption_map.pk}/approve/", {"approved_on": "2025-03-07"}, follow=True)
    assert "Version approved: it is now frozen." in messages_of(response)
    corruption_map.refresh_from_db()
    assert corruption_map.approved_on == dt.date(2025, 3, 7)
    body = client.get(f"{MAPS}{corruption_map.pk}/change/").content.decode()
    assert f"{MAPS}{corruption_map.pk}/approve/" not in body


def test_an_approval_in_the_future_is_shown_on_the_form(corruption_map):
    response = client_for("Compliance officer").post(
        f"{MAPS}{corruption_map.pk}/approve/", {"approved_on": "2025-04-01"}
    )
    assert response.status_code == 200
    assert "An approval date cannot be in the future." in response.content.decode()
    corruption_map.refresh_from_db()
    assert corruption_map.approved_on is None


def test_an_auditor_cannot_approve(corruption_map):
    response = client_for("Auditor").post(f"{MAPS}{corruption_map.pk}/approve/", {"approved_on": "2025-03-07"})
    assert response.status_code == 403


def test_the_new_version_button_copies_the_map_and_opens_the_copy(corruption_map):
    response = client_for("Compliance officer").post(f"{MAPS}{corruption_map.pk}/new-version/", {"title": "2025"})
    new = RiskMap.objects.get(version=2)
    assert response.status_code == 302 and response["Location"] == f"{MAPS}{new.pk}/change/"
    assert new.title == "2025" and new.risks.count() == 3 and new.interviews.count() == 0


def test_the_approve_action_reports_each_refused_map(corruption_map):
    empty = RiskMapFactory(kind=RiskMapKind.CONFLICT_OF_INTEREST, version=1)
    response = client_for("Compliance officer").post(
        MAPS,
        {
            "action": "approve",
            ACTION_CHECKBOX_NAME: [corruption_map.pk, empty.pk],
            "apply": "1",
            "approved_on": "2025-03-07",
        },
        follow=True,
    )
    shown = messages_of(response)
    assert any("Conflicts of interest v1" in m and "without risks" in m for m in shown)
    assert "1 version approved." in shown


def test_the_new_version_action_copies_each_selected_map(corruption_map):
    response = client_for("Compliance officer").post(
        MAPS,
        {"action": "new_version", ACTION_CHECKBOX_NAME: [corruption_map.pk], "apply": "1", "title": ""},
        follow=True,
    )
    assert "1 new version created." in messages_of(response)
    assert RiskMap.objects.get(version=2).risks.count() == 3


def test_the_export_button_and_action_download_the_xlsx(corruption_map):
    client = client_for("Auditor")
    for response in (
        client.get(f"{MAPS}{corruption_map.pk}/export/"),
        client.post(MAPS, {"action": "export_xlsx", ACTION_CHECKBOX_NAME: [corruption_map.pk]}),
    ):
        assert response.status_code == 200
        workbook = openpyxl.load_workbook(io.BytesIO(response.content))
        assert workbook.sheetnames == ["Risques", "Cartographie", "Entretiens"]


def test_the_map_add_form_creates_the_next_version(corruption_map):
    response = client_for("Compliance officer").post(
        f"{MAPS}add/", {"kind": "corruption", "title": "Next", "notes": ""}
    )
    assert response.status_code == 302
    assert RiskMap.objects.get(version=2).risks.count() == 3


# --- risks --------------------------------------------------------------------------------------------------


def test_the_risk_list_filters_by_net_band_and_pins_its_queries(corruption_map, django_assert_max_num_queries):
    client = client_for("Compliance officer")
    with django_assert_max_num_queries(10):
        body = client.get(RISKS, {"net_band": "red"}).content.decode()
    assert ">R1<" in body and ">R2<" not in body


def test_adding_a_risk_on_a_macro_process_of_the_other_kind_shows_the_error(corruption_map):
    coi_process = MacroProcessFactory(kind=RiskMapKind.CONFLICT_OF_INTEREST, code="LOANS", name="Loans")
    response = client_for("Compliance officer").post(
        f"{RISKS}add/",
        {
            "map": corruption_map.pk,
            "code": "R9",
            "title": "Gift",
            "macro_process": coi_process.pk,
            "gross_likelihood": 5,
            "gross_impact": 2,
            "control_effectiveness": "weak",
            "net_likelihood": 1,
            "net_impact": 1,
        },
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "belongs to the Conflicts of interest maps, not to this Corruption map" in body
    assert "A likelihood of 5 is outside the likelihood scale (1 to 4)." in body
    assert not Risk.objects.filter(code="R9").exists()


def test_adding_a_risk_computes_its_scores(corruption_map):
    process = corruption_map.risks.first().macro_process
    response = client_for("Compliance officer").post(
        f"{RISKS}add/",
        {
            "map": corruption_map.pk,
            "code": "R9",
            "title": "Gift",
            "macro_process": process.pk,
            "gross_likelihood": 3,
            "gross_impact": 2,
            "control_effectiveness": "weak",
            "net_likelihood": 2,
            "net_impact": 1,
        },
    )
    assert response.status_code == 302
    risk = Risk.objects.get(code="R9")
    assert (risk.gross_score, risk.net_score) == (6, 2)
    assert risk.history.first().history_change_reason == "Risk added"


def test_a_risk_of_an_approved_map_is_read_only(corruption_map):
    corruption_map.approved_on = dt.date(2025, 3, 1)
    corruption_map.save()
    risk = corruption_map.risks.get(code="R1")
    client = client_for("Compliance officer")
    page = client.get(f"{RISKS}{risk.pk}/change/").content.decode()
    assert 'name="title"' not in page
    client.post(f"{RISKS}{risk.pk}/change/", {"title": "Changed"})
    risk.refresh_from_db()
    assert risk.title != "Changed"


def test_the_interview_list_filters_by_function_type(corruption_map):
    body = client_for("Auditor").get("/admin/compliance/riskinterview/", {"function_type": "support"}).content.decode()
    assert body.count("Support function") >= 1


def test_the_macro_process_list_searches_and_filters(corruption_map):
    body = (
        client_for("Compliance officer")
        .get("/admin/compliance/macroprocess/", {"kind": "corruption", "q": "Purch"})
        .content.decode()
    )
    assert "Purchasing" in body and "HR –" not in body
