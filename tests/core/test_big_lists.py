"""The big lists (issue 17): counted up to a cap in words that are true, pages past the cap, the API's
`count` and `next`, the search served by trigram indexes on PostgreSQL (and still working on SQLite)."""

from __future__ import annotations

import re

import pytest
from django.core.paginator import EmptyPage
from django.db import connection

from core.paginator import CappedPageNumberPagination, CappedPaginator
from gdpr.models import RightsRequest
from organization.models import Employee
from tests.clients import admin_client, api_client, list_cells
from tests.factories import EmployeeFactory
from tests.gdpr.factories import RightsRequestFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("roles")]
RIGHTS_LIST = "/admin/gdpr/rightsrequest/"
RIGHTS_API = "/api/gdpr/rights-requests/"


@pytest.fixture
def cap_of_5(monkeypatch):
    monkeypatch.setattr(CappedPaginator, "cap", 5)


def requests(n: int) -> None:
    RightsRequestFactory.create_batch(n)


# --- the paginator -------------------------------------------------------------------------------------


def test_below_the_cap_the_count_is_exact_and_the_pages_are_django_s(cap_of_5):
    requests(5)
    paginator = CappedPaginator(RightsRequest.objects.order_by("pk"), 2)
    assert (paginator.count, paginator.capped, paginator.num_pages) == (5, False, 3)
    assert list(paginator.get_elided_page_range(1)) == [1, 2, 3]
    with pytest.raises(EmptyPage):
        paginator.page(4)


def test_past_the_cap_the_count_stops_and_the_pages_past_it_still_open(cap_of_5):
    requests(9)
    rows = RightsRequest.objects.order_by("pk")
    paginator = CappedPaginator(rows, 2)
    assert (paginator.count, paginator.capped, paginator.num_pages) == (6, True, 3)
    # Page 3 is the last counted one, yet full, and followed by more.
    page = paginator.page(3)
    assert list(page.object_list) == list(rows[4:6]) and page.has_next()
    page = paginator.page(5)  # past the counted pages: the last row
    assert list(page.object_list) == list(rows[8:9]) and not page.has_next()
    with pytest.raises(EmptyPage):
        paginator.page(6)
    # The range of pages does not pretend to know the last one.
    assert list(paginator.get_elided_page_range(1))[-1] == CappedPaginator.ELLIPSIS


def test_the_count_reads_at_most_cap_plus_one_rows(cap_of_5, django_assert_num_queries):
    requests(7)
    paginator = CappedPaginator(RightsRequest.objects.order_by("-received_at"), 2)
    with django_assert_num_queries(1) as captured:
        assert paginator.count == 6
    sql = captured.captured_queries[0]["sql"].upper()
    assert "LIMIT 6" in sql and "ORDER BY" not in sql


# --- the admin's words -----------------------------------------------------------------------------------


def test_the_admin_list_says_more_than_the_cap_when_capped(cap_of_5):
    requests(8)
    body = admin_client("DPO", language="en").get(RIGHTS_LIST).content.decode()
    assert "more than 5 rights requests" in body and "more than 5 results" in body
    assert not re.search(r"\b[68]\s+(rights requests|selected)", body) and "Select all" not in body
    assert "6 selected" not in body


def test_the_admin_list_says_it_in_french(cap_of_5):
    requests(8)
    body = admin_client("DPO").get(RIGHTS_LIST).content.decode()
    assert "plus de 5 demandes" in body


def test_below_the_cap_the_admin_list_gives_the_exact_count(cap_of_5):
    requests(4)
    body = admin_client("DPO", language="en").get(RIGHTS_LIST).content.decode()
    assert re.search(r"\b4\s+rights requests", body) and "more than" not in body


def test_an_admin_page_past_the_cap_opens_and_one_past_the_rows_does_not(cap_of_5, monkeypatch):
    from gdpr.admin.rights import RightsRequestAdmin

    monkeypatch.setattr(RightsRequestAdmin, "list_per_page", 2)
    requests(9)
    client = admin_client("DPO", language="en")
    response = client.get(RIGHTS_LIST, {"p": 5})  # rows 9 (counted: 6)
    assert response.status_code == 200 and len(list_cells(response.content.decode(), "requester")) == 1
    assert client.get(RIGHTS_LIST, {"p": 6}).status_code == 302  # the admin's "invalid page": ?e=1


