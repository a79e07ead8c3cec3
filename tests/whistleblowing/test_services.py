"""Whistleblowing services: receipt (public and recorded), the clock and its ledger, the workflow and its
refusals, the follow-up credentials, and what history keeps (never the content nor the author)."""

from __future__ import annotations

import datetime as dt
import threading
import types
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connection

from aml.models import Alert
from core import services as core_services
from core.roles import AML_OFFICER, COMPLIANCE_OFFICER, WHISTLEBLOWING_REFERENT
from tests.aml.factories import AlertFactory
from tests.compliance.factories import CaseFactory
from tests.factories import LegalEntityFactory, UserFactory
from tests.gdpr.factories import BreachFactory
from tests.locks import record_locks
from whistleblowing.choices import (
    Admissibility,
    Category,
    Channel,
    DeadlineKind,
    Direction,
    LinkKind,
    MessageKind,
    Proceedings,
    Status,
)
from whistleblowing.models import DeadlineEvent, FollowUpAccess, Message, Report, ReportContent, ReportLink
from whistleblowing.services import follow_up, reports as services
from whistleblowing.services.reports import (
    follow_up_issue,
    follow_up_open,
    message_from_author,
    message_to_author,
    report_acknowledge,
    report_close,
    report_decide_admissibility,
    report_entity_set,
    report_give_feedback,
    report_link,
    report_meeting_held,
    report_record,
    report_request_meeting,
    report_set_proceedings,
    report_start_investigation,
    report_submit_public,
)

PARIS = ZoneInfo("Europe/Paris")
NOW = dt.datetime(2024, 7, 1, 10, 0, tzinfo=PARIS)  # a Monday
RECEIVED = dt.datetime(2024, 6, 3, 9, 0, tzinfo=PARIS)  # Monday 3 June: acknowledgment due 12/06, feedback 12/09

FACTS = "The purchasing manager took a secret commission from supplier Zorglub"
AUTHOR = "Philippine Secretauthor"
EMAIL = "philippine.secretauthor@example.org"
PERSONS = "Gontran Concernedperson"

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("english_messages"),
    pytest.mark.time_machine(NOW, tick=False),
]


@pytest.fixture
def referent():
    return UserFactory(username="referent")


@pytest.fixture
def linker(roles):
    """A referent who also views conflict-of-interest cases, breaches and AML/CFT alerts: linking a report needs
    the view of the record it links to (`selectors.linkable_kinds`)."""
    return UserFactory(username="linker", groups=[WHISTLEBLOWING_REFERENT, COMPLIANCE_OFFICER, AML_OFFICER])


def record(actor: Any, **kwargs: Any) -> Report:
    values: dict[str, Any] = {
        "received_at": RECEIVED,
        "channel": Channel.EMAIL,
        "category": Category.CORRUPTION,
        "facts": FACTS,
        "author_name": AUTHOR,
        "author_email": EMAIL,
        "persons_concerned": PERSONS,
    }
    values.update(kwargs)
    return report_record(actor=actor, **values)


def submit(**kwargs: Any) -> tuple[Report, str, str]:
    values: dict[str, Any] = {
        "category": Category.FRAUD,
        "facts": FACTS,
        "anonymous": False,
        "author_name": AUTHOR,
        "author_email": EMAIL,
        "persons_concerned": PERSONS,
    }
    values.update(kwargs)
    return report_submit_public(**values)


