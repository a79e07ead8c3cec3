"""`/api/training/completions/`, `/sessions/`, `/attendances/` and `/phishing-campaigns/`: writes through the
training services (flagged completions, generated references, attendance corrected rather than doubled),
the filters, read-only fields, 400s naming the field, and who may write."""

from __future__ import annotations

import datetime as dt
from functools import partial

import pytest

from tests.clients import api_client
from tests.factories import EmployeeFactory, LegalEntityFactory
from tests.training.factories import (
    AttendanceFactory,
    CompletionFactory,
    ModuleFactory,
    PhishingCampaignFactory,
    SessionFactory,
    WorkshopFactory,
    paris,
)
from training.models import Attendance, Completion, PhishingCampaign, Session

COMPLETIONS = "/api/training/completions/"
SESSIONS = "/api/training/sessions/"
ATTENDANCES = "/api/training/attendances/"
CAMPAIGNS = "/api/training/phishing-campaigns/"
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("english_messages", "roles"),
    pytest.mark.time_machine(dt.datetime(2025, 6, 2, 10, 0, tzinfo=dt.UTC), tick=False),
]
client_for = partial(api_client, language="en")
MANAGER, OFFICER, AUDITOR = "Training manager", "Compliance officer", "Auditor"


def manager():
    return client_for(MANAGER)


# --- who may write ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [AUDITOR, OFFICER])
def test_readers_cannot_write_any_record(role):
    EmployeeFactory(employee_id="E1")
    session = SessionFactory(reference="SES-1")
    client = client_for(role)
    assert (
        client.post(
            COMPLETIONS, {"employee": "E1", "module": "RGPD", "completed_at": "2025-05-01T10:00:00+02:00"}
        ).status_code
        == 403
    )
    assert (
        client.post(
            SESSIONS, {"module": session.module.code, "held_on": "2025-05-01", "duration_minutes": 60}
        ).status_code
        == 403
    )
    assert client.patch(f"{SESSIONS}{session.pk}/", {"place": "Lyon"}).status_code == 403
    assert client.post(ATTENDANCES, {"session": "SES-1", "employee": "E1", "minutes_attended": 60}).status_code == 403
    assert client.post(CAMPAIGNS, {"sent_on": "2025-05-01", "theme": "t", "targeted": 10}).status_code == 403
    assert (
        Completion.objects.count(),
        Session.objects.count(),
        Attendance.objects.count(),
        PhishingCampaign.objects.count(),
    ) == (0, 1, 0, 0)
    assert Session.objects.get().place != "Lyon"


@pytest.mark.parametrize("url", [COMPLETIONS, SESSIONS, ATTENDANCES, CAMPAIGNS])
def test_nothing_is_deleted_through_the_api(url):
    record = {
        COMPLETIONS: CompletionFactory,
        SESSIONS: SessionFactory,
        ATTENDANCES: AttendanceFactory,
        CAMPAIGNS: PhishingCampaignFactory,
    }[url]()
    assert manager().delete(f"{url}{record.pk}/").status_code == 405


def test_completions_cannot_be_edited():
    completion = CompletionFactory()
    assert manager().patch(f"{COMPLETIONS}{completion.pk}/", {"score": "12"}).status_code == 405


# --- completions ----------------------------------------------------------------------------------------------


