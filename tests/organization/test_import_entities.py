"""`import_entities`: legal entities and their parent company."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from core.imports.testing import read_rejects, run_import_command
from organization.models import LegalEntity
from tests.factories import LegalEntityFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_messages", "isolated_media")]
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "imports"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "entities.csv"
    path.write_text(text, encoding="utf-8")
    return path


def parents() -> dict[str, str | None]:
    return {e.code: e.parent.code if e.parent else None for e in LegalEntity.objects.select_related("parent")}


def test_a_parent_that_appears_later_in_the_file_is_written_first(tmp_path):
    path = Path(shutil.copy(FIXTURES / "entities.csv", tmp_path / "entities.csv"))
    history = LegalEntity.history.count()
    result = run_import_command("entities", path)
    assert result.exit_code == 0, result.stdout
    assert parents() == {"ALS": None, "ONV": "ALS", "SOLENDI": "ALS"}
    assert LegalEntity.objects.get(code="ONV").name == "Opérateur National de Vente"
    assert LegalEntity.history.count() == history + 3


def test_reimporting_the_entities_changes_nothing(tmp_path):
    path = Path(shutil.copy(FIXTURES / "entities.csv", tmp_path / "entities.csv"))
    run_import_command("entities", path)
    history = LegalEntity.history.count()
    result = run_import_command("entities", path)
    assert result.exit_code == 0
    assert "created 0, updated 0, unchanged 3" in result.stdout
    assert LegalEntity.history.count() == history


def test_a_new_parent_is_an_update_with_history(tmp_path):
    LegalEntityFactory(code="ONV", name="ONV")
    path = write(tmp_path, "code;name;parent_code\nONV;ONV;ALS\nALS;Parent;\n")
    result = run_import_command("entities", path)
    assert "created 1, updated 1" in result.stdout
    assert parents() == {"ALS": None, "ONV": "ALS"}
    assert LegalEntity.history.filter(code="ONV", history_type="~").count() == 1


def test_french_headers(tmp_path):
    path = write(tmp_path, "Code société;Raison sociale;Société mère\nALS;Action Logement Services;\n")
    assert run_import_command("entities", path).exit_code == 0
    assert LegalEntity.objects.get().name == "Action Logement Services"


def test_a_file_without_parent_column_leaves_parents_alone(tmp_path):
    parent = LegalEntityFactory(code="ALS")
    LegalEntityFactory(code="ONV", parent=parent)
    path = write(tmp_path, "code;name\nONV;Renamed\n")
    assert run_import_command("entities", path).exit_code == 0
    assert parents()["ONV"] == "ALS"
    assert LegalEntity.objects.get(code="ONV").name == "Renamed"


@pytest.mark.parametrize(
    ("rows", "line", "reason"),
    [
        ("A;A;ZZZ\n", "2", "unknown entity 'ZZZ' (neither in the database nor in the file)"),
        ("A;A;a\n", "2", "an entity cannot be its own parent"),
        ("A;A;B\nB;B;A\n", "2", "'B' would make a loop of parent companies"),
        ("A;A;B\nB;;\n", "2", "parent 'B' is on line 3, which was rejected"),
    ],
)
def test_impossible_parents_are_rejected(tmp_path, rows, line, reason):
    path = write(tmp_path, "code;name;parent_code\n" + rows)
    assert run_import_command("entities", path).exit_code == 1
    first = read_rejects(tmp_path / "entities.rejects.csv")[1]
    assert first[0] == line
    assert reason in first[1]


def test_a_loop_through_existing_entities_is_rejected(tmp_path):
    parent = LegalEntityFactory(code="ALS")
    LegalEntityFactory(code="ONV", parent=parent)
    path = write(tmp_path, "code;name;parent_code\nALS;ALS;ONV\n")
    assert run_import_command("entities", path).exit_code == 1
    assert parents()["ALS"] is None