def errors(excinfo: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return excinfo.value.message_dict


def ledger(report: Report, kind: str | None = None) -> list[DeadlineEvent]:
    events = DeadlineEvent.objects.filter(report=report).order_by("pk")
    return list(events.filter(deadline=kind) if kind else events)


def admissible(referent: Any, **kwargs: Any) -> Report:
    report = record(referent, **kwargs)
    report_acknowledge(actor=referent, report=report, acknowledged_on=dt.date(2024, 6, 5))
    return report_decide_admissibility(
        actor=referent,
        report=report,
        admissibility=Admissibility.ADMISSIBLE,
        decided_on=dt.date(2024, 6, 10),
        reasons="",
    )


# --- receipt ----------------------------------------------------------------------------------------------------


def test_a_public_report_is_received_now_with_a_reference_both_deadlines_and_credentials():
    report, code, passphrase = submit()

    assert report.reference == "SIG-2024-0001"
    assert report.received_at == NOW
    assert report.status == Status.RECEIVED
    # Monday 01/07/2024: Tue 2 .. Fri 5 (4), Mon 8 (5) Tue 9 (6) Wed 10 (7); feedback 10/07 + 3 months.
    assert report.acknowledgment_due_on == dt.date(2024, 7, 10)
    assert report.feedback_due_on == dt.date(2024, 10, 10)
    content = report.content
    assert (content.channel, content.anonymous, content.contact_possible) == (Channel.WEB, False, True)
    assert (content.facts, content.author_name, content.persons_concerned) == (FACTS, AUTHOR, PERSONS)
    assert len(code) == 19 and code.count("-") == 3  # XXXX-XXXX-XXXX-XXXX
    assert len(passphrase) == 29 and passphrase.count("-") == 5
    assert follow_up_open(code, passphrase) == report
    events = ledger(report)
    assert [(e.deadline, e.due_on) for e in events] == [
        (DeadlineKind.ACKNOWLEDGMENT, dt.date(2024, 7, 10)),
        (DeadlineKind.FEEDBACK, dt.date(2024, 10, 10)),
    ]
    assert all(e.explanation and e.reason and e.actor is None for e in events)
    assert Report.history.get(id=report.pk).history_change_reason == "report received"


def test_an_anonymous_web_report_keeps_no_identity_and_its_clock_runs():
    report, _code, _passphrase = submit(anonymous=True, author_name="", author_email="")
    assert report.content.anonymous and report.content.contact_possible
    assert (report.content.author_name, report.content.author_email) == ("", "")
    assert report.acknowledgment_due_on is not None and report.feedback_due_on is not None


def test_an_anonymous_author_may_still_leave_a_name_and_it_is_kept():
    report, _code, _passphrase = submit(anonymous=True, author_contact="Call me on the office line")
    assert report.content.author_name == AUTHOR
    assert report.content.author_contact == "Call me on the office line"


def test_a_recorded_report_has_its_receipt_date_and_the_clock_from_it(referent):
    report = record(referent)
    assert report.reference == "SIG-2024-0001"
    assert (report.acknowledgment_due_on, report.feedback_due_on) == (dt.date(2024, 6, 12), dt.date(2024, 9, 12))
    assert report.content.channel == Channel.EMAIL
    assert not FollowUpAccess.objects.filter(report=report).exists()
    assert {e.actor for e in ledger(report)} == {referent}


def test_an_anonymous_report_without_any_contact_has_no_deadline_and_the_ledger_says_why(referent):
    report = record(referent, anonymous=True, contact_possible=False, author_name="", author_email="")
    assert (report.acknowledgment_due_on, report.feedback_due_on) == (None, None)
    events = ledger(report)
    assert [(e.deadline, e.due_on) for e in events] == [
        (DeadlineKind.ACKNOWLEDGMENT, None),
        (DeadlineKind.FEEDBACK, None),
    ]
    assert all("anonyme" in e.explanation for e in events)  # written in the site's language (French)
    assert not Report.objects.acknowledgment_pending().exists()


def test_a_recorded_web_report_is_always_contactable(referent):
    report = record(referent, channel=Channel.WEB, anonymous=True, contact_possible=False)
    assert report.content.contact_possible
    assert report.acknowledgment_due_on is not None


def test_a_receipt_late_at_night_utc_on_new_years_eve_belongs_to_the_next_year_in_paris(referent):
    report = record(referent, received_at=dt.datetime(2023, 12, 31, 23, 30, tzinfo=dt.UTC))
    assert report.reference == "SIG-2024-0001"
    # Monday 01/01/2024 (New Year) in Paris: Tue 2 .. Fri 5 (4), Mon 8 (5) Tue 9 (6) Wed 10 (7).
    assert report.acknowledgment_due_on == dt.date(2024, 1, 10)


def test_references_follow_each_other_within_a_year_and_a_given_one_is_kept(referent):
    assert record(referent).reference == "SIG-2024-0001"
    assert submit()[0].reference == "SIG-2024-0002"
    assert record(referent, reference="EXT-7").reference == "EXT-7"
    with pytest.raises(ValidationError) as excinfo:
        record(referent, reference="EXT-7")
    assert "reference" in errors(excinfo)
    assert record(referent, received_at=dt.datetime(2023, 5, 2, 10, tzinfo=PARIS)).reference == "SIG-2023-0001"


def test_a_reference_taken_meanwhile_by_another_transaction_is_retried_with_the_next_number(referent, monkeypatch):
    record(referent)
    proposals = iter(["SIG-2024-0001", "SIG-2024-0002"])  # as if a concurrent insert won the first
    monkeypatch.setattr(core_services, "next_reference", lambda *args, **kwargs: next(proposals))
    assert record(referent).reference == "SIG-2024-0002"
    assert Report.objects.count() == 2


@pytest.mark.parametrize("facts", ["", "   \n\t "])
def test_a_report_without_facts_is_refused_on_the_facts_field_and_nothing_is_written(facts):
    with pytest.raises(ValidationError) as excinfo:
        submit(facts=facts)
    assert list(errors(excinfo)) == ["facts"]
    assert not Report.objects.exists() and not ReportContent.objects.exists()


def test_a_receipt_in_the_future_is_refused_on_its_field(referent):
    with pytest.raises(ValidationError) as excinfo:
        record(referent, received_at=NOW + dt.timedelta(days=1))
    assert list(errors(excinfo)) == ["received_at"]
    assert not Report.objects.exists()


def test_unknown_category_channel_and_a_malformed_email_are_refused_together(referent):
    with pytest.raises(ValidationError) as excinfo:
        record(referent, category="gossip", channel="pigeon", author_email="not-an-email", facts=" ")
    assert set(errors(excinfo)) == {"category", "channel", "author_email", "facts"}
    assert not Report.objects.exists()


def test_the_refusals_are_in_french_by_default():
    from django.utils import translation

    with translation.override("fr"), pytest.raises(ValidationError) as excinfo:
        submit(facts="")
    assert errors(excinfo)["facts"] == ["Décrivez les faits signalés : ce champ ne peut pas être vide."]


# --- files (validated by whistleblowing/services/attachments.py, faked here) ----------------------------------------


class FakeAttachments:
    def __init__(self) -> None:
        self.added: list[dict[str, Any]] = []

    def validate_upload(self, uploaded_file: Any) -> None:
        if uploaded_file.name.endswith(".exe"):
            raise ValidationError(f"« {uploaded_file.name} » : type de fichier refusé.")

    def attachment_add(self, **kwargs: Any) -> None:
        self.added.append(kwargs)


@pytest.fixture
def fake_attachments(monkeypatch) -> FakeAttachments:
    fake = FakeAttachments()
    monkeypatch.setattr(services, "_attachments", lambda: fake)
    return fake


def test_a_refused_file_refuses_the_submission_before_anything_is_written(fake_attachments):
    files = [types.SimpleNamespace(name="proof.pdf"), types.SimpleNamespace(name="virus.exe")]
    with pytest.raises(ValidationError) as excinfo:
        submit(files=files)
    assert errors(excinfo) == {"files": ["« virus.exe » : type de fichier refusé."]}
    assert not Report.objects.exists() and fake_attachments.added == []


def test_too_many_files_are_refused(fake_attachments, settings):
    settings.VIGIE_WHISTLEBLOWING_MAX_FILES = 2
    with pytest.raises(ValidationError) as excinfo:
        submit(files=[types.SimpleNamespace(name=f"{n}.pdf") for n in range(3)])
    assert "files" in errors(excinfo)
    assert not Report.objects.exists()


def test_accepted_files_are_added_to_the_report_as_the_authors(fake_attachments):
    upload = types.SimpleNamespace(name="proof.pdf")
    report, _code, _passphrase = submit(files=[upload])
    assert fake_attachments.added == [
        {"report": report, "uploaded_file": upload, "from_author": True, "actor": None, "message": None}
    ]


def test_files_sent_with_a_referents_message_are_not_the_authors(referent, fake_attachments):
    report = record(referent)
    upload = types.SimpleNamespace(name="letter.pdf")
    message = message_to_author(actor=referent, report=report, body="Please find our letter", files=[upload])
    assert fake_attachments.added == [
        {"report": report, "uploaded_file": upload, "from_author": False, "actor": referent, "message": message}
    ]


# --- follow-up credentials -------------------------------------------------------------------------------------------


def test_the_credentials_open_the_report_however_they_are_typed():
    report, code, passphrase = submit()
    sloppy_code = code.replace("-", " ").lower().replace("0", "o").replace("1", "l")
    sloppy_passphrase = " " + passphrase.replace("-", "").lower()
    assert follow_up_open(sloppy_code, sloppy_passphrase) == report


def test_a_wrong_code_and_a_wrong_passphrase_get_the_same_answer_after_the_same_work(monkeypatch):
    report, code, passphrase = submit()
    checks: list[str] = []
    original = follow_up.check_password

    def spy(password: str, encoded: str, *args: Any, **kwargs: Any) -> bool:
        checks.append(encoded)
        return original(password, encoded, *args, **kwargs)

    monkeypatch.setattr(follow_up, "check_password", spy)
    other = "ZZZZ-ZZZZ-ZZZZ-ZZZZ" if code != "ZZZZ-ZZZZ-ZZZZ-ZZZZ" else "YYYY-YYYY-YYYY-YYYY"
    assert follow_up_open(other, passphrase) is None
    assert follow_up_open(code, "WRONG-PASS") is None
    assert follow_up_open("", "") is None
    assert len(checks) == 3  # one password check in every case, against a dummy hash when the code is unknown
    assert checks[0] != FollowUpAccess.objects.get(report=report).passphrase_hash
    assert checks[1] == FollowUpAccess.objects.get(report=report).passphrase_hash


def test_new_credentials_replace_the_old_ones(referent):
    report, code, passphrase = submit()
    new_code, new_passphrase = follow_up_issue(actor=referent, report=report)
    assert follow_up_open(code, passphrase) is None
    assert follow_up_open(new_code, new_passphrase) == report
    assert FollowUpAccess.objects.filter(report=report).count() == 1


def test_a_referent_can_give_credentials_to_the_author_of_a_report_received_by_post(referent):
    report = record(referent, channel=Channel.POST)
    code, passphrase = follow_up_issue(actor=referent, report=report)
    assert follow_up_open(code, passphrase) == report


def test_an_anonymised_report_opens_for_its_letters_until_its_codes_go():
    report, code, passphrase = submit()
    Report.objects.filter(pk=report.pk).update(anonymised_on=dt.date(2024, 7, 1))
    assert follow_up_open(code, passphrase) == report  # the reading period (retention.py, "whistleblowing.notice")
    FollowUpAccess.objects.filter(report=report).delete()  # what its end does
    assert follow_up_open(code, passphrase) is None


def _every_stored_text() -> str:
    """Every value of every column of every table of the whistleblowing app (history tables included)."""
    values: list[str] = []
    with connection.cursor() as cursor:
        for model in apps.get_app_config("whistleblowing").get_models():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(model._meta.db_table)}")
            values.extend(str(value) for row in cursor.fetchall() for value in row)
    return "\n".join(values)


