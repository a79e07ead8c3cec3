"""The auditor pack (reporting/auditor_pack/): the records behind every computed indicator, a reproducible
sample of them, the methods, and a manifest that verifies; and the `auditor_pack` command."""

from __future__ import annotations

import array
import csv
import datetime as dt
import hashlib
import io
import json
import math
import re
import shutil
import subprocess
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from core.spreadsheets import FRENCH, MACHINE, csv_field, csv_line
from reporting import auditor_pack, registry, services
from reporting.auditor_pack import cells as pack_cells, database, shared
from reporting.models import IndicatorValue
from tests.compliance.factories import CaseFactory, CaseMeasureFactory
from tests.factories import EmployeeFactory, LegalEntityFactory, UserFactory
from tests.gdpr.factories import PARIS, BreachFactory, CnilCaseFactory, ProcessingActivityFactory, RightsRequestFactory
from tests.training.factories import (
    AttendanceFactory,
    CompletionFactory,
    PhishingCampaignFactory,
    SessionFactory,
    paris,
)
from training.models import Module

pytestmark = pytest.mark.django_db

YEAR = 2023
NOW = dt.datetime(2024, 2, 1, 9, 0, tzinfo=PARIS)
REQUESTER_NAME = "Zéphyrine Quasimodo-Brindille"
REQUESTER_EMAIL = "zephyrine.brindille@requester.example"
REQUESTER_ADDRESS = "12 impasse des Auditeurs, 75011 Paris"
EMPLOYEE_LAST_NAME = "Vercingétorixdupont"

#: Every model a computation of gdpr/, compliance/ and training/ can put behind a value (their selectors and
#: kpis), plus training sessions (training.kpis.sessions_held).
RECORD_MODELS = {
    "gdpr.rightsrequest",
    "gdpr.cnilcase",
    "gdpr.breach",
    "gdpr.processingactivity",
    "compliance.conflictofinterestcase",
    "compliance.risk",
    "compliance.macroprocess",
    "compliance.riskinterview",
    "compliance.corruptionincident",
    "compliance.legalproceeding",
    "organization.employee",
    "training.completion",
    "training.attendance",
    "training.session",
    "whistleblowing.report",
    "training.phishingcampaign",
}


def at(month: int, day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(YEAR, month, day, hour, tzinfo=PARIS)


@pytest.fixture
def data():
    """A few records of 2023 in each domain, with personal data that must stay out of the pack."""
    requests = [
        RightsRequestFactory(
            received_at=at(1, 10),
            due_on=dt.date(2023, 2, 10),
            answered_at=at(2, 1),
            requester_name=REQUESTER_NAME,
            requester_email=REQUESTER_EMAIL,
            requester_address=REQUESTER_ADDRESS,
        ),
        RightsRequestFactory(received_at=at(3, 5), due_on=dt.date(2023, 4, 5), answered_at=at(4, 20)),
        RightsRequestFactory(
            received_at=at(5, 2), due_on=dt.date(2023, 6, 2), answered_at=at(5, 20), outcome="withdrawn"
        ),
        RightsRequestFactory(received_at=dt.datetime(2023, 12, 31, 23, 30, tzinfo=PARIS), due_on=dt.date(2024, 2, 1)),
    ] + [
        RightsRequestFactory(received_at=at(6, day), due_on=dt.date(2023, 7, day), answered_at=at(6, day + 3))
        for day in range(1, 9)
    ]
    RightsRequestFactory(received_at=dt.datetime(2022, 6, 1, 10, tzinfo=PARIS))  # N-1
    CnilCaseFactory(received_on=dt.date(2023, 3, 3), answered_on=dt.date(2023, 3, 10))
    BreachFactory(aware_at=at(3, 28), notified_at=at(3, 29))
    ProcessingActivityFactory()
    case = CaseFactory(reported_on=dt.date(2023, 4, 4), qualification="confirmed", qualified_on=dt.date(2023, 4, 20))
    CaseMeasureFactory(case=case, kind="action_plan")
    CaseMeasureFactory(case=case, kind="sanction")
    PhishingCampaignFactory(sent_on=dt.date(2023, 5, 16))
    entity = LegalEntityFactory(code="ALS")
    aml = Module.objects.get(code="LCBFT")
    employees = [
        EmployeeFactory(entity=entity, last_name=EMPLOYEE_LAST_NAME, hired_on=dt.date(2021, 1, 1)) for _ in range(6)
    ]
    EmployeeFactory(
        entity=entity, last_name=EMPLOYEE_LAST_NAME, hired_on=dt.date(2021, 1, 1), left_on=dt.date(2023, 6, 30)
    )  # not present at 31/12: in no rate's denominator
    trained = employees[:4]
    completions = [
        CompletionFactory(employee=e, module=aml, completed_at=paris(dt.date(2023, 3, 1 + i)))
        for i, e in enumerate(trained)
    ]
    CompletionFactory(employee=employees[0], module=aml, completed_at=paris(dt.date(2023, 9, 1)))  # a later one
    session = SessionFactory(held_on=dt.date(2023, 3, 14))
    AttendanceFactory(session=session, employee=employees[5], minutes_attended=90)
    return {"requests": requests, "employees": employees, "trained": trained, "completions": completions, "case": case}


def unzip(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert archive.testzip() is None
        return {name: archive.read(name) for name in archive.namelist()}


def read_csv(content: bytes) -> list[dict[str, str]]:
    assert content.startswith(b"\xef\xbb\xbf"), "UTF-8 with a BOM"
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))


def ids_of(records: list[dict]) -> set[tuple[str, int]]:
    return {(r["model"], int(i)) for r in records for i in r["ids"]}


