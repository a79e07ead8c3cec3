"""The training admin: a module's page (its rate with numerator and denominator, the breakdowns, the SVG
trend, the day and scope that drive them), the "not yet trained" list and its CSV, the renewals due, the
reference modules that cannot be deleted, completions and sessions recorded through the services, and who
may see or change what."""

from __future__ import annotations

import datetime as dt
import re
from functools import partial
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.clients import admin_client, list_cells, messages_of
from tests.factories import DepartmentFactory, EmployeeFactory, LegalEntityFactory
from tests.locks import record_locks
from tests.spreadsheet_checks import csv_fields, formula_fields
from tests.training.factories import (
    AttendanceFactory,
    CompletionFactory,
    ModuleFactory,
    SessionFactory,
    WorkshopFactory,
    paris,
)
from training import figures
from training.models import Attendance, Completion, Module, PhishingCampaign, Session

PARIS = paris(dt.date(2025, 6, 2)).tzinfo
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("roles"),
    pytest.mark.time_machine(dt.datetime(2025, 6, 2, 12, 0, tzinfo=PARIS), tick=False),
]
MODULES = "/admin/training/module/"
COMPLETIONS = "/admin/training/completion/"
SESSIONS = "/admin/training/session/"
ATTENDANCES = "/admin/training/attendance/"
PHISHING = "/admin/training/phishingcampaign/"
client_for = partial(admin_client, language="en")


