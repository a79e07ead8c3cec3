"""Personal-data retention never tells a role about records it may not view (issue 14, item 1).

An employee named in a conflict-of-interest case (its reporter, maybe a whistleblower, or a person
concerned) used to wait, not anonymised, until the case was: a training manager, the DPO or an auditor
listing the employees who left long ago and are still identified got exactly the people named in cases
(and an auditor, who reads the cases without their reporters, got the reporters). Now every employee is
anonymised on time; the identity a case still needs is copied on the case, where only compliance
officers read it, and goes with the case's own retention. The run reports and the dry-run preview show
a role nothing that differs because of records it may not view.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from compliance.models import ConflictOfInterestCase
from core import retention
from core.models import RetentionRun
from organization.models import Employee
from tests.clients import admin_client, api_client, messages_of
from tests.compliance.factories import CaseFactory
from tests.core.test_retention import where_found
from tests.factories import DepartmentFactory, EmployeeFactory, LegalEntityFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("roles", "isolated_media")]

EMPLOYEES = "/admin/organization/employee/"
CASES = "/admin/compliance/conflictofinterestcase/"
NOT_OFFICERS = ["Training manager", "DPO", "Auditor"]
REPORTER = "Zqreporter Ines (E-REPORTER)"
CONCERNED = "Zqconcerned Marc (E-CONCERNED)"
NAMES = ("Zqreporter", "Zqconcerned", "E-REPORTER", "E-CONCERNED")


class Roster:
    """Three employees who left six years ago, alike but for their names: the reporter of an open case,
    a person concerned by it, and one no case names."""

    def __init__(self) -> None:
        self.today = timezone.localdate()
        left = self.today - relativedelta(years=6)
        entity, department = LegalEntityFactory(code="ENT-R"), DepartmentFactory(name="Loans")
        alike = {
            "entity": entity,
            "department": department,
            "hired_on": dt.date(2010, 1, 4),
            "left_on": left,
            "gender": "F",
        }
        self.reporter = EmployeeFactory(employee_id="E-REPORTER", last_name="Zqreporter", first_name="Ines", **alike)
        self.concerned = EmployeeFactory(employee_id="E-CONCERNED", last_name="Zqconcerned", first_name="Marc", **alike)
        self.plain = EmployeeFactory(employee_id="E-PLAIN", last_name="Zqplain", first_name="Anne", **alike)
        self.employees = (self.reporter, self.concerned, self.plain)

    def open_case(self, **extra) -> ConflictOfInterestCase:
        case = CaseFactory(
            source="whistleblowing",
            reporter_employee=self.reporter,
            reported_on=self.today - dt.timedelta(days=10),
            **extra,
        )
        case.persons_concerned.add(self.concerned)
        return case


@pytest.fixture
def roster() -> Roster:
    return Roster()


def _api_view(api, employee: Employee) -> dict:
    data = api.get(f"/api/organization/employees/{employee.pk}/").json()
    assert data.pop("id") == employee.pk and data.pop("employee_id") == f"ANON-{employee.pk}", data
    return data


# --- the roster: everyone anonymised on time ------------------------------------------------------------------


@pytest.mark.parametrize("group", NOT_OFFICERS)
def test_an_employee_named_in_an_open_case_is_anonymised_like_any_other(roster, group):
    roster.open_case()
    retention.run(today=roster.today)

    browser, api = admin_client(group, language="en"), api_client(group)
    pks = {employee.pk for employee in roster.employees}
    listed = {row.pk for row in browser.get(f"{EMPLOYEES}?anonymised_on__isempty=0").context["cl"].result_list}
    assert listed == pks  # all three, none left out
    waiting = browser.get(f"{EMPLOYEES}?presence=left&anonymised_on__isempty=1").context["cl"].result_list
    assert [row.pk for row in waiting] == []
    searched = browser.get(f"{EMPLOYEES}?q=Zq").context["cl"].result_list
    assert [row.pk for row in searched] == []

    # The API shows the three rows alike (their ids aside).
    views = [_api_view(api, employee) for employee in roster.employees]
    assert views[0] == views[1] == views[2]
    assert views[0]["last_name"] == views[0]["first_name"] == views[0]["email"] == ""

    for employee in roster.employees:
        page = browser.get(f"{EMPLOYEES}{employee.pk}/change/").content.decode()
        assert "Personal-data retention" in page and not any(name in page for name in NAMES), employee
        history = browser.get(f"{EMPLOYEES}{employee.pk}/history/").content.decode()
        assert retention.change_reason("organization.employee") in history
        assert not any(name in history for name in NAMES), employee
        stored = Employee.objects.get(pk=employee.pk)
        assert stored.anonymised_on == timezone.localdate() and stored.history.count() == 2


# --- the case keeps the identities, for compliance officers only ----------------------------------------------


def test_compliance_officers_still_read_on_the_case_who_reported_and_who_is_concerned(roster):
    case = roster.open_case()
    retention.run(today=roster.today)

    case.refresh_from_db()
    assert case.reporter_name == REPORTER and case.persons_concerned_identities == CONCERNED
    assert case.anonymised_on is None and case.reporter_employee_id == roster.reporter.pk  # links kept
    latest = case.history.first()
    assert latest.history_change_reason == retention.copied_reason("organization.employee")

    officer, officer_api = admin_client("Compliance officer", language="en"), api_client("Compliance officer")
    page = officer.get(f"{CASES}{case.pk}/change/").content.decode()
    assert REPORTER in page and CONCERNED in page
    detail = officer_api.get(f"/api/compliance/coi-cases/{case.pk}/").json()
    assert (detail["reporter_name"], detail["persons_concerned_identities"]) == (REPORTER, CONCERNED)
    assert REPORTER in officer.get(f"{CASES}{case.pk}/history/").content.decode()

    # The auditor reads the case, never the identities (nor searches or filters by them).
    auditor, auditor_api = admin_client("Auditor", language="en"), api_client("Auditor")
    for url in (f"{CASES}{case.pk}/change/", f"{CASES}{case.pk}/history/", CASES):
        body = auditor.get(url).content.decode()
        assert case.reference in body and not any(name in body for name in NAMES), url
    body = auditor_api.get(f"/api/compliance/coi-cases/{case.pk}/").content.decode()
    assert case.reference in body and "persons_concerned_identities" not in body
    assert not any(name in body for name in NAMES)
    # Nor when: a history row that changed only the identities would date the reporter's anonymisation.
    rows = [row.history_id for row in auditor.get(f"{CASES}{case.pk}/history/").context["page_obj"].object_list]
    assert rows == list(case.history.exclude(history_id=latest.history_id).values_list("history_id", flat=True))
    assert (
        retention.copied_reason("organization.employee")
        not in auditor.get(f"{CASES}{case.pk}/history/").content.decode()
    )
    response = auditor.get(f"{CASES}?persons_concerned_identities__contains=Zq", follow=True)
    assert response.status_code == 400 or "?e=1" in response.redirect_chain[-1][0]
    assert auditor.get(f"{CASES}{case.pk}/history/{latest.history_id}/").status_code == 403


def test_a_reporter_name_already_typed_keeps_its_text_and_gains_the_identity(roster):
    case = roster.open_case(reporter_name="by phone, asked to stay anonymous")
    other = roster.open_case(reporter_name=f"Ines {roster.reporter.last_name}, hotline")
    second = CaseFactory(reported_on=roster.today - dt.timedelta(days=3))
    second.persons_concerned.add(roster.concerned, roster.plain)
    retention.run(today=roster.today)

    case.refresh_from_db()
    other.refresh_from_db()
    second.refresh_from_db()
    assert case.reporter_name == f"by phone, asked to stay anonymous — {REPORTER}"
    assert other.reporter_name == f"Ines Zqreporter, hotline — {REPORTER}"
    assert second.reporter_name == "" and second.persons_concerned_identities.splitlines() == sorted(
        [CONCERNED, "Zqplain Anne (E-PLAIN)"]
    )
    # A later run adds the employee it anonymises; the identities already there stay, once each.
    second.persons_concerned.add(
        EmployeeFactory(
            employee_id="E-LATER", hired_on=dt.date(2010, 1, 4), left_on=roster.today - relativedelta(years=7)
        )
    )
    retention.run(today=roster.today)
    second.refresh_from_db()
    assert len(second.persons_concerned_identities.splitlines()) == 3


def test_the_case_s_own_retention_later_erases_the_copied_identities(roster):
    case = roster.open_case()
    retention.run(today=roster.today)
    ConflictOfInterestCase.objects.filter(pk=case.pk).update(
        status="closed", qualification="unfounded", qualified_on=roster.today, closed_on=roster.today
    )
    found = where_found(set(NAMES))
    assert set(found) == set(NAMES)  # on the case and its history only
    assert {table for tables in found.values() for table in tables} == {
        "compliance_conflictofinterestcase",
        "compliance_historicalconflictofinterestcase",
    }

    retention.run(today=roster.today + relativedelta(months=2))
    case.refresh_from_db()
    assert case.anonymised_on is not None and case.reporter_name == ""
    assert case.persons_concerned_identities == retention.placeholder()
    assert where_found(set(NAMES)) == {}


# --- the run reports and the preview --------------------------------------------------------------------------


def _cells(html: str, *names: str) -> list[str]:
    found = []
    for name in names:
        found += re.findall(rf'class="[^"]*field-{name}[^"]*">(.*?)</(?:td|div)>', html, flags=re.S)
    return [re.sub(r"\s+", " ", cell).strip() for cell in found]


def _seen(group: str, run: RetentionRun, response=None) -> dict:
    """What `group` reads of `run`: the report on its page, its row in the list, the preview's message."""
    client = admin_client(group, language="en")
    page = client.get(reverse("admin:core_retentionrun_change", args=[run.pk])).content.decode()
    listing = client.get(reverse("admin:core_retentionrun_changelist")).content.decode()
    report_match = re.search(r'<table class="vigie-retention-report">.*?</table>', page, flags=re.S)
    text_match = re.search(r"<pre[^>]*>(.*?)</pre>", page, flags=re.S)
    assert report_match and text_match, page
    report, text = report_match.group(0), text_match.group(1)
    seen = {
        "report": report,
        "text": re.sub(r"\(run \d+\)", "(run N)", text),
        "page": _cells(page, "anonymised", "records"),
        "list": _cells(listing, "anonymised", "records", "status_badge", "dry_run"),
    }
    if response is not None:
        seen["message"] = messages_of(response)
    return seen