def rows_ids(rows: list[dict[str, str]]) -> set[tuple[str, int]]:
    return {(row["model"], int(row["id"])) for row in rows}


# -- the columns --------------------------------------------------------------------------------------------
def test_every_model_a_computation_can_return_has_its_columns():
    assert set(auditor_pack.COLUMNS) == RECORD_MODELS


def test_the_models_behind_the_computed_values_all_have_columns(data):
    seen = {r["model"] for evaluated in services.year_evaluate(YEAR).values() for r in evaluated.records}
    assert seen <= set(auditor_pack.COLUMNS)
    assert {"gdpr.rightsrequest", "organization.employee", "training.completion", "training.attendance"} <= seen


def test_a_model_without_columns_fails_loudly():
    with pytest.raises(auditor_pack.UnknownRecordModel, match="auth.user"):
        list(auditor_pack.iter_rows([{"model": "auth.user", "ids": [1]}], YEAR, None, auditor_pack.RecordRows([])))


def test_the_columns_leave_out_names_emails_and_addresses():
    forbidden = {
        "requester_name",
        "requester_email",
        "requester_address",
        "last_name",
        "first_name",
        "email",
        "reporter_name",
        "persons_concerned",
        "description",
        "notes",
        "trainer",
    }
    for label, columns in auditor_pack.COLUMNS.items():
        for header, accessor in columns:
            paths = [accessor] if isinstance(accessor, str) else list(accessor.paths)
            for path in paths:
                assert not set(path.split("__")) & forbidden, (label, header)
            assert header not in forbidden, (label, header)


@pytest.mark.usefixtures("english_messages")
def test_the_trained_columns_use_the_module_of_each_rate():
    rates = {
        code: extra.key for code, extra in auditor_pack.record_extras().items() if extra.key and code.endswith("_RATE")
    }
    assert len(rates) == 6
    for code, module_code in rates.items():
        assert f"audience of {module_code} (" in registry.computation(code).method(YEAR), code


def test_cells_are_written_one_way():
    assert auditor_pack.cell(dt.datetime(2023, 12, 31, 23, 30, tzinfo=dt.UTC)) == "01/01/2024 00:30:00"
    assert auditor_pack.cell(dt.datetime(2023, 12, 31, 23, 30, tzinfo=dt.UTC), MACHINE) == "2024-01-01T00:30:00+01:00"
    assert auditor_pack.cell(dt.date(2023, 2, 1)) == "01/02/2023"
    assert auditor_pack.cell(dt.date(2023, 2, 1), MACHINE) == "2023-02-01"
    assert (auditor_pack.cell(Decimal("84.10")), auditor_pack.cell(Decimal("84.10"), MACHINE)) == ("84,10", "84.10")
    assert (auditor_pack.cell(True), auditor_pack.cell(False), auditor_pack.cell(None)) == ("1", "0", "")
    assert auditor_pack.cell(["sanction", "action_plan", "sanction"]) == "action_plan|sanction"
    assert auditor_pack.cell('=HYPERLINK("x")') == '\'=HYPERLINK("x")'
    assert auditor_pack.cell(-3) == "-3"


# -- the records --------------------------------------------------------------------------------------------
def test_every_computed_indicator_has_its_records_with_exactly_the_ids_of_its_value(data):
    files = unzip(auditor_pack.build_pack(YEAR, now=NOW))
    evaluated = services.year_evaluate(YEAR)
    assert set(evaluated) == set(registry.computations())
    manifest = json.loads(files["manifest.json"])
    for code, value in evaluated.items():
        rows = read_csv(files[f"records/{code}.csv"])
        assert rows_ids(rows) == ids_of(value.records), code
        assert len(rows) == value.records_count == manifest["indicators"][code]["records"], code
        assert manifest["indicators"][code]["source"] == "evaluated"
    assert len(read_csv(files["records/E2_RIGHTS_REQUESTS.csv"])) == 12


def test_a_request_row_gives_what_traces_it(data):
    files = unzip(auditor_pack.build_pack(YEAR, now=NOW))
    rows = {row["id"]: row for row in read_csv(files["records/E2_RIGHTS_REQUESTS.csv"])}
    late = data["requests"][3]
    row = rows[str(late.pk)]
    assert row["model"] == "gdpr.rightsrequest"
    assert row["reference"] == late.reference
    assert row["received_at"] == "31/12/2023 23:30:00"  # the French dialect, Paris time
    assert row["received_on"] == "31/12/2023"
    assert (row["due_on"], row["answered_at"], row["outcome"]) == ("01/02/2024", "", "")
    first = rows[str(data["requests"][0].pk)]
    assert (first["answered_on"], first["outcome"], first["right"]) == ("01/02/2023", "granted", "access")
    coi = read_csv(files["records/E1_COI_SUSPICIONS.csv"])
    assert [(r["reference"], r["measures"], r["qualification"]) for r in coi] == [
        (data["case"].reference, "action_plan|sanction", "confirmed")
    ]


def test_a_training_rate_says_which_employee_is_trained_and_by_which_completion(data):
    files = unzip(auditor_pack.build_pack(YEAR, now=NOW))
    rows = read_csv(files["records/E1_AML_ELEARNING_RATE.csv"])
    value = services.year_evaluate(YEAR, codes=["E1_AML_ELEARNING_RATE"])["E1_AML_ELEARNING_RATE"]
    assert sum(row["trained_on_31_12"] == "1" for row in rows) == value.numerator == 4
    assert len(rows) == value.denominator == 6
    by_employee = {row["employee_id"]: row for row in rows}
    first = by_employee[data["employees"][0].employee_id]
    later = data["employees"][0].training_completions.order_by("-completed_on").first()
    assert (first["counted_completion_id"], first["counted_completion_on"]) == (str(later.pk), "01/09/2023")
    assert by_employee[data["employees"][4].employee_id]["trained_on_31_12"] == "0"
    assert by_employee[data["employees"][4].employee_id]["counted_completion_id"] == ""
    assert all(row["entity_code"] == "ALS" and row["employee_id"] for row in rows)


