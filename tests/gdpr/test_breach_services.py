"""The breach services: the 72-hour clock from our awareness, the decision, the notifications, Art. 34."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from gdpr.choices import NotificationPhase, RiskLevel, SubjectsExemption
from gdpr.models import Breach, BreachNotification
from gdpr.services.breaches import (
    breach_assess,
    breach_clock_explanation,
    breach_close,
    breach_create,
    breach_decide,
    breach_inform_subjects,
    breach_notify,
    breach_record_exemption,
    breach_update,
)
from tests.gdpr.factories import BreachFactory

PARIS = ZoneInfo("Europe/Paris")
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("english_messages"),
    pytest.mark.time_machine(dt.datetime(2025, 11, 3, 12, 0, tzinfo=PARIS), tick=False),
]


def paris(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=PARIS)


def errors(excinfo: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return excinfo.value.message_dict


@pytest.mark.parametrize(
    ("aware_at", "due_at"),
    [
        # Spring forward on 30/03/2025: 72 elapsed hours end at 11:00 summer time, not 10:00.
        (dt.datetime.fromisoformat("2025-03-28T10:00+01:00"), dt.datetime.fromisoformat("2025-03-31T11:00+02:00")),
        # Fall back on 26/10/2025: they end at 09:00 winter time.
        (dt.datetime.fromisoformat("2025-10-24T10:00+02:00"), dt.datetime.fromisoformat("2025-10-27T09:00+01:00")),
    ],
)
def test_the_notification_deadline_is_72_elapsed_hours_across_daylight_saving(dpo, aware_at, due_at):
    breach = breach_create(actor=dpo, aware_at=aware_at, title="Lost laptop")
    stored = Breach.objects.get(pk=breach.pk)
    assert stored.notification_due_at == due_at
    assert stored.notification_due_at.astimezone(PARIS).isoformat() == due_at.isoformat()
    assert stored.notification_due_at - stored.aware_at == dt.timedelta(hours=72)


def test_create_generates_the_reference_and_records_who_and_why(dpo):
    breach = breach_create(actor=dpo, aware_at=paris(2025, 3, 28, 10, 0))
    assert breach.reference == "BR-2025-001"
    assert breach_create(actor=dpo, aware_at=paris(2025, 4, 1, 9, 0)).reference == "BR-2025-002"
    history = breach.history.get()
    assert history.history_user == dpo
    assert history.history_change_reason == "recorded: aware 28/03/2025 10:00, notification due 31/03/2025 11:00"


def test_the_deadline_counts_from_our_awareness_and_the_processor_dates_are_stored(dpo):
    breach = breach_create(
        actor=dpo,
        aware_at=paris(2025, 6, 3, 9, 0),
        processor_aware_at=paris(2025, 6, 1, 8, 0),
        processor_informed_at=paris(2025, 6, 3, 9, 0),
    )
    assert breach.notification_due_at == paris(2025, 6, 6, 9, 0)
    assert (breach.processor_aware_at, breach.processor_informed_at) == (
        paris(2025, 6, 1, 8, 0),
        paris(2025, 6, 3, 9, 0),
    )
    assert "The processor was aware at 01/06/2025 08:00 and told us at 03/06/2025 09:00" in breach_clock_explanation(
        breach
    )


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"aware_at": paris(2025, 11, 4, 12, 0)}, "aware_at"),
        ({"aware_at": dt.datetime(2025, 6, 1, 9, 0)}, "aware_at"),
        ({"aware_at": paris(2025, 6, 1, 9, 0), "occurred_at": paris(2025, 6, 2, 9, 0)}, "occurred_at"),
        (
            {
                "aware_at": paris(2025, 6, 3, 9, 0),
                "processor_aware_at": paris(2025, 6, 2, 9, 0),
                "processor_informed_at": paris(2025, 6, 1, 9, 0),
            },
            "processor_informed_at",
        ),
        ({"aware_at": paris(2025, 6, 3, 9, 0), "subjects_count": -1}, "subjects_count"),
    ],
    ids=["aware-in-future", "naive", "occurred-after-aware", "processor-told-before-aware", "negative-count"],
)
def test_contradictory_facts_are_refused_naming_the_field(dpo, kwargs, field):
    with pytest.raises(ValidationError) as excinfo:
        breach_create(actor=dpo, **kwargs)
    assert list(errors(excinfo)) == [field]
    assert not Breach.objects.exists()


def test_correcting_awareness_moves_the_deadline(dpo):
    breach = BreachFactory(aware_at=paris(2025, 6, 3, 9, 0))
    breach = breach_update(actor=dpo, breach=breach, aware_at=paris(2025, 6, 2, 18, 0), measures="Passwords reset")
    assert (breach.notification_due_at, breach.measures) == (paris(2025, 6, 5, 18, 0), "Passwords reset")
    assert breach.history.first().history_change_reason.startswith("awareness corrected to 02/06/2025 18:00")


def test_correcting_awareness_that_would_make_a_notification_late_without_reasons_is_refused(dpo):
    breach = BreachFactory(
        aware_at=paris(2025, 6, 3, 9, 0), notified_at=paris(2025, 6, 5, 9, 0), notification_required=True
    )
    with pytest.raises(ValidationError) as excinfo:
        breach_update(actor=dpo, breach=breach, aware_at=paris(2025, 6, 1, 9, 0))
    assert list(errors(excinfo)) == ["aware_at"]
    assert "the reasons for the delay are required (Art. 33(1))" in errors(excinfo)["aware_at"][0]
    assert Breach.objects.get().aware_at == paris(2025, 6, 3, 9, 0)


def test_assess_records_the_level_its_reasoning_and_the_art_34_flag(dpo):
    breach = breach_assess(
        actor=dpo, breach=BreachFactory(), risk_level=RiskLevel.HIGH, reasoning="Bank details exposed"
    )
    assert (breach.risk_level, breach.risk_reasoning, breach.high_risk) == ("high", "Bank details exposed", True)
    assert breach.history.first().history_change_reason == "risk assessed: High risk"


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"risk_level": "high", "reasoning": " "}, {"reasoning": ["The risk assessment needs its reasoning."]}),
        (
            {"risk_level": "risk", "reasoning": "x", "high_risk": True},
            {"high_risk": ["A high risk to people (Art. 34) goes with the risk level 'high'."]},
        ),
        (
            {"risk_level": "severe", "reasoning": "x"},
            {"risk_level": ["'severe' is not a risk level (expected none, risk, high)."]},
        ),
    ],
)
def test_assess_refuses_an_incomplete_or_inconsistent_assessment(dpo, kwargs, expected):
    with pytest.raises(ValidationError) as excinfo:
        breach_assess(actor=dpo, breach=BreachFactory(), **kwargs)
    assert errors(excinfo) == expected


def test_deciding_not_to_notify_needs_reasoning(dpo):
    breach = BreachFactory(risk_level=RiskLevel.NONE, risk_reasoning="Encrypted device")
    with pytest.raises(ValidationError) as excinfo:
        breach_decide(actor=dpo, breach=breach, notification_required=False, reasoning="")
    assert errors(excinfo) == {"reasoning": ["Deciding not to notify needs its reasoning (Art. 33(5))."]}
    breach = breach_decide(
        actor=dpo, breach=breach, notification_required=False, reasoning="Strong encryption, key safe"
    )
    assert (breach.notification_required, breach.decision_reasoning) == (False, "Strong encryption, key safe")
    assert breach.clock_stopped


def test_a_breach_assessed_as_a_risk_cannot_go_unnotified(dpo):
    breach = BreachFactory(risk_level=RiskLevel.RISK, risk_reasoning="Names and emails")
    with pytest.raises(ValidationError) as excinfo:
        breach_decide(actor=dpo, breach=breach, notification_required=False, reasoning="Small")
    assert list(errors(excinfo)) == ["notification_required"]


def test_a_reassessment_to_a_risk_reopens_a_decision_not_to_notify(dpo):
    breach = BreachFactory(risk_level=RiskLevel.NONE, notification_required=False, decision_reasoning="Encrypted")
    breach = breach_assess(actor=dpo, breach=breach, risk_level=RiskLevel.RISK, reasoning="The key was on the device")
    assert (breach.notification_required, breach.decision_reasoning) == (None, "")
    assert Breach.objects.awaiting_decision_or_notification().get() == breach


def test_an_initial_notification_within_72_hours_sets_notified_at(dpo):
    breach = BreachFactory(aware_at=paris(2025, 3, 28, 10, 0))
    notification = breach_notify(
        actor=dpo, breach=breach, sent_at=paris(2025, 3, 31, 10, 59), cnil_reference="NOT-1", content="Initial form"
    )
    breach.refresh_from_db()
    assert (breach.notified_at, breach.notification_required, breach.cnil_notification_reference) == (
        paris(2025, 3, 31, 10, 59),
        True,
        "NOT-1",
    )
    assert breach.notified_within_72h is True
    assert (notification.phase, notification.sent_by) == (NotificationPhase.INITIAL, dpo)
    assert (
        breach.history.first().history_change_reason
        == "notified to the CNIL at 31/03/2025 10:59 (71 h 59 min after awareness)"
    )


def test_a_late_notification_needs_the_reasons_for_the_delay(dpo):
    breach = BreachFactory(aware_at=paris(2025, 3, 28, 10, 0))
    with pytest.raises(ValidationError) as excinfo:
        breach_notify(actor=dpo, breach=breach, sent_at=paris(2025, 3, 31, 11, 30))
    assert errors(excinfo) == {
        "delay_reasons": [
            "Notified 72 h 30 min after awareness, past the deadline of 31/03/2025 11:00: the reasons for the delay are "
            "required (Art. 33(1))."
        ]
    }
    assert not BreachNotification.objects.exists() and Breach.objects.get().notified_at is None
    breach_notify(actor=dpo, breach=breach, sent_at=paris(2025, 3, 31, 11, 30), delay_reasons="Forensics needed")
    breach.refresh_from_db()
    assert (breach.notified_within_72h, breach.delay_reasons) == (False, "Forensics needed")


def test_one_initial_notification_then_complementary_ones(dpo):
    breach = BreachFactory(aware_at=paris(2025, 3, 28, 10, 0))
    with pytest.raises(ValidationError) as excinfo:
        breach_notify(
            actor=dpo, breach=breach, sent_at=paris(2025, 3, 29, 10, 0), phase=NotificationPhase.COMPLEMENTARY
        )
    assert errors(excinfo) == {"phase": ["A complementary notification needs the initial notification first."]}
    breach_notify(actor=dpo, breach=breach, sent_at=paris(2025, 3, 29, 10, 0))
    with pytest.raises(ValidationError) as excinfo:
        breach_notify(actor=dpo, breach=breach, sent_at=paris(2025, 3, 30, 10, 0))
    assert errors(excinfo) == {
        "phase": ["The initial notification was sent on 29/03/2025 10:00: later ones are complementary."]
    }
    breach_notify(
        actor=dpo,
        breach=breach,
        sent_at=paris(2025, 4, 8, 10, 0),
        phase=NotificationPhase.COMPLEMENTARY,
        content="Forensic report",
    )
    assert list(breach.notifications.values_list("phase", flat=True)) == ["initial", "complementary"]
    # The complementary phase does not move the date of the initial notification.
    assert Breach.objects.get().notified_at == paris(2025, 3, 29, 10, 0)


@pytest.mark.parametrize(
    ("sent_at", "message"),
    [
        (
            paris(2025, 3, 28, 9, 0),
            "The notification (28/03/2025 09:00) cannot be dated before awareness (28/03/2025 10:00).",
        ),
        (paris(2025, 11, 4, 9, 0), "04/11/2025 09:00 is in the future."),
    ],
)
def test_a_notification_before_awareness_or_in_the_future_is_refused(dpo, sent_at, message):
    with pytest.raises(ValidationError) as excinfo:
        breach_notify(actor=dpo, breach=BreachFactory(aware_at=paris(2025, 3, 28, 10, 0)), sent_at=sent_at)
    assert errors(excinfo) == {"sent_at": [message]}


def test_no_notification_after_a_decision_not_to_notify(dpo):
    breach = BreachFactory(risk_level=RiskLevel.NONE, notification_required=False, decision_reasoning="Encrypted")
    with pytest.raises(ValidationError) as excinfo:
        breach_notify(actor=dpo, breach=breach, sent_at=paris(2025, 3, 29, 10, 0))
    assert list(errors(excinfo)) == ["phase"]


def test_data_subjects_are_informed_once_and_not_before_awareness(dpo):
    breach = BreachFactory(aware_at=paris(2025, 3, 28, 10, 0), high_risk=True, risk_level=RiskLevel.HIGH)
    with pytest.raises(ValidationError) as excinfo:
        breach_inform_subjects(actor=dpo, breach=breach, informed_at=paris(2025, 3, 27, 10, 0))
    assert list(errors(excinfo)) == ["informed_at"]
    breach = breach_inform_subjects(actor=dpo, breach=breach, informed_at=paris(2025, 3, 30, 10, 0))
    assert breach.subjects_informed_at == paris(2025, 3, 30, 10, 0)
    with pytest.raises(ValidationError) as excinfo:
        breach_inform_subjects(actor=dpo, breach=breach, informed_at=paris(2025, 3, 31, 10, 0))
    assert errors(excinfo) == {"informed_at": ["The data subjects were already informed on 30/03/2025 10:00."]}


def test_an_art_34_3_exemption_needs_its_reasoning_and_excludes_informing(dpo):
    breach = BreachFactory(high_risk=True, risk_level=RiskLevel.HIGH)
    with pytest.raises(ValidationError) as excinfo:
        breach_record_exemption(actor=dpo, breach=breach, exemption=SubjectsExemption.PROTECTED, reasoning="")
    assert errors(excinfo) == {"reasoning": ["The exemption needs its reasoning."]}
    breach = breach_record_exemption(
        actor=dpo, breach=breach, exemption=SubjectsExemption.PROTECTED, reasoning="AES-256, key not compromised"
    )
    assert (breach.subjects_exemption, breach.subjects_exemption_reasoning) == (
        "art34_3_a",
        "AES-256, key not compromised",
    )
    with pytest.raises(ValidationError) as excinfo:
        breach_inform_subjects(actor=dpo, breach=breach, informed_at=paris(2025, 3, 30, 10, 0))
    assert list(errors(excinfo)) == ["informed_at"]


def test_close_lists_what_is_missing_then_closes_a_complete_file(dpo):
    breach = BreachFactory(aware_at=paris(2025, 3, 28, 10, 0))
    with pytest.raises(ValidationError) as excinfo:
        breach_close(actor=dpo, breach=breach)
    assert excinfo.value.messages == [
        "The breach cannot be closed: the risk is not assessed; the decision to notify or not is not recorded."
    ]
    breach_assess(actor=dpo, breach=breach, risk_level=RiskLevel.HIGH, reasoning="Health data")
    breach_notify(actor=dpo, breach=breach, sent_at=paris(2025, 3, 30, 10, 0))
    with pytest.raises(ValidationError) as excinfo:
        breach_close(actor=dpo, breach=breach)
    assert "the data subjects are not informed and no Art. 34(3) exemption is recorded" in excinfo.value.messages[0]
    breach_inform_subjects(actor=dpo, breach=breach, informed_at=paris(2025, 3, 31, 10, 0))
    breach = breach_close(actor=dpo, breach=breach)
    assert breach.closed_at == paris(2025, 11, 3, 12, 0)
    with pytest.raises(ValidationError, match="was closed on 03/11/2025 12:00"):
        breach_assess(actor=dpo, breach=breach, risk_level=RiskLevel.RISK, reasoning="x")


def test_every_transition_leaves_a_history_row_naming_the_actor(dpo):
    breach = breach_create(actor=dpo, aware_at=paris(2025, 3, 28, 10, 0))
    breach_assess(actor=dpo, breach=breach, risk_level=RiskLevel.NONE, reasoning="Encrypted")
    breach_decide(actor=dpo, breach=breach, notification_required=False, reasoning="Encrypted, key safe")
    breach_close(actor=dpo, breach=breach)
    reasons = list(
        Breach.history.order_by("history_date", "history_id").values_list("history_change_reason", flat=True)
    )
    assert reasons[1:] == ["risk assessed: Unlikely to result in a risk", "decided: no notification", "closed"]
    assert set(Breach.history.values_list("history_user", flat=True)) == {dpo.pk}