def _run(group: str, *, dry_run: bool) -> dict:
    if dry_run:  # the preview button
        response = admin_client(group, language="en").post(reverse("admin:core_retentionrun_preview"))
        return _seen(group, RetentionRun.objects.latest("pk"), response)
    return _seen(group, retention.run())


@pytest.mark.parametrize("dry_run", [True, False], ids=["preview", "run"])
@pytest.mark.parametrize("group", ["Training manager", "DPO"])
def test_the_run_reports_look_the_same_with_and_without_cases(roster, group, dry_run):
    """A case naming two of the employees, another (closed long ago: expired itself) naming the third:
    the preview and the report are the same, to a role that cannot view the cases, as without them."""

    def with_cases() -> dict:
        with transaction.atomic():
            roster.open_case()
            old = CaseFactory(
                reported_on=roster.today - relativedelta(years=2),
                status="closed",
                qualification="unfounded",
                qualified_on=roster.today - relativedelta(years=2),
                closed_on=roster.today - relativedelta(years=1),
            )
            old.persons_concerned.add(roster.plain)
            seen = _run(group, dry_run=dry_run)
            transaction.set_rollback(True)
        return seen

    def without() -> dict:
        with transaction.atomic():
            seen = _run(group, dry_run=dry_run)
            transaction.set_rollback(True)
        return seen

    plain, cases = without(), with_cases()
    assert plain == cases
    assert "3 records" in plain["text"]  # the three employees, in both