def test_the_trained_columns_add_up_to_each_numerator(data):
    handicap = Module.objects.get(code="HANDICAP")
    CompletionFactory(employee=data["employees"][4], module=handicap, completed_at=paris(dt.date(2023, 2, 1)))
    anti_corruption = Module.objects.get(code="LCBFT")
    anti_corruption.anti_corruption = True
    anti_corruption.save()
    for employee in data["employees"][2:5]:
        employee.function_at_risk = True
        employee.save()
    files = unzip(auditor_pack.build_pack(YEAR, now=NOW))
    values = services.year_evaluate(YEAR, codes=list(auditor_pack.record_extras()))
    numerators = {}
    for code, extra in auditor_pack.record_extras().items():
        rows = read_csv(files[f"records/{code}.csv"])
        numerators[code] = sum(row[extra.headers[0]] == "1" for row in rows)
        value = values[code]
        assert numerators[code] == (value.numerator if value.numerator is not None else value.value), code
    assert (
        numerators["E9_DISABILITY_ELEARNING_RATE"],
        numerators["G1_3_AT_RISK_TRAINED_RATE"],
        numerators["E8_TRAINED_AT_LEAST_ONCE_RATE"],
    ) == (1, 2, 6)
    g1 = {row["employee_id"]: row for row in read_csv(files["records/G1_3_AT_RISK_TRAINED_RATE.csv"])}
    assert g1[data["employees"][2].employee_id]["anti_corruption_modules"] == "LCBFT"
    assert g1[data["employees"][4].employee_id]["anti_corruption_modules"] == ""


def test_training_hours_list_completions_and_attendances(data):
    files = unzip(auditor_pack.build_pack(YEAR, now=NOW))
    rows = read_csv(files["records/E8_TRAINING_HOURS.csv"])
    models = {row["model"] for row in rows}
    assert models == {"training.completion", "training.attendance"}
    attendance = next(row for row in rows if row["model"] == "training.attendance")
    assert (attendance["minutes_attended"], attendance["held_on"]) == ("90", "14/03/2023")
    assert attendance["employee_id"] == data["employees"][5].employee_id


def test_no_requester_or_employee_name_or_email_appears_anywhere_in_the_pack(data):
    content = auditor_pack.build_pack(YEAR, now=NOW)
    texts = []
    for name, body in unzip(content).items():
        if name.endswith(".xlsx"):
            texts.extend(part.decode("utf-8", "replace") for part in unzip(body).values())
        else:
            texts.append(body.decode("utf-8-sig"))
    text = "\n".join(texts)
    assert data["requests"][0].reference in text  # the texts were read
    for secret in (
        REQUESTER_NAME,
        REQUESTER_EMAIL,
        REQUESTER_ADDRESS,
        "Brindille",
        EMPLOYEE_LAST_NAME,
        data["employees"][0].email,
        data["employees"][0].first_name,
    ):
        assert secret not in text, secret


# -- the sample ---------------------------------------------------------------------------------------------
def test_sample_sizes_are_the_ceiling_of_the_rate_and_at_least_one():
    assert auditor_pack.sample_size(0.3, 10) == 3
    assert auditor_pack.sample_size(0.55, 100) == 55  # in floats, 0.55 × 100 is 55.00000000000001
    assert auditor_pack.sample_size(0.4, 7) == 3
    assert auditor_pack.sample_size(0.2, 1) == 1
    assert auditor_pack.sample_size(0.2, 0) == 0
    assert auditor_pack.sample_size(1, 5) == 5


def test_the_sample_is_drawn_from_the_records_at_the_rate(data):
    files = unzip(auditor_pack.build_pack(YEAR, sample_rate=0.25, seed=7, now=NOW))
    manifest = json.loads(files["manifest.json"])
    assert (manifest["sample_rate"], manifest["seed"]) == (0.25, 7)
    drawn = 0
    for code in registry.computations():
        records = read_csv(files[f"records/{code}.csv"])
        sample = read_csv(files[f"sample/{code}.csv"])
        assert rows_ids(sample) <= rows_ids(records), code
        assert len(sample) == (math.ceil(0.25 * len(records)) if records else 0), code
        assert not records or 0.25 <= len(sample) / len(records) <= 0.25 + 1 / len(records), code
        assert sample == [row for row in records if row in sample], "same rows, same columns, same order"
        drawn += len(sample)
    assert drawn > 0


def test_the_same_seed_gives_the_same_sample_and_another_seed_another(data):
    first = unzip(auditor_pack.build_pack(YEAR, seed=11, now=NOW))
    again = unzip(auditor_pack.build_pack(YEAR, seed=11, now=NOW))
    other = unzip(auditor_pack.build_pack(YEAR, seed=12, now=NOW))
    samples = sorted(name for name in first if name.startswith("sample/"))
    assert samples and all(first[name] == again[name] for name in samples)
    assert any(first[name] != other[name] for name in samples)
    records = [{"model": "gdpr.rightsrequest", "ids": list(range(1, 1001))}]
    drawn = auditor_pack.draw_sample(records, "E2_RIGHTS_REQUESTS", 0.3, 11)
    assert drawn == auditor_pack.draw_sample(list(reversed(records)), "E2_RIGHTS_REQUESTS", 0.3, 11)
    assert len(drawn) == 300
    assert drawn != auditor_pack.draw_sample(records, "E2_RIGHTS_REQUESTS", 0.3, 12)
    assert drawn != auditor_pack.draw_sample(records, "E2_RIGHTS_REQUEST_MEAN_DAYS", 0.3, 11)


