"""Vigilance alerts in the admin, as the AML/CFT officer: the list and its filters (due=overdue is exactly
`Alert.objects.overdue()`), raising an alert, the buttons calling the services, and the kept files
downloaded through the admin."""

from __future__ import annotations

import datetime as dt
import re
from functools import partial

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from aml.choices import AlertStatus, Decision
from aml.models import Alert
from aml.services import alerts as services
from tests.aml.factories import AlertFactory
from tests.clients import admin_client, logged_in, messages_of, page_of
from tests.factories import UserFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("roles", "isolated_media"),
    pytest.mark.time_machine(dt.datetime(2025, 6, 4, 10, 0, tzinfo=dt.UTC), tick=False),  # a Wednesday
]
CHANGELIST = "/admin/aml/alert/"
client_for = partial(admin_client, language="en")
TODAY = dt.date(2025, 6, 4)


def shown(response) -> list[str]:
    """The references of the alerts a list shows (the first column: a header cell with the link)."""
    cells = re.findall(r'<th class="[^"]*\bfield-reference\b[^"]*"[^>]*>(.*?)</th>', page_of(response), re.S)
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in cells]


def raised(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, 9, tzinfo=dt.UTC)


def alert_due(reference: str, due: dt.date, **kwargs) -> Alert:
    return AlertFactory(
        reference=reference, raised_at=raised(due - dt.timedelta(days=30)), analysis_due_on=due, **kwargs
    )


def test_the_list_shows_status_due_badges_analyst_and_decision():
    analyst = UserFactory(groups=["LCB-FT"], first_name="Ana", last_name="Lyste")
    alert_due("LATE", TODAY - dt.timedelta(days=3), analyst=analyst, status=AlertStatus.ANALYSING)
    alert_due(
        "DONE",
        TODAY - dt.timedelta(days=10),
        status=AlertStatus.DECIDED,
        decision=Decision.CLOSED,
        decided_on=TODAY - dt.timedelta(days=20),
    )
    response = client_for("LCB-FT").get(CHANGELIST)
    assert shown(response) == ["LATE", "DONE"]  # the latest raised first
    body = page_of(response)
    assert "overdue by 3 days" in body and ">done<" in body
    assert "Ana Lyste" in body and "Closed with reasons" in body


def test_the_overdue_filter_selects_exactly_the_overdue_queryset():
    alert_due("LATE", TODAY - dt.timedelta(days=1))
    alert_due("TODAY", TODAY)
    alert_due("SUNDAY", dt.date(2025, 6, 8))
    alert_due("NEXT-WEEK", dt.date(2025, 6, 9))
    alert_due(
        "DECIDED-LATE",
        TODAY - dt.timedelta(days=5),
        status=AlertStatus.DECIDED,
        decision=Decision.CLOSED,
        decided_on=TODAY - dt.timedelta(days=30),
    )
    client = client_for("LCB-FT")
    overdue = shown(client.get(CHANGELIST, {"due": "overdue"}))
    assert sorted(overdue) == sorted(Alert.objects.overdue().values_list("reference", flat=True)) == ["LATE"]
    week = shown(client.get(CHANGELIST, {"due": "this_week"}))
    assert sorted(week) == ["SUNDAY", "TODAY"]


def test_the_assigned_filter():
    client, me = logged_in("LCB-FT")
    alert_due("MINE", TODAY, analyst=me)
    alert_due("NOBODY", TODAY)
    alert_due("OTHER", TODAY, analyst=UserFactory(groups=["LCB-FT"]))
    assert shown(client.get(CHANGELIST, {"assigned": "me"})) == ["MINE"]
    assert shown(client.get(CHANGELIST, {"assigned": "nobody"})) == ["NOBODY"]


def test_changelist_query_count_is_pinned(django_assert_max_num_queries):
    for index in range(30):
        alert_due(f"A-{index}", TODAY + dt.timedelta(days=index), analyst=UserFactory())
    client = client_for("LCB-FT")
    with django_assert_max_num_queries(12):
        assert client.get(CHANGELIST).status_code == 200