def test_a_training_manager_records_a_completion_by_employee_id_and_module_code():
    EmployeeFactory(employee_id="E1")
    response = manager().post(
        COMPLETIONS,
        {
            "employee": "E1",
            "module": "RGPD",
            "completed_at": "2025-05-31T23:30:00+02:00",
            "duration_minutes": 42,
            "score": "87.5",
            "anomaly": "future",
            "completed_on": "2020-01-01",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (
        body["employee"],
        body["module"],
        body["completed_on"],
        body["anomaly"],
        body["score"],
        body["import_run"],
    ) == ("E1", "RGPD", "2025-05-31", "", "87.50", None)
    completion = Completion.objects.get()
    assert completion.history.get().history_change_reason == "Completion recorded"


def test_a_completion_without_offset_is_paris_time():
    EmployeeFactory(employee_id="E1")
    body = (
        manager().post(COMPLETIONS, {"employee": "E1", "module": "RGPD", "completed_at": "2025-05-31T00:30:00"}).json()
    )
    assert body["completed_on"] == "2025-05-31"
    assert Completion.objects.get().completed_at == dt.datetime(2025, 5, 30, 22, 30, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("completed_at", "anomaly"),
    [
        ("2025-06-03T09:00:00+02:00", "future"),
        ("2022-04-10T12:00:00+02:00", "before_deployment"),
        ("2022-04-11T00:00:00+02:00", ""),
    ],
)
def test_a_completion_in_the_future_or_before_deployment_is_kept_but_flagged(completed_at, anomaly):
    EmployeeFactory(employee_id="E1")
    response = manager().post(COMPLETIONS, {"employee": "E1", "module": "RGPD", "completed_at": completed_at})
    assert response.status_code == 201, response.content
    assert response.json()["anomaly"] == anomaly
    assert Completion.objects.get().anomaly == anomaly


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"employee": "NOBODY"}, "employee"),
        ({"module": "NOPE"}, "module"),
        ({"score": "-1"}, "score"),
        ({"duration_minutes": -5}, "duration_minutes"),
        ({"completed_at": "31/05/2025"}, "completed_at"),
        ({"completed_at": ""}, "completed_at"),
    ],
)
def test_a_bad_completion_is_a_400_naming_the_field(payload, field):
    EmployeeFactory(employee_id="E1")
    response = manager().post(
        COMPLETIONS, {"employee": "E1", "module": "RGPD", "completed_at": "2025-05-01T10:00:00+02:00", **payload}
    )
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert not Completion.objects.exists()


def test_the_same_completion_twice_is_a_400_with_the_services_message():
    EmployeeFactory(employee_id="E1")
    payload = {"employee": "E1", "module": "RGPD", "completed_at": "2025-05-01T10:00:00+02:00"}
    assert manager().post(COMPLETIONS, payload).status_code == 201
    response = manager().post(COMPLETIONS, payload)
    assert response.status_code == 400
    assert response.json() == {"completed_at": ["This employee already has a completion of this module at that time."]}
    assert Completion.objects.count() == 1


def test_completions_filter_by_module_employee_year_and_anomaly():
    alice, bob = EmployeeFactory(employee_id="ALICE"), EmployeeFactory(employee_id="BOB")
    rgpd = ModuleFactory(code="T-RGPD", deployed_on=dt.date(2022, 1, 1))
    cyber = ModuleFactory(code="T-CYBER", deployed_on=dt.date(2022, 1, 1))
    rows = {
        "a-rgpd-23": CompletionFactory(employee=alice, module=rgpd, completed_at=paris(dt.date(2023, 12, 31), 23)),
        "a-cyber-24": CompletionFactory(employee=alice, module=cyber, completed_at=paris(dt.date(2024, 1, 1), 0)),
        "b-rgpd-24": CompletionFactory(
            employee=bob, module=rgpd, completed_at=paris(dt.date(2024, 3, 1)), anomaly="future"
        ),
    }
    names = {completion.pk: name for name, completion in rows.items()}
    client = client_for(AUDITOR)

    def listed(**params) -> set[str]:
        response = client.get(COMPLETIONS, params)
        assert response.status_code == 200, response.content
        return {names[row["id"]] for row in response.json()["results"]}

    assert listed() == set(rows)
    assert listed(module="T-RGPD") == {"a-rgpd-23", "b-rgpd-24"}
    assert listed(employee="ALICE") == {"a-rgpd-23", "a-cyber-24"}
    assert listed(year="2023") == {"a-rgpd-23"}  # 23:00 Paris on 31/12, 22:00 UTC: still 2023
    assert listed(year="2024", module="T-RGPD") == {"b-rgpd-24"}
    assert listed(anomaly="future") == {"b-rgpd-24"}
    assert listed(anomaly="none") == {"a-rgpd-23", "a-cyber-24"}
    assert listed(anomaly="before_deployment") == set()