def test_the_seed_and_rate_come_from_the_settings_by_default(settings):
    settings.VIGIE_AUDIT_SAMPLE_RATE = 0.2
    settings.VIGIE_AUDIT_SAMPLE_SEED = 99
    assert (auditor_pack.resolve_sample_rate(), auditor_pack.resolve_seed(YEAR)) == (0.2, 99)
    del settings.VIGIE_AUDIT_SAMPLE_RATE
    del settings.VIGIE_AUDIT_SAMPLE_SEED
    assert (auditor_pack.resolve_sample_rate(), auditor_pack.resolve_seed(YEAR)) == (0.3, YEAR)
    assert auditor_pack.resolve_seed(YEAR, "audit-2024") == "audit-2024"


@pytest.mark.parametrize("rate", [0, -0.1, 1.01, 2, "abc", "nan", float("inf")])
def test_an_explicit_rate_outside_zero_to_one_is_refused(rate):
    with pytest.raises(ValueError, match=str(rate) if rate != "abc" else "abc"):
        auditor_pack.resolve_sample_rate(rate)


@pytest.mark.parametrize("rate", [0.01, 0.5, 1, "0,3"])
def test_an_explicit_rate_may_leave_the_20_40_range(rate):
    assert 0 < auditor_pack.resolve_sample_rate(rate) <= 1


@pytest.mark.parametrize("configured", [0.19, 0.41, 1, "x"])
def test_a_configured_rate_outside_20_to_40_percent_is_refused(settings, configured):
    settings.VIGIE_AUDIT_SAMPLE_RATE = configured
    with pytest.raises(ValueError, match="VIGIE_AUDIT_SAMPLE_RATE"):
        auditor_pack.build_pack(YEAR)


@pytest.mark.parametrize("configured", [0.2, 0.4])
def test_a_configured_rate_at_the_bounds_is_accepted(settings, configured):
    settings.VIGIE_AUDIT_SAMPLE_RATE = configured
    assert auditor_pack.resolve_sample_rate() == configured


# -- the manifest -------------------------------------------------------------------------------------------
def extract(content: bytes, folder: Path) -> None:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        archive.extractall(folder)


def check(folder: Path) -> list[str]:
    """The files whose SHA-256 differs from manifest.sha256's."""
    wrong = []
    for line in (folder / "manifest.sha256").read_text(encoding="utf-8").splitlines():
        digest, path = line.split("  ", 1)
        if hashlib.sha256((folder / path).read_bytes()).hexdigest() != digest:
            wrong.append(path)
    return wrong