def test_a_page_number_no_database_offset_reaches_is_an_invalid_page_not_an_error(cap_of_5, monkeypatch):
    from gdpr.admin.rights import RightsRequestAdmin

    monkeypatch.setattr(RightsRequestAdmin, "list_per_page", 2)
    monkeypatch.setattr(CappedPageNumberPagination, "page_size", 2)
    requests(9)
    huge = str(10**20)
    assert admin_client("DPO", language="en").get(RIGHTS_LIST, {"p": huge}).status_code == 302  # ?e=1
    response = api_client("DPO").get(RIGHTS_API, {"page": huge})
    assert response.status_code == 404, response.content
    # Past the cap the last page is not known: no "last" that would be the last page counted.
    assert api_client("DPO").get(RIGHTS_API, {"page": "last"}).status_code == 404


# --- the API ---------------------------------------------------------------------------------------------


def test_the_api_count_is_exact_below_the_cap(cap_of_5):
    requests(4)
    body = api_client("DPO").get(RIGHTS_API).json()
    assert body["count"] == 4 and body["next"] is None and len(body["results"]) == 4


def test_the_api_count_is_null_past_the_cap_and_next_follows_the_rows(cap_of_5, monkeypatch):
    monkeypatch.setattr(CappedPageNumberPagination, "page_size", 2)
    requests(9)
    client = api_client("DPO")
    seen, url, pages = [], RIGHTS_API, 0
    while url:
        body = client.get(url).json()
        assert body["count"] is None
        seen += [row["reference"] for row in body["results"]]
        url, pages = body["next"], pages + 1
    assert pages == 5 and len(seen) == len(set(seen)) == 9
    assert client.get(RIGHTS_API, {"page": 6}).status_code == 404


def test_the_schema_says_the_count_may_be_null():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    count = schema["components"]["schemas"]["PaginatedRightsRequestList"]["properties"]["count"]
    assert count["nullable"] is True and count["type"] == "integer"


# --- search and indexes ----------------------------------------------------------------------------------


def test_the_admin_search_finds_a_request_by_reference_or_name():
    RightsRequestFactory(reference="DSR-B-00001", requester_name="Zoé Quintard")
    RightsRequestFactory(reference="DSR-B-00002", requester_name="Marc Durand")
    client = admin_client("DPO", language="en")
    by_reference = client.get(RIGHTS_LIST, {"q": "b-00001"}).content.decode()
    assert "DSR-B-00001" in by_reference and "DSR-B-00002" not in by_reference
    by_name = client.get(RIGHTS_LIST, {"q": "quintard"}).content.decode()
    assert "DSR-B-00001" in by_name and "DSR-B-00002" not in by_name


def test_the_admin_search_finds_an_employee_by_part_of_the_name():
    EmployeeFactory(employee_id="E-7781", last_name="Quintard")
    EmployeeFactory(employee_id="E-7782", last_name="Durand")
    body = admin_client("Training manager", language="en").get("/admin/organization/employee/", {"q": "intar"})
    assert "E-7781" in body.content.decode() and "E-7782" not in body.content.decode()


def test_the_hiring_year_filter_replaces_the_date_hierarchy():
    import datetime as dt

    EmployeeFactory(employee_id="E-2019", hired_on=dt.date(2019, 4, 1))
    EmployeeFactory(employee_id="E-2021", hired_on=dt.date(2021, 4, 1))
    client = admin_client("Training manager", language="en")
    body = client.get("/admin/organization/employee/", {"hired_on__year": "2019"}).content.decode()
    assert "E-2019" in body and "E-2021" not in body
    assert "hired_on__year=2020" in client.get("/admin/organization/employee/").content.decode()


TRIGRAM_INDEXES = {
    "gdpr_rightsrequest": {"rightsrequest_ref_trgm", "rightsrequest_name_trgm", "rightsrequest_email_trgm"},
    "organization_employee": {
        "employee_id_trgm",
        "employee_last_name_trgm",
        "employee_first_name_trgm",
        "employee_email_trgm",
    },
}


