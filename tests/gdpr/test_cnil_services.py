"""The CNIL-case services: referrals carry the CNIL's reply date, answers are dated sensibly, letters are kept."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile

from gdpr.choices import CnilCaseKind
from gdpr.models import CnilCase
from gdpr.services.cnil import cnil_case_answer, cnil_case_attach, cnil_case_create, cnil_case_update
from tests.gdpr.factories import CnilCaseFactory, RightsRequestFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("english_messages"),
    pytest.mark.time_machine(dt.datetime(2025, 4, 15, 12, 0, tzinfo=dt.UTC), tick=False),
]
TODAY = dt.date(2025, 4, 15)


def errors(excinfo: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return excinfo.value.message_dict


def test_a_referral_is_recorded_with_the_reply_date_of_the_letter_and_a_generated_reference(dpo):
    request = RightsRequestFactory(reference="DSR-2025-00001")
    case = cnil_case_create(
        actor=dpo,
        kind=CnilCaseKind.REFERRAL,
        received_on=dt.date(2025, 4, 1),
        due_on=dt.date(2025, 4, 11),
        cnil_reference="PLT-123",
        rights_request=request,
    )
    assert (case.reference, case.due_on, case.rights_request) == ("CNIL-2025-001", dt.date(2025, 4, 11), request)
    assert (
        cnil_case_create(
            actor=dpo, kind=CnilCaseKind.COMPLAINT_WITHOUT_REFERRAL, received_on=dt.date(2025, 4, 2)
        ).reference
        == "CNIL-2025-002"
    )
    history = case.history.get()
    assert history.history_user == dpo and history.history_change_reason.startswith("recorded:")


def test_a_referral_without_the_reply_date_is_refused_naming_due_on(dpo):
    with pytest.raises(ValidationError) as excinfo:
        cnil_case_create(actor=dpo, kind=CnilCaseKind.REFERRAL, received_on=dt.date(2025, 4, 1))
    assert errors(excinfo) == {"due_on": ["A referral needs the reply date set in the CNIL's letter."]}
    assert not CnilCase.objects.exists()


def test_a_complaint_without_referral_takes_the_reply_date_a_cnil_letter_sets(dpo):
    """The 2023 DPEF: two complaints without referral "auxquelles il a été répondu dans le délai prescrit
    (10 jours)". A complaint has no reply date of its own; when the CNIL sets one in a letter, it is kept."""
    case = cnil_case_create(actor=dpo, kind=CnilCaseKind.COMPLAINT_WITHOUT_REFERRAL, received_on=dt.date(2025, 4, 1))
    assert case.due_on is None
    dated = cnil_case_create(
        actor=dpo,
        kind=CnilCaseKind.COMPLAINT_WITHOUT_REFERRAL,
        received_on=dt.date(2025, 4, 1),
        due_on=dt.date(2025, 4, 11),
    )
    assert CnilCase.objects.get(pk=dated.pk).due_on == dt.date(2025, 4, 11)
    # A later letter sets a date on the first one.
    case = cnil_case_update(actor=dpo, case=case, due_on=dt.date(2025, 4, 14), reason="CNIL letter of 04/04/2025")
    assert CnilCase.objects.get(pk=case.pk).due_on == dt.date(2025, 4, 14)
    with pytest.raises(ValidationError) as excinfo:
        cnil_case_create(
            actor=dpo,
            kind=CnilCaseKind.COMPLAINT_WITHOUT_REFERRAL,
            received_on=dt.date(2025, 4, 1),
            due_on=dt.date(2025, 3, 30),
        )
    assert errors(excinfo) == {"due_on": ["The reply date (30/03/2025) cannot be before the receipt (01/04/2025)."]}