def test_the_manifest_lists_every_file_and_verifies(data, tmp_path):
    content = auditor_pack.build_pack(YEAR, now=NOW)
    files = unzip(content)
    listed = [line.split("  ", 1)[1] for line in files["manifest.sha256"].decode().splitlines()]
    assert sorted(listed) == sorted(set(files) - {"manifest.sha256"})
    manifest = json.loads(files["manifest.json"])
    assert {f["path"] for f in manifest["files"]} == set(files) - {"manifest.sha256", "manifest.json"}
    for item in manifest["files"]:
        assert hashlib.sha256(files[item["path"]]).hexdigest() == item["sha256"]
        assert len(files[item["path"]]) == item["bytes"]
    assert (manifest["year"], manifest["generated_at"], manifest["frozen"]) == (
        YEAR,
        "2024-02-01T09:00:00+01:00",
        False,
    )
    assert (manifest["sample_rate"], manifest["seed"]) == (0.3, YEAR)  # the defaults
    assert {f"indicators-{YEAR}.xlsx", f"indicators-{YEAR}.json", "methods.md", "README.txt"} <= set(files)
    extract(content, tmp_path)
    assert check(tmp_path) == []
    if shutil.which("sha256sum"):
        result = subprocess.run(["sha256sum", "-c", "manifest.sha256"], cwd=tmp_path, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr


def test_the_manifest_detects_a_tampered_file(data, tmp_path):
    extract(auditor_pack.build_pack(YEAR, now=NOW), tmp_path)
    target = tmp_path / "records" / "E2_RIGHTS_REQUESTS.csv"
    target.write_bytes(target.read_bytes().replace(b"granted", b"refused", 1))
    assert check(tmp_path) == ["records/E2_RIGHTS_REQUESTS.csv"]
    if shutil.which("sha256sum"):
        result = subprocess.run(["sha256sum", "-c", "manifest.sha256"], cwd=tmp_path, capture_output=True, text=True)
        assert result.returncode != 0
        assert "records/E2_RIGHTS_REQUESTS.csv: FAILED" in result.stdout


def test_the_json_export_is_the_indicators_export(data):
    from reporting import exports

    files = unzip(auditor_pack.build_pack(YEAR, now=NOW))
    assert json.loads(files[f"indicators-{YEAR}.json"]) == exports.as_dict(YEAR, now=NOW)
    assert files[f"indicators-{YEAR}.xlsx"].startswith(b"PK")


@pytest.mark.usefixtures("english_messages")
def test_the_methods_and_readme_tell_the_auditor_what_they_need(data):
    files = unzip(auditor_pack.build_pack(YEAR, sample_rate=0.35, seed=5, now=NOW))
    methods = files["methods.md"].decode()
    from reporting import catalogue

    for definition in catalogue.DEFINITIONS:
        assert f"## {definition.code} — " in methods
    block = methods.split("## E2_RIGHTS_REQUESTS — ", 1)[1].split("\n## ", 1)[0]
    assert "Value 2023: 12" in block and "Value 2022: 1" in block
    assert "Records behind the value: 12 (records/E2_RIGHTS_REQUESTS.csv)" in block
    assert "Rights requests received in the year, answered or not" in block
    rate_block = methods.split("## E1_AML_ELEARNING_RATE — ", 1)[1].split("\n## ", 1)[0]
    assert "Numerator: 4; denominator: 6" in rate_block and "Value 2023: 66.7" in rate_block
    readme = files["README.txt"].decode()
    assert "sha256sum -c manifest.sha256" in readme
    assert "Rate: 0.35 (35% of the records of each indicator); seed: 5." in readme
    assert 'random.Random("5:<CODE>")' in readme
    assert "DD/MM/YYYY" in readme and "semicolons" in readme and "not frozen" in readme


def test_pack_filename():
    assert auditor_pack.pack_filename(2023) == "vigie-auditor-pack-2023.zip"


def test_a_bad_year_is_refused():
    with pytest.raises(services.ReportingError):
        auditor_pack.build_pack(1990)


# -- the frozen snapshot ------------------------------------------------------------------------------------
@pytest.mark.usefixtures("english_messages")
def test_a_frozen_year_gives_the_records_of_its_snapshot(data):
    services.year_compute(YEAR)
    services.year_freeze(YEAR, UserFactory(username="officer"))
    snapshot = {v.code: v.records for v in IndicatorValue.objects.filter(reporting_year__year=YEAR)}
    added = RightsRequestFactory(received_at=at(10, 1), due_on=dt.date(2023, 11, 1))  # after the freeze
    deleted = data["requests"][1]
    deleted_pk = deleted.pk
    deleted.delete()
    files = unzip(auditor_pack.build_pack(YEAR, now=NOW))
    manifest = json.loads(files["manifest.json"])
    assert manifest["frozen"] is True
    for code in registry.computations():
        rows = read_csv(files[f"records/{code}.csv"])
        assert rows_ids(rows) == ids_of(snapshot[code]), code
        assert manifest["indicators"][code]["source"] == "snapshot"
    rows = {int(row["id"]): row for row in read_csv(files["records/E2_RIGHTS_REQUESTS.csv"])}
    assert added.pk not in rows
    assert rows[deleted_pk]["reference"] == ""  # deleted since the snapshot: only its model and id
    methods = files["methods.md"].decode()
    assert f"gdpr.rightsrequest {deleted_pk}" in methods
    assert "frozen (verified)" in files["README.txt"].decode()


@pytest.mark.usefixtures("english_messages")
def test_a_year_not_frozen_gives_the_records_of_now_not_its_older_snapshot(data):
    services.year_compute(YEAR)
    stored = IndicatorValue.objects.get(reporting_year__year=YEAR, code="E2_RIGHTS_REQUESTS")
    added = RightsRequestFactory(received_at=at(10, 1), due_on=dt.date(2023, 11, 1))  # after the computation
    files = unzip(auditor_pack.build_pack(YEAR, now=NOW))
    manifest = json.loads(files["manifest.json"])
    assert manifest["frozen"] is False
    assert {manifest["indicators"][code]["source"] for code in registry.computations()} == {"evaluated"}
    rows = {int(row["id"]) for row in read_csv(files["records/E2_RIGHTS_REQUESTS.csv"])}
    assert added.pk in rows and len(rows) == stored.records_count + 1
    exported = json.loads(files[f"indicators-{YEAR}.json"])
    assert next(i for i in exported["indicators"] if i["code"] == "E2_RIGHTS_REQUESTS")["value"] == len(rows)
    assert "computed from the records at the pack's generation" in files["README.txt"].decode()


# -- the command --------------------------------------------------------------------------------------------
def test_the_command_writes_the_pack(data, tmp_path):
    output = tmp_path / "pack.zip"
    out = io.StringIO()
    call_command(
        "auditor_pack", "--year", "2023", "--output", str(output), "--sample-rate", "0.5", "--seed", "3", stdout=out
    )
    files = unzip(output.read_bytes())
    manifest = json.loads(files["manifest.json"])
    assert (manifest["sample_rate"], manifest["seed"], manifest["year"]) == (0.5, 3, 2023)
    assert len(read_csv(files["sample/E2_RIGHTS_REQUESTS.csv"])) == 6
    assert str(output) in out.getvalue()
    assert [p.name for p in tmp_path.iterdir()] == ["pack.zip"]  # no temporary file left


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--year", "abc"], "abc"),
        (["--year", "1990"], "1990"),
        (["--year", "2023", "--sample-rate", "0"], "0"),
        (["--year", "2023", "--sample-rate", "1.5"], "1.5"),
        (["--year", "2023", "--sample-rate", "trente"], "trente"),
    ],
)
def test_the_command_refuses_bad_input(tmp_path, arguments, message):
    with pytest.raises(CommandError, match=message):
        call_command("auditor_pack", *arguments, "--output", str(tmp_path / "pack.zip"))
    assert not list(tmp_path.iterdir())


def test_the_command_refuses_a_missing_folder_or_a_folder_as_output(tmp_path):
    with pytest.raises(CommandError, match="missing"):
        call_command("auditor_pack", "--year", "2023", "--output", str(tmp_path / "missing" / "pack.zip"))
    with pytest.raises(CommandError, match=str(tmp_path)):
        call_command("auditor_pack", "--year", "2023", "--output", str(tmp_path))
    assert not list(tmp_path.iterdir())


