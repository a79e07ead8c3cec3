"""`import_screening_list` (aml/importers/screening_list.py): Vigie's columns and OpenSanctions' simplified CSV,
a list replaced all or nothing (refused files and rejected rows leave the previous list intact), delisting and
relisting with the date, the version, and idempotence."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
from pathlib import Path

import pytest
from django.utils import timezone

from aml.fingerprints import entry_hash
from aml.importers import screening_list as importer_module
from aml.models import ListEntry, ScreeningList
from core.imports.testing import read_rejects, run_import_command
from core.models import ImportRun
from tests.aml.factories import ListEntryFactory, ScreeningListFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_messages", "isolated_media")]

HEADER = "list;list_id;kind;name;aliases;birth_date;country;listed_on\n"
OPENSANCTIONS = Path(__file__).parent / "data" / "opensanctions_targets.simple.csv"
FIRST = (
    "FR-GELS;G1;person;Ivan Testovich Petrov;Iwan Petrow|I. T. Petrov;1970-05-17;RU;2022-03-01\n"
    "FR-GELS;G2;company;Nowhere Holdings Ltd;;;CY;\n"
    "FR-GELS;G3;person;Karim El-Fictif;Karim Elfictif;1980;SY;\n"
)


def write(tmp_path: Path, body: str, header: str = HEADER, name: str = "list.csv") -> Path:
    path = tmp_path / name
    path.write_text(header + body, encoding="utf-8")
    return path


@pytest.fixture
def queued(monkeypatch):
    calls: list[list[str]] = []
    monkeypatch.setattr(importer_module, "queue_list_screening", calls.append)
    return calls


def entries(code: str = "FR-GELS") -> dict[str, ListEntry]:
    return {e.list_id: e for e in ListEntry.objects.filter(screening_list__code=code)}


def snapshot() -> list[tuple]:
    return sorted(
        ListEntry.objects.values_list(
            "screening_list__code", "list_id", "name", "aliases", "delisted_on", "content_hash", "changed_at"
        )
    ) + sorted(ScreeningList.objects.values_list("code", "version", "source_sha256"))


def test_a_vigie_list_is_loaded_with_aliases_birth_dates_and_a_version(
    tmp_path, queued, django_capture_on_commit_callbacks
):
    path = write(tmp_path, FIRST)
    with django_capture_on_commit_callbacks(execute=True):
        result = run_import_command("screening_list", path)
    assert result.exit_code == 0, result.stdout + result.stderr
    loaded = entries()
    assert set(loaded) == {"G1", "G2", "G3"}
    petrov = loaded["G1"]
    assert petrov.kind == "person" and petrov.alias_list() == ["Iwan Petrow", "I. T. Petrov"]
    assert petrov.birth_dates == "1970-05-17" and petrov.countries == "RU" and petrov.listed_on == dt.date(2022, 3, 1)
    assert petrov.content_hash == entry_hash(
        "person", "Ivan Testovich Petrov", ["Iwan Petrow", "I. T. Petrov"], "1970-05-17"
    )
    assert petrov.changed_at is not None and petrov.delisted_on is None
    assert loaded["G3"].birth_dates == "1980"
    the_list = ScreeningList.objects.get(code="FR-GELS")
    assert the_list.version == 1 and the_list.loaded_at is not None
    assert the_list.loaded_by is not None  # the system user on the command line
    assert the_list.source_sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert queued == [["FR-GELS"]]
    assert petrov.history.count() == 1 and the_list.history.exists()


def test_the_same_file_twice_changes_nothing(tmp_path, queued, django_capture_on_commit_callbacks):
    path = write(tmp_path, FIRST)
    assert run_import_command("screening_list", path).exit_code == 0
    before = snapshot()
    history = ListEntry.history.count()
    with django_capture_on_commit_callbacks(execute=True):
        result = run_import_command("screening_list", path)
    assert result.exit_code == 0 and "unchanged 3" in result.stdout
    assert snapshot() == before
    assert ListEntry.history.count() == history
    assert queued == []


def test_a_new_file_delists_absent_entries_with_the_paris_date_and_relists_returning_ones(
    tmp_path, queued, django_capture_on_commit_callbacks
):
    assert run_import_command("screening_list", write(tmp_path, FIRST)).exit_code == 0
    first = entries()
    # G3 leaves the list, G2 changes only its country (not screened: same hash), G1 gets a new alias.
    second = (
        "FR-GELS;G1;person;Ivan Testovich Petrov;Iwan Petrow|I. T. Petrov|Ivan Petroff;1970-05-17;RU;2022-03-01\n"
        "FR-GELS;G2;company;Nowhere Holdings Ltd;;;CY|RU;\n"
    )
    with django_capture_on_commit_callbacks(execute=True):
        result = run_import_command("screening_list", write(tmp_path, second, name="second.csv"))
    assert result.exit_code == 0
    assert "delisted: 1" in result.stdout
    now = entries()
    assert now["G3"].delisted_on == timezone.localdate() and now["G3"].changed_at > first["G3"].changed_at
    assert now["G1"].content_hash != first["G1"].content_hash and now["G1"].changed_at > first["G1"].changed_at
    assert now["G2"].countries == "CY|RU" and now["G2"].changed_at == first["G2"].changed_at
    assert ScreeningList.objects.get(code="FR-GELS").version == 2
    assert queued == [["FR-GELS"]]
    # Delisted again: keeps its first date. Back in the list: relisted.
    ListEntry.objects.filter(list_id="G3").update(delisted_on=dt.date(2020, 1, 1))
    result = run_import_command("screening_list", write(tmp_path, FIRST, name="third.csv"))
    assert "relisted: 1" in result.stdout
    assert entries()["G3"].delisted_on is None and ScreeningList.objects.get(code="FR-GELS").version == 3


def test_lists_absent_from_the_file_are_untouched(tmp_path):
    other = ListEntryFactory(screening_list=ScreeningListFactory(code="EU"), list_id="EU-1")
    assert run_import_command("screening_list", write(tmp_path, FIRST)).exit_code == 0
    other.refresh_from_db()
    assert other.delisted_on is None and ScreeningList.objects.get(code="EU").version == 0


@pytest.mark.parametrize(
    ("header", "body", "reason"),
    [
        ("list;list_id;kind;aliases\n", "FR-GELS;G9;person;Someone\n", "missing required column(s): name"),
        (
            HEADER,
            "FR-GELS;G9;person;New Person;;;;\nFR-GELS;G8;person;Other;;;;\nFR-GELS;G9;person;Same Id;;;;\n",
            "list 'FR-GELS', id 'G9' appears twice in the file, on lines 2 and 4",
        ),
    ],
)
def test_a_refused_file_leaves_the_previous_list_intact(tmp_path, header, body, reason):
    assert run_import_command("screening_list", write(tmp_path, FIRST)).exit_code == 0
    before = snapshot()
    result = run_import_command("screening_list", write(tmp_path, body, header=header, name="bad.csv"))
    assert result.exit_code == 2
    assert reason in result.stderr
    assert snapshot() == before
    assert ImportRun.objects.latest("pk").status == ImportRun.Status.REFUSED


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("FR-GELS;G4;robot;Some Robot;;;;", "kind: 'robot' is not one of person, company"),
        ("FR-GELS;G4;person;Someone New;;2999-01-01;;", "impossible birth date (in the future)"),
        ("FR-GELS;G4;person;Someone New;;1850;;", "impossible birth date (before 1900)"),
        ("FR-GELS;G4;person;Someone New;;1970-02-30;;", "no such day"),
        ("FR-GELS;G4;person;;;;;", "name: a value is required"),
        ("FR-GELS;G4;person;---;;;;", "a name of letters or digits is required"),
        ("FR-GELS|EU;G4;person;Someone New;;;;", "several lists in one row"),
    ],
)
def test_a_rejected_row_rolls_the_whole_file_back_and_the_list_stays_as_it_was(tmp_path, row, reason):
    assert run_import_command("screening_list", write(tmp_path, FIRST)).exit_code == 0
    before = snapshot()
    # Without G3 (it would be delisted) and with G1 changed: none of it may be written.
    body = "FR-GELS;G1;person;Ivan Petrov Changed;;;;\n" + row + "\n"
    result = run_import_command("screening_list", write(tmp_path, body, name="bad.csv"))
    assert result.exit_code == 1
    assert "nothing was written" in result.stdout
    assert reason in read_rejects(tmp_path / "bad.rejects.csv")[1][1]
    assert snapshot() == before


def test_a_dry_run_counts_and_writes_nothing(tmp_path):
    assert run_import_command("screening_list", write(tmp_path, FIRST)).exit_code == 0
    before = snapshot()
    body = "FR-GELS;G1;person;Ivan Testovich Petrov;;;;\nFR-GELS;G7;person;Brand New;;;;\n"
    result = run_import_command("screening_list", write(tmp_path, body, name="next.csv"), "--dry-run")
    assert result.exit_code == 0
    assert "created 1, updated 1" in result.stdout and "delisted: 2" in result.stdout
    assert snapshot() == before


def test_an_opensanctions_export_is_read_with_list_and_other_schemas_are_skipped(
    tmp_path, queued, django_capture_on_commit_callbacks
):
    path = tmp_path / "targets.simple.csv"
    shutil.copy(OPENSANCTIONS, path)
    with django_capture_on_commit_callbacks(execute=True):
        result = run_import_command("screening_list", path, "--list", "FR-GELS")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "read 5, created 4" in result.stdout
    assert "not screened (vessels, aircraft and other assets): 1" in result.stdout
    loaded = entries()
    assert set(loaded) == {"NK-inv-001", "NK-inv-002", "NK-inv-004", "NK-inv-005"}
    boris = loaded["NK-inv-001"]
    assert boris.alias_list() == ["Borys Zarkow", 'Zarkov, Boris "the Fox"']
    assert boris.birth_dates == "1961-03-14|1962" and boris.countries == "RU"
    assert boris.listed_on == dt.date(2021, 6, 4)
    fictivia = loaded["NK-inv-002"]
    assert fictivia.kind == "company" and fictivia.alias_list() == ["Fictivia Trade", "FTH Limited"]
    assert fictivia.countries == "CY|RU"
    amina = loaded["NK-inv-004"]
    assert amina.birth_dates == "1975-09" and amina.alias_list() == ["Amina F. Nom"]  # the accent-free one is the name
    # first_seen 2020-12-31T23:30Z is 1 January 2021 in Paris.
    assert loaded["NK-inv-005"].listed_on == dt.date(2021, 1, 1) and loaded["NK-inv-005"].kind == "company"
    assert queued == [["FR-GELS"]]
    again = run_import_command("screening_list", path, "--list", "FR-GELS")
    assert "unchanged 4" in again.stdout


def test_an_opensanctions_export_without_list_is_rejected_with_the_hint(tmp_path):
    path = tmp_path / "targets.simple.csv"
    shutil.copy(OPENSANCTIONS, path)
    result = run_import_command("screening_list", path)
    assert result.exit_code == 1
    rejects = read_rejects(tmp_path / "targets.simple.rejects.csv")
    assert "give the list's code with --list" in rejects[1][1]
    assert not ListEntry.objects.exists() and not ScreeningList.objects.exists()


def test_the_import_is_strict_whatever_the_caller_asks(tmp_path):
    from core.imports import run_import

    report = run_import("screening_list", write(tmp_path, FIRST + "FR-GELS;G4;robot;R;;;;\n"), strict=False)
    assert report.run.strict and report.run.status == ImportRun.Status.ROLLED_BACK
    assert not ListEntry.objects.exists()


def test_birth_dates_that_do_not_fit_are_kept_as_years_never_as_a_subset():
    many = "|".join(f"19{n:02d}-01-0{1 + n % 9}" for n in range(40, 60))
    assert importer_module.fit_birth_dates("1970-01-01|1971", 200) == "1970-01-01|1971"
    assert importer_module.fit_birth_dates(many, 200) == "|".join(f"19{n:02d}" for n in range(40, 60))
    assert importer_module.fit_birth_dates(many, 20) == ""


def test_existing_entries_are_read_by_list_id_not_the_whole_list(tmp_path, django_assert_max_num_queries):
    the_list = ScreeningListFactory(code="FR-GELS")
    for n in range(50):
        ListEntryFactory(screening_list=the_list, list_id=f"X{n}")
    importer = importer_module.ScreeningListImporter()
    found = importer.fetch_existing([(the_list.pk, "X3"), (the_list.pk, "X7"), (the_list.pk, "nope")])
    assert sorted(found) == [(the_list.pk, "X3"), (the_list.pk, "X7")]


def test_a_file_that_would_delist_most_of_a_list_is_refused_whole_unless_allowed(tmp_path, queued):
    full = "".join(f"EU;E{n};person;Person Number{n} Listed;;;;\n" for n in range(40))
    assert run_import_command("screening_list", write(tmp_path, full, name="full.csv")).exit_code == 0
    before = snapshot()
    cut = write(tmp_path, "EU;E0;person;Person Number0 Listed;;;;\n", name="cut.csv")
    refused = run_import_command("screening_list", cut)
    assert refused.exit_code == 2
    assert "39" in refused.stderr + refused.stdout and "--allow-mass-delisting" in refused.stderr + refused.stdout
    assert snapshot() == before  # nothing delisted, no version moved
    allowed = run_import_command("screening_list", cut, "--allow-mass-delisting")
    assert allowed.exit_code == 0
    assert ListEntry.objects.filter(screening_list__code="EU", delisted_on__isnull=True).count() == 1