def test_the_database_accepts_a_complaint_with_a_reply_date_and_refuses_a_referral_without_one():
    from django.db import IntegrityError, transaction

    CnilCaseFactory(
        kind=CnilCaseKind.COMPLAINT_WITHOUT_REFERRAL, received_on=dt.date(2025, 4, 1), due_on=dt.date(2025, 4, 11)
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        CnilCaseFactory(kind=CnilCaseKind.REFERRAL, received_on=dt.date(2025, 4, 1), due_on=None)


@pytest.mark.parametrize(
    ("received_on", "due_on", "field", "message"),
    [
        (
            dt.date(2025, 4, 10),
            dt.date(2025, 4, 9),
            "due_on",
            "The reply date (09/04/2025) cannot be before the receipt (10/04/2025).",
        ),
        (
            dt.date(2025, 4, 16),
            dt.date(2025, 4, 26),
            "received_on",
            "The receipt date (16/04/2025) cannot be in the future.",
        ),
    ],
)
def test_contradictory_dates_are_refused_with_the_field_and_the_dates(dpo, received_on, due_on, field, message):
    with pytest.raises(ValidationError) as excinfo:
        cnil_case_create(actor=dpo, kind=CnilCaseKind.REFERRAL, received_on=received_on, due_on=due_on)
    assert errors(excinfo) == {field: [message]}


def test_a_reference_already_used_is_refused(dpo):
    CnilCaseFactory(reference="CNIL-X")
    with pytest.raises(ValidationError) as excinfo:
        cnil_case_create(actor=dpo, kind=CnilCaseKind.COMPLAINT_WITHOUT_REFERRAL, received_on=TODAY, reference="CNIL-X")
    assert list(errors(excinfo)) == ["reference"]


def test_the_answer_is_recorded_with_a_change_reason(dpo):
    case = CnilCaseFactory(received_on=dt.date(2025, 4, 1), due_on=dt.date(2025, 4, 11))
    case = cnil_case_answer(actor=dpo, case=case, answered_on=dt.date(2025, 4, 10))
    assert CnilCase.objects.get().answered_on == dt.date(2025, 4, 10)
    assert case.history.first().history_change_reason == "answered 10/04/2025"


def test_a_late_answer_says_so_in_the_history(dpo):
    case = CnilCaseFactory(received_on=dt.date(2025, 4, 1), due_on=dt.date(2025, 4, 11))
    cnil_case_answer(actor=dpo, case=case, answered_on=dt.date(2025, 4, 14))
    assert case.history.first().history_change_reason == "answered 14/04/2025, after the reply date 11/04/2025"


@pytest.mark.parametrize(
    ("answered_on", "message"),
    [
        (dt.date(2025, 3, 31), "The answer (31/03/2025) cannot be dated before the receipt (01/04/2025)."),
        (dt.date(2025, 4, 16), "The answer (16/04/2025) cannot be dated in the future."),
    ],
)
def test_an_answer_before_receipt_or_in_the_future_is_refused(dpo, answered_on, message):
    case = CnilCaseFactory(received_on=dt.date(2025, 4, 1))
    with pytest.raises(ValidationError) as excinfo:
        cnil_case_answer(actor=dpo, case=case, answered_on=answered_on)
    assert errors(excinfo) == {"answered_on": [message]}
    assert CnilCase.objects.get().answered_on is None


def test_a_case_is_answered_once(dpo):
    case = CnilCaseFactory(received_on=dt.date(2025, 4, 1), answered_on=dt.date(2025, 4, 3))
    with pytest.raises(ValidationError) as excinfo:
        cnil_case_answer(actor=dpo, case=case, answered_on=dt.date(2025, 4, 4))
    assert errors(excinfo) == {"answered_on": ["This case was already answered on 03/04/2025."]}


def test_update_moves_the_reply_date_granted_by_the_cnil(dpo):
    case = CnilCaseFactory(received_on=dt.date(2025, 4, 1), due_on=dt.date(2025, 4, 11))
    case = cnil_case_update(actor=dpo, case=case, due_on=dt.date(2025, 4, 25), notes="Extra time granted")
    assert (case.due_on, case.notes) == (dt.date(2025, 4, 25), "Extra time granted")
    assert case.history.first().history_change_reason == "updated: due_on, notes"


def test_update_refuses_a_referral_losing_its_reply_date_and_writes_nothing(dpo):
    case = CnilCaseFactory(received_on=dt.date(2025, 4, 1), due_on=dt.date(2025, 4, 11))
    with pytest.raises(ValidationError) as excinfo:
        cnil_case_update(actor=dpo, case=case, due_on=None, notes="changed")
    assert list(errors(excinfo)) == ["due_on"]
    assert CnilCase.objects.get().notes == ""


def test_update_refuses_a_receipt_moved_after_the_answer(dpo):
    case = CnilCaseFactory(
        received_on=dt.date(2025, 4, 1), due_on=dt.date(2025, 4, 11), answered_on=dt.date(2025, 4, 5)
    )
    with pytest.raises(ValidationError) as excinfo:
        cnil_case_update(actor=dpo, case=case, received_on=dt.date(2025, 4, 6))
    assert errors(excinfo) == {"received_on": ["The receipt (06/04/2025) cannot be after the answer (05/04/2025)."]}


def test_a_letter_is_kept_with_its_case_under_media_root(dpo, isolated_media):
    case = CnilCaseFactory()
    attachment = cnil_case_attach(
        actor=dpo, case=case, file=ContentFile(b"%PDF-1.4 letter", name="saisine.pdf"), description="Letter of referral"
    )
    assert attachment.file.path.startswith(str(isolated_media))
    assert attachment.file.read() == b"%PDF-1.4 letter"
    assert (attachment.uploaded_by, list(case.attachments.all())) == (dpo, [attachment])
    assert attachment.history.get().history_change_reason == "letter attached: Letter of referral"


def test_an_empty_letter_is_refused(dpo, isolated_media):
    with pytest.raises(ValidationError) as excinfo:
        cnil_case_attach(actor=dpo, case=CnilCaseFactory(), file=ContentFile(b"", name="empty.pdf"))
    assert list(errors(excinfo)) == ["file"]