def test_each_model_s_records_are_read_in_one_query_whatever_their_number(data, monkeypatch, django_assert_num_queries):
    monkeypatch.setattr(database, "CHUNK_SIZE", 5)  # rows fetched 5 at a time
    records = [{"model": "gdpr.rightsrequest", "ids": [r.pk for r in data["requests"]]}]
    result = auditor_pack.RecordRows([])
    with django_assert_num_queries(1):  # 12 records: their ids as one parameter (`pk__in` would send 12)
        rows = list(auditor_pack.iter_rows(records, YEAR, None, result))
    assert [int(row["id"]) for row in rows] == sorted(r.pk for r in data["requests"])
    employees = [{"model": "organization.employee", "ids": [e.pk for e in data["employees"]]}]
    extra = auditor_pack.record_extras()["E1_AML_ELEARNING_RATE"]
    assert not Module.objects.get(code="LCBFT").has_sessions
    with django_assert_num_queries(3):  # the module, each employee's latest counted completion, the employees
        rows = list(auditor_pack.iter_rows(employees, YEAR, extra, result))
    assert len(rows) == 6 and result.missing == []
    assert sum(row["trained_on_31_12"] == "1" for row in rows) == 4


@pytest.mark.parametrize("chunk_size", [1, 2, 5, 1000])
def test_rows_and_deleted_records_are_the_same_whatever_the_batches(data, monkeypatch, chunk_size):
    monkeypatch.setattr(database, "CHUNK_SIZE", chunk_size)
    requests = sorted(data["requests"], key=lambda r: r.pk)
    pks = [r.pk for r in requests]
    gone = [pks[0], pks[5], pks[6]]
    for request in requests:
        if request.pk in gone:
            request.delete()
    after = pks[-1] + 1000  # never existed
    ids = [*pks, after, pks[3]]  # unsorted, one twice
    result = auditor_pack.RecordRows([])
    rows = list(auditor_pack.iter_rows([{"model": "gdpr.rightsrequest", "ids": ids}], YEAR, None, result))
    assert [int(row["id"]) for row in rows] == sorted({*ids})
    assert result.missing == [("gdpr.rightsrequest", pk) for pk in [*gone, after]]
    by_id = {int(row["id"]): row for row in rows}
    assert all(set(by_id[pk].values()) == {"gdpr.rightsrequest", str(pk), ""} for pk in [*gone, after])
    kept = requests[1]
    assert (by_id[kept.pk]["reference"], by_id[kept.pk]["received_at"]) == (
        kept.reference,
        auditor_pack.cell(kept.received_at),
    )


def test_the_fields_are_written_as_the_csv_module_writes_them():
    texts = ["plain", "a;b", 'say "hi"', "line\nbreak", "cr\rhere", "", "=1+1", "-5", 'é;"', "\r=x"]
    for text in texts:
        out = io.StringIO()
        csv.writer(out, delimiter=";", lineterminator="\r\n").writerow(["x", auditor_pack.cell(text)])
        assert out.getvalue() == "x;" + csv_field(auditor_pack.cell(text)) + "\r\n", text


def test_awkward_texts_survive_the_round_trip_through_the_pack(data):
    case = data["case"]
    case.reference = 'COI;"2023"\n=SUM(A1)'
    case.save()
    rows = read_csv(unzip(auditor_pack.build_pack(YEAR, now=NOW))["records/E1_COI_SUSPICIONS.csv"])
    assert [row["reference"] for row in rows] == [case.reference]


def test_datetimes_are_written_in_paris_time_around_the_clock_changes():
    """On PostgreSQL the database writes the local times (to_char ... AT TIME ZONE): they must be Python's."""
    utc = dt.UTC
    moments = [
        dt.datetime(2023, 3, 26, 0, 59, 59, 999999, tzinfo=utc),  # 01:59:59+01:00, the second before the change
        dt.datetime(2023, 3, 26, 1, 0, tzinfo=utc),  # 03:00:00+02:00
        dt.datetime(2023, 10, 29, 0, 30, tzinfo=utc),  # 02:30:00+02:00
        dt.datetime(2023, 10, 29, 1, 30, tzinfo=utc),  # 02:30:00+01:00
        dt.datetime(2023, 12, 31, 23, 30, 0, 500000, tzinfo=utc),  # 2024-01-01T00:30:00+01:00
        dt.datetime(2023, 7, 1, 22, 15, 7, tzinfo=utc),
    ]
    requests = [
        RightsRequestFactory(received_at=moment, answered_at=moment + dt.timedelta(hours=5)) for moment in moments
    ]
    records = [{"model": "gdpr.rightsrequest", "ids": [r.pk for r in requests]}]
    rows = {
        int(row["id"]): row
        for row in auditor_pack.iter_rows(records, YEAR, None, auditor_pack.RecordRows([]), dialect=MACHINE)
    }
    written = [rows[r.pk]["received_at"] for r in requests]
    assert written == [
        "2023-03-26T01:59:59+01:00",
        "2023-03-26T03:00:00+02:00",
        "2023-10-29T02:30:00+02:00",
        "2023-10-29T02:30:00+01:00",
        "2024-01-01T00:30:00+01:00",
        "2023-07-02T00:15:07+02:00",
    ]
    for request in requests:
        row = rows[request.pk]
        assert row["received_at"] == auditor_pack.cell(request.received_at, MACHINE)
        assert row["answered_at"] == auditor_pack.cell(request.answered_at, MACHINE)
        assert row["received_on"] == row["received_at"][:10]
        assert row["answered_on"] == row["answered_at"][:10]
    # The French dialect: the same local times, DD/MM/YYYY HH:MM:SS (the offset left out).
    french = {int(row["id"]): row for row in auditor_pack.iter_rows(records, YEAR, None, auditor_pack.RecordRows([]))}
    assert [french[r.pk]["received_at"] for r in requests] == [
        "26/03/2023 01:59:59",
        "26/03/2023 03:00:00",
        "29/10/2023 02:30:00",
        "29/10/2023 02:30:00",
        "01/01/2024 00:30:00",
        "02/07/2023 00:15:07",
    ]
    for request in requests:
        row = french[request.pk]
        assert row["received_at"] == auditor_pack.cell(request.received_at)
        assert row["answered_at"] == auditor_pack.cell(request.answered_at)
        assert row["received_on"] == row["received_at"][:10]


