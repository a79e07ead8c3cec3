"""One rule for "this attendance counts as trained", read the same way by every channel (docs/rules.md,
"Training": more than the module's minimum duration; the 2023 DPEF: "sur une durée supérieure à 45
minutes"). Without a minimum, any attendance counts: more than zero minutes.

Each channel that says whether an attendance counts is asked about the same sheet: the attendance's own
`qualifies`, the completion rate, the workshop count, "trained at least once", the admin's filter and
count, and the API's count and flag.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.clients import admin_client, api_client, list_cells
from tests.factories import EmployeeFactory
from tests.training.factories import AttendanceFactory, SessionFactory, WorkshopFactory
from training import kpis
from training.models import Attendance

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("roles")]

MINUTES = (0, 1, 44, 45, 46, 90)
DAY = dt.date(2023, 12, 31)


def sheet(minimum: int | None) -> tuple[object, dict[int, int]]:
    """A workshop with `minimum` and one session where each employee attended one of MINUTES."""
    module = WorkshopFactory(code=f"T-RULE-{minimum}", deployed_on=dt.date(2023, 1, 1), min_attendance_minutes=minimum)
    session = SessionFactory(
        reference=f"SES-RULE-{minimum}", module=module, held_on=dt.date(2023, 5, 4), duration_minutes=90
    )
    minutes_of = {}
    for minutes in MINUTES:
        employee = EmployeeFactory(employee_id=f"E-{minimum}-{minutes}", hired_on=dt.date(2020, 1, 1))
        AttendanceFactory(session=session, employee=employee, minutes_attended=minutes)
        minutes_of[employee.pk] = minutes
    return module, minutes_of


@pytest.mark.parametrize(("minimum", "counted"), [(45, {46, 90}), (None, {1, 44, 45, 46, 90})])
def test_every_channel_counts_the_attendances_longer_than_the_minimum(minimum, counted):
    module, minutes_of = sheet(minimum)
    expected = {pk for pk, minutes in minutes_of.items() if minutes in counted}
    attendances = Attendance.objects.filter(session__module=module).select_related("session__module")

    assert {a.employee_id for a in attendances if a.qualifies} == expected
    assert set(kpis.qualifying_attendances(module, DAY).values_list("employee_id", flat=True)) == expected
    assert set(kpis.trained(module, DAY).values_list("pk", flat=True)) == expected
    assert kpis.completion_rate(module, DAY).numerator == len(expected)
    assert set(kpis.workshop_trained(module, 2023).record_ids) == expected
    assert set(kpis.trainees(2023).values_list("pk", flat=True)) == expected

    admin = admin_client("Auditor", language="en")
    body = admin.get("/admin/training/attendance/", {"qualifies": "yes", "module": module.pk}).content.decode()
    shown = {minutes for minutes in MINUTES if f"(E-{minimum}-{minutes})" in body}
    assert shown == counted
    sessions = admin.get("/admin/training/session/").content.decode()
    assert str(len(expected)) in list_cells(sessions, "qualifying_count")

    api = api_client("Auditor", language="en")
    row = api.get("/api/training/sessions/", {"reference": f"SES-RULE-{minimum}"}).json()["results"][0]
    assert row["qualifying_attendees"] == len(expected)
    flags = {
        item["employee"]: item["qualifies"]
        for item in api.get("/api/training/attendances/", {"module": module.code}).json()["results"]
    }
    assert {employee_id for employee_id, qualifies in flags.items() if qualifies} == {
        f"E-{minimum}-{minutes}" for minutes in counted
    }


def test_the_method_text_says_more_than_the_minimum_or_any_attendance():
    with_minimum, _ = sheet(45)
    without, _ = sheet(None)
    from django.utils import translation

    with translation.override("en"):
        assert "attended for more than 45 minutes" in kpis.method_text(with_minimum)
        assert "any attendance of a session counts" in kpis.method_text(without)
