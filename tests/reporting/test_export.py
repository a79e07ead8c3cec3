"""The indicators export (docs/interfaces.md): JSON shape, previous values (frozen N-1 first), "no data" said per
indicator, CSV and XLSX, the command and the API."""

import csv
import datetime as dt
import io
import json
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation
from openpyxl import load_workbook

from core.spreadsheets import MACHINE
from reporting import catalogue, exports, services
from tests.clients import api_client
from tests.factories import UserFactory
from tests.gdpr.factories import RightsRequestFactory
from tests.spreadsheet_checks import PAYLOADS, assert_prints, formula_cells, formula_fields, xlsx_texts

PARIS = ZoneInfo("Europe/Paris")
KEYS = {"code", "enjeu", "label", "unit", "value", "numerator", "denominator", "previous_value", "source", "method"}
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_messages")]


def received(year, n):
    return [RightsRequestFactory(received_at=dt.datetime(year, 5, 1 + i, 10, tzinfo=PARIS)) for i in range(n)]


def by_code(data):
    return {item["code"]: item for item in data["indicators"] + data["esrs"]}


def test_the_json_export_has_the_interfaces_shape_for_every_indicator():
    received(2023, 3)
    data = exports.as_dict(2023, now=dt.datetime(2024, 1, 15, 8, 0, tzinfo=dt.UTC))
    assert data["year"] == 2023 and data["frozen"] is False
    assert data["generated_at"] == "2024-01-15T09:00:00+01:00"
    assert [i["code"] for i in data["indicators"]] == [d.code for d in catalogue.definitions(catalogue.DPEF)]
    for item in data["indicators"] + data["esrs"]:
        assert KEYS <= set(item), item["code"]
        assert item["source"] in ("computed", "manual")
    item = by_code(data)["E2_RIGHTS_REQUESTS"]
    assert (item["value"], item["numerator"], item["denominator"], item["unit"], item["enjeu"]) == (
        3,
        None,
        None,
        "count",
        2,
    )
    assert json.loads(json.dumps(data)) == data  # plain JSON types


def two_of_three_on_time_in_2023() -> None:
    """3 requests received in 2023, 2 answered on time: 66.666... %."""
    requests = received(2023, 3)
    for req in requests[:2]:
        req.applicable_due_on = req.due_on = dt.date(2023, 6, 30)
        req.answered_at, req.outcome = dt.datetime(2023, 6, 1, 10, tzinfo=PARIS), "granted"
        req.save()
    late = requests[2]
    late.due_on = dt.date(2023, 6, 1)
    late.answered_at, late.outcome = dt.datetime(2023, 6, 20, 10, tzinfo=PARIS), "granted"
    late.save()


def test_a_percent_is_rounded_half_up_to_one_decimal_with_its_exact_parts():
    two_of_three_on_time_in_2023()  # 66.666... → 66.7
    item = by_code(exports.as_dict(2023))["E2_RIGHTS_REQUESTS_ON_TIME_RATE"]
    assert (item["value"], item["numerator"], item["denominator"]) == (66.7, 2, 3)


def test_a_year_without_data_says_so_per_indicator_with_no_zero_values():
    data = exports.as_dict(2019)
    for item in data["indicators"] + data["esrs"]:
        assert item["value"] is None, item["code"]
        assert item["status"] in ("no_data", "missing") and item["note"], item["code"]


def test_previous_values_come_from_the_frozen_snapshot_of_the_year_before():
    received(2022, 2)
    received(2023, 5)
    assert by_code(exports.as_dict(2023))["E2_RIGHTS_REQUESTS"]["previous_value"] == 2  # computed now
    services.year_compute(2022)
    services.year_freeze(2022, UserFactory())
    received(2022, 4)  # recorded after the freeze: the frozen figure stays the published one
    item = by_code(exports.as_dict(2023))["E2_RIGHTS_REQUESTS"]
    assert (item["value"], item["previous_value"]) == (5, 2)
    assert exports.as_dict(2022)["frozen"] is True


def test_manual_values_are_exported_with_their_source_and_missing_ones_say_so():
    services.manual_value_save(
        year=2023,
        code="E10_GENDER_EQUALITY_INDEX",
        value=Decimal(89),
        owner="DRH",
        actor=UserFactory(),
        source_reference="Index égalité 2023, déclaré le 01/03/2024",
    )
    services.manual_value_save(
        year=2022,
        code="E10_GENDER_EQUALITY_INDEX",
        value=Decimal(88),
        owner="DRH",
        actor=UserFactory(),
        source_reference="Index égalité 2022",
    )
    items = by_code(exports.as_dict(2023))
    index = items["E10_GENDER_EQUALITY_INDEX"]
    assert (index["value"], index["previous_value"], index["source"], index["status"]) == (89, 88, "manual", "entered")
    ghg = items["E5_GHG_SCOPE_1_2"]
    assert ghg["value"] is None and ghg["status"] == "missing" and "2023" in ghg["note"]