def test_the_officer_sees_every_count_and_reference(roster):
    case = CaseFactory(
        reference="COI-EXPIRED",
        reported_on=roster.today - relativedelta(years=2),
        status="closed",
        qualification="unfounded",
        qualified_on=roster.today - relativedelta(years=2),
        closed_on=roster.today - relativedelta(years=1),
    )
    case.persons_concerned.add(roster.plain)
    run = retention.run(dry_run=True)
    officer = _seen("Compliance officer", run)
    trainer = _seen("Training manager", run)
    assert "COI-EXPIRED" in officer["report"] and "COI-EXPIRED" not in trainer["report"]
    assert "Total: 4 records to anonymise" in officer["text"]
    assert "Total: 3 records to anonymise" in trainer["text"]


# --- the declarations ------------------------------------------------------------------------------------------


def test_no_hold_lets_a_role_see_a_record_wait_for_records_it_may_not_view():
    """A hold is only allowed where every role that views the held records views their holders too (the
    gdpr one: rights requests and CNIL cases have the same readers); a cross-domain one is refused by the
    system check, and the shipped declarations pass it."""
    assert [error for error in retention.check_retention() if error.id == "core.E303"] == []
    for hold in retention.all_holds():
        assert retention.hold_problems(hold) == [], hold
    leaky = retention.Hold(
        "organization.employee", holder="compliance.conflictofinterestcase", keep=lambda cases: cases.none()
    )
    problems = retention.hold_problems(leaky)
    # Every role that views the roster but not the cases: the training managers, the DPOs, the AML/CFT officers,
    # the whistleblowing referents.
    roles = ("Training manager", "DPO", "LCB-FT", "Référent alertes")
    assert problems and all(any(role in p for role in roles) for p in problems)
    assert any("DPO" in p for p in problems)


def test_the_auditor_is_not_told_when_a_reporter_was_typed_in():
    """The same rule for a reporter's name a compliance officer adds later: the version that changed it
    only is the officer's to see."""
    from compliance.services.cases import coi_case_update

    case = CaseFactory(description="Loans granted to a relative.")
    coi_case_update(actor=None, case=case, reporter_name="Zqreporter Ines")
    coi_case_update(actor=None, case=case, description="Loans granted to a relative, twice.")
    officer, auditor = admin_client("Compliance officer"), admin_client("Auditor")
    seen = {
        name: [row.history_id for row in client.get(f"{CASES}{case.pk}/history/").context["page_obj"].object_list]
        for name, client in (("officer", officer), ("auditor", auditor))
    }
    assert len(seen["officer"]) == 3 and len(seen["auditor"]) == 2
    assert set(seen["auditor"]) < set(seen["officer"])