def test_indicators_sharing_records_write_them_alike(data):
    """Records behind several indicators are read once (reporting/auditor_pack/shared.py): each file still has
    exactly its own records, and the same row for a record."""
    more = [
        CompletionFactory(
            employee=e, module=Module.objects.get(code="RGPD"), completed_at=paris(dt.date(2023, 6, 1 + i))
        )
        for i, e in enumerate(data["employees"])
    ]
    files = unzip(auditor_pack.build_pack(YEAR, now=NOW))
    values = services.year_evaluate(YEAR)
    rows = {}
    for code in (
        "E8_TRAINING_HOURS",
        "E8_TRAINING_HOURS_ELEARNING",
        "E1_AML_ELEARNING_RATE",
        "E2_GDPR_ELEARNING_RATE",
        "E10_WOMEN_SHARE_OF_TRAINEES",
    ):
        rows[code] = read_csv(files[f"records/{code}.csv"])
        assert rows_ids(rows[code]) == ids_of(values[code].records), code
    hours = {row["id"]: row for row in rows["E8_TRAINING_HOURS"] if row["model"] == "training.completion"}
    assert {str(c.pk) for c in data["completions"] + more} <= set(hours)
    for row in rows["E8_TRAINING_HOURS_ELEARNING"]:
        assert row == hours[row["id"]]
    people = {row["id"]: row for row in rows["E1_AML_ELEARNING_RATE"]}
    for row in rows["E2_GDPR_ELEARNING_RATE"]:
        own = {k: v for k, v in row.items() if k in dict(auditor_pack.COLUMNS["organization.employee"])}
        assert own == {k: v for k, v in people[row["id"]].items() if k in own}
        assert row["trained_on_31_12"] == "1"  # all did RGPD in 2023
    assert all(
        row["trained_on_31_12"] == ("1" if row["employee_id"] in {e.employee_id for e in data["trained"]} else "0")
        for row in rows["E1_AML_ELEARNING_RATE"]
    )


def test_the_extra_headers_are_not_columns_of_the_records():
    headers = {header for columns in auditor_pack.COLUMNS.values() for header, _accessor in columns}
    for code, extra in auditor_pack.record_extras().items():
        assert not set(extra.headers) & (headers | {"model", "id"}), code


def test_the_sample_is_the_readme_s_formula():
    """`draw_sample` draws positions (random.Random.sample over range(size)): the same as sampling the sorted
    (model, id) pairs, as the README says, on both of sample()'s paths (pool copy, then set of positions)."""
    import random

    for size in (1, 7, 100, 1000, 20_000):
        records = [
            {"model": "training.completion", "ids": list(range(size, 0, -1))},
            {"model": "gdpr.rightsrequest", "ids": [5, 3, 3, 900]},
            {"model": "training.attendance", "ids": [2, 1]},
        ]
        for rate in (0.2, 0.3, 0.4, 1):
            pairs = sorted({(r["model"], int(i)) for r in records for i in r["ids"]})
            expected = set(random.Random("7:CODE").sample(pairs, auditor_pack.sample_size(rate, len(pairs))))
            assert auditor_pack.draw_sample(records, "CODE", rate, 7) == expected, (size, rate)
        single = [{"model": "gdpr.rightsrequest", "ids": list(range(1, size + 1))}]
        pairs = [("gdpr.rightsrequest", i) for i in range(1, size + 1)]
        expected = set(random.Random("s:X").sample(pairs, auditor_pack.sample_size(0.3, size)))
        assert auditor_pack.draw_sample(single, "X", 0.3, "s") == expected
        compact = [{"model": "gdpr.rightsrequest", "ids": array.array("q", range(1, size + 1))}]  # the pack's
        assert auditor_pack.draw_sample(compact, "X", 0.3, "s") == expected


def test_a_failing_output_stops_the_pack_with_its_error(data):
    """The files are written as their lines are made: an error writing them reaches the caller."""

    class Full(io.BytesIO):
        def write(self, content):
            if self.tell() > 20_000:
                raise OSError("No space left on device")
            return super().write(content)

    with pytest.raises(OSError, match="No space left"):
        auditor_pack.write_pack(YEAR, Full(), now=NOW)


def test_reading_stopped_halfway_leaves_the_connection_usable(data, monkeypatch):
    """On PostgreSQL the rows are streamed: a reader that stops (an error while writing) must not leave the
    query running on the connection."""
    monkeypatch.setattr(database, "CHUNK_SIZE", 2)
    records = [{"model": "gdpr.rightsrequest", "ids": [r.pk for r in data["requests"]]}]
    rows = auditor_pack.iter_rows(records, YEAR, None, auditor_pack.RecordRows([]))
    assert next(rows)["model"] == "gdpr.rightsrequest"
    rows.close()
    from gdpr.models import RightsRequest

    assert RightsRequest.objects.count() == 13