def test_a_formula_typed_in_a_manual_value_is_written_as_text_in_the_csv_and_the_xlsx():
    services.manual_value_save(
        year=2023,
        code="E10_GENDER_EQUALITY_INDEX",
        value=Decimal(89),
        owner="@DRH",
        actor=UserFactory(),
        source_reference="-2+3",
        comment=PAYLOADS[0],
    )
    text = exports.as_csv(2023)
    assert formula_fields(text) == []
    row = next(
        r for r in csv.DictReader(io.StringIO(text[1:]), delimiter=";") if r["code"] == "E10_GENDER_EQUALITY_INDEX"
    )
    assert (row["value"], row["note"]) == ("89", "'" + PAYLOADS[0])
    content = exports.as_xlsx(2023)
    assert formula_cells(content) == []
    assert PAYLOADS[0] in xlsx_texts(content)


def test_csv_has_one_line_per_indicator_semicolons_and_a_bom():
    received(2023, 2)
    text = exports.as_csv(2023)
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text[1:]), delimiter=";"))
    assert len(rows) == len(catalogue.DEFINITIONS)
    row = next(r for r in rows if r["code"] == "E2_RIGHTS_REQUESTS")
    assert row["value"] == "2" and row["source"] == "computed"


def test_the_xlsx_reads_like_the_dpef_table_in_french():
    received(2023, 2)
    received(2022, 1)
    with translation.override("fr"):
        workbook = load_workbook(io.BytesIO(exports.as_xlsx(2023)))
    assert workbook.sheetnames == ["DPEF", "ESRS G1"]
    sheet = workbook["DPEF"]
    headers = [cell.value for cell in sheet[2]]
    assert headers[:6] == ["Enjeu", "Indicateur", "Code", "2023", "2022", "Évolution"]
    line = next(row for row in sheet.iter_rows(min_row=3, values_only=True) if row[2] == "E2_RIGHTS_REQUESTS")
    assert line[1] == "Demandes d'exercice de droits reçues"
    answered = next(
        row for row in sheet.iter_rows(min_row=3, values_only=True) if row[2] == "E2_RIGHTS_REQUESTS_ANSWERED"
    )
    assert answered[1] == "Demandes d'exercice de droits reçues et traitées"
    assert (line[3], line[4], line[5]) == (2, 1, 1)
    assert line[0].startswith("2. Protéger les données personnelles")


def test_the_xlsx_prints_as_a_document_landscape_with_the_issue_lines_apart():
    received(2023, 2)
    received(2022, 1)
    with translation.override("fr"):
        content = exports.as_xlsx(2023)
    for name in ("DPEF", "ESRS G1"):
        sheet = assert_prints(content, name, orientation="landscape", title_rows="$1:$2", freeze="D3")
        assert sheet.oddHeader.center.text == f"{name} 2023"
    sheet = load_workbook(io.BytesIO(content))["DPEF"]
    rows = [row for row in sheet.iter_rows(min_row=3) if row[2].value]
    # The issue ("Enjeu") wraps in its column, in a row as tall as its lines: lines no longer overprint.
    assert all(row[0].alignment.wrap_text and (sheet.row_dimensions[row[0].row].height or 0) >= 30 for row in rows)
    heading = next(row[0] for row in sheet.iter_rows(min_row=3) if row[0].value and not row[2].value)
    assert not heading.alignment.wrap_text  # a heading line spills over its row


def test_export_command_writes_each_format_and_refuses_bad_input(tmp_path, capsys):
    received(2023, 1)
    call_command("export_indicators", "--year", "2023", "--format", "json")
    assert json.loads(capsys.readouterr().out)["year"] == 2023
    out = tmp_path / "dpef.xlsx"
    call_command("export_indicators", "--year", "2023", "--format", "xlsx", "--output", str(out))
    assert load_workbook(out).sheetnames[0] == "DPEF"
    with pytest.raises(CommandError, match="--output"):
        call_command("export_indicators", "--year", "2023", "--format", "xlsx")
    with pytest.raises(CommandError, match="year"):
        call_command("export_indicators", "--year", "20x3", "--format", "csv")
    with pytest.raises(CommandError, match="does not exist"):
        call_command(
            "export_indicators", "--year", "2023", "--format", "csv", "--output", str(tmp_path / "no" / "x.csv")
        )