def test_the_credentials_are_never_stored_in_clear(referent):
    report, code, passphrase = submit()
    code_2, passphrase_2 = follow_up_issue(actor=referent, report=report)
    stored = _every_stored_text().upper()
    assert FACTS.upper() in stored  # the search does read the tables
    for secret in (code, passphrase, code_2, passphrase_2):
        bare = secret.replace("-", "")
        assert secret not in stored
        assert bare not in stored
        assert bare[:12] not in stored  # nor a good part of it


# --- the acknowledgment -------------------------------------------------------------------------------------------


def test_an_early_acknowledgment_moves_the_feedback_earlier_and_is_written_to_the_author(referent):
    report = record(referent)
    report_acknowledge(actor=referent, report=report, acknowledged_on=dt.date(2024, 6, 5), message="Received, thanks")
    report.refresh_from_db()
    assert (report.status, report.acknowledged_on) == (Status.ACKNOWLEDGED, dt.date(2024, 6, 5))
    assert report.acknowledgment_due_on == dt.date(2024, 6, 12)  # kept: it says whether the act was in time
    assert report.feedback_due_on == dt.date(2024, 9, 5)
    message = report.messages.get()
    assert (message.direction, message.kind, message.body) == (
        Direction.TO_AUTHOR,
        MessageKind.ACKNOWLEDGMENT,
        "Received, thanks",
    )
    events = ledger(report)[2:]
    assert [(e.deadline, e.due_on) for e in events] == [
        (DeadlineKind.ACKNOWLEDGMENT, dt.date(2024, 6, 12)),
        (DeadlineKind.FEEDBACK, dt.date(2024, 9, 5)),
    ]
    assert "05/06/2024" in events[0].reason and "05/06/2024" in events[1].explanation
    assert not Report.objects.acknowledgment_pending().exists()