@pytest.mark.parametrize("params", [{"year": "99999"}, {"year": "1066"}, {"year": "last"}, {"anomaly": "odd"}])
def test_bad_completion_filters_are_a_400(params):
    response = client_for(AUDITOR).get(COMPLETIONS, params)
    assert response.status_code == 400
    assert list(response.json()) == list(params)


def test_completion_list_query_count_is_pinned(django_assert_max_num_queries):
    CompletionFactory.create_batch(30)
    client = client_for(AUDITOR)
    with django_assert_max_num_queries(5):
        assert client.get(COMPLETIONS).status_code == 200


# --- sessions -------------------------------------------------------------------------------------------------


def test_a_session_gets_a_generated_reference_and_its_module_by_code():
    LegalEntityFactory(code="ALS")
    response = manager().post(
        SESSIONS,
        {
            "module": "ATELIER-DEONTO",
            "held_on": "2025-05-20",
            "duration_minutes": 90,
            "trainer": "Conformité",
            "place": "Paris",
            "entity": "ALS",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["reference"], body["module"], body["entity"], body["attendees"], body["qualifying_attendees"]) == (
        "SES-2025-0001",
        "ATELIER-DEONTO",
        "ALS",
        0,
        0,
    )
    assert (
        manager()
        .post(SESSIONS, {"module": "ATELIER-DEONTO", "held_on": "2025-05-21", "duration_minutes": 90})
        .json()["reference"]
        == "SES-2025-0002"
    )
    assert Session.objects.get(reference="SES-2025-0001").history.get().history_change_reason == "Session created"


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"module": "RGPD"}, "module", "RGPD is an e-learning module: it has completions, not sessions."),
        ({"duration_minutes": 0}, "duration_minutes", "A session lasts at least one minute."),
        ({"reference": "SES-TAKEN"}, "reference", "A session with reference “SES-TAKEN” already exists."),
        ({"module": "NOPE"}, "module", None),
        ({"held_on": "20/05/2025"}, "held_on", None),
        ({"entity": "NOWHERE"}, "entity", None),
    ],
)
def test_a_bad_session_is_a_400_naming_the_field(payload, field, message):
    SessionFactory(reference="SES-TAKEN")
    response = manager().post(
        SESSIONS, {"module": "ATELIER-DEONTO", "held_on": "2025-05-20", "duration_minutes": 90, **payload}
    )
    assert response.status_code == 400
    assert list(response.json()) == [field]
    if message:
        assert response.json()[field] == [message]
    assert Session.objects.count() == 1


def test_a_session_changes_but_keeps_its_reference():
    session = SessionFactory(reference="SES-KEEP")
    response = manager().patch(
        f"{SESSIONS}{session.pk}/", {"reference": "SES-OTHER", "place": "Lyon", "duration_minutes": 120}
    )
    assert response.status_code == 200, response.content
    assert (response.json()["reference"], response.json()["place"]) == ("SES-KEEP", "Lyon")
    session.refresh_from_db()
    assert (session.reference, session.duration_minutes) == ("SES-KEEP", 120)
    response = manager().patch(f"{SESSIONS}{session.pk}/", {"module": "LCBFT"})
    assert response.status_code == 400 and list(response.json()) == ["module"]


def test_sessions_count_their_attendees_and_those_who_qualify():
    session = SessionFactory(module=WorkshopFactory(code="T-WS", min_attendance_minutes=45))
    AttendanceFactory(session=session, minutes_attended=46)
    AttendanceFactory(session=session, minutes_attended=45)  # not more than the minimum
    no_minimum = SessionFactory(module=WorkshopFactory(code="T-NOMIN", min_attendance_minutes=None))
    AttendanceFactory(session=no_minimum, minutes_attended=1)
    AttendanceFactory(session=no_minimum, minutes_attended=0)  # on the sheet, never came
    rows = {row["module"]: row for row in client_for(AUDITOR).get(SESSIONS).json()["results"]}
    assert (rows["T-WS"]["attendees"], rows["T-WS"]["qualifying_attendees"]) == (2, 1)
    assert (rows["T-NOMIN"]["attendees"], rows["T-NOMIN"]["qualifying_attendees"]) == (2, 1)


