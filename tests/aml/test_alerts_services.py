"""Vigilance alerts' services: raised with a reference and a due date, assigned to the AML function, decided
(closed, enhanced examination then its outcome, report to TRACFIN), each write with who and why."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from aml.choices import AlertSource, AlertStatus, Decision
from aml.models import Alert
from aml.services import alerts as services
from tests.aml.factories import AlertFactory, CounterpartyFactory, HitFactory
from tests.factories import LegalEntityFactory, UserFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("english_messages", "roles", "isolated_media"),
    pytest.mark.time_machine(dt.datetime(2025, 6, 2, 10, 0, tzinfo=dt.UTC), tick=False),
]
TODAY = dt.date(2025, 6, 2)


@pytest.fixture
def officer():
    return UserFactory(groups=["LCB-FT"])


def raise_alert(officer, **kwargs) -> Alert:
    kwargs.setdefault("source", AlertSource.LOAN)
    kwargs.setdefault("reason", "Early repayment in cash")
    return services.alert_raise(actor=officer, **kwargs)


def test_raise_allocates_references_and_the_analysis_due_date(officer, settings):
    settings.VIGIE_AML_ANALYSIS_DAYS = 30
    # 23:30 UTC on 31/12/2024 is already 2025 in Paris: the Paris day makes the year and the due date.
    first = raise_alert(officer, raised_at=dt.datetime(2024, 12, 31, 23, 30, tzinfo=dt.UTC))
    second = raise_alert(officer)
    assert (first.reference, second.reference) == ("LCB-2025-0001", "LCB-2025-0002")
    assert first.analysis_due_on == dt.date(2025, 1, 31)
    assert second.analysis_due_on == TODAY + dt.timedelta(days=30)
    assert first.status == AlertStatus.OPEN
    history = first.history.get()
    assert history.history_user == officer and history.history_change_reason == "raised (Loan)"


def test_raise_keeps_a_given_reference_and_refuses_a_taken_one(officer):
    assert raise_alert(officer, reference="OPS-42").reference == "OPS-42"
    with pytest.raises(ValidationError) as exc:
        raise_alert(officer, reference="OPS-42")
    assert "reference" in exc.value.message_dict


def test_raise_takes_the_counterparty_entity_and_a_hit_counterparty(officer):
    entity = LegalEntityFactory()
    counterparty = CounterpartyFactory(entity=entity)
    hit = HitFactory(counterparty=counterparty)
    alert = raise_alert(officer, source=AlertSource.SCREENING, hit=hit)
    assert alert.counterparty == counterparty and alert.entity == entity
    with pytest.raises(ValidationError, match="already raised"):
        raise_alert(officer, source=AlertSource.SCREENING, hit=hit)
    with pytest.raises(ValidationError) as exc:
        raise_alert(officer, source=AlertSource.SCREENING, hit=HitFactory(), counterparty=counterparty)
    assert "counterparty" in exc.value.message_dict


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"reason": "  "}, "reason"),
        ({"source": "casino"}, "source"),
        ({"amount_eur": Decimal("-1")}, "amount_eur"),
        ({"raised_at": dt.datetime(2025, 6, 3, 10, tzinfo=dt.UTC)}, "raised_at"),
        ({"raised_at": dt.datetime(387, 9, 23, 10, tzinfo=dt.UTC)}, "raised_at"),
    ],
)
def test_raise_refuses_bad_data(officer, kwargs, field):
    with pytest.raises(ValidationError) as exc:
        raise_alert(officer, **kwargs)
    assert field in exc.value.message_dict
    assert not Alert.objects.exists()


def test_assign_puts_the_alert_under_analysis_for_a_member_only(officer, settings):
    alert = AlertFactory()
    with pytest.raises(ValidationError) as exc:
        services.alert_assign(actor=officer, alert=alert, analyst=UserFactory(groups=["Compliance officer"]))
    assert "analyst" in exc.value.message_dict
    settings.VIGIE_AML_VISIBLE_TO_SUPERUSERS = False
    with pytest.raises(ValidationError):
        services.alert_assign(actor=officer, alert=alert, analyst=UserFactory(is_superuser=True))
    analyst = UserFactory(groups=["LCB-FT"])
    services.alert_assign(actor=officer, alert=alert, analyst=analyst)
    assert (alert.status, alert.analyst) == (AlertStatus.ANALYSING, analyst)
    assert alert.history.first().history_change_reason == f"assigned to {analyst.username}"


def test_close_records_who_when_why_and_the_retention_start(officer):
    counterparty = CounterpartyFactory(relationship_ended_on=dt.date(2025, 5, 30))
    alert = AlertFactory(counterparty=counterparty, raised_at=dt.datetime(2025, 5, 2, 9, tzinfo=dt.UTC))
    services.alert_decide(
        actor=officer, alert=alert, decision=Decision.CLOSED, decided_on=dt.date(2025, 5, 20), reason="Explained"
    )
    alert.refresh_from_db()
    assert (alert.status, alert.decision, alert.decided_by) == (AlertStatus.DECIDED, Decision.CLOSED, officer)
    assert alert.decision_reason == "Explained"
    assert alert.records_kept_from == dt.date(2025, 5, 30)  # the relationship ended after the decision
    assert alert.history.first().history_change_reason == "decided: Closed with reasons on 20/05/2025"
    assert services.alert_allowed_actions(alert) == []
    with pytest.raises(ValidationError) as exc:
        services.alert_decide(
            actor=officer,
            alert=alert,
            decision=Decision.TRACFIN_REPORT,
            decided_on=TODAY,
            reason="Changed my mind",
            tracfin_reported_on=TODAY,
        )
    assert "decision" in exc.value.message_dict


def test_a_tracfin_report_without_its_date_is_refused(officer):
    alert = AlertFactory()
    with pytest.raises(ValidationError) as exc:
        services.alert_decide(
            actor=officer, alert=alert, decision=Decision.TRACFIN_REPORT, decided_on=TODAY, reason="Suspicious"
        )
    assert exc.value.message_dict["tracfin_reported_on"] == [
        "A decision to report to TRACFIN needs the date the report was sent to TRACFIN."
    ]
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN and alert.decision == ""


def test_a_tracfin_report_keeps_its_date_reference_and_file(officer):
    alert = AlertFactory(raised_at=dt.datetime(2025, 5, 2, 9, tzinfo=dt.UTC))
    services.alert_report_tracfin(
        actor=officer,
        alert=alert,
        decided_on=dt.date(2025, 5, 30),
        reason="Funds of unknown origin",
        tracfin_reported_on=TODAY,
        tracfin_reference="TF-2025-77",
        tracfin_file=SimpleUploadedFile("ds.pdf", b"%PDF-1.4 report"),
    )
    alert.refresh_from_db()
    assert alert.decision == Decision.TRACFIN_REPORT and alert.tracfin_reported_on == TODAY
    assert alert.tracfin_reference == "TF-2025-77"
    assert alert.tracfin_file.read() == b"%PDF-1.4 report"
    assert alert.records_kept_from == dt.date(2025, 5, 30)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"decided_on": dt.date(2025, 6, 3)}, "decided_on"),
        ({"decided_on": dt.date(2025, 4, 30)}, "decided_on"),
        ({"reason": ""}, "reason"),
        ({"tracfin_reported_on": TODAY}, "tracfin_reported_on"),
        ({"tracfin_reference": "TF-1"}, "tracfin_reference"),
        ({"decision": "dismissed"}, "decision"),
    ],
)
def test_decide_refuses_bad_dates_and_tracfin_fields_without_the_report(officer, kwargs, field):
    alert = AlertFactory(raised_at=dt.datetime(2025, 5, 2, 9, tzinfo=dt.UTC))
    args = {"decision": Decision.CLOSED, "decided_on": TODAY, "reason": "Explained", **kwargs}
    with pytest.raises(ValidationError) as exc:
        services.alert_decide(actor=officer, alert=alert, **args)
    assert field in exc.value.message_dict
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN


def test_enhanced_examination_then_its_report_then_its_outcome(officer):
    alert = AlertFactory(raised_at=dt.datetime(2025, 5, 2, 9, tzinfo=dt.UTC))
    with pytest.raises(ValidationError) as exc:  # no report before the examination
        services.alert_write_enhanced_report(actor=officer, alert=alert, report="x", written_on=TODAY)
    assert "report" in exc.value.message_dict
    services.alert_decide(
        actor=officer,
        alert=alert,
        decision=Decision.ENHANCED_EXAMINATION,
        decided_on=dt.date(2025, 5, 10),
        reason="Complex operation",
    )
    assert set(services.alert_allowed_actions(alert)) == {"decide", "tracfin_report", "enhanced_report"}
    with pytest.raises(ValidationError, match="written report"):
        services.alert_decide(
            actor=officer, alert=alert, decision=Decision.CLOSED, decided_on=TODAY, reason="Nothing found"
        )
    with pytest.raises(ValidationError) as exc:
        services.alert_write_enhanced_report(actor=officer, alert=alert, report="x", written_on=dt.date(2025, 5, 9))
    assert "written_on" in exc.value.message_dict
    services.alert_write_enhanced_report(
        actor=officer,
        alert=alert,
        report="Origin of funds checked: inheritance.",
        written_on=dt.date(2025, 5, 20),
        file=SimpleUploadedFile("report.pdf", b"%PDF report"),
    )
    with pytest.raises(ValidationError) as exc:  # the outcome is not before the examination
        services.alert_decide(
            actor=officer, alert=alert, decision=Decision.CLOSED, decided_on=dt.date(2025, 5, 5), reason="Fine"
        )
    assert "decided_on" in exc.value.message_dict
    services.alert_decide(actor=officer, alert=alert, decision=Decision.CLOSED, decided_on=TODAY, reason="Justified")
    alert.refresh_from_db()
    assert alert.decision == Decision.CLOSED and alert.enhanced_report_on == dt.date(2025, 5, 20)
    assert alert.enhanced_report_file.read() == b"%PDF report"
    reasons = list(alert.history.order_by("history_id").values_list("history_change_reason", flat=True))
    assert reasons[-3:] == [
        "decided: Enhanced examination on 10/05/2025",
        "enhanced examination report of 20/05/2025",
        "outcome of the enhanced examination: Closed with reasons on 02/06/2025",
    ]
    with pytest.raises(ValidationError):  # the report is frozen with the outcome
        services.alert_write_enhanced_report(actor=officer, alert=alert, report="y", written_on=TODAY)


def test_assign_is_refused_once_decided(officer):
    alert = AlertFactory()
    services.alert_decide(actor=officer, alert=alert, decision=Decision.CLOSED, decided_on=TODAY, reason="ok")
    with pytest.raises(ValidationError):
        services.alert_assign(actor=officer, alert=alert, analyst=officer)


def test_problems_say_one_message_per_field():
    raised = dt.datetime(2025, 5, 2, 9, tzinfo=dt.UTC)
    assert services.alert_problems(raised_at=raised, source="loan", reason="r") == {}
    assert set(services.alert_problems(raised_at=raised, decision="closed")) == {"decided_on"}
    assert set(services.alert_problems(raised_at=raised, decided_on=TODAY)) == {"decision"}
    assert set(services.alert_problems(raised_at=raised, decision="tracfin_report", decided_on=TODAY)) == {
        "tracfin_reported_on"
    }
    late = services.alert_problems(
        raised_at=raised, decision="tracfin_report", decided_on=TODAY, tracfin_reported_on=dt.date(2025, 5, 20)
    )
    assert set(late) == {"tracfin_reported_on"}