class _Tables(HTMLParser):
    """The text of each cell of each row of the tables of a page, by table id."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table: str | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "table":
            self._table = dict(attrs).get("id") or ""
            self.tables[self._table] = []
        elif tag == "tr" and self._table is not None:
            self.tables[self._table].append([])
        elif tag in ("td", "th") and self._table is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._table is not None:
            self.tables[self._table][-1].append(re.sub(r"[ \t\r\n]+", " ", "".join(self._cell)).strip())
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def table(body: str, table_id: str) -> list[list[str]]:
    """The body rows (header row left out) of the table `table_id`."""
    parser = _Tables()
    parser.feed(body)
    return [row for row in parser.tables[table_id][1:] if row]


def svg_points(body: str) -> list[tuple[str, str]]:
    """(day, value) of each dot of the trend chart."""
    found = re.search(r'<svg id="trend-chart".*?</svg>', body, re.S)
    assert found is not None, "no trend chart"
    svg = found.group(0)
    return re.findall(r'<circle [^>]*data-day="([\d-]+)" data-value="([\d.]+)"', svg)


@pytest.fixture
def rated():
    """A module deployed on 15/01/2024 and the staff of two entities (EA, EB) and two departments.

    Today (02/06/2025) the population is 7 (A001-A004, B001-B003) and 4 are trained: 57.1 %.
    On 31/12/2024 A005 (left that day) is in, A002 (trained in 2025) is not yet trained: 4 of 8.
    Every module's figures of today are computed, as the nightly task does (the pages read them).
    """
    module = ModuleFactory(code="T-RATE", deployed_on=dt.date(2024, 1, 15))
    ea, eb = LegalEntityFactory(code="EA"), LegalEntityFactory(code="EB")
    one, two = DepartmentFactory(name="Dept One"), DepartmentFactory(name="Dept Two")

    def person(employee_id, entity, department, last, first, **extra):
        return EmployeeFactory(
            employee_id=employee_id, entity=entity, department=department, last_name=last, first_name=first, **extra
        )

    def trained(employee, day):
        CompletionFactory(employee=employee, module=module, completed_at=paris(day))

    trained(person("A001", ea, one, "Bernard", "Anne"), dt.date(2024, 3, 1))
    trained(person("A002", ea, one, "Moreau", "Paul", gender="M"), dt.date(2025, 5, 1))
    person("A003", ea, two, "Durand", "Claire", is_manager=True)
    person("A004", ea, two, "Martin", "Alice")
    trained(person("B001", eb, one, "Roux", "Julie"), dt.date(2024, 6, 1))
    b002 = person("B002", eb, two, "Petit", "Bruno", gender="M")
    CompletionFactory(
        employee=b002, module=module, completed_at=paris(dt.date(2023, 12, 1)), anomaly="before_deployment"
    )
    trained(person("B003", eb, two, "Lefebvre", "Emma"), dt.date(2024, 2, 1))
    trained(person("A005", ea, one, "Garnier", "Marc", left_on=dt.date(2024, 12, 31)), dt.date(2024, 5, 1))
    person("A006", ea, one, "Faure", "Lucie", hired_on=dt.date(2025, 7, 1))
    figures.compute_all()
    return module


def change_url(module: Module) -> str:
    return f"{MODULES}{module.pk}/change/"


# --- the module's page ---------------------------------------------------------------------------------------


def test_the_module_page_shows_the_rate_with_its_numerator_and_denominator_and_the_method(rated):
    body = client_for("Compliance officer").get(change_url(rated)).content.decode()
    assert 'data-numerator="4" data-denominator="7"' in body
    assert "57.1\u00a0%" in body and "4 trained of 7" in body
    assert "3 people not yet trained" in body
    assert "who completed it between its deployment on 15/01/2024" in body
    assert "Reference day: 02/06/2025." in body


def test_the_breakdown_tables_give_each_group_its_numerator_denominator_and_rate(rated):
    body = client_for("Compliance officer").get(change_url(rated)).content.decode()
    assert table(body, "breakdown-entity") == [
        ["EA – Entity EA", "2", "4", "2", "50.0\u00a0%"],
        ["EB – Entity EB", "2", "3", "1", "66.7\u00a0%"],
    ]
    assert table(body, "breakdown-department") == [
        ["Dept One", "3", "3", "0", "100.0\u00a0%"],
        ["Dept Two", "1", "4", "3", "25.0\u00a0%"],
    ]
    assert table(body, "breakdown-manager") == [
        ["Managers", "0", "1", "1", "0.0\u00a0%"],
        ["Non-managers", "4", "6", "2", "66.7\u00a0%"],
    ]
    assert table(body, "breakdown-gender") == [
        ["Female", "3", "5", "2", "60.0\u00a0%"],
        ["Male", "1", "2", "1", "50.0\u00a0%"],
    ]
    # Each entity row narrows the page to that entity.
    assert '<a href="?date=2025-06-02&amp;entity=EB">EB – Entity EB</a>' in body


def test_the_trend_chart_has_a_dot_per_month_since_deployment_with_its_value(rated):
    body = client_for("Compliance officer").get(change_url(rated)).content.decode()
    points = svg_points(body)
    # The month ends from 31/12/2023 (the month before deployment) to 31/05/2025, then the reference day.
    assert len(points) == 19
    assert points[0] == ("2023-12-31", "0.0")
    assert points[-1] == ("2025-06-02", "57.1")
    assert ("2024-12-31", "50.0") in points
    assert "<title>02/06/2025: 57.1\u00a0% (4 of 7)</title>" in body
    assert 'role="img" aria-labelledby="trend-chart-title trend-chart-desc"' in body
    # The same figures as a table, for those who cannot see the chart.
    rows = table(body, "trend-table")
    assert len(rows) == 19 and rows[-1] == ["02/06/2025", "4", "7", "57.1\u00a0%"]


def recomputed(client, module: Module, params: dict) -> str:
    """The page of `module` for the selection `params` after its "Recompute now" button."""
    response = client.post(f"{MODULES}{module.pk}/figures/?{urlencode(params)}", follow=True)
    assert response.redirect_chain[-1][0].startswith(change_url(module))
    return response.content.decode()


def test_the_day_and_the_entity_change_the_figures(rated):
    client = client_for("Compliance officer")
    body = recomputed(client, rated, {"date": "2024-12-31"})
    assert 'data-numerator="4" data-denominator="8"' in body
    assert svg_points(body)[-1] == ("2024-12-31", "50.0")
    body = recomputed(client, rated, {"entity": "EB"})
    assert 'data-numerator="2" data-denominator="3"' in body
    assert table(body, "breakdown-entity") == [["EB – Entity EB", "2", "3", "1", "66.7\u00a0%"]]
    department = rated.completions.get(employee__employee_id="A001").employee.department
    body = recomputed(client, rated, {"date": "2024-12-31", "department": department.pk})
    assert 'data-numerator="3" data-denominator="4"' in body  # A001, A005, B001 of A001, A002, A005, B001
    assert f"not-trained/?date=2024-12-31&amp;department={department.pk}" in body


def test_a_wrong_day_is_reported_on_the_form_and_today_is_used(rated):
    body = client_for("Compliance officer").get(change_url(rated), {"date": "31/31/2024"}).content.decode()
    assert "errorlist" in body
    assert 'data-numerator="4" data-denominator="7"' in body


# --- the people not yet trained ------------------------------------------------------------------------------


def test_the_not_trained_list_shows_the_people_of_the_scope(rated):
    client = client_for("Compliance officer")
    body = client.get(f"{MODULES}{rated.pk}/not-trained/").content.decode()
    assert [row[0] for row in table(body, "result_list")] == ["A003", "A004", "B002"]
    assert "3 people" in body
    body = client.get(f"{MODULES}{rated.pk}/not-trained/", {"date": "2024-12-31", "entity": "EA"}).content.decode()
    # In the roster's order: Durand, Martin, Moreau.
    assert [row[0] for row in table(body, "result_list")] == ["A003", "A004", "A002"]


def test_the_not_trained_csv_is_utf8_with_bom_and_semicolons(rated):
    response = client_for("Compliance officer").get(f"{MODULES}{rated.pk}/not-trained/", {"format": "csv"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="not-trained-T-RATE-2025-06-02.csv"' in response["Content-Disposition"]
    content = b"".join(response.streaming_content)
    assert content.startswith(b"\xef\xbb\xbf")
    assert content.decode("utf-8-sig").splitlines() == [
        "Employee ID;Last name;First name;Email;Entity;Department;Manager;Hired on;Last completion",
        "A003;Durand;Claire;a003@example.org;EA;Dept Two;Yes;01/01/2020;",
        "A004;Martin;Alice;a004@example.org;EA;Dept Two;No;01/01/2020;",
        "B002;Petit;Bruno;b002@example.org;EB;Dept Two;No;01/01/2020;",
    ]


def test_the_not_trained_csv_in_the_machine_dialect_has_the_same_rows_with_iso_dates(rated):
    client = client_for("Compliance officer")
    page = client.get(f"{MODULES}{rated.pk}/not-trained/").content.decode()
    assert 'id="people-csv-machine"' in page and "dialect=machine" in page
    response = client.get(f"{MODULES}{rated.pk}/not-trained/", {"format": "csv", "dialect": "machine"})
    content = b"".join(response.streaming_content).decode("utf-8")
    assert content.splitlines() == [
        "Employee ID,Last name,First name,Email,Entity,Department,Manager,Hired on,Last completion",
        "A003,Durand,Claire,a003@example.org,EA,Dept Two,Yes,2020-01-01,",
        "A004,Martin,Alice,a004@example.org,EA,Dept Two,No,2020-01-01,",
        "B002,Petit,Bruno,b002@example.org,EB,Dept Two,No,2020-01-01,",
    ]
    response = client.get(f"{MODULES}{rated.pk}/not-trained/", {"format": "csv", "dialect": "tsv"})
    assert response.status_code == 302 and "format" not in response["Location"]
    body = client.get(response["Location"]).content.decode()
    assert "french, machine" in body


def test_the_not_trained_csv_writes_formulas_from_the_roster_as_text():
    """Names come from the HR roster: a spreadsheet must show them, never run them."""
    module = ModuleFactory(code="T-FORMULA", deployed_on=dt.date(2024, 1, 15))
    EmployeeFactory(
        employee_id="F001",
        last_name="=cmd|'/C calc'!A0",
        first_name="@SUM(1)",
        department=DepartmentFactory(name="-2+3"),
    )
    response = client_for("Compliance officer").get(f"{MODULES}{module.pk}/not-trained/", {"format": "csv"})
    content = b"".join(response.streaming_content)
    assert formula_fields(content) == []
    assert {"'=cmd|'/C calc'!A0", "'@SUM(1)", "'-2+3"} <= set(csv_fields(content))


def test_the_not_trained_list_is_paginated():
    module = ModuleFactory()
    EmployeeFactory.create_batch(101)
    client = client_for("Compliance officer")
    body = client.get(f"{MODULES}{module.pk}/not-trained/").content.decode()
    assert len(table(body, "result_list")) == 100 and "page 1 of 2" in body
    body = client.get(f"{MODULES}{module.pk}/not-trained/", {"page": "2"}).content.decode()
    assert len(table(body, "result_list")) == 1


@pytest.fixture
def renewable():
    """Renewed every 12 months: today (02/06/2025) a completion of 01/05/2024 has expired, one of 15/07/2024
    counts until 14/07/2025 (within 60 days), one of 10/01/2025 until 09/01/2026."""
    module = ModuleFactory(code="T-RENEW", deployed_on=dt.date(2022, 1, 1), renewal_months=12)
    for employee_id, day in (
        ("R001", dt.date(2024, 5, 1)),
        ("R002", dt.date(2024, 7, 15)),
        ("R003", dt.date(2025, 1, 10)),
    ):
        CompletionFactory(employee=EmployeeFactory(employee_id=employee_id), module=module, completed_at=paris(day))
    figures.compute(module)
    return module


def test_an_expired_completion_is_the_last_completion_of_someone_not_trained(renewable):
    response = client_for("Auditor").get(f"{MODULES}{renewable.pk}/not-trained/", {"format": "csv"})
    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert len(lines) == 2 and lines[1].startswith("R001;") and lines[1].endswith(";01/05/2024")


def test_the_renewals_due_within_60_days_are_on_the_page_and_in_their_list(renewable):
    client = client_for("Compliance officer")
    body = client.get(change_url(renewable)).content.decode()
    assert "1 person's training stops counting within that time." in body
    assert [row[0] for row in table(body, "renewals-table")] == [
        str(renewable.completions.get(employee__employee_id="R002").employee)
    ]
    body = client.get(f"{MODULES}{renewable.pk}/renewals-due/").content.decode()
    assert "Renewal of T-RENEW due within 60 days" in body
    assert [row[0] for row in table(body, "result_list")] == ["R002"]
    response = client.get(f"{MODULES}{renewable.pk}/renewals-due/", {"format": "csv"})
    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[0].endswith(";Last completion;Counts until")
    assert len(lines) == 2 and lines[1].startswith("R002;") and lines[1].endswith(";15/07/2024;14/07/2025")


def test_the_renewals_due_list_is_paginated_and_counted_with_its_page():
    """Its order is a computed day (the database sorts them all): one query gives the page and the count."""
    module = ModuleFactory(code="T-RENEW-P", deployed_on=dt.date(2022, 1, 1), renewal_months=12)
    for n in range(101):  # counts until 30/06/2025 (within 60 days), the last one until 29/06/2025
        day = dt.date(2024, 6, 30) if n == 100 else dt.date(2024, 7, 1)
        CompletionFactory(employee=EmployeeFactory(employee_id=f"P{n:03d}"), module=module, completed_at=paris(day))
    client = client_for("Compliance officer")
    url = f"{MODULES}{module.pk}/renewals-due/"
    with CaptureQueriesContext(connection) as queries:
        body = client.get(url).content.decode()
    assert not [q for q in queries.captured_queries if q["sql"].startswith("SELECT COUNT(")]
    rows = [row[0] for row in table(body, "result_list")]
    assert "101 people" in body and "page 1 of 2" in body
    assert rows[:3] == ["P100", "P000", "P001"] and len(rows) == 100
    body = client.get(url, {"page": "2"}).content.decode()
    assert [row[0] for row in table(body, "result_list")] == ["P099"] and "page 2 of 2" in body
    body = client.get(url, {"page": "9"}).content.decode()  # past the end: the last page
    assert [row[0] for row in table(body, "result_list")] == ["P099"] and "page 2 of 2" in body
    body = client.get(url, {"page": "x"}).content.decode()  # a wrong number: the first page
    assert len(table(body, "result_list")) == 100 and "page 1 of 2" in body
    body = client.get(url, {"date": "2025-01-01"}).content.decode()
    assert "0 people" in body and "Nobody" in body


def test_a_module_without_renewal_has_no_renewals_list(rated):
    assert client_for("Compliance officer").get(f"{MODULES}{rated.pk}/renewals-due/").status_code == 404


# --- the list of modules --------------------------------------------------------------------------------------


def test_the_module_list_shows_today_s_rate_as_a_coloured_badge(rated):
    body = client_for("Compliance officer").get(MODULES).content.decode()
    assert "vigie-badge-red" in body and "57.1\u00a0%" in body and "4/7" in body
    # The reference modules of every installation are listed too.
    assert "LCBFT" in body and "ATELIER-DEONTO" in body


def test_module_list_query_count_is_pinned(rated, django_assert_max_num_queries):
    client = client_for("Auditor")
    # The 9 reference modules and ours: their stored rates are read in one query, whatever their number.
    with django_assert_max_num_queries(
        11
    ):  # +1: the user's groups, read once a request by the seal (core.roles.sealed_out)
        assert client.get(MODULES).status_code == 200


# --- writes through the services, and the reference modules --------------------------------------------------


def module_form(module: Module, **changes) -> dict:
    data: dict[str, Any] = {
        "code": module.code,
        "title": module.title,
        "kind": module.kind,
        "mandatory": "on" if module.mandatory else "",
        "audience": module.audience,
        "deployed_on": module.deployed_on.isoformat(),
        "renewal_months": module.renewal_months or "",
        "min_attendance_minutes": module.min_attendance_minutes or "",
        "expected_minutes": module.expected_minutes or "",
        "description": module.description,
        "audience_entities": [],
        "audience_departments": [],
        "_save": "Save",
    }
    data.update(changes)
    return {name: value for name, value in data.items() if value != ""}


def test_moving_the_deployment_day_in_the_admin_reflags_the_completions(rated):
    early = rated.completions.get(employee__employee_id="B003")  # 01/02/2024
    response = client_for("Training manager").post(change_url(rated), module_form(rated, deployed_on="2024-03-01"))
    assert response.status_code == 302
    early.refresh_from_db()
    assert early.anomaly == "before_deployment"
    assert early.history.first().history_user is not None


def test_creating_a_module_in_the_admin_sets_its_audience():
    entity = LegalEntityFactory(code="ONLY")
    response = client_for("Training manager").post(
        f"{MODULES}add/",
        module_form(
            Module(
                code="T-NEW",
                title="New",
                kind="e_learning",
                mandatory=True,
                audience="managers",
                deployed_on=dt.date(2025, 1, 1),
            ),
            audience_entities=[entity.pk],
        ),
    )
    assert response.status_code == 302
    module = Module.objects.get(code="T-NEW")
    assert list(module.audience_entities.all()) == [entity] and module.audience == "managers"


def test_an_e_learning_module_with_an_attendance_minimum_is_refused_on_the_form():
    response = client_for("Training manager").post(
        f"{MODULES}add/",
        module_form(
            Module(code="T-BAD", title="Bad", kind="e_learning", deployed_on=dt.date(2025, 1, 1)),
            min_attendance_minutes="30",
        ),
    )
    assert response.status_code == 200 and not Module.objects.filter(code="T-BAD").exists()
    assert "An e-learning module has no attendance minimum" in response.content.decode()


def test_a_reference_module_cannot_be_deleted_and_keeps_its_code():
    reference = Module.objects.get(code="LCBFT")
    client = client_for("Training manager")
    assert client.get(f"{MODULES}{reference.pk}/delete/").status_code == 403
    body = client.get(change_url(reference)).content.decode()
    assert 'name="code"' not in body and 'name="title"' in body and "/delete/" not in body
    # Nor through the "delete selected" action, whose confirmation refuses it.
    response = client.post(MODULES, {"action": "delete_selected", ACTION_CHECKBOX_NAME: [reference.pk]})
    assert "Cannot delete training module" in response.content.decode()
    response = client.post(MODULES, {"action": "delete_selected", ACTION_CHECKBOX_NAME: [reference.pk], "post": "yes"})
    assert response.status_code == 403
    assert Module.objects.filter(code="LCBFT").exists()


def test_an_ordinary_module_can_be_deleted_by_a_training_manager():
    module = ModuleFactory()
    client = client_for("Training manager")
    assert client.post(f"{MODULES}{module.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not Module.objects.filter(pk=module.pk).exists()


# --- completions ----------------------------------------------------------------------------------------------


def test_adding_a_completion_sets_its_paris_day_and_flags_one_in_the_future():
    module, employee = ModuleFactory(deployed_on=dt.date(2024, 1, 1)), EmployeeFactory()
    client = client_for("Training manager")
    # 00:30 in Paris on 31/05 is still 30/05 in UTC: the day is Paris's.
    response = client.post(
        f"{COMPLETIONS}add/",
        {"employee": employee.pk, "module": module.pk, "completed_at": "2025-05-31T00:30", "duration_minutes": "40"},
    )
    assert response.status_code == 302
    completion = Completion.objects.get(employee=employee)
    assert completion.completed_on == dt.date(2025, 5, 31) and completion.anomaly == ""
    response = client.post(
        f"{COMPLETIONS}add/",
        {"employee": employee.pk, "module": module.pk, "completed_at": "2025-06-03T09:00"},
        follow=True,
    )
    future = Completion.objects.get(employee=employee, completed_on=dt.date(2025, 6, 3))
    assert future.anomaly == "future"
    assert any("kept but not counted" in message for message in messages_of(response))
    assert future.history.first().history_user.groups.filter(name="Training manager").exists()


def test_a_recorded_completion_is_shown_read_only():
    completion = CompletionFactory()
    body = client_for("Training manager").get(f"{COMPLETIONS}{completion.pk}/change/").content.decode()
    assert 'name="completed_at"' not in body and "Save" not in body


def test_the_completion_list_shows_the_anomaly_and_filters_by_entity_year_and_anomaly():
    module = ModuleFactory(deployed_on=dt.date(2023, 1, 1))
    CompletionFactory(
        module=module,
        employee=EmployeeFactory(employee_id="C-COUNTED", entity=LegalEntityFactory(code="E1")),
        completed_at=paris(dt.date(2024, 3, 1)),
    )
    CompletionFactory(
        module=module,
        employee=EmployeeFactory(employee_id="C-FLAGGED", entity=LegalEntityFactory(code="E2")),
        completed_at=paris(dt.date(2022, 3, 1)),
        anomaly="before_deployment",
    )
    client = client_for("Auditor")
    body = client.get(COMPLETIONS).content.decode()
    assert "Dated before the module&#x27;s deployment" in body and "vigie-badge-amber" in body
    for params, shown, hidden in (
        ({"entity": "E1"}, "C-COUNTED", "C-FLAGGED"),
        ({"year": "2022"}, "C-FLAGGED", "C-COUNTED"),
        ({"anomaly": "any"}, "C-FLAGGED", "C-COUNTED"),
        ({"anomaly": "none"}, "C-COUNTED", "C-FLAGGED"),
        ({"q": "C-COUNTED"}, "C-COUNTED", "C-FLAGGED"),
    ):
        body = client.get(COMPLETIONS, params).content.decode()
        assert shown in body and hidden not in body, params


def test_completion_list_query_count_is_pinned(django_assert_max_num_queries):
    module = ModuleFactory()
    for _index in range(30):
        CompletionFactory(module=module)
    client = client_for("Auditor")
    with django_assert_max_num_queries(12):
        assert client.get(COMPLETIONS).status_code == 200


# --- sessions and attendance ----------------------------------------------------------------------------------


def session_post(module: Module, lines: list[dict], **fields) -> dict:
    data = {
        "reference": "",
        "module": module.pk,
        "held_on": "2025-03-14",
        "duration_minutes": "90",
        "trainer": "Conformité",
        "place": "Paris",
        "notes": "",
        "attendances-TOTAL_FORMS": str(len(lines)),
        "attendances-INITIAL_FORMS": "0",
        "attendances-MIN_NUM_FORMS": "0",
        "attendances-MAX_NUM_FORMS": "1000",
        **fields,
    }
    for index, line in enumerate(lines):
        data.update({f"attendances-{index}-{name}": value for name, value in line.items()})
    return data


def test_a_session_is_created_with_its_attendance_sheet_and_a_generated_reference():
    workshop = WorkshopFactory(min_attendance_minutes=45)
    stayed, left_early = EmployeeFactory(), EmployeeFactory()
    client = client_for("Training manager")
    response = client.post(
        f"{SESSIONS}add/",
        session_post(
            workshop,
            [
                {"employee": stayed.pk, "minutes_attended": "90", "role": "participant"},
                {"employee": left_early.pk, "minutes_attended": "30", "role": "participant"},
            ],
        ),
    )
    assert response.status_code == 302
    session = Session.objects.get(module=workshop)
    assert session.reference == "SES-2025-0001"
    assert {(a.employee_id, a.minutes_attended, a.qualifies) for a in session.attendances.all()} == {
        (stayed.pk, 90, True),
        (left_early.pk, 30, False),
    }
    assert session.attendances.get(employee=stayed).history.first().history_user is not None
    body = client.get(SESSIONS).content.decode()
    assert list_cells(body, "attendee_count") == ["2"] and list_cells(body, "qualifying_count") == ["1"]
    body = client.get(f"{SESSIONS}{session.pk}/change/").content.decode()
    assert body.count("vigie-badge-green") == 1 and body.count("vigie-badge-grey") == 1


def test_the_attendance_sheet_is_corrected_and_lines_removed_in_the_session_page():
    session = SessionFactory()
    kept = AttendanceFactory(session=session, minutes_attended=20)
    removed = AttendanceFactory(session=session)
    data = session_post(
        session.module,
        [
            {"id": kept.pk, "employee": kept.employee_id, "minutes_attended": "60", "role": "participant"},
            {
                "id": removed.pk,
                "employee": removed.employee_id,
                "minutes_attended": "90",
                "role": "participant",
                "DELETE": "on",
            },
        ],
        **{
            "attendances-INITIAL_FORMS": "2",
            "held_on": "2023-03-14",
            "attendances-0-session": session.pk,
            "attendances-1-session": session.pk,
        },
    )
    data.pop("reference")
    response = client_for("Training manager").post(f"{SESSIONS}{session.pk}/change/", data)
    assert response.status_code == 302
    assert list(session.attendances.values_list("employee_id", "minutes_attended")) == [(kept.employee_id, 60)]
    gone = Attendance.history.filter(id=removed.pk).latest()
    assert (gone.history_type, gone.history_change_reason) == ("-", "Attendance removed")
    assert gone.history_user is not None


def removal_of(attendance: Attendance):
    """The history row of the line's removal: what it was, who removed it and why."""
    return Attendance.history.filter(id=attendance.pk, history_type="-").get()