def test_a_late_acknowledgment_does_not_move_the_feedback_later(referent):
    report = record(referent)
    report_acknowledge(actor=referent, report=report, acknowledged_on=dt.date(2024, 6, 20))
    report.refresh_from_db()
    assert report.feedback_due_on == dt.date(2024, 9, 12)
    assert not report.messages.exists()
    # Due Wednesday 12/06, acknowledged Thursday 20/06: 8 days late, in the ledger (in the site's French).
    assert (
        ledger(report, DeadlineKind.ACKNOWLEDGMENT)[-1].reason == "réception accusée le 20/06/2024 (8 jours de retard)"
    )


@pytest.mark.parametrize(
    ("day", "field"),
    [(dt.date(2024, 6, 2), "acknowledged_on"), (dt.date(2024, 7, 2), "acknowledged_on")],
    ids=["before-receipt", "in-the-future"],
)
def test_an_acknowledgment_before_receipt_or_in_the_future_is_refused(referent, day, field):
    report = record(referent)
    with pytest.raises(ValidationError) as excinfo:
        report_acknowledge(actor=referent, report=report, acknowledged_on=day)
    assert list(errors(excinfo)) == [field]
    report.refresh_from_db()
    assert report.acknowledged_on is None and report.status == Status.RECEIVED


def test_a_report_is_acknowledged_once(referent):
    report = record(referent)
    report_acknowledge(actor=referent, report=report, acknowledged_on=dt.date(2024, 6, 5))
    with pytest.raises(ValidationError) as excinfo:
        report_acknowledge(actor=referent, report=report, acknowledged_on=dt.date(2024, 6, 6))
    assert "already acknowledged on 05/06/2024" in errors(excinfo)["acknowledged_on"][0]


def test_an_acknowledgment_sent_as_a_message_acknowledges_on_the_paris_date_of_sending(referent):
    report = record(referent)
    message_to_author(actor=referent, report=report, body="We received your report", kind=MessageKind.ACKNOWLEDGMENT)
    report.refresh_from_db()
    assert report.acknowledged_on == dt.date(2024, 7, 1)
    assert report.status == Status.ACKNOWLEDGED
    # Late (due 12/06): the feedback still runs from 12/06.
    assert report.feedback_due_on == dt.date(2024, 9, 12)
    # A second one is only a message.
    message_to_author(actor=referent, report=report, body="Again", kind=MessageKind.ACKNOWLEDGMENT)
    assert report.messages.count() == 2


# --- admissibility, investigation, feedback, closure ---------------------------------------------------------------


def test_an_admissible_report_goes_on_to_the_investigation(referent):
    report = admissible(referent)
    assert (report.status, report.admissibility) == (Status.ADMISSIBLE, Admissibility.ADMISSIBLE)
    assert report.admissibility_decided_on == dt.date(2024, 6, 10)
    assert not report.messages.exclude(kind=MessageKind.ACKNOWLEDGMENT).exists()


def test_an_inadmissible_report_is_closed_and_the_author_told_why(referent):
    report = record(referent)
    report_decide_admissibility(
        actor=referent,
        report=report,
        admissibility=Admissibility.INADMISSIBLE,
        decided_on=dt.date(2024, 6, 7),
        reasons="The facts are outside the scope of the procedure",
    )
    report.refresh_from_db()
    assert (report.status, report.closed_on) == (Status.CLOSED, dt.date(2024, 6, 7))
    assert report.content.admissibility_reasons == "The facts are outside the scope of the procedure"
    message = report.messages.get()
    assert (message.kind, message.body) == (
        MessageKind.ADMISSIBILITY,
        "The facts are outside the scope of the procedure",
    )
    assert not Report.objects.open().exists()


def test_an_inadmissible_report_needs_reasons(referent):
    report = record(referent)
    with pytest.raises(ValidationError) as excinfo:
        report_decide_admissibility(
            actor=referent,
            report=report,
            admissibility=Admissibility.INADMISSIBLE,
            decided_on=dt.date(2024, 6, 7),
            reasons="  ",
        )
    assert list(errors(excinfo)) == ["reasons"]


def test_admissibility_is_decided_once_and_from_its_choices(referent):
    report = admissible(referent)
    with pytest.raises(ValidationError) as excinfo:
        report_decide_admissibility(
            actor=referent, report=report, admissibility="maybe", decided_on=dt.date(2024, 6, 10), reasons=""
        )
    assert list(errors(excinfo)) == ["admissibility"]
    with pytest.raises(ValidationError) as excinfo:
        report_decide_admissibility(
            actor=referent,
            report=report,
            admissibility=Admissibility.INADMISSIBLE,
            decided_on=dt.date(2024, 6, 11),
            reasons="x",
        )
    assert "already decided on 10/06/2024" in errors(excinfo)["admissibility"][0]


