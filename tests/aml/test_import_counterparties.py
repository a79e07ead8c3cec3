"""`import_counterparties` (aml/importers/counterparties.py) and `counterparty_save` (aml/services/counterparties.py):
impossible birth dates rejected with their reason, the screening hash, changed_at and the blocking keys."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from aml.fingerprints import counterparty_hash, counterparty_keys
from aml.importers import counterparties as importer_module
from aml.models import Counterparty, CounterpartyKey
from aml.services import counterparties as services
from core.imports import run_import
from core.imports.testing import read_rejects, run_import_command
from tests.aml.factories import CounterpartyFactory
from tests.factories import LegalEntityFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_messages", "isolated_media")]

HEADER = "reference;kind;name;birth_date;country;registration_number;entity_code\n"


def write(tmp_path: Path, body: str, header: str = HEADER, name: str = "counterparties.csv") -> Path:
    path = tmp_path / name
    path.write_text(header + body, encoding="utf-8")
    return path


@pytest.fixture
def queued(monkeypatch):
    calls: list[int] = []
    monkeypatch.setattr(services, "queue_screening", lambda: calls.append(1))
    return calls


def keys_of(reference: str) -> set[str]:
    return set(CounterpartyKey.objects.filter(counterparty__reference=reference).values_list("key", flat=True))


def test_a_clean_file_creates_counterparties_with_hash_keys_and_changed_at(
    tmp_path, queued, django_capture_on_commit_callbacks
):
    LegalEntityFactory(code="ALS")
    path = write(
        tmp_path,
        "C1;personne physique;Jean-Pierre Dupont;1970-05-17;fr;;ALS\nC2;company;Société Générale Immo;;FR;552120222;\n",
    )
    with django_capture_on_commit_callbacks(execute=True):
        result = run_import_command("counterparties", path)
    assert result.exit_code == 0, result.stdout
    assert "counterparties to screen: 2" in result.stdout
    person = Counterparty.objects.get(reference="C1")
    assert person.kind == "person" and person.country == "FR" and person.entity.code == "ALS"
    assert person.name_normalised == "jean pierre dupont"
    assert person.screening_hash == counterparty_hash("person", "Jean-Pierre Dupont", dt.date(1970, 5, 17))
    assert person.changed_at is not None and person.screened_at is None
    assert keys_of("C1") == counterparty_keys("Jean-Pierre Dupont")
    company = Counterparty.objects.get(reference="C2")
    assert company.registration_number == "552120222" and company.entity is None
    assert person.history.count() == 1
    assert queued == [1]  # once for the whole file


@pytest.mark.parametrize(
    ("birth", "kind", "reason"),
    [
        ("2150-01-01", "person", "Impossible birth date: "),
        ("2999-01-01", "person", "impossible birth date (in the future)"),
        ("1850-03-02", "person", "impossible birth date (before 1900)"),
        ("1970-01-01", "company", "Impossible birth date: a company has no birth date."),
        ("31/02/1980", "person", "is not a valid date"),
    ],
)
def test_an_impossible_birth_date_is_rejected_with_its_reason(tmp_path, birth, kind, reason):
    path = write(tmp_path, f"C1;{kind};Marie Curie;{birth};FR;;\nC2;person;Pierre Curie;1959-05-15;FR;;\n")
    result = run_import_command("counterparties", path)
    assert result.exit_code == 1
    rejects = read_rejects(tmp_path / "counterparties.rejects.csv")
    assert rejects[1][0] == "2" and reason in rejects[1][1]
    assert list(Counterparty.objects.values_list("reference", flat=True)) == ["C2"]


def test_a_future_birth_date_is_refused_even_by_one_day(tmp_path):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    path = write(tmp_path, f"C1;person;Marie Curie;{tomorrow.isoformat()};FR;;\n")
    assert run_import_command("counterparties", path).exit_code == 1
    assert not Counterparty.objects.exists()


def test_an_unknown_entity_is_rejected(tmp_path):
    path = write(tmp_path, "C1;person;Marie Curie;;FR;;NOPE\n")
    result = run_import_command("counterparties", path)
    assert result.exit_code == 1
    assert "unknown entity 'NOPE'" in read_rejects(tmp_path / "counterparties.rejects.csv")[1][1]


def test_reimporting_changes_nothing_and_a_name_change_moves_changed_at_and_rewrites_the_keys(tmp_path, queued):
    path = write(tmp_path, "C1;person;Marie Curie;1967-11-07;FR;;\nC2;person;Paul Langevin;;FR;;\n")
    assert run_import_command("counterparties", path).exit_code == 0
    before = dict(Counterparty.objects.values_list("reference", "changed_at"))
    result = run_import_command("counterparties", path)
    assert "unchanged 2" in result.stdout and "to screen" not in result.stdout
    assert dict(Counterparty.objects.values_list("reference", "changed_at")) == before
    # A change that screening does not read (the country) keeps changed_at; a new name moves it.
    path = write(tmp_path, "C1;person;Marie Sklodowska-Curie;1967-11-07;FR;;\nC2;person;Paul Langevin;;DE;;\n")
    result = run_import_command("counterparties", path)
    assert "updated 2" in result.stdout and "counterparties to screen: 1" in result.stdout
    after = dict(Counterparty.objects.values_list("reference", "changed_at"))
    assert after["C2"] == before["C2"] and after["C1"] > before["C1"]
    assert keys_of("C1") == counterparty_keys("Marie Sklodowska-Curie")
    assert keys_of("C2") == counterparty_keys("Paul Langevin")


def test_a_file_without_birth_date_column_keeps_the_stored_birth_date(tmp_path):
    CounterpartyFactory(reference="C1", name="Marie Curie", birth_date=dt.date(1967, 11, 7))
    path = write(tmp_path, "C1;person;Marie Curie\n", header="reference;kind;name\n")
    assert run_import_command("counterparties", path).exit_code == 0
    assert Counterparty.objects.get(reference="C1").birth_date == dt.date(1967, 11, 7)


def test_relationship_ended_on_and_french_headers(tmp_path):
    path = write(
        tmp_path,
        "C1;Personne morale;ACME SARL;;FR;2024-06-30\n",
        header="Référence;Type;Raison sociale;Date de naissance;Pays;Fin de relation\n",
    )
    assert run_import_command("counterparties", path).exit_code == 0
    acme = Counterparty.objects.get(reference="C1")
    assert acme.kind == "company" and acme.relationship_ended_on == dt.date(2024, 6, 30)


def test_a_dry_run_writes_no_counterparty_nor_key_and_queues_nothing(
    tmp_path, queued, django_capture_on_commit_callbacks
):
    path = write(tmp_path, "C1;person;Marie Curie;;FR;;\n")
    with django_capture_on_commit_callbacks(execute=True):
        assert run_import_command("counterparties", path, "--dry-run").exit_code == 0
    assert not Counterparty.objects.exists() and not CounterpartyKey.objects.exists()
    assert queued == []


def test_keys_are_written_in_bulk_whatever_the_number_of_rows(tmp_path, django_assert_max_num_queries):
    body = "".join(f"C{n};person;Person{n} Familyname{n % 7};;FR;;\n" for n in range(300))
    path = write(tmp_path, body)
    with django_assert_max_num_queries(60):
        report = run_import("counterparties", path)
    assert report.run.created == 300
    assert CounterpartyKey.objects.count() == sum(
        len(counterparty_keys(f"Person{n} Familyname{n % 7}")) for n in range(300)
    )


# -- the service ------------------------------------------------------------------------------------
def test_counterparty_problems_say_what_is_impossible():
    today = dt.date(2026, 1, 1)
    assert services.counterparty_problems(kind="person", name="A B", birth_date=dt.date(1980, 1, 1), today=today) == {}
    assert "birth_date" in services.counterparty_problems(kind="person", birth_date=dt.date(2026, 1, 2), today=today)
    assert "birth_date" in services.counterparty_problems(kind="person", birth_date=dt.date(1899, 12, 31), today=today)
    assert "birth_date" in services.counterparty_problems(kind="company", birth_date=dt.date(1980, 1, 1), today=today)
    assert set(services.counterparty_problems(kind="robot", name=" - ", today=today)) == {"kind", "name"}


def test_counterparty_save_computes_the_hash_keys_and_history(queued, django_capture_on_commit_callbacks):
    user = UserFactory()
    counterparty = Counterparty(reference="C9", kind="person", name="  Éloïse D'Arcy ", country="fr")
    with django_capture_on_commit_callbacks(execute=True):
        services.counterparty_save(actor=user, counterparty=counterparty, reason="created by hand")
    counterparty.refresh_from_db()
    assert counterparty.name == "Éloïse D'Arcy" and counterparty.country == "FR"
    assert counterparty.name_normalised == "eloise d arcy"
    assert keys_of("C9") == counterparty_keys("Éloïse D'Arcy")
    record = counterparty.history.get()
    assert record.history_user == user and record.history_change_reason == "created by hand"
    assert queued == [1]
    first = counterparty.changed_at
    counterparty.registration_number = "123"
    with django_capture_on_commit_callbacks(execute=True):
        services.counterparty_save(actor=user, counterparty=counterparty, reason="number")
    counterparty.refresh_from_db()
    assert counterparty.changed_at == first and queued == [1]
    counterparty.name = "Eloise Darcy"
    with django_capture_on_commit_callbacks(execute=True):
        services.counterparty_save(actor=user, counterparty=counterparty, reason="renamed")
    counterparty.refresh_from_db()
    assert counterparty.changed_at > first and queued == [1, 1]
    assert keys_of("C9") == counterparty_keys("Eloise Darcy")


def test_counterparty_save_refuses_an_impossible_birth_date():
    counterparty = Counterparty(reference="C9", kind="company", name="ACME", birth_date=dt.date(1990, 1, 1))
    with pytest.raises(ValidationError) as caught:
        services.counterparty_save(actor=None, counterparty=counterparty, reason="x")
    assert "birth_date" in caught.value.message_dict
    assert not Counterparty.objects.exists()


def test_the_importer_is_registered():
    assert importer_module.CounterpartyImporter.kind == "counterparties"