def test_an_attendance_removed_on_its_delete_page_goes_through_the_service(monkeypatch):
    """Issue 15, item 3: the delete page deleted the row itself; `attendance_remove` locks it and records
    the reason of the removal."""
    line = AttendanceFactory()
    locked = record_locks(monkeypatch)
    response = client_for("Training manager").post(f"{ATTENDANCES}{line.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302 and not Attendance.objects.exists()
    assert Attendance in locked
    removal = removal_of(line)
    assert removal.history_change_reason == "Attendance removed" and removal.history_user is not None


def test_attendances_removed_with_delete_selected_go_through_the_service(monkeypatch):
    lines = [AttendanceFactory(), AttendanceFactory()]
    locked = record_locks(monkeypatch)
    response = client_for("Training manager").post(
        ATTENDANCES, {"action": "delete_selected", ACTION_CHECKBOX_NAME: [line.pk for line in lines], "post": "yes"}
    )
    assert response.status_code == 302 and not Attendance.objects.exists()
    assert Attendance in locked
    assert [removal_of(line).history_change_reason for line in lines] == ["Attendance removed"] * 2


def test_the_attendance_sheet_removes_its_lines_under_a_lock(monkeypatch):
    session = SessionFactory()
    line = AttendanceFactory(session=session)
    data = session_post(
        session.module,
        [
            {
                "id": line.pk,
                "employee": line.employee_id,
                "minutes_attended": "90",
                "role": "participant",
                "DELETE": "on",
            },
        ],
        **{"attendances-INITIAL_FORMS": "1", "held_on": "2023-03-14", "attendances-0-session": session.pk},
    )
    data.pop("reference")
    locked = record_locks(monkeypatch)
    assert client_for("Training manager").post(f"{SESSIONS}{session.pk}/change/", data).status_code == 302
    assert Attendance in locked and removal_of(line).history_change_reason == "Attendance removed"


def test_a_session_of_an_e_learning_module_cannot_be_created():
    response = client_for("Training manager").post(f"{SESSIONS}add/", session_post(ModuleFactory(), []))
    assert response.status_code == 200 and not Session.objects.exists()


def test_the_attendance_list_filters_on_counting_as_trained():
    session = SessionFactory(module=WorkshopFactory(min_attendance_minutes=45))
    AttendanceFactory(session=session, employee=EmployeeFactory(employee_id="ENOUGH"), minutes_attended=46)
    AttendanceFactory(session=session, employee=EmployeeFactory(employee_id="SHORT"), minutes_attended=45)
    client = client_for("Auditor")
    body = client.get(ATTENDANCES, {"qualifies": "yes"}).content.decode()
    assert "ENOUGH" in body and "SHORT" not in body
    body = client.get(ATTENDANCES, {"qualifies": "no", "module": str(session.module_id)}).content.decode()
    assert "SHORT" in body and "ENOUGH" not in body


def test_an_attendance_added_in_its_own_admin_goes_through_the_service():
    session = SessionFactory()
    employee = EmployeeFactory()
    response = client_for("Training manager").post(
        f"{ATTENDANCES}add/",
        {"session": session.pk, "employee": employee.pk, "minutes_attended": "50", "role": "facilitator"},
    )
    assert response.status_code == 302
    attendance = Attendance.objects.get(session=session, employee=employee)
    assert (
        attendance.role == "facilitator" and attendance.history.first().history_change_reason == "Attendance recorded"
    )


# --- phishing campaigns ---------------------------------------------------------------------------------------


def test_a_campaign_is_saved_through_the_service_with_a_generated_reference():
    client = client_for("Training manager")
    response = client.post(
        f"{PHISHING}add/",
        {"sent_on": "2025-05-16", "theme": "Colis", "targeted": "200", "clicked": "25", "reported": "40", "notes": ""},
    )
    assert response.status_code == 302
    assert PhishingCampaign.objects.get().reference == "PHI-2025-01"
    body = client.get(PHISHING, {"year": "2025"}).content.decode()
    assert "12.5\u00a0%" in body


def test_a_campaign_with_more_clicks_than_targets_is_refused():
    response = client_for("Training manager").post(
        f"{PHISHING}add/",
        {"sent_on": "2025-05-16", "theme": "Colis", "targeted": "20", "clicked": "25", "reported": "0"},
    )
    assert response.status_code == 200 and not PhishingCampaign.objects.exists()


# --- who may do what ------------------------------------------------------------------------------------------


def test_an_auditor_sees_the_pages_and_the_csv_but_adds_nothing(rated):
    client = client_for("Auditor")
    assert client.get(change_url(rated)).status_code == 200
    assert client.get(f"{MODULES}{rated.pk}/not-trained/", {"format": "csv"}).status_code == 200
    for url in (f"{MODULES}add/", f"{COMPLETIONS}add/", f"{SESSIONS}add/", f"{PHISHING}add/"):
        assert client.get(url).status_code == 403, url
    body = client.get(change_url(rated)).content.decode()
    assert 'name="title"' not in body and 'name="_save"' not in body
    response = client.post(change_url(rated), module_form(rated, title="Changed"))
    assert response.status_code == 403 and Module.objects.get(pk=rated.pk).title != "Changed"


def test_someone_without_training_permissions_cannot_open_the_list_of_people(rated):
    client = client_for("DPO")
    assert client.get(f"{MODULES}{rated.pk}/not-trained/").status_code == 403
    assert client.get(f"{MODULES}{rated.pk}/not-trained/", {"format": "csv"}).status_code == 403


def test_the_pages_are_in_french_by_default(rated):
    body = admin_client("Compliance officer").get(change_url(rated)).content.decode()
    assert "57,1\u00a0%" in body


def test_the_module_page_query_count_is_pinned(rated, django_assert_max_num_queries):
    client = client_for("Auditor")
    # The rate, the 24 months of trend and the four breakdowns are read in one query (the stored figures).
    with django_assert_max_num_queries(
        16
    ):  # +1: the user's groups, read once a request by the seal (core.roles.sealed_out)
        assert client.get(change_url(rated)).status_code == 200


def test_the_history_pages_of_a_module_and_a_completion_open():
    completion = CompletionFactory()
    client = client_for("Auditor")
    assert client.get(f"{MODULES}{completion.module_id}/history/").status_code == 200
    assert client.get(f"{COMPLETIONS}{completion.pk}/history/").status_code == 200