def test_the_investigation_then_the_feedback_then_the_closure(referent):
    report = admissible(referent)
    report_start_investigation(actor=referent, report=report, measures="Audit of the purchase orders")
    assert report.status == Status.INVESTIGATING
    report_give_feedback(
        actor=referent,
        report=report,
        feedback_on=dt.date(2024, 6, 28),
        measures="Audit done; supplier contract suspended",
        message="Here is what we did",
    )
    assert (report.status, report.feedback_on) == (Status.FEEDBACK_GIVEN, dt.date(2024, 6, 28))
    assert report.content.measures == "Audit done; supplier contract suspended"
    assert not Report.objects.feedback_pending().exists()
    feedback_event = ledger(report, DeadlineKind.FEEDBACK)[-1]
    assert feedback_event.due_on == dt.date(2024, 9, 5) and "28/06/2024" in feedback_event.reason
    report_close(actor=referent, report=report, closed_on=dt.date(2024, 7, 1), message="The report is closed")
    assert (report.status, report.closed_on) == (Status.CLOSED, dt.date(2024, 7, 1))
    kinds = list(report.messages.values_list("kind", flat=True))
    assert kinds == [MessageKind.FEEDBACK, MessageKind.CLOSURE]
    assert list(Report.history.filter(id=report.pk).order_by("history_id").values_list("status", flat=True)) == [
        Status.RECEIVED,
        Status.ACKNOWLEDGED,
        Status.ADMISSIBLE,
        Status.INVESTIGATING,
        Status.FEEDBACK_GIVEN,
        Status.CLOSED,
    ]


def test_a_second_feedback_after_more_investigation_keeps_the_date_of_the_first(referent):
    report = admissible(referent)
    report_give_feedback(
        actor=referent, report=report, feedback_on=dt.date(2024, 6, 20), measures="First", message="First feedback"
    )
    report_start_investigation(actor=referent, report=report)
    report_give_feedback(
        actor=referent, report=report, feedback_on=dt.date(2024, 6, 28), measures="Second", message="More"
    )
    report.refresh_from_db()
    assert report.feedback_on == dt.date(2024, 6, 20)
    assert report.content.measures == "Second"
    assert report.messages.filter(kind=MessageKind.FEEDBACK).count() == 2


def test_feedback_before_the_acknowledgment_is_refused(referent):
    report = admissible(referent)
    with pytest.raises(ValidationError) as excinfo:
        report_give_feedback(actor=referent, report=report, feedback_on=dt.date(2024, 6, 4), measures="m", message="b")
    assert list(errors(excinfo)) == ["feedback_on"]


def test_feedback_needs_the_measures_and_a_message(referent):
    report = admissible(referent)
    day = dt.date(2024, 6, 20)
    with pytest.raises(ValidationError) as excinfo:
        report_give_feedback(actor=referent, report=report, feedback_on=day, measures=" ", message="b")
    assert list(errors(excinfo)) == ["measures"]
    with pytest.raises(ValidationError) as excinfo:
        report_give_feedback(actor=referent, report=report, feedback_on=day, measures="m", message="")
    assert list(errors(excinfo)) == ["message"]


def test_a_move_the_workflow_does_not_allow_is_refused_naming_the_status(referent):
    report = record(referent)
    with pytest.raises(ValidationError) as excinfo:
        report_give_feedback(actor=referent, report=report, feedback_on=dt.date(2024, 6, 20), measures="m", message="b")
    assert errors(excinfo)["status"] == ["A report whose status is “Received” cannot take this step: feedback."]
    with pytest.raises(ValidationError) as excinfo:
        report_start_investigation(actor=referent, report=report)
    assert "“Received”" in errors(excinfo)["status"][0]


def test_a_closed_report_takes_no_more_steps_nor_messages(referent):
    report = record(referent)
    report_close(actor=referent, report=report, closed_on=dt.date(2024, 6, 20), message="Closed: duplicate")
    for attempt in (
        lambda: report_acknowledge(actor=referent, report=report, acknowledged_on=dt.date(2024, 6, 21)),
        lambda: report_close(actor=referent, report=report, closed_on=dt.date(2024, 6, 21), message="again"),
        lambda: message_to_author(actor=referent, report=report, body="Hello"),
        lambda: message_from_author(report=report, body="Hello"),
        lambda: report_request_meeting(report=report, requested_on=dt.date(2024, 6, 21)),
    ):
        with pytest.raises(ValidationError) as excinfo:
            attempt()
        assert "“Closed”" in errors(excinfo)["status"][0]


def test_the_closure_needs_a_message_and_cannot_precede_the_feedback(referent):
    report = admissible(referent)
    report_give_feedback(actor=referent, report=report, feedback_on=dt.date(2024, 6, 20), measures="m", message="b")
    with pytest.raises(ValidationError) as excinfo:
        report_close(actor=referent, report=report, closed_on=dt.date(2024, 6, 21), message=" ")
    assert list(errors(excinfo)) == ["message"]
    with pytest.raises(ValidationError) as excinfo:
        report_close(actor=referent, report=report, closed_on=dt.date(2024, 6, 19), message="Closed")
    assert list(errors(excinfo)) == ["closed_on"]


# --- meetings -------------------------------------------------------------------------------------------------------


