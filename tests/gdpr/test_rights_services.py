"""Rights-request services: the workflow, the deadline columns and their ledger, the references."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation

from gdpr.choices import DeadlineEventKind, Outcome, PauseReason, RefusalGround, RequestStatus, Right
from gdpr.models import DeadlineEvent, RightsRequest
from gdpr.services import rights as services
from gdpr.services.rights import (
    rights_request_answer,
    rights_request_close,
    rights_request_create,
    rights_request_extend,
    rights_request_pause,
    rights_request_refuse,
    rights_request_resume,
    rights_request_set_handler,
    rights_request_start,
    rights_request_update,
    rights_request_withdraw,
)
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_messages")]
PARIS = ZoneInfo("Europe/Paris")


def paris(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=PARIS)


@pytest.fixture
def officer():
    return UserFactory(username="dpo")


def create(officer, received_at=None, **kwargs) -> RightsRequest:
    return rights_request_create(
        actor=officer, received_at=received_at or paris(2025, 3, 5, 10), right=Right.ACCESS, **kwargs
    )


def messages_of(excinfo: pytest.ExceptionInfo) -> dict[str, list[str]]:
    return excinfo.value.message_dict


# --- creation and references ----------------------------------------------------------------------------


@time_machine.travel(paris(2025, 3, 20, 12), tick=False)
def test_creation_computes_the_deadline_and_writes_a_computed_event(officer):
    request = create(officer)
    assert (request.status, request.due_on, request.applicable_due_on) == (
        RequestStatus.RECEIVED,
        dt.date(2025, 4, 7),
        dt.date(2025, 4, 7),
    )
    assert request.extended_due_on is None
    assert "05/04/2025" in request.deadline_explanation and "07/04/2025" in request.deadline_explanation
    event = request.deadline_events.get()
    assert (event.kind, event.actor, event.due_on) == (DeadlineEventKind.COMPUTED, officer, dt.date(2025, 4, 7))
    assert event.explanation == request.deadline_explanation
    history = request.history.get()
    assert (history.history_user, history.history_change_reason) == (officer, "received")


@time_machine.travel(paris(2025, 3, 20, 12), tick=False)
def test_the_explanation_is_written_in_the_site_language_whoever_asks(officer):
    in_english = create(officer)  # the active language is English (fixture), the site's is French
    with translation.override("fr"):
        in_french = create(officer)
    assert in_english.deadline_explanation == in_french.deadline_explanation
    assert "Règles de calcul" in in_english.deadline_explanation  # the site language, French


@time_machine.travel(paris(2026, 1, 10, 12), tick=False)
def test_references_are_numbered_per_paris_year_of_receipt(officer):
    first = create(officer, received_at=paris(2025, 12, 31, 23, 30))  # 22:30 UTC, still 2025 in Paris
    second = create(officer, received_at=paris(2025, 6, 1, 9))
    third = create(officer, received_at=paris(2026, 1, 1, 0, 30))  # 2025 in UTC, 2026 in Paris
    assert [first.reference, second.reference, third.reference] == [
        "DSR-2025-00001",
        "DSR-2025-00002",
        "DSR-2026-00001",
    ]


@time_machine.travel(paris(2025, 3, 20, 12), tick=False)
def test_generated_references_follow_the_highest_number_and_skip_hand_typed_ones(officer):
    create(officer, reference="DSR-2025-00041")
    create(officer, reference="DSR-2025-00041-bis")
    assert create(officer).reference == "DSR-2025-00042"


@time_machine.travel(paris(2025, 3, 20, 12), tick=False)
def test_a_reference_taken_meanwhile_is_retried_with_the_next_number(officer, monkeypatch):
    create(officer, reference="DSR-2025-00001")
    proposals = iter(["DSR-2025-00001", "DSR-2025-00002"])  # as if a concurrent insert won the first
    monkeypatch.setattr(services, "rights_request_next_reference", lambda year: next(proposals))
    assert create(officer).reference == "DSR-2025-00002"
    assert RightsRequest.objects.count() == 2


@time_machine.travel(paris(2025, 3, 20, 12), tick=False)
def test_a_given_reference_already_used_is_refused_on_its_field(officer):
    create(officer, reference="DSR-X")
    with pytest.raises(ValidationError) as excinfo:
        create(officer, reference="DSR-X")
    assert "reference" in messages_of(excinfo)
    assert RightsRequest.objects.count() == 1


@time_machine.travel(paris(2025, 3, 20, 12), tick=False)
def test_a_receipt_in_the_future_is_refused(officer):
    with pytest.raises(ValidationError) as excinfo:
        create(officer, received_at=paris(2025, 3, 21, 9))
    assert messages_of(excinfo) == {"received_at": ["This date is in the future."]}
    assert not RightsRequest.objects.exists()


@time_machine.travel(paris(2025, 3, 20, 12), tick=False)
def test_unknown_other_rights_are_refused(officer):
    with pytest.raises(ValidationError) as excinfo:
        create(officer, other_rights=["erasure", "teleportation"])
    assert "other_rights" in messages_of(excinfo)


# --- the known vectors through the workflow --------------------------------------------------------------


@time_machine.travel(paris(2025, 6, 20, 12), tick=False)
def test_an_identity_pause_moves_the_deadline_by_the_days_waited(officer):
    request = create(officer, received_at=paris(2025, 6, 2, 9))
    assert request.due_on == dt.date(2025, 7, 2)
    request = rights_request_pause(
        request=request,
        actor=officer,
        asked_on=dt.date(2025, 6, 3),
        reason=PauseReason.IDENTITY,
        note="signature does not match",
    )
    assert request.status == RequestStatus.PAUSED
    assert (request.due_on, request.extended_due_on, request.applicable_due_on) == (None, None, None)
    assert "03/06/2025" in request.deadline_explanation
    request = rights_request_resume(request=request, actor=officer, answered_on=dt.date(2025, 6, 10))
    assert request.status == RequestStatus.IN_PROGRESS
    assert (request.due_on, request.applicable_due_on) == (dt.date(2025, 7, 9), dt.date(2025, 7, 9))
    kinds = list(request.deadline_events.values_list("kind", "due_on"))
    assert kinds == [
        (DeadlineEventKind.COMPUTED, dt.date(2025, 7, 2)),
        (DeadlineEventKind.PAUSED, None),
        (DeadlineEventKind.RESUMED, dt.date(2025, 7, 9)),
    ]
    pause = request.pauses.get()
    assert (pause.asked_on, pause.answered_on, pause.note) == (
        dt.date(2025, 6, 3),
        dt.date(2025, 6, 10),
        "signature does not match",
    )
    assert "signature does not match" in request.deadline_events.get(kind=DeadlineEventKind.PAUSED).reason


@time_machine.travel(paris(2026, 3, 1, 12), tick=False)
def test_an_extension_counts_three_months_from_receipt_then_rolls_once(officer):
    request = create(officer, received_at=paris(2026, 2, 14, 11))
    request = rights_request_start(request=request, actor=officer)
    request = rights_request_extend(
        request=request,
        actor=officer,
        notified_at=paris(2026, 2, 27, 16),
        reason="Volume of data held in three systems",
    )
    assert request.status == RequestStatus.EXTENDED
    assert (request.due_on, request.extended_due_on, request.applicable_due_on) == (
        dt.date(2026, 3, 16),
        dt.date(2026, 5, 15),
        dt.date(2026, 5, 15),
    )
    event = request.deadline_events.get(kind=DeadlineEventKind.EXTENDED)
    assert (event.extended_due_on, event.reason, event.actor) == (
        dt.date(2026, 5, 15),
        "Volume of data held in three systems",
        officer,
    )
    assert request.extension_reason == "Volume of data held in three systems"


@time_machine.travel(paris(2025, 5, 1, 12), tick=False)
def test_an_extension_notified_after_the_first_deadline_is_refused(officer):
    request = create(officer)  # due 07/04/2025
    with pytest.raises(ValidationError) as excinfo:
        rights_request_extend(request=request, actor=officer, notified_at=paris(2025, 4, 8, 9), reason="complex")
    assert messages_of(excinfo) == {
        "notified_at": [
            "The requester was told on 08/04/2025, after the first deadline (07/04/2025): an extension must be "
            "notified before it (Art. 12(3))."
        ]
    }
    request.refresh_from_db()
    assert (request.status, request.extended_due_on, request.extension_notified_at) == (
        RequestStatus.RECEIVED,
        None,
        None,
    )
    assert request.deadline_events.count() == 1


@time_machine.travel(paris(2025, 5, 1, 12), tick=False)
def test_an_extension_on_the_last_day_of_the_first_deadline_is_in_time(officer):
    request = create(officer)
    request = rights_request_extend(
        request=request, actor=officer, notified_at=paris(2025, 4, 7, 23, 59), reason="complex"
    )
    assert request.extended_due_on == dt.date(2025, 6, 5)


@time_machine.travel(paris(2025, 5, 1, 12), tick=False)
def test_an_extension_needs_its_reasons_and_happens_once(officer):
    request = create(officer)
    with pytest.raises(ValidationError) as excinfo:
        rights_request_extend(request=request, actor=officer, notified_at=paris(2025, 3, 20, 9), reason="  ")
    assert list(messages_of(excinfo)) == ["reason"]
    request = rights_request_extend(request=request, actor=officer, notified_at=paris(2025, 3, 20, 9), reason="complex")
    with pytest.raises(ValidationError) as excinfo:
        rights_request_extend(request=request, actor=officer, notified_at=paris(2025, 3, 21, 9), reason="again")
    assert "already extended" in messages_of(excinfo)["status"][0]


@time_machine.travel(paris(2025, 7, 20, 12), tick=False)
def test_an_extension_during_a_pause_keeps_the_pause_and_resumes_to_extended(officer):
    request = create(officer, received_at=paris(2025, 6, 2, 9))
    request = rights_request_pause(request=request, actor=officer, asked_on=dt.date(2025, 6, 3))
    # 10 July is after the unpaused first deadline (2 July), but the deadline was suspended since 3 June.
    request = rights_request_extend(request=request, actor=officer, notified_at=paris(2025, 7, 10, 9), reason="complex")
    assert request.status == RequestStatus.PAUSED
    assert request.applicable_due_on is None
    request = rights_request_resume(request=request, actor=officer, answered_on=dt.date(2025, 7, 15))
    assert request.status == RequestStatus.EXTENDED
    # receipt + 3 months = 2 Sept, + 42 days paused = 14 Oct 2025 (a Tuesday).
    assert (request.due_on, request.extended_due_on, request.applicable_due_on) == (
        dt.date(2025, 8, 13),
        dt.date(2025, 10, 14),
        dt.date(2025, 10, 14),
    )


@time_machine.travel(paris(2025, 5, 1, 12), tick=False)
def test_a_deadline_that_has_passed_cannot_be_suspended(officer):
    request = create(officer)
    with pytest.raises(ValidationError) as excinfo:
        rights_request_pause(request=request, actor=officer, asked_on=dt.date(2025, 4, 8))
    assert "already passed" in messages_of(excinfo)["asked_on"][0]
    assert not request.pauses.exists()


@time_machine.travel(paris(2025, 6, 20, 12), tick=False)
def test_pause_and_resume_dates_are_checked(officer):
    request = create(officer, received_at=paris(2025, 6, 2, 9))
    with pytest.raises(ValidationError) as excinfo:
        rights_request_pause(request=request, actor=officer, asked_on=dt.date(2025, 6, 1))
    assert "before the receipt" in messages_of(excinfo)["asked_on"][0]
    with pytest.raises(ValidationError) as excinfo:
        rights_request_pause(request=request, actor=officer, asked_on=dt.date(2025, 6, 21))
    assert messages_of(excinfo) == {"asked_on": ["This date is in the future."]}
    request = rights_request_pause(request=request, actor=officer, asked_on=dt.date(2025, 6, 5))
    with pytest.raises(ValidationError) as excinfo:
        rights_request_resume(request=request, actor=officer, answered_on=dt.date(2025, 6, 4))
    assert "before it was asked for" in messages_of(excinfo)["answered_on"][0]
    with pytest.raises(ValidationError) as excinfo:
        rights_request_pause(request=request, actor=officer, asked_on=dt.date(2025, 6, 6))
    assert "cannot be paused" in messages_of(excinfo)["status"][0]


@time_machine.travel(paris(2025, 6, 20, 12), tick=False)
def test_a_pause_is_never_made_by_another_transition(officer):
    request = create(officer, received_at=paris(2025, 6, 2, 9))
    request = rights_request_start(request=request, actor=officer)
    rights_request_set_handler(request=request, actor=officer, handler=officer)
    assert not request.pauses.exists()


# --- answer, refusal, withdrawal, closure ----------------------------------------------------------------


@time_machine.travel(paris(2025, 3, 20, 12), tick=False)
def test_an_answer_records_date_outcome_and_channel_and_keeps_the_deadline(officer):
    request = create(officer)
    request = rights_request_answer(
        request=request, actor=officer, answered_at=paris(2025, 3, 18, 15), outcome=Outcome.GRANTED, channel="email"
    )
    assert (request.status, request.outcome, request.answer_channel) == (RequestStatus.ANSWERED, "granted", "email")
    assert request.applicable_due_on == dt.date(2025, 4, 7)
    assert request.deadline_events.count() == 1  # the deadline did not change
    assert request.history.first().history_change_reason.startswith("answered")


@time_machine.travel(paris(2025, 3, 20, 12), tick=False)
def test_an_answer_before_the_receipt_or_in_the_future_is_refused(officer):
    request = create(officer)
    with pytest.raises(ValidationError) as excinfo:
        rights_request_answer(
            request=request, actor=officer, answered_at=paris(2025, 3, 5, 9), outcome=Outcome.GRANTED, channel="email"
        )
    assert "before the receipt of the request (05/03/2025 10:00)" in messages_of(excinfo)["answered_at"][0]
    with pytest.raises(ValidationError) as excinfo:
        rights_request_answer(
            request=request, actor=officer, answered_at=paris(2025, 3, 21, 9), outcome=Outcome.GRANTED, channel="email"
        )
    assert messages_of(excinfo) == {"answered_at": ["This date is in the future."]}
    request.refresh_from_db()
    assert (request.status, request.answered_at) == (RequestStatus.RECEIVED, None)


@time_machine.travel(paris(2025, 3, 20, 12), tick=False)
def test_an_answer_with_an_unknown_outcome_or_a_withdrawal_is_refused(officer):
    request = create(officer)
    for outcome in ("maybe", Outcome.WITHDRAWN):
        with pytest.raises(ValidationError) as excinfo:
            rights_request_answer(
                request=request, actor=officer, answered_at=paris(2025, 3, 18, 15), outcome=outcome, channel="email"
            )
        assert list(messages_of(excinfo)) == ["outcome"]


@time_machine.travel(paris(2025, 3, 20, 12), tick=False)
def test_a_refusal_needs_its_ground_and_the_notice_of_the_right_to_complain(officer):
    request = create(officer)
    with pytest.raises(ValidationError) as excinfo:
        rights_request_refuse(
            request=request, actor=officer, ground="", answered_at=paris(2025, 3, 18, 15), complaint_right_notified=True
        )
    assert list(messages_of(excinfo)) == ["ground"]
    with pytest.raises(ValidationError) as excinfo:
        rights_request_refuse(
            request=request,
            actor=officer,
            ground=RefusalGround.EXCESSIVE,
            answered_at=paris(2025, 3, 18, 15),
            complaint_right_notified=False,
        )
    assert "right to complain to the CNIL" in messages_of(excinfo)["complaint_right_notified"][0]
    request = rights_request_refuse(
        request=request,
        actor=officer,
        ground=RefusalGround.MANIFESTLY_UNFOUNDED,
        answered_at=paris(2025, 3, 18, 15),
        complaint_right_notified=True,
    )
    assert (request.status, request.refusal_ground, request.outcome, request.complaint_right_notified) == (
        RequestStatus.REFUSED,
        "manifestly_unfounded",
        Outcome.UNFOUNDED,
        True,
    )


@time_machine.travel(paris(2025, 6, 20, 12), tick=False)
def test_a_withdrawal_during_a_pause_ends_the_pause_so_the_deadline_stays_judgeable(officer):
    request = create(officer, received_at=paris(2025, 6, 2, 9))
    request = rights_request_pause(request=request, actor=officer, asked_on=dt.date(2025, 6, 3))
    request = rights_request_withdraw(request=request, actor=officer, withdrawn_at=paris(2025, 6, 10, 9))
    assert (request.status, request.outcome) == (RequestStatus.WITHDRAWN, Outcome.WITHDRAWN)
    assert request.pauses.get().answered_on == dt.date(2025, 6, 10)
    assert request.applicable_due_on == dt.date(2025, 7, 9)


@time_machine.travel(paris(2025, 3, 20, 12), tick=False)
def test_close_only_after_the_request_ended(officer):
    request = create(officer)
    with pytest.raises(ValidationError) as excinfo:
        rights_request_close(request=request, actor=officer)
    assert messages_of(excinfo) == {"status": ["A request whose status is “Received” cannot be closed."]}
    request = rights_request_answer(
        request=request, actor=officer, answered_at=paris(2025, 3, 18, 15), outcome=Outcome.NO_DATA, channel="post"
    )
    request = rights_request_close(request=request, actor=officer)
    assert request.status == RequestStatus.CLOSED and request.closed_at is not None


@pytest.mark.parametrize(
    ("status", "action", "kwargs"),
    [
        (RequestStatus.ANSWERED, rights_request_pause, {"asked_on": dt.date(2025, 3, 10)}),
        (
            RequestStatus.CLOSED,
            rights_request_answer,
            {"answered_at": paris(2025, 3, 18), "outcome": "granted", "channel": "email"},
        ),
        (
            RequestStatus.PAUSED,
            rights_request_answer,
            {"answered_at": paris(2025, 3, 18), "outcome": "granted", "channel": "email"},
        ),
        (RequestStatus.IN_PROGRESS, rights_request_start, {}),
        (RequestStatus.RECEIVED, rights_request_resume, {"answered_on": dt.date(2025, 3, 10)}),
        (RequestStatus.WITHDRAWN, rights_request_withdraw, {}),
        (
            RequestStatus.REFUSED,
            rights_request_refuse,
            {"ground": "excessive", "answered_at": paris(2025, 3, 18), "complaint_right_notified": True},
        ),
    ],
)
@time_machine.travel(paris(2025, 3, 20, 12), tick=False)
def test_illegal_transitions_are_refused_with_the_status_named(officer, status, action, kwargs):
    request = create(officer)
    extra = {"refusal_ground": "excessive", "complaint_right_notified": True} if status == "refused" else {}
    RightsRequest.objects.filter(pk=request.pk).update(status=status, **extra)
    with pytest.raises(ValidationError) as excinfo:
        action(request=request, actor=officer, **kwargs)
    assert "status" in messages_of(excinfo)
    assert RightsRequest.objects.get(pk=request.pk).status == status


@time_machine.travel(paris(2025, 3, 20, 12), tick=False)
def test_allowed_actions_follow_the_workflow(officer):
    request = create(officer)
    assert services.rights_request_allowed_actions(request) == [
        "start",
        "pause",
        "extend",
        "answer",
        "refuse",
        "withdraw",
    ]
    request = rights_request_pause(request=request, actor=officer, asked_on=dt.date(2025, 3, 6))
    assert services.rights_request_allowed_actions(request) == ["resume", "extend", "withdraw"]
    request = rights_request_resume(request=request, actor=officer, answered_on=dt.date(2025, 3, 7))
    request = rights_request_extend(request=request, actor=officer, notified_at=paris(2025, 3, 8), reason="x")
    assert services.rights_request_allowed_actions(request) == ["pause", "answer", "refuse", "withdraw"]


# --- edits --------------------------------------------------------------------------------------------------


@time_machine.travel(paris(2025, 3, 20, 12), tick=False)
def test_update_edits_descriptive_fields_only_with_history(officer):
    request = create(officer)
    request = rights_request_update(request=request, actor=officer, requester_name="Mme Durand", notes="call back")
    assert request.history.first().history_change_reason.endswith("requester_name, notes")
    with pytest.raises(ValidationError) as excinfo:
        rights_request_update(request=request, actor=officer, status=RequestStatus.CLOSED)
    assert list(messages_of(excinfo)) == ["status"]


@time_machine.travel(paris(2025, 3, 20, 12), tick=False)
def test_a_policy_change_shows_as_a_recomputed_event_at_the_next_transition(officer, settings):
    request = create(officer)  # 5 Apr 2025 is a Saturday → Monday 7 Apr
    settings.VIGIE_GDPR_DEADLINES = {"ROLLOVER": "none"}
    request = rights_request_start(request=request, actor=officer)
    assert request.due_on == dt.date(2025, 4, 5)
    assert request.deadline_events.last().kind == DeadlineEventKind.RECOMPUTED


@time_machine.travel(paris(2025, 3, 20, 12), tick=False)
def test_the_database_refuses_a_refusal_without_the_complaint_notice(officer):
    request = create(officer)
    with pytest.raises(IntegrityError), transaction.atomic():
        RightsRequest.objects.filter(pk=request.pk).update(refusal_ground="excessive", status="refused")


@time_machine.travel(paris(2025, 3, 20, 12), tick=False)
def test_every_deadline_event_names_its_actor(officer):
    request = create(officer)
    rights_request_pause(request=request, actor=officer, asked_on=dt.date(2025, 3, 6))
    assert set(DeadlineEvent.objects.values_list("actor__username", flat=True)) == {"dpo"}