def test_an_officer_raises_an_alert_by_hand_with_a_generated_reference():
    client = client_for("LCB-FT")
    response = client.post(
        f"{CHANGELIST}add/",
        {"reference": "", "raised_at_0": "", "raised_at_1": "", "source": "subsidy", "reason": "Duplicate aid"},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    alert = Alert.objects.get()
    assert alert.reference == "LCB-2025-0001" and alert.analysis_due_on == dt.date(2025, 7, 4)
    refused = client.post(f"{CHANGELIST}add/", {"source": "subsidy", "reason": "x", "amount_eur": "-3"})
    assert refused.status_code == 200 and Alert.objects.count() == 1


def test_a_raised_alert_is_read_only_and_not_deletable():
    alert = alert_due("A-1", TODAY + dt.timedelta(days=2))
    client = client_for("LCB-FT")
    body = page_of(client.get(f"{CHANGELIST}{alert.pk}/change/"))
    assert 'name="reason"' not in body and 'name="status"' not in body
    assert f"{CHANGELIST}{alert.pk}/do/decide/" in body and f"{CHANGELIST}{alert.pk}/do/assign/" in body
    assert client.get(f"{CHANGELIST}{alert.pk}/delete/").status_code in (302, 403)
    assert Alert.objects.filter(pk=alert.pk).exists()


def test_the_buttons_assign_then_report_to_tracfin_with_its_file_downloaded_through_the_admin():
    alert = AlertFactory(raised_at=raised(dt.date(2025, 5, 20)))
    client, officer = logged_in("LCB-FT")
    analyst = UserFactory(groups=["LCB-FT"])
    response = client.post(f"{CHANGELIST}{alert.pk}/do/assign/", {"analyst": analyst.pk})
    assert response.status_code == 302, messages_of(response)
    alert.refresh_from_db()
    assert (alert.status, alert.analyst) == (AlertStatus.ANALYSING, analyst)
    refused = client.post(
        f"{CHANGELIST}{alert.pk}/do/decide/", {"decision": "tracfin_report", "decided_on": "2025-06-01", "reason": "r"}
    )
    assert refused.status_code == 200
    assert "needs the date the report was sent to TRACFIN" in refused.content.decode()
    response = client.post(
        f"{CHANGELIST}{alert.pk}/do/tracfin-report/",
        {
            "decided_on": "2025-06-01",
            "reason": "Funds of unknown origin",
            "tracfin_reported_on": "2025-06-02",
            "tracfin_reference": "TF-1",
            "tracfin_file": SimpleUploadedFile("declaration.pdf", b"%PDF declaration"),
        },
    )
    assert response.status_code == 302, messages_of(response)
    alert.refresh_from_db()
    assert (alert.decision, alert.decided_by, alert.tracfin_reference) == (Decision.TRACFIN_REPORT, officer, "TF-1")
    body = page_of(client.get(f"{CHANGELIST}{alert.pk}/change/"))
    download = f"{CHANGELIST}{alert.pk}/file/tracfin/"
    assert download in body and "declaration.pdf" in body
    assert "/do/decide/" not in body  # a report to TRACFIN is final
    file = client.get(download)
    assert file.status_code == 200 and b"".join(file.streaming_content) == b"%PDF declaration"
    assert "attachment" in file["Content-Disposition"]
    assert client.get(f"{CHANGELIST}{alert.pk}/file/enhanced-report/").status_code == 404
    assert client.get(f"{CHANGELIST}{alert.pk}/file/other/").status_code == 404


def test_the_enhanced_examination_report_through_its_button():
    alert = AlertFactory(raised_at=raised(dt.date(2025, 5, 20)))
    officer = UserFactory(groups=["LCB-FT"])
    services.alert_decide(
        actor=officer, alert=alert, decision=Decision.ENHANCED_EXAMINATION, decided_on=TODAY, reason="Complex"
    )
    client = client_for("LCB-FT")
    response = client.post(
        f"{CHANGELIST}{alert.pk}/do/enhanced-report/",
        {"report": "Origin traced", "written_on": "2025-06-04", "file": SimpleUploadedFile("r.pdf", b"%PDF r")},
    )
    assert response.status_code == 302, messages_of(response)
    file = client.get(f"{CHANGELIST}{alert.pk}/file/enhanced-report/")
    assert b"".join(file.streaming_content) == b"%PDF r"


def test_a_refused_transition_on_get_says_why():
    alert = alert_due(
        "DONE", TODAY, status=AlertStatus.DECIDED, decision=Decision.CLOSED, decided_on=TODAY - dt.timedelta(days=1)
    )
    response = client_for("LCB-FT").get(f"{CHANGELIST}{alert.pk}/do/assign/")
    assert response.status_code == 302