def test_a_meeting_requested_by_the_author_is_due_within_20_working_days_and_held_with_minutes(referent):
    report, _code, _passphrase = submit()
    report_request_meeting(report=report, requested_on=dt.date(2024, 7, 1))
    # Mon 01/07: Tue 2 .. Fri 12 (9; Sun 14 July is a Sunday), Mon 15 .. Fri 26 (19), Mon 29 (20).
    assert (report.meeting_requested_on, report.meeting_due_on) == (dt.date(2024, 7, 1), dt.date(2024, 7, 29))
    event = ledger(report, DeadlineKind.MEETING)[0]
    assert event.due_on == dt.date(2024, 7, 29) and event.actor is None and event.explanation
    request = report.messages.get()
    assert (request.kind, request.direction, request.sent_by) == (
        MessageKind.MEETING_REQUEST,
        Direction.FROM_AUTHOR,
        None,
    )
    assert Report.objects.meeting_pending().get() == report

    with pytest.raises(ValidationError) as excinfo:
        report_request_meeting(report=report, requested_on=dt.date(2024, 7, 1))
    assert list(errors(excinfo)) == ["requested_on"]

    report_meeting_held(actor=referent, report=report, held_on=dt.date(2024, 7, 1), minutes="Minutes of our meeting")
    assert report.meeting_held_on == dt.date(2024, 7, 1)
    assert not Report.objects.meeting_pending().exists()
    minutes = report.messages.get(kind=MessageKind.MINUTES)
    assert (minutes.direction, minutes.body) == (Direction.TO_AUTHOR, "Minutes of our meeting")
    assert ledger(report, DeadlineKind.MEETING)[-1].reason == "rencontre tenue le 01/07/2024 (dans les délais)"


def test_a_meeting_cannot_be_held_before_its_request(referent):
    report = record(referent)
    report_request_meeting(report=report, requested_on=dt.date(2024, 6, 20), actor=referent)
    with pytest.raises(ValidationError) as excinfo:
        report_meeting_held(actor=referent, report=report, held_on=dt.date(2024, 6, 19))
    assert list(errors(excinfo)) == ["held_on"]


def test_the_minutes_of_an_oral_report_are_offered_to_the_author(referent):
    report = record(referent, channel=Channel.PHONE)
    message = message_to_author(actor=referent, report=report, body="Minutes of your call", kind=MessageKind.MINUTES)
    assert (message.kind, message.direction, message.sent_by) == (MessageKind.MINUTES, Direction.TO_AUTHOR, referent)


@pytest.mark.parametrize("kind", [MessageKind.FEEDBACK, MessageKind.CLOSURE, MessageKind.ADMISSIBILITY])
def test_the_letters_of_an_act_are_not_sent_as_plain_messages(referent, kind):
    report = record(referent)
    with pytest.raises(ValidationError) as excinfo:
        message_to_author(actor=referent, report=report, body="x", kind=kind)
    assert list(errors(excinfo)) == ["kind"]


def test_the_author_answers_in_the_follow_up_space():
    report, code, passphrase = submit()
    opened = follow_up_open(code, passphrase)
    assert opened is not None
    message = message_from_author(report=opened, body="More details about the commission")
    assert (message.direction, message.kind, message.sent_by) == (Direction.FROM_AUTHOR, MessageKind.MESSAGE, None)
    with pytest.raises(ValidationError) as excinfo:
        message_from_author(report=opened, body="   ")
    assert list(errors(excinfo)) == ["body"]


# --- proceedings, links, entity ---------------------------------------------------------------------------------------


def test_proceedings_are_set_and_ended_with_their_date(referent):
    report = admissible(referent)
    report_set_proceedings(actor=referent, report=report, proceedings=Proceedings.PENDING, note="Dismissal procedure")
    assert report.proceedings == Proceedings.PENDING
    assert report.content.proceedings_note == "Dismissal procedure"
    with pytest.raises(ValidationError) as excinfo:
        report_set_proceedings(actor=referent, report=report, proceedings=Proceedings.ENDED)
    assert list(errors(excinfo)) == ["ended_on"]
    with pytest.raises(ValidationError) as excinfo:
        report_set_proceedings(
            actor=referent, report=report, proceedings=Proceedings.PENDING, ended_on=dt.date(2024, 6, 30)
        )
    assert list(errors(excinfo)) == ["ended_on"]
    report_close(actor=referent, report=report, closed_on=dt.date(2024, 6, 25), message="Closed")
    report_set_proceedings(actor=referent, report=report, proceedings=Proceedings.ENDED, ended_on=dt.date(2024, 6, 30))
    report.refresh_from_db()
    assert (report.proceedings, report.proceedings_ended_on) == (Proceedings.ENDED, dt.date(2024, 6, 30))
    assert report.content.proceedings_note == "Dismissal procedure"


@pytest.mark.parametrize(
    ("factory", "kind", "field"),
    [
        (CaseFactory, LinkKind.COI_CASE, "coi_case"),
        (AlertFactory, LinkKind.AML_ALERT, "aml_alert"),
        (BreachFactory, LinkKind.BREACH, "breach"),
    ],
)
def test_a_report_is_linked_to_the_record_it_led_to_without_copying_anything_into_it(
    referent, linker, factory, kind, field
):
    report = record(referent)
    target = factory()
    history_before = type(target).history.filter(id=target.pk).count()
    with pytest.raises(ValidationError) as refused:  # a referent who may not view such records
        report_link(actor=UserFactory(groups=[WHISTLEBLOWING_REFERENT]), report=report, record=target)
    assert list(errors(refused)) == ["record"] and not ReportLink.objects.exists()
    link = report_link(actor=linker, report=report, record=target)
    assert (link.kind, getattr(link, f"{field}_id"), link.linked_by) == (kind, target.pk, linker)
    assert type(target).history.filter(id=target.pk).count() == history_before
    with pytest.raises(ValidationError) as excinfo:
        report_link(actor=linker, report=report, record=target)
    assert list(errors(excinfo)) == ["record"]