def test_sessions_filter_by_module_year_and_reference():
    SessionFactory(reference="S-A", module=WorkshopFactory(code="T-A"), held_on=dt.date(2023, 3, 1))
    SessionFactory(reference="S-B", module=WorkshopFactory(code="T-B"), held_on=dt.date(2024, 3, 1))
    client = client_for(AUDITOR)

    def references(**params) -> list[str]:
        return [row["reference"] for row in client.get(SESSIONS, params).json()["results"]]

    assert references() == ["S-B", "S-A"]
    assert references(module="T-A") == ["S-A"]
    assert references(year="2024") == ["S-B"]
    assert references(reference="S-A") == ["S-A"]
    assert client.get(SESSIONS, {"year": "0"}).status_code == 400


def test_session_list_query_count_is_pinned(django_assert_max_num_queries):
    for _ in range(15):
        AttendanceFactory(session=SessionFactory(entity=LegalEntityFactory()))
    client = client_for(AUDITOR)
    with django_assert_max_num_queries(5):
        assert client.get(SESSIONS).status_code == 200


# --- attendances ----------------------------------------------------------------------------------------------


def test_an_attendance_line_is_recorded_then_corrected_not_doubled():
    SessionFactory(reference="SES-1", module=WorkshopFactory(code="T-WS", min_attendance_minutes=45))
    EmployeeFactory(employee_id="E1")
    response = manager().post(ATTENDANCES, {"session": "SES-1", "employee": "E1", "minutes_attended": 40})
    assert response.status_code == 201, response.content
    assert (response.json()["minutes_attended"], response.json()["qualifies"], response.json()["role"]) == (
        40,
        False,
        "participant",
    )
    response = manager().post(ATTENDANCES, {"session": "SES-1", "employee": "E1", "minutes_attended": 50})
    assert response.status_code == 200, response.content
    assert response.json()["qualifies"] is True
    attendance = Attendance.objects.get()
    assert attendance.minutes_attended == 50
    assert [h.history_change_reason for h in attendance.history.order_by("history_date")] == [
        "Attendance recorded",
        "Attendance corrected",
    ]


def test_an_attendance_line_is_corrected_in_place_keeping_its_session_and_employee():
    attendance = AttendanceFactory(minutes_attended=90, session__reference="SES-1", employee__employee_id="E1")
    EmployeeFactory(employee_id="E2")
    SessionFactory(reference="SES-2")
    response = manager().patch(
        f"{ATTENDANCES}{attendance.pk}/",
        {"minutes_attended": 30, "role": "facilitator", "employee": "E2", "session": "SES-2"},
    )
    assert response.status_code == 200, response.content
    assert (response.json()["employee"], response.json()["session"]) == ("E1", "SES-1")
    attendance.refresh_from_db()
    assert (attendance.minutes_attended, attendance.role, attendance.employee.employee_id) == (30, "facilitator", "E1")
    assert attendance.history.first().history_change_reason == "Attendance corrected"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"minutes_attended": -1}, "minutes_attended"),
        ({"minutes_attended": ""}, "minutes_attended"),
        ({"session": "SES-NONE"}, "session"),
        ({"employee": "NOBODY"}, "employee"),
        ({"role": "spectator"}, "role"),
    ],
)
def test_a_bad_attendance_line_is_a_400_naming_the_field(payload, field):
    SessionFactory(reference="SES-1")
    EmployeeFactory(employee_id="E1")
    response = manager().post(ATTENDANCES, {"session": "SES-1", "employee": "E1", "minutes_attended": 60, **payload})
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert not Attendance.objects.exists()