def test_the_trigram_indexes_exist_on_postgresql_only():
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT tablename, indexname, indexdef FROM pg_indexes WHERE indexname LIKE '%%_trgm'")
            rows = cursor.fetchall()
        for table, names in TRIGRAM_INDEXES.items():
            assert names <= {name for t, name, _ in rows if t == table}
        assert all("gin" in definition and "gin_trgm_ops" in definition for *_, definition in rows)
    else:
        with connection.cursor() as cursor:
            for table in TRIGRAM_INDEXES:
                indexes = connection.introspection.get_constraints(cursor, table)
                assert not any(name.endswith("_trgm") for name in indexes)


def test_the_list_order_indexes_exist():
    with connection.cursor() as cursor:
        for table, name in [
            ("training_completion", "completion_list_idx"),
            ("gdpr_rightsrequest", "rightsrequest_list_idx"),
            ("organization_employee", "employee_name_order_idx"),
        ]:
            assert name in connection.introspection.get_constraints(cursor, table)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner")
def test_postgresql_searches_the_references_through_the_trigram_index():
    requests(50)
    queryset = RightsRequest.objects.filter(reference__icontains="TEST-0004").order_by()
    # A table this small is read whole: forbid the scans that read every row, so the plan shows whether
    # the index can serve the lookup's own SQL (UPPER(reference::text) LIKE UPPER('%…%')).
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        plan = queryset.explain()
    assert "rightsrequest_ref_trgm" in plan


def test_employees_list_count_is_capped_too(cap_of_5):
    EmployeeFactory.create_batch(7)
    assert Employee.objects.count() == 7
    body = admin_client("Training manager", language="en").get("/admin/organization/employee/").content.decode()
    assert "more than 5 employees" in body


# --- the completions' year: a range of instants that the list's index serves, the same Paris days --------


@pytest.fixture
def new_year_completions():
    import datetime as dt

    from tests.training.factories import CompletionFactory, ModuleFactory

    module = ModuleFactory(deployed_on=dt.date(2020, 1, 1))
    utc = dt.UTC
    # 31 Dec 2024 23:30 UTC is 1 Jan 2025 00:30 in Paris; 31 Dec 2024 22:30 UTC is still 2024 there.
    late = CompletionFactory(module=module, completed_at=dt.datetime(2024, 12, 31, 23, 30, tzinfo=utc))
    early = CompletionFactory(module=module, completed_at=dt.datetime(2024, 12, 31, 22, 30, tzinfo=utc))
    assert (late.completed_on.year, early.completed_on.year) == (2025, 2024)
    return late.employee.employee_id, early.employee.employee_id


def test_the_admin_year_of_a_completion_is_its_paris_day(new_year_completions):
    in_2025, in_2024 = new_year_completions
    client = admin_client("Training manager", language="en")
    body = client.get("/admin/training/completion/", {"year": "2025"}).content.decode()
    assert in_2025 in body and in_2024 not in body
    body = client.get("/admin/training/completion/", {"year": "2024"}).content.decode()
    assert in_2024 in body and in_2025 not in body


def test_the_api_year_of_a_completion_is_its_paris_day(new_year_completions):
    in_2025, in_2024 = new_year_completions
    client = api_client("Training manager")
    for year, expected in [(2025, in_2025), (2024, in_2024)]:
        rows = client.get("/api/training/completions/", {"year": year}).json()["results"]
        assert [row["employee"] for row in rows] == [expected]


# --- the entities' and departments' head count: a subquery per row, the count of the list alone ---------


def test_the_head_count_of_a_department_counts_who_is_present_today(django_assert_max_num_queries):
    import datetime as dt

    from django.utils import timezone

    from tests.factories import DepartmentFactory

    today = timezone.localdate()
    big, small, empty = (DepartmentFactory(name=name) for name in ("A big", "B small", "C empty"))
    for _ in range(3):
        EmployeeFactory(department=big, hired_on=today - dt.timedelta(days=400), left_on=None)
    EmployeeFactory(department=big, hired_on=today - dt.timedelta(days=400), left_on=today - dt.timedelta(days=1))
    EmployeeFactory(department=big, hired_on=today + dt.timedelta(days=3))
    EmployeeFactory(department=small, hired_on=today, left_on=today)
    client = admin_client("Training manager", language="en")
    with django_assert_max_num_queries(12):
        body = client.get("/admin/organization/department/").content.decode()
    assert list_cells(body, "present_today") == ["3", "1", "0"]
    by_count = client.get("/admin/organization/department/", {"o": "2"}).content.decode()  # present today, asc
    assert list_cells(by_count, "present_today") == ["0", "1", "3"]