def test_a_report_is_linked_to_nothing_else(referent):
    report = record(referent)
    with pytest.raises(ValidationError) as excinfo:
        report_link(actor=referent, report=report, record=referent)
    assert list(errors(excinfo)) == ["record"]
    assert not ReportLink.objects.exists()


def test_the_entity_is_set_and_cleared(referent):
    report = record(referent)
    entity = LegalEntityFactory()
    report_entity_set(actor=referent, report=report, entity=entity)
    assert ReportContent.objects.get(report=report).entity == entity
    report_entity_set(actor=referent, report=report, entity=None)
    assert ReportContent.objects.get(report=report).entity is None


def test_an_anonymised_report_takes_no_more_writes(referent):
    report = record(referent)
    Report.objects.filter(pk=report.pk).update(anonymised_on=dt.date(2024, 7, 1))
    with pytest.raises(ValidationError) as excinfo:
        report_acknowledge(actor=referent, report=report, acknowledged_on=dt.date(2024, 6, 5))
    assert list(errors(excinfo)) == ["report"]


# --- locks and history -------------------------------------------------------------------------------------------------


def test_every_write_locks_the_report(referent, linker, monkeypatch):
    report = admissible(referent)
    locked = record_locks(monkeypatch)
    writes = [
        lambda: report_request_meeting(report=report, requested_on=dt.date(2024, 6, 20)),
        lambda: report_meeting_held(actor=referent, report=report, held_on=dt.date(2024, 6, 21)),
        lambda: message_to_author(actor=referent, report=report, body="Hello"),
        lambda: message_from_author(report=report, body="Hello"),
        lambda: report_start_investigation(actor=referent, report=report),
        lambda: report_give_feedback(
            actor=referent, report=report, feedback_on=dt.date(2024, 6, 24), measures="m", message="b"
        ),
        lambda: report_set_proceedings(actor=referent, report=report, proceedings=Proceedings.PENDING),
        lambda: report_entity_set(actor=referent, report=report, entity=None),
        lambda: report_link(actor=linker, report=report, record=CaseFactory()),
        lambda: follow_up_issue(actor=referent, report=report),
        lambda: report_close(actor=referent, report=report, closed_on=dt.date(2024, 6, 25), message="Closed"),
    ]
    for write in writes:
        locked.clear()
        write()
        assert Report in locked, write


def test_history_and_the_ledger_never_carry_the_content_nor_the_author(referent, linker):
    report, _code, _passphrase = submit()
    report_acknowledge(actor=referent, report=report, acknowledged_on=dt.date(2024, 7, 1), message=f"Dear {AUTHOR}")
    report_decide_admissibility(
        actor=referent,
        report=report,
        admissibility=Admissibility.ADMISSIBLE,
        decided_on=dt.date(2024, 7, 1),
        reasons=FACTS,
    )
    report_start_investigation(actor=referent, report=report, measures=f"Interview {PERSONS}")
    report_request_meeting(report=report, requested_on=dt.date(2024, 7, 1))
    report_meeting_held(actor=referent, report=report, held_on=dt.date(2024, 7, 1), minutes=f"{AUTHOR} said {FACTS}")
    message_from_author(report=report, body=f"{AUTHOR}: {FACTS}")
    report_give_feedback(
        actor=referent, report=report, feedback_on=dt.date(2024, 7, 1), measures=FACTS, message=f"Dear {AUTHOR}"
    )
    report_set_proceedings(actor=referent, report=report, proceedings=Proceedings.PENDING, note=f"Against {PERSONS}")
    report_link(actor=linker, report=report, record=CaseFactory())
    report_close(actor=referent, report=report, closed_on=dt.date(2024, 7, 1), message=f"Bye {AUTHOR}")

    secrets = [FACTS, AUTHOR, EMAIL, PERSONS, "Secretauthor", "Zorglub", "Concernedperson"]
    reasons = []
    for model in apps.get_app_config("whistleblowing").get_models():
        if model.__name__.startswith("Historical"):
            reasons += list(model.objects.values_list("history_change_reason", flat=True))
    assert len(reasons) > 15 and all(reasons)
    ledger_texts = [f"{e.explanation} {e.reason}" for e in DeadlineEvent.objects.all()]
    for text in reasons + ledger_texts:
        for secret in secrets:
            assert secret not in text
    # And the report's own history (read by officers and auditors) holds no content column at all.
    report_history = " ".join(str(v) for row in Report.history.values_list() for v in row)
    for secret in secrets:
        assert secret not in report_history


def test_messages_and_content_changes_have_their_history(referent):
    report = record(referent)
    message_to_author(actor=referent, report=report, body="Hello")
    report_entity_set(actor=referent, report=report, entity=LegalEntityFactory())
    assert Message.history.filter(report_id=report.pk, history_user=referent).count() == 1
    assert list(
        ReportContent.history.filter(report_id=report.pk)
        .order_by("history_id")
        .values_list("history_change_reason", flat=True)
    ) == ["report received", "entity set"]