def test_attendances_filter_by_session_module_and_employee():
    first = AttendanceFactory(
        session__reference="SES-1", session__module=WorkshopFactory(code="T-A"), employee__employee_id="E1"
    )
    AttendanceFactory(session__reference="SES-2", session__module=WorkshopFactory(code="T-B"), employee=first.employee)
    AttendanceFactory(session=first.session, employee__employee_id="E2")
    client = client_for(AUDITOR)

    def lines(**params) -> list[tuple[str, str]]:
        return sorted((r["session"], r["employee"]) for r in client.get(ATTENDANCES, params).json()["results"])

    assert lines(session="SES-1") == [("SES-1", "E1"), ("SES-1", "E2")]
    assert lines(module="T-B") == [("SES-2", "E1")]
    assert lines(employee="E1") == [("SES-1", "E1"), ("SES-2", "E1")]


def test_attendance_list_query_count_is_pinned(django_assert_max_num_queries):
    AttendanceFactory.create_batch(20)
    client = client_for(AUDITOR)
    with django_assert_max_num_queries(5):
        assert client.get(ATTENDANCES).status_code == 200


# --- phishing campaigns ------------------------------------------------------------------------------------


def test_a_campaign_gets_a_generated_reference_and_its_click_rate():
    response = manager().post(
        CAMPAIGNS, {"sent_on": "2023-05-16", "theme": "Faux colis", "targeted": 2600, "clicked": 310, "reported": 540}
    )
    assert response.status_code == 201, response.content
    assert (response.json()["reference"], response.json()["click_rate"]) == ("PHI-2023-01", 11.9)
    second = manager().post(CAMPAIGNS, {"sent_on": "2023-09-01", "theme": "Faux RH", "targeted": 10}).json()
    assert second["reference"] == "PHI-2023-02"
    assert PhishingCampaign.objects.get(reference="PHI-2023-01").history.get().history_change_reason == (
        "Campaign recorded"
    )


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"clicked": 11}, "clicked", "Clicks cannot exceed the people targeted."),
        ({"reported": 11}, "reported", "Reports cannot exceed the people targeted."),
        (
            {"clicked": 2, "submitted_credentials": 3},
            "submitted_credentials",
            "People who entered credentials clicked first.",
        ),
        ({"reference": "PHI-TAKEN"}, "reference", "A campaign with reference “PHI-TAKEN” already exists."),
        ({"targeted": -1}, "targeted", None),
        ({"sent_on": "hier"}, "sent_on", None),
    ],
)
def test_a_bad_campaign_is_a_400_naming_the_field(payload, field, message):
    PhishingCampaignFactory(reference="PHI-TAKEN")
    response = manager().post(CAMPAIGNS, {"sent_on": "2023-05-16", "theme": "t", "targeted": 10, **payload})
    assert response.status_code == 400
    assert list(response.json()) == [field]
    if message:
        assert response.json()[field] == [message]
    assert PhishingCampaign.objects.count() == 1


def test_a_campaign_is_changed_through_the_service_and_keeps_its_reference_when_blank():
    campaign = PhishingCampaignFactory(reference="PHI-2023-01", targeted=100, clicked=10, reported=5)
    response = manager().patch(f"{CAMPAIGNS}{campaign.pk}/", {"reference": "", "clicked": 20})
    assert response.status_code == 200, response.content
    assert (response.json()["reference"], response.json()["click_rate"]) == ("PHI-2023-01", 20.0)
    assert manager().patch(f"{CAMPAIGNS}{campaign.pk}/", {"clicked": 101}).status_code == 400
    campaign.refresh_from_db()
    assert campaign.clicked == 20
    assert campaign.history.first().history_change_reason == "Campaign changed"


def test_campaigns_filter_by_year():
    PhishingCampaignFactory(reference="P-22", sent_on=dt.date(2022, 12, 31))
    PhishingCampaignFactory(reference="P-23", sent_on=dt.date(2023, 1, 1))
    client = client_for(AUDITOR)
    assert [r["reference"] for r in client.get(CAMPAIGNS, {"year": "2023"}).json()["results"]] == ["P-23"]
    assert client.get(CAMPAIGNS, {"year": "20233"}).status_code == 400
