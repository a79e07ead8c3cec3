"""The writers of the training app: their refusals, the flags they set and the history rows they leave."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError

from tests.factories import EmployeeFactory, UserFactory
from tests.training.factories import (
    CompletionFactory,
    ModuleFactory,
    PhishingCampaignFactory,
    SessionFactory,
    WorkshopFactory,
    paris,
)
from training import kpis, services
from training.choices import CompletionAnomaly, ModuleKind
from training.models import Attendance, Completion, Module, PhishingCampaign, Session

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_messages")]
UTC = dt.UTC
NOW = dt.datetime(2024, 1, 15, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def actor():
    return UserFactory(username="trainer")


@pytest.fixture
def module():
    return ModuleFactory(code="T-SVC", deployed_on=dt.date(2022, 4, 11))


def reasons(obj) -> list[str]:
    return [h.history_change_reason for h in obj.history.order_by("history_id")]


# -- completions -------------------------------------------------------------------------------------------
def test_completion_record_keeps_the_paris_day_and_writes_history(actor, module):
    employee = EmployeeFactory()
    at = dt.datetime(2023, 12, 31, 23, 30, tzinfo=UTC)  # 00:30 on 1 January in Paris
    completion = services.completion_record(
        actor=actor, employee=employee, module=module, completed_at=at, duration_minutes=42, score=Decimal("87.5")
    )
    completion.refresh_from_db()
    assert (completion.completed_on, completion.anomaly, completion.duration_minutes, completion.score) == (
        dt.date(2024, 1, 1),
        "",
        42,
        Decimal("87.50"),
    )
    assert completion.is_counted
    history = completion.history.get()
    assert (history.history_user, history.history_change_reason) == (actor, "Completion recorded")
    assert services.completion_day(at) == dt.date(2024, 1, 1)


@pytest.mark.parametrize(
    ("completed_at", "anomaly"),
    [
        (NOW, ""),  # now is not the future
        (NOW + dt.timedelta(seconds=1), CompletionAnomaly.FUTURE),
        (paris(dt.date(2022, 4, 11), 0), ""),  # midnight on the deployment day
        (dt.datetime(2022, 4, 10, 21, 59, tzinfo=UTC), CompletionAnomaly.BEFORE_DEPLOYMENT),  # 23:59 in Paris
        (dt.datetime(2022, 4, 10, 22, 0, tzinfo=UTC), ""),  # 00:00 on 11 April in Paris (UTC+2)
    ],
)
def test_completion_record_flags_what_cannot_count(actor, module, completed_at, anomaly):
    completion = services.completion_record(
        actor=actor, employee=EmployeeFactory(), module=module, completed_at=completed_at
    )
    assert completion.anomaly == anomaly
    assert Completion.objects.get().anomaly == anomaly
    assert services.completion_anomaly(module, completed_at) == anomaly


def test_future_wins_over_before_deployment(module):
    module.deployed_on = dt.date(2025, 1, 1)
    later = NOW + dt.timedelta(days=3)
    assert services.completion_anomaly(module, later) == CompletionAnomaly.FUTURE
    assert services.completion_anomaly(module, later, now=later + dt.timedelta(days=1)) == (
        CompletionAnomaly.BEFORE_DEPLOYMENT
    )


def test_completion_record_refuses_a_duplicate_even_written_in_another_time_zone(actor, module):
    employee = EmployeeFactory()
    at = paris(dt.date(2023, 5, 2), 14)
    services.completion_record(actor=actor, employee=employee, module=module, completed_at=at)
    with pytest.raises(ValidationError) as exc:
        services.completion_record(actor=actor, employee=employee, module=module, completed_at=at.astimezone(UTC))
    assert "already has a completion" in exc.value.message_dict["completed_at"][0]
    assert Completion.objects.count() == 1
    # Another time, another module or another person: recorded.
    services.completion_record(actor=actor, employee=employee, module=module, completed_at=at + dt.timedelta(hours=1))
    services.completion_record(actor=actor, employee=EmployeeFactory(), module=module, completed_at=at)
    assert Completion.objects.count() == 3


def test_completion_record_refuses_a_naive_time_and_a_negative_score(actor, module):
    employee = EmployeeFactory()
    with pytest.raises(ValidationError) as exc:
        services.completion_record(
            actor=actor, employee=employee, module=module, completed_at=dt.datetime(2023, 5, 2, 14, 0)
        )
    assert "time zone" in exc.value.message_dict["completed_at"][0]
    with pytest.raises(ValidationError) as exc:
        services.completion_record(
            actor=actor, employee=employee, module=module, completed_at=paris(dt.date(2023, 5, 2)), score=Decimal("-1")
        )
    assert "negative" in exc.value.message_dict["score"][0]
    assert not Completion.objects.exists()


# -- modules --------------------------------------------------------------------------------------------------
def test_module_update_of_the_deployment_day_reflags_completions_with_history(actor):
    module = services.module_create(
        actor=actor, code="T-DEPLOY", title="Deploy", kind=ModuleKind.E_LEARNING, deployed_on=dt.date(2023, 1, 1)
    )
    early, middle, late = EmployeeFactory(), EmployeeFactory(), EmployeeFactory()
    first = services.completion_record(
        actor=actor, employee=early, module=module, completed_at=paris(dt.date(2022, 12, 31), 23)
    )
    second = services.completion_record(
        actor=actor, employee=middle, module=module, completed_at=paris(dt.date(2023, 3, 1))
    )
    third = services.completion_record(
        actor=actor, employee=late, module=module, completed_at=paris(dt.date(2023, 6, 1))
    )
    future = services.completion_record(actor=actor, employee=late, module=module, completed_at=NOW + dt.timedelta(1))
    assert [c.anomaly for c in (first, second, third, future)] == [
        CompletionAnomaly.BEFORE_DEPLOYMENT,
        "",
        "",
        CompletionAnomaly.FUTURE,
    ]
    day = dt.date(2023, 12, 31)
    assert kpis.completion_rate(module, day).numerator == 2

    services.module_update(actor=actor, module=module, deployed_on=dt.date(2023, 4, 1))
    for c in (first, second, third, future):
        c.refresh_from_db()
    assert [c.anomaly for c in (first, second, third, future)] == [
        CompletionAnomaly.BEFORE_DEPLOYMENT,
        CompletionAnomaly.BEFORE_DEPLOYMENT,
        "",
        CompletionAnomaly.FUTURE,
    ]
    assert reasons(second) == ["Completion recorded", "Deployment day of the module changed"]
    assert second.history.first().history_user == actor
    assert reasons(first) == ["Completion recorded"]  # unchanged: no history row
    assert set(kpis.trained(module, day)) == {late}

    services.module_update(actor=actor, module=module, deployed_on=dt.date(2022, 12, 31))
    for c in (first, second, future):
        c.refresh_from_db()
    assert [c.anomaly for c in (first, second, future)] == ["", "", CompletionAnomaly.FUTURE]
    assert reasons(first) == ["Completion recorded", "Deployment day of the module changed"]
    assert kpis.completion_rate(module, day).numerator == 3
    assert reasons(Module.objects.get(pk=module.pk)) == ["Module created", "Module changed", "Module changed"]


def test_module_update_without_a_new_deployment_day_leaves_the_flags(actor, module):
    completion = CompletionFactory(
        employee=EmployeeFactory(), module=module, completed_at=paris(dt.date(2022, 1, 1))
    )  # before deployment, unflagged
    services.module_update(actor=actor, module=module, title="Renamed")
    completion.refresh_from_db()
    assert completion.anomaly == ""
    assert Module.objects.get(pk=module.pk).title == "Renamed"


def test_module_create_and_update_refusals(actor):
    with pytest.raises(ValidationError) as exc:
        services.module_create(
            actor=actor,
            code="T-BAD",
            title="Bad",
            kind=ModuleKind.E_LEARNING,
            deployed_on=dt.date(2023, 1, 1),
            min_attendance_minutes=45,
            renewal_months=0,
        )
    assert set(exc.value.message_dict) == {"min_attendance_minutes", "renewal_months"}
    with pytest.raises(TypeError, match="unknown module fields: colour"):
        services.module_create(
            actor=actor,
            code="T-BAD",
            title="Bad",
            kind=ModuleKind.E_LEARNING,
            deployed_on=dt.date(2023, 1, 1),
            colour="red",
        )
    services.module_create(
        actor=actor, code="T-ONE", title="One", kind=ModuleKind.E_LEARNING, deployed_on=dt.date(2023, 1, 1)
    )
    with pytest.raises(ValidationError) as exc:
        services.module_create(
            actor=actor, code="T-ONE", title="Again", kind=ModuleKind.E_LEARNING, deployed_on=dt.date(2023, 1, 1)
        )
    assert "already exists" in exc.value.message_dict["code"][0]
    reference = Module.objects.get(code="RGPD")
    with pytest.raises(ValidationError) as exc:
        services.module_update(actor=actor, module=reference, code="GDPR")
    assert "cannot change" in exc.value.message_dict["code"][0]
    assert Module.objects.filter(code="RGPD", is_reference=True).exists()


# -- sessions and attendance ----------------------------------------------------------------------------------
def test_session_create_generates_references_per_year(actor):
    workshop = WorkshopFactory(code="T-WS")
    first = services.session_create(actor=actor, module=workshop, held_on=dt.date(2023, 3, 14), duration_minutes=90)
    second = services.session_create(actor=actor, module=workshop, held_on=dt.date(2023, 9, 1), duration_minutes=60)
    other_year = services.session_create(actor=actor, module=workshop, held_on=dt.date(2024, 1, 9), duration_minutes=60)
    assert [first.reference, second.reference, other_year.reference] == [
        "SES-2023-0001",
        "SES-2023-0002",
        "SES-2024-0001",
    ]
    SessionFactory(module=workshop, reference="SES-2023-0041")
    SessionFactory(module=workshop, reference="SES-2023-0042-bis")
    assert (
        services.session_create(
            actor=actor, module=workshop, held_on=dt.date(2023, 10, 1), duration_minutes=60
        ).reference
        == "SES-2023-0042"
    )
    given = services.session_create(
        actor=actor,
        module=workshop,
        held_on=dt.date(2023, 10, 1),
        duration_minutes=60,
        reference="LYON-1",
        trainer="Me",
        place="Lyon",
    )
    assert (given.reference, given.trainer, given.place) == ("LYON-1", "Me", "Lyon")
    assert reasons(given) == ["Session created"]
    with pytest.raises(ValidationError) as exc:
        services.session_create(
            actor=actor, module=workshop, held_on=dt.date(2023, 10, 2), duration_minutes=60, reference="LYON-1"
        )
    assert "already exists" in exc.value.message_dict["reference"][0]


def test_session_create_refuses_an_e_learning_module_and_no_duration(actor, module):
    with pytest.raises(ValidationError) as exc:
        services.session_create(actor=actor, module=module, held_on=dt.date(2023, 3, 14), duration_minutes=60)
    assert exc.value.message_dict["module"] == ["T-SVC is an e-learning module: it has completions, not sessions."]
    with pytest.raises(ValidationError) as exc:
        services.session_create(actor=actor, module=WorkshopFactory(), held_on=dt.date(2023, 3, 14), duration_minutes=0)
    assert "duration_minutes" in exc.value.message_dict
    assert not Session.objects.exists()


def test_session_update_checks_again(actor):
    session = SessionFactory()
    services.session_update(actor=actor, session=session, place="Marseille")
    assert Session.objects.get(pk=session.pk).place == "Marseille"
    with pytest.raises(ValidationError):
        services.session_update(actor=actor, session=session, duration_minutes=-5)


def test_attendance_record_creates_then_corrects_one_line(actor):
    session, employee = SessionFactory(), EmployeeFactory()
    created = services.attendance_record(actor=actor, session=session, employee=employee, minutes_attended=30)
    corrected = services.attendance_record(
        actor=actor, session=session, employee=employee, minutes_attended=50, role="facilitator"
    )
    assert corrected.pk == created.pk
    attendance = Attendance.objects.get()
    assert (attendance.minutes_attended, attendance.role) == (50, "facilitator")
    assert reasons(attendance) == ["Attendance recorded", "Attendance corrected"]
    assert attendance.history.count() == 2
    assert attendance.qualifies  # 50 minutes: more than the workshop's minimum of 45


@pytest.mark.parametrize("minutes", [-1, None])
def test_attendance_record_refuses_negative_or_missing_minutes(actor, minutes):
    with pytest.raises(ValidationError) as exc:
        services.attendance_record(
            actor=actor, session=SessionFactory(), employee=EmployeeFactory(), minutes_attended=minutes
        )
    assert "cannot be negative" in exc.value.message_dict["minutes_attended"][0]
    assert not Attendance.objects.exists()


def test_attendance_record_accepts_zero_minutes_which_never_count(actor):
    session = SessionFactory()
    employee = EmployeeFactory()
    services.attendance_record(actor=actor, session=session, employee=employee, minutes_attended=0)
    assert not kpis.trained(session.module, dt.date(2023, 12, 31)).exists()


# -- phishing campaigns ----------------------------------------------------------------------------------------
def campaign(**values) -> PhishingCampaign:
    fields = {"sent_on": dt.date(2023, 5, 16), "theme": "Parcel", "targeted": 100, "clicked": 10, "reported": 20}
    return PhishingCampaign(**{**fields, **values})


def test_phishing_campaign_save_generates_references_and_keeps_them(actor):
    first = services.phishing_campaign_save(actor=actor, campaign=campaign())
    second = services.phishing_campaign_save(actor=actor, campaign=campaign(sent_on=dt.date(2023, 11, 2)))
    next_year = services.phishing_campaign_save(actor=actor, campaign=campaign(sent_on=dt.date(2024, 2, 1)))
    assert [first.reference, second.reference, next_year.reference] == ["PHI-2023-01", "PHI-2023-02", "PHI-2024-01"]
    first.clicked = 12
    services.phishing_campaign_save(actor=actor, campaign=first)
    first.refresh_from_db()
    assert (first.reference, first.clicked) == ("PHI-2023-01", 12)
    assert reasons(first) == ["Campaign recorded", "Campaign changed"]
    assert kpis.phishing_campaigns(2023).value == 2


@pytest.mark.parametrize(
    ("values", "fields"),
    [
        ({"clicked": 101}, {"clicked"}),
        ({"reported": 101}, {"reported"}),
        ({"submitted_credentials": 11}, {"submitted_credentials"}),
        ({"clicked": 101, "reported": 150, "submitted_credentials": 100}, {"clicked", "reported"}),
    ],
)
def test_phishing_campaign_save_refuses_impossible_counts(actor, values, fields):
    with pytest.raises(ValidationError) as exc:
        services.phishing_campaign_save(actor=actor, campaign=campaign(**values))
    assert set(exc.value.message_dict) == fields
    assert not PhishingCampaign.objects.exists()


def test_phishing_campaign_save_refuses_a_taken_reference(actor):
    PhishingCampaignFactory(reference="PHI-2023-07")
    with pytest.raises(ValidationError) as exc:
        services.phishing_campaign_save(actor=actor, campaign=campaign(reference="PHI-2023-07"))
    assert "already exists" in exc.value.message_dict["reference"][0]
    assert services.phishing_campaign_save(actor=actor, campaign=campaign()).reference == "PHI-2023-08"