def test_an_aml_alert_linked_keeps_its_own_records(referent, linker):
    report = record(referent)
    alert = AlertFactory()
    report_link(actor=linker, report=report, record=alert)
    assert Alert.objects.get(pk=alert.pk).reason == alert.reason


# --- concurrent submissions ----------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_submissions_at_once_that_pick_the_same_number_get_two_references(monkeypatch):
    """Both transactions compute SIG-2024-0001 before either inserts (on PostgreSQL; SQLite lets one writer in
    at a time, so there the second waits and reads the first's number): the unique index refuses the second
    insert and the next number is tried."""
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("an in-memory SQLite database is not shared between connections")
    both_computed = threading.Barrier(2)
    original = core_services.next_reference

    def next_reference_then_wait(*args: Any, **kwargs: Any) -> str:
        proposal = original(*args, **kwargs)
        try:
            both_computed.wait(timeout=3)
        except threading.BrokenBarrierError:  # SQLite: the other writer waits for this one's lock
            pass
        return proposal

    monkeypatch.setattr(core_services, "next_reference", next_reference_then_wait)
    results: list[Any] = [None, None]

    def run(index: int) -> None:
        try:
            results[index] = submit()[0].reference
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(map(str, results)) == ["SIG-2024-0001", "SIG-2024-0002"], results
    assert Report.objects.count() == 2


def test_the_clock_columns_the_importer_shares_agree_with_the_services():
    columns = services.clock_columns(received_at=RECEIVED, acknowledged_on=dt.date(2024, 6, 5))
    assert (columns.acknowledgment_due_on, columns.feedback_due_on) == (dt.date(2024, 6, 12), dt.date(2024, 9, 5))
    assert "05/06/2024" in columns.feedback_explanation
    none = services.clock_columns(received_at=RECEIVED, anonymous=True, contact_possible=False)
    assert (none.acknowledgment_due_on, none.feedback_due_on) == (None, None)
    assert none.acknowledgment_explanation == none.feedback_explanation != ""


def test_the_allowed_actions_follow_the_workflow(referent):
    report = record(referent)
    actions = services.report_allowed_actions(report)
    assert {"acknowledge", "decide_admissibility", "close", "request_meeting", "message"} <= set(actions)
    assert not {"start_investigation", "give_feedback"} & set(actions)
    report = admissible(referent)
    actions = services.report_allowed_actions(report)
    assert {"start_investigation", "give_feedback", "close"} <= set(actions)
    assert not {"acknowledge", "decide_admissibility"} & set(actions)
    report_close(actor=referent, report=report, closed_on=dt.date(2024, 6, 20), message="Closed")
    assert services.report_allowed_actions(report) == ["set_proceedings", "link", "entity_set", "follow_up_issue"]
    report.anonymised_on = dt.date(2024, 7, 1)
    assert services.report_allowed_actions(report) == []


# --- a letter that closes the report stops the clocks it finds running -----------------------------------------------


def test_an_inadmissibility_letter_sent_first_is_the_acknowledgment(referent):
    report = record(referent)
    report_decide_admissibility(
        actor=referent,
        report=report,
        admissibility=Admissibility.INADMISSIBLE,
        decided_on=dt.date(2024, 6, 7),
        reasons="Outside the scheme",
    )
    report.refresh_from_db()
    assert (report.acknowledged_on, report.acknowledgment_due_on) == (dt.date(2024, 6, 7), dt.date(2024, 6, 12))
    assert report.deadline_events.filter(deadline=DeadlineKind.ACKNOWLEDGMENT, reason__contains="07/06/2024").exists()


def test_a_closure_letter_is_the_acknowledgment_and_the_feedback_it_finds_owed_late_if_late(referent):
    report = record(referent)
    report_decide_admissibility(
        actor=referent,
        report=report,
        admissibility=Admissibility.ADMISSIBLE,
        decided_on=dt.date(2024, 6, 10),
        reasons="",
    )
    report_close(actor=referent, report=report, closed_on=dt.date(2024, 6, 20), message="Closed: nothing to do")
    report.refresh_from_db()
    # Acknowledged late (due 12/06) by the closure letter; the feedback, due 12/09, given on time by it.
    assert (report.acknowledged_on, report.feedback_on) == (dt.date(2024, 6, 20), dt.date(2024, 6, 20))
    assert report.acknowledged_on > report.acknowledgment_due_on and report.feedback_on <= report.feedback_due_on


def test_a_closure_keeps_the_acts_already_recorded_and_invents_none_for_an_author_out_of_reach(referent):
    report = record(referent)
    report_acknowledge(actor=referent, report=report, acknowledged_on=dt.date(2024, 6, 5))
    report_decide_admissibility(
        actor=referent,
        report=report,
        admissibility=Admissibility.ADMISSIBLE,
        decided_on=dt.date(2024, 6, 10),
        reasons="",
    )
    report_close(actor=referent, report=report, closed_on=dt.date(2024, 6, 20), message="Closed")
    report.refresh_from_db()
    assert report.acknowledged_on == dt.date(2024, 6, 5) and report.feedback_on == dt.date(2024, 6, 20)
    unreachable = record(referent, anonymous=True, contact_possible=False, author_name="", author_email="")
    assert unreachable.acknowledgment_due_on is None
    report_decide_admissibility(
        actor=referent,
        report=unreachable,
        admissibility=Admissibility.INADMISSIBLE,
        decided_on=dt.date(2024, 6, 7),
        reasons="Outside the scheme",
    )
    unreachable.refresh_from_db()
    assert unreachable.acknowledged_on is None and unreachable.feedback_on is None