def test_the_api_serves_the_export_to_readers_and_names_a_bad_year(roles, client):
    received(2023, 1)
    response = api_client("Auditor").get("/api/reporting/indicators/", {"year": 2023})
    assert response.status_code == 200 and by_code(response.json())["E2_RIGHTS_REQUESTS"]["value"] == 1
    for params in ({}, {"year": "abc"}, {"year": "1800"}):
        response = api_client("Auditor").get("/api/reporting/indicators/", params)
        assert response.status_code == 400 and "year" in response.json()
    assert api_client().get("/api/reporting/indicators/", {"year": 2023}).status_code == 403
    assert client.get("/api/reporting/indicators/", {"year": 2023}).status_code in (401, 403)


def test_the_first_year_exports_without_a_previous_year(roles):
    """Found by schemathesis: the first accepted year used to compute year - 1, which year_check refuses (500)."""
    data = exports.as_dict(services.FIRST_YEAR)
    assert data["indicators"] and all(item["previous_value"] is None for item in data["indicators"])
    response = api_client("Auditor").get(f"/api/reporting/indicators/?year={services.FIRST_YEAR}")
    assert response.status_code == 200
    assert api_client("Auditor").get(f"/api/reporting/indicators/?year={services.FIRST_YEAR - 1}").status_code == 400


NUMBER_COLUMNS = ("value", "numerator", "denominator", "previous_value")


def _rates_2023():
    """2 of 3 requests answered on time (66.7 %), a manual index with decimals, a year before."""
    received(2022, 1)
    two_of_three_on_time_in_2023()
    services.manual_value_save(
        year=2023,
        code="E10_GENDER_EQUALITY_INDEX",
        value=Decimal("89.5"),
        owner="DRH",
        actor=UserFactory(),
        source_reference="Index 2023",
    )


def test_the_french_csv_writes_numbers_a_french_spreadsheet_reads_as_numbers():
    _rates_2023()
    text = exports.as_csv(2023)
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline=""), delimiter=";"))
    numbers = [row[key] for row in rows for key in NUMBER_COLUMNS if row[key]]
    assert len(numbers) > 5
    assert all(re.fullmatch(r"-?\d+(,\d+)?", number) for number in numbers), numbers
    by = {row["code"]: row for row in rows}
    assert [by["E2_RIGHTS_REQUESTS_ON_TIME_RATE"][k] for k in ("value", "numerator", "denominator")] == [
        "66,7",
        "2",
        "3",
    ]
    assert by["E10_GENDER_EQUALITY_INDEX"]["value"] == "89,5"
    assert "66.7" not in text and "89.5" not in text


def test_the_machine_csv_has_the_same_rows_with_decimal_points_and_no_bom():
    _rates_2023()
    machine = exports.as_csv(2023, dialect=MACHINE)
    assert not machine.startswith("\ufeff") and machine.startswith("code,enjeu,label,")
    rows = list(csv.DictReader(io.StringIO(machine, newline="")))
    french = list(csv.DictReader(io.StringIO(exports.as_csv(2023).removeprefix("\ufeff"), newline=""), delimiter=";"))
    assert len(rows) == len(french) == len(catalogue.DEFINITIONS)
    for row, other in zip(rows, french, strict=True):
        assert row.keys() == other.keys()
        for key in row:
            if key in NUMBER_COLUMNS and row[key]:
                assert float(row[key]) == float(other[key].replace(",", ".")), (row["code"], key)
            else:
                assert row[key] == other[key], (row["code"], key)
    rate = next(r for r in rows if r["code"] == "E2_RIGHTS_REQUESTS_ON_TIME_RATE")
    assert float(rate["value"]) == 66.7


def test_the_export_command_writes_the_machine_dialect_and_refuses_another(tmp_path, capsys):
    _rates_2023()
    call_command("export_indicators", "--year", "2023", "--format", "csv", "--dialect", "machine")
    out = capsys.readouterr().out
    assert out == exports.as_csv(2023, dialect=MACHINE) and out.startswith("code,")
    call_command("export_indicators", "--year", "2023", "--format", "csv")
    assert capsys.readouterr().out.startswith("\ufeffcode;")
    with pytest.raises(CommandError, match="french, machine"):
        call_command("export_indicators", year="2023", fmt="csv", dialect="excel")
    with pytest.raises(CommandError, match="machine"):
        call_command("export_indicators", "--year", "2023", "--format", "csv", "--dialect", "excel")
