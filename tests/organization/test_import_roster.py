"""`import_roster`: the HR roster from a French HR export or a plain CSV/XLSX."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import openpyxl
import pytest

from core.imports.testing import read_rejects, run_import_command
from organization.models import Department, Employee
from tests.factories import DepartmentFactory, EmployeeFactory, LegalEntityFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_messages", "isolated_media")]
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "imports"


@pytest.fixture(autouse=True)
def entities():
    return [LegalEntityFactory(code="ALS"), LegalEntityFactory(code="ONV")]


def fixture(tmp_path: Path, name: str) -> Path:
    """A copy of a fixture file, so its rejects file lands in tmp_path, not in the repository."""
    return Path(shutil.copy(FIXTURES / name, tmp_path / name))


def write(tmp_path: Path, text: str, name: str = "roster.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def rejects(tmp_path: Path, name: str = "roster") -> list[list[str]]:
    return read_rejects(tmp_path / f"{name}.rejects.csv")[1:]


def test_a_french_excel_export_in_windows_1252_with_semicolons_and_french_headers(tmp_path):
    result = run_import_command("roster", fixture(tmp_path, "roster_fr_excel.csv"))
    assert result.exit_code == 0, result.stdout
    assert "read 3, created 3" in result.stdout and "blank lines ignored 1" in result.stdout
    helene = Employee.objects.select_related("entity", "department").get(employee_id="A001")
    assert (helene.last_name, helene.first_name, helene.email) == ("Lefèvre", "Hélène", "helene.lefevre@example.org")
    assert (helene.entity.code, helene.department.name) == ("ALS", "Direction financière")
    assert (helene.hired_on, helene.left_on) == (dt.date(2015, 2, 1), None)
    assert (helene.is_manager, helene.gender, helene.is_executive) == (True, "F", True)
    francois = Employee.objects.get(employee_id="A002")
    assert (francois.left_on, francois.gender, francois.is_manager, francois.is_executive) == (
        dt.date(2023, 12, 31),
        "M",
        False,
        False,
    )
    assert Employee.objects.get(employee_id="A003").first_name == "Gaëlle"


def test_a_utf8_bom_comma_file_with_the_canonical_headers(tmp_path):
    result = run_import_command("roster", fixture(tmp_path, "roster_utf8_bom.csv"))
    assert result.exit_code == 0, result.stdout
    zoe = Employee.objects.get(employee_id="B001")
    assert (zoe.first_name, zoe.hired_on, zoe.is_manager, zoe.is_executive) == ("Zoé", dt.date(2018, 4, 1), True, True)
    assert Employee.objects.get(employee_id="B002").last_name == "Müller"
    assert Department.objects.get().name == "Ressources humaines"


def test_an_xlsx_with_typed_cells_float_ids_and_date_cells(tmp_path):
    path = tmp_path / "roster.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Matricule", "Nom", "Code entité", "Date d'embauche", "Date de sortie", "Manager", "Genre"])
    sheet.append([1234.0, "  Dupont ", "ALS", dt.datetime(2020, 2, 1), None, True, "Femme"])
    sheet.append([1235, "Martin", "onv", dt.date(2021, 3, 1), "31/12/2022", 0, "H"])
    workbook.save(path)
    result = run_import_command("roster", path)
    assert result.exit_code == 0, result.stdout
    dupont = Employee.objects.get(employee_id="1234")
    assert (dupont.last_name, dupont.hired_on, dupont.is_manager, dupont.gender) == (
        "Dupont",
        dt.date(2020, 2, 1),
        True,
        "F",
    )
    martin = Employee.objects.select_related("entity").get(employee_id="1235")
    assert (martin.entity.code, martin.hired_on, martin.left_on, martin.gender) == (
        "ONV",
        dt.date(2021, 3, 1),
        dt.date(2022, 12, 31),
        "M",
    )


def test_both_date_formats_are_accepted(tmp_path):
    path = write(
        tmp_path, "employee_id;entity_code;hired_on;left_on\nE1;ALS;2020-01-31;31/12/2021\nE2;ALS;05/06/2019;\n"
    )
    assert run_import_command("roster", path).exit_code == 0
    assert dict(Employee.objects.values_list("employee_id", "hired_on")) == {
        "E1": dt.date(2020, 1, 31),
        "E2": dt.date(2019, 6, 5),
    }


def test_an_impossible_date_is_rejected_with_the_column_and_the_value(tmp_path):
    path = write(tmp_path, "Matricule;Code entité;Date d'entrée\nE1;ALS;31/02/2023\n")
    assert run_import_command("roster", path).exit_code == 1
    assert rejects(tmp_path)[0][:2] == [
        "2",
        "hired_on (\"Date d'entrée\"): '31/02/2023' is not a valid date (no such day)",
    ]
    assert not Employee.objects.exists()


def test_an_unknown_entity_is_rejected(tmp_path):
    path = write(tmp_path, "employee_id;entity_code;hired_on\nE1;XYZ;2020-01-01\n")
    assert run_import_command("roster", path).exit_code == 1
    assert rejects(tmp_path)[0][1] == "entity_code: unknown entity 'XYZ'"


def test_entity_codes_match_whatever_their_case(tmp_path):
    path = write(tmp_path, "employee_id;entity_code;hired_on\nE1;als;2020-01-01\n")
    assert run_import_command("roster", path).exit_code == 0
    assert Employee.objects.get().entity.code == "ALS"


def test_leaving_before_being_hired_is_rejected(tmp_path):
    path = write(tmp_path, "employee_id;entity_code;hired_on;left_on\nE1;ALS;01/03/2021;01/01/2020\n")
    assert run_import_command("roster", path).exit_code == 1
    assert rejects(tmp_path)[0][1] == "left_on: 01/01/2020 is before the hiring date 01/03/2021"


def test_an_employee_id_twice_in_the_file_rejects_the_later_row(tmp_path):
    path = write(
        tmp_path,
        "employee_id;last_name;entity_code;hired_on\n"
        "E1;First;ALS;2020-01-01\nE2;Other;ALS;2020-01-01\nE1;Second;ALS;2020-01-01\n",
    )
    assert run_import_command("roster", path).exit_code == 1
    assert rejects(tmp_path) == [
        ["4", "duplicate employee_id 'E1' already on line 2", "E1", "Second", "ALS", "2020-01-01"]
    ]
    assert Employee.objects.get(employee_id="E1").last_name == "First"


def test_new_departments_are_created_once_with_history_and_counted(tmp_path):
    path = write(
        tmp_path,
        "employee_id;entity_code;hired_on;department\n"
        "E1;ALS;2020-01-01;Audit interne\nE2;ALS;2020-01-01;AUDIT INTERNE\nE3;ALS;2020-01-01;Achats\n"
        "E4;NOPE;2020-01-01;Never created\n",
    )
    result = run_import_command("roster", path)
    assert "departments created: 2" in result.stdout
    assert sorted(Department.objects.values_list("name", flat=True)) == ["Achats", "Audit interne"]
    created = Department.history.filter(name__in=["Achats", "Audit interne", "Never created"])
    assert created.count() == 2
    assert all(h.history_change_reason.startswith("import roster run ") for h in created)
    assert Employee.objects.get(employee_id="E2").department.name == "Audit interne"


def test_department_names_match_existing_ones_ignoring_case_and_accents(tmp_path):
    finance = DepartmentFactory(name="Direction Financière")
    path = write(tmp_path, "employee_id;entity_code;hired_on;Service\nE1;ALS;2020-01-01;direction  financiere\n")
    assert run_import_command("roster", path).exit_code == 0
    assert Employee.objects.get().department == finance
    assert Department.objects.count() == 1


def test_an_empty_department_cell_clears_the_department(tmp_path):
    EmployeeFactory(employee_id="E1", entity__code="ALS", hired_on=dt.date(2020, 1, 1))
    path = write(tmp_path, "employee_id;entity_code;hired_on;department\nE1;ALS;2020-01-01;\n")
    assert run_import_command("roster", path).exit_code == 0
    assert Employee.objects.get().department is None


@pytest.mark.parametrize(
    ("cell", "gender"),
    [("F", "F"), ("femme", "F"), ("Homme", "M"), ("H", "M"), ("m", "M"), ("other", "X"), ("Autre", "X"), ("", "")],
)
def test_gender_values(tmp_path, cell, gender):
    path = write(tmp_path, f"employee_id;entity_code;hired_on;Sexe\nE1;ALS;2020-01-01;{cell}\n")
    assert run_import_command("roster", path).exit_code == 0
    assert Employee.objects.get().gender == gender


@pytest.mark.parametrize(
    ("cell", "value"), [("Cadre", True), ("Non cadre", False), ("oui", True), ("0", False), ("", False)]
)
def test_executive_status_values(tmp_path, cell, value):
    path = write(tmp_path, f"employee_id;entity_code;hired_on;Statut cadre\nE1;ALS;2020-01-01;{cell}\n")
    assert run_import_command("roster", path).exit_code == 0
    assert Employee.objects.get().is_executive is value


def test_headers_are_matched_ignoring_case_accents_spaces_and_punctuation(tmp_path):
    path = write(tmp_path, "EMPLOYEE ID;Code-Entite;DATE D’ENTREE;e_mail;PRENOM\nE1;ALS;2020-01-01;a@example.org;Zoé\n")
    assert run_import_command("roster", path).exit_code == 0
    assert Employee.objects.filter(employee_id="E1", email="a@example.org", first_name="Zoé").exists()