def test_a_query_that_cannot_match_reads_nothing():
    from organization.models import Employee

    EmployeeFactory()
    assert list(database.fetch(Employee.objects.filter(pk__in=[]).values_list("pk"))) == []
    assert [len(batch) for batch in database.fetch(Employee.objects.values_list("pk"))] == [1]


@pytest.mark.parametrize(
    "id_sets",
    [
        [[1, 2, 5], [2, 3, 9], [5]],  # dense: marked
        [[3], [10**12, 10**12 + 5], [7, 10**12]],  # sparse: merged
        [[4, 8]],
    ],
)
def test_the_union_of_the_ids_shared_by_several_indicators(id_sets):
    arrays = [array.array("q", ids) for ids in id_sets]
    assert list(shared.union(arrays)) == sorted({i for ids in id_sets for i in ids})


# -- the CSV dialects ---------------------------------------------------------------------------------------
class _Field:
    """A model field as field_cell reads it: its internal type."""

    is_relation = False

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def get_internal_type(self) -> str:
        return self.kind


TRICKY = {
    "IntegerField": [0, -7, 123456789, None],
    "DecimalField": [Decimal("-84.10"), Decimal("1E+2"), Decimal("0.000001"), Decimal("-0"), None],
    "FloatField": [-0.5, 1e-05, 1e16, 89.0, None],
    "CharField": ["plain", "=1+1", "-2+3", "@SUM(1)", "a;b", "a,b", 'say "hi"', "two\nlines", "-30", "", None],
    "DateField": [dt.date(2023, 1, 2), dt.date(999, 12, 31), None],
    "DateTimeField": [
        dt.datetime(2023, 12, 31, 23, 0, tzinfo=dt.UTC),  # midnight in Paris, the next day
        dt.datetime(2023, 12, 31, 22, 59, 59, tzinfo=dt.UTC),
        dt.datetime(2023, 6, 30, 22, 30, tzinfo=dt.UTC),  # summer: +02:00
        dt.datetime(2023, 3, 26, 1, 0, 30, 999, tzinfo=PARIS),
        None,
    ],
}


@pytest.mark.parametrize("dialect", [FRENCH, MACHINE], ids=lambda d: d.name)
def test_the_packs_fast_writers_write_what_the_general_writer_writes(dialect):
    """Each column writer of the pack (chosen by field type), the ids and extra columns' writers, and a
    whole line assembled as the pack assembles it, give what core.spreadsheets.csv_line gives."""
    cells = pack_cells.cells_of(dialect)
    row: list = []
    fields: list[str] = []
    for kind, values in TRICKY.items():
        write, _by_value = pack_cells.field_cell(_Field(kind), dialect)
        for value in values:
            expected = csv_line([value], dialect).removesuffix("\r\n")
            assert write(value) == expected, (kind, value)
            assert cells.csv_cell(value) == expected, (kind, value)
            if value is not None:
                assert cells.any_cell(value) == expected, (kind, value)
            row.append(value)
            fields.append(write(value))
    # The writers an app's ExtraColumns names (the French ones) are translated to the dialect's.
    for name in ("number_cell", "date_cell", "csv_cell", "text_cell", "any_cell"):
        assert cells.writer(getattr(auditor_pack.cells, name)) is getattr(cells, name)
    assert dialect.delimiter.join(fields) + "\r\n" == csv_line(row, dialect)
    read = next(csv.reader(io.StringIO(csv_line(row, dialect)), delimiter=dialect.delimiter))
    assert len(read) == len(row)


def test_the_pack_in_the_machine_dialect_has_the_same_rows_as_the_french_one(data, tmp_path):
    """`--dialect machine`: `,` separated, no BOM, decimal points, ISO dates; the same records as the French
    pack, field for field once the numbers and dates are read."""
    path = tmp_path / "pack.zip"
    call_command("auditor_pack", year=str(YEAR), output=str(path), dialect="machine", stdout=io.StringIO())
    machine = unzip(path.read_bytes())
    french = unzip(auditor_pack.build_pack(YEAR, now=NOW))
    assert json.loads(machine["manifest.json"])["csv_dialect"] == "machine"
    assert "(,)" in machine["README.txt"].decode() and "(;)" not in machine["README.txt"].decode()
    compared = 0
    for name in sorted(n for n in french if n.startswith("records/")):
        assert not machine[name].startswith(b"\xef\xbb\xbf"), name
        machine_rows = list(csv.DictReader(io.StringIO(machine[name].decode("utf-8"))))
        french_rows = read_csv(french[name])
        assert len(machine_rows) == len(french_rows), name
        for machine_row, french_row in zip(machine_rows, french_rows, strict=True):
            assert machine_row.keys() == french_row.keys()
            for key, text in machine_row.items():
                other = french_row[key]
                if DATE.fullmatch(other):
                    assert text == f"{other[6:10]}-{other[3:5]}-{other[0:2]}", (name, key)
                elif DATETIME.fullmatch(other):
                    assert dt.datetime.fromisoformat(text).strftime("%d/%m/%Y %H:%M:%S") == other, (name, key)
                elif FRENCH_NUMBER.fullmatch(other):
                    assert float(text) == float(other.replace(",", ".")), (name, key)
                else:
                    assert text == other, (name, key)
                compared += 1
    assert compared > 100


DATE = re.compile(r"\d{2}/\d{2}/\d{4}")
DATETIME = re.compile(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}:\d{2}")
FRENCH_NUMBER = re.compile(r"-?\d+,\d+")


def test_a_wrong_dialect_is_refused_by_the_command_with_the_allowed_values(tmp_path):
    with pytest.raises(CommandError, match="french, machine"):
        call_command("auditor_pack", year=str(YEAR), output=str(tmp_path / "p.zip"), dialect="excel")
    assert not list(tmp_path.iterdir())
