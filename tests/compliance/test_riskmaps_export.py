"""The XLSX of a map version: risks ranked by net score with French headers, the heat maps, the interviews."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest

from compliance.choices import FunctionType
from compliance.exports import risk_map_xlsx
from tests.compliance.factories import RiskFactory, RiskInterviewFactory, RiskMapFactory
from tests.spreadsheet_checks import PAYLOADS, assert_prints, formula_cells, xlsx_texts

pytestmark = pytest.mark.django_db


@pytest.fixture
def content():
    risk_map = RiskMapFactory(version=3, approved_on=dt.date(2025, 1, 15))
    RiskFactory(map=risk_map, code="LOW", gross_likelihood=2, gross_impact=2, net_likelihood=1, net_impact=1)
    RiskFactory(map=risk_map, code="HIGH", gross_likelihood=4, gross_impact=4, net_likelihood=4, net_impact=3)
    RiskFactory(map=risk_map, code="MID", gross_likelihood=4, gross_impact=2, net_likelihood=2, net_impact=3)
    RiskInterviewFactory(
        map=risk_map, function="Head of purchasing", function_type=FunctionType.BUSINESS, held_on=dt.date(2024, 11, 5)
    )
    RiskInterviewFactory(map=risk_map, function="Payroll", function_type=FunctionType.SUPPORT)
    return risk_map_xlsx(risk_map)


@pytest.fixture
def workbook(content):
    return openpyxl.load_workbook(io.BytesIO(content))


def test_the_workbook_has_the_risks_the_heat_map_and_the_interviews(workbook):
    assert workbook.sheetnames == ["Risques", "Cartographie", "Entretiens"]


def test_the_risks_are_ranked_by_net_score_under_french_headers(workbook):
    rows = list(workbook["Risques"].iter_rows(values_only=True))
    assert rows[0][:3] == ("Rang", "Code", "Intitulé") and rows[0][12] == "Score net"
    assert [(row[0], row[1], row[12]) for row in rows[1:]] == [(1, "HIGH", 12), (2, "MID", 6), (3, "LOW", 1)]


def test_the_heat_map_sheet_counts_each_cell_and_colours_it(workbook):
    sheet = workbook["Cartographie"]
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    gross_title = next(i for i, row in enumerate(values) if row[0] and str(row[0]).startswith("Risque brut"))
    assert values[gross_title][0] == "Risque brut (total : 3)"
    # First grid row is likelihood 4: impacts 1..4 in columns B..E.
    assert values[gross_title + 1][:5] == ["Probabilité 4", 0, 1, 0, 1]
    net_title = next(i for i, row in enumerate(values) if row[0] and str(row[0]).startswith("Risque net"))
    counts = [c for row in values[net_title + 1 : net_title + 5] for c in row[1:5]]
    assert sum(counts) == 3
    red = sheet.cell(row=gross_title + 2, column=5)  # likelihood 4, impact 4: score 16
    assert red.fill.fgColor.rgb.endswith("FFC7CE")


def test_the_interviews_sheet_lists_each_interview(workbook):
    rows = list(workbook["Entretiens"].iter_rows(values_only=True))
    assert rows[0][:3] == ("Date", "Fonction interrogée", "Type de fonction")
    assert [row[1] for row in rows[1:]] == ["Payroll", "Head of purchasing"]  # by date held


def test_formulas_typed_in_a_risk_or_an_interview_are_written_as_text():
    risk_map = RiskMapFactory()
    RiskFactory(
        map=risk_map,
        code="F1",
        title=PAYLOADS[0],
        scenario=PAYLOADS[1],
        existing_controls=PAYLOADS[2],
        owner=PAYLOADS[3],
        macro_process__code="@M1",
    )
    RiskInterviewFactory(map=risk_map, function=PAYLOADS[4], notes="=1+1")
    content = risk_map_xlsx(risk_map)
    assert formula_cells(content) == []
    assert set(PAYLOADS) | {"=1+1", "@M1 – Macro-process @M1"} <= set(xlsx_texts(content))


def test_the_workbook_prints_as_a_document_with_its_dates_as_dates(content):
    risks = assert_prints(content, "Risques", orientation="landscape", title_rows="$1:$1", freeze="D2")
    assert risks.oddHeader.center.text.startswith("Cartographie des risques")
    heat = assert_prints(content, "Cartographie", orientation="portrait", title_rows="$1:$1", freeze="A2")
    assert heat["B1"].value == "Approuvée le"
    assert heat["C1"].value == dt.datetime(2025, 1, 15) and heat["C1"].number_format == "DD/MM/YYYY"
    interviews = assert_prints(content, "Entretiens", orientation="landscape", title_rows="$1:$1", freeze="A2")
    assert interviews["A3"].value == dt.datetime(2024, 11, 5) and interviews["A3"].number_format == "DD/MM/YYYY"


def test_a_map_not_approved_says_so_where_the_date_goes():
    content = risk_map_xlsx(RiskMapFactory(approved_on=None))
    assert openpyxl.load_workbook(io.BytesIO(content))["Cartographie"]["C1"].value == "non approuvée"


def test_a_long_scenario_wraps_in_a_row_tall_enough_for_it():
    risk_map = RiskMapFactory()
    RiskFactory(map=risk_map, code="LONG", scenario="Un fournisseur propose un avantage à un acheteur. " * 8)
    content = risk_map_xlsx(risk_map)
    sheet = assert_prints(content, "Risques", orientation="landscape", title_rows="$1:$1", freeze="D2")
    assert sheet["E2"].alignment.wrap_text and sheet.row_dimensions[2].height >= 15 * 10
