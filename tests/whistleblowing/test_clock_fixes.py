"""Dates the workflow must refuse, and the clock of a report that becomes contactable (review 21a, findings 7
and 8). French messages: the default language."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from tests.factories import UserFactory
from tests.whistleblowing.test_public import MESSAGE, sign_in
from whistleblowing.choices import Admissibility, Category, Channel, DeadlineKind, Status
from whistleblowing.models import DeadlineEvent, Report
from whistleblowing.services.reports import (
    follow_up_issue,
    report_acknowledge,
    report_close,
    report_contact_set,
    report_decide_admissibility,
    report_meeting_held,
    report_record,
    report_request_meeting,
)

PARIS = ZoneInfo("Europe/Paris")
NOW = dt.datetime(2026, 12, 7, 10, 0, tzinfo=PARIS)

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(NOW, tick=False)]


@pytest.fixture
def referent():
    return UserFactory(username="referent")


def record(actor: Any, **kwargs: Any) -> Report:
    values: dict[str, Any] = {
        "received_at": dt.date(2026, 11, 2),
        "channel": Channel.EMAIL,
        "category": Category.CORRUPTION,
        "facts": "x",
        "author_email": "a@b.fr",
    }
    values.update(kwargs)
    return report_record(actor=actor, **values)


def refusal(call: Any, **kwargs: Any) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        call(**kwargs)
    return caught.value.message_dict


# --- finding 8: no step dated before an earlier one ----------------------------------------------------------


def test_the_closure_cannot_precede_the_acknowledgment(referent):
    report = record(referent)
    report_acknowledge(actor=referent, report=report, acknowledged_on=dt.date(2026, 11, 20))
    problems = refusal(report_close, actor=referent, report=report, closed_on=dt.date(2026, 11, 5), message="clos")
    assert problems == {
        "closed_on": ["La clôture (05/11/2026) ne peut pas précéder l'accusé de réception (20/11/2026)."]
    }
    report.refresh_from_db()
    assert report.status == Status.ACKNOWLEDGED and report.closed_on is None


def test_the_closure_cannot_precede_the_meeting_request_nor_the_meeting(referent):
    report = record(referent)
    report_request_meeting(report=report, requested_on=dt.date(2026, 11, 10))
    problems = refusal(report_close, actor=referent, report=report, closed_on=dt.date(2026, 11, 6), message="clos")
    assert problems == {
        "closed_on": ["La clôture (06/11/2026) ne peut pas précéder la demande de rencontre (10/11/2026)."]
    }
    report_meeting_held(actor=referent, report=report, held_on=dt.date(2026, 11, 16))
    problems = refusal(report_close, actor=referent, report=report, closed_on=dt.date(2026, 11, 12), message="clos")
    assert problems == {"closed_on": ["La clôture (12/11/2026) ne peut pas précéder la rencontre tenue le 16/11/2026."]}
    report_close(actor=referent, report=report, closed_on=dt.date(2026, 11, 16), message="clos")


def test_the_admissibility_decision_cannot_precede_the_acknowledgment(referent):
    report = record(referent)
    report_acknowledge(actor=referent, report=report, acknowledged_on=dt.date(2026, 11, 20))
    problems = refusal(
        report_decide_admissibility,
        actor=referent,
        report=report,
        admissibility=Admissibility.ADMISSIBLE,
        decided_on=dt.date(2026, 11, 3),
        reasons="",
    )
    assert problems == {
        "decided_on": [
            "La décision sur la recevabilité (03/11/2026) ne peut pas précéder l'accusé de réception (20/11/2026)."
        ]
    }


def test_an_inadmissibility_closes_the_report_so_not_before_its_meeting(referent):
    report = record(referent)
    report_request_meeting(report=report, requested_on=dt.date(2026, 11, 10))
    problems = refusal(
        report_decide_admissibility,
        actor=referent,
        report=report,
        admissibility=Admissibility.INADMISSIBLE,
        decided_on=dt.date(2026, 11, 4),
        reasons="hors champ",
    )
    assert problems == {
        "decided_on": ["La clôture (04/11/2026) ne peut pas précéder la demande de rencontre (10/11/2026)."]
    }


def test_a_decision_before_the_receipt_names_the_receipt_date(referent):
    report = record(referent)
    problems = refusal(
        report_decide_admissibility,
        actor=referent,
        report=report,
        admissibility=Admissibility.ADMISSIBLE,
        decided_on=dt.date(2026, 10, 30),
        reasons="",
    )
    assert "02/11/2026" in problems["decided_on"][0]


# --- finding 7: a report that becomes contactable gets its clock, from the receipt ----------------------------


def test_credentials_make_an_anonymous_report_without_contact_contactable_with_its_clock_from_receipt(referent):

    report = record(
        referent,
        received_at=dt.datetime(2026, 11, 2, 9, 0, tzinfo=PARIS),
        channel=Channel.POST,
        anonymous=True,
        contact_possible=False,
        author_email="",
    )
    assert (report.acknowledgment_due_on, report.feedback_due_on) == (None, None)
    code, passphrase = follow_up_issue(actor=referent, report=report)
    client = Client()
    assert sign_in(client, code, passphrase).status_code == 303
    assert client.post(MESSAGE, {"body": "je suis joignable ici"}).status_code == 303

    report.refresh_from_db()
    assert report.content.contact_possible
    # From the receipt (Monday 2/11/2026): 7 working days → 11/11 is a holiday → Thursday 12/11; overdue already.
    assert report.acknowledgment_due_on == dt.date(2026, 11, 12)
    assert report.feedback_due_on == dt.date(2027, 2, 12)
    assert Report.objects.acknowledgment_pending().filter(pk=report.pk).exists()
    events = DeadlineEvent.objects.filter(report=report).order_by("pk")
    latest = {event.deadline: event for event in events}
    for kind in (DeadlineKind.ACKNOWLEDGMENT, DeadlineKind.FEEDBACK):
        assert "07/12/2026" in latest[kind].explanation and "02/11/2026" in latest[kind].explanation
        assert latest[kind].actor == referent and latest[kind].due_on is not None
    assert report.history.first().history_change_reason == "contact possible"


def test_the_admin_sets_the_contact_and_the_clock_follows(referent):

    report = record(referent, anonymous=True, contact_possible=False, author_email="")
    report_contact_set(actor=referent, report=report, contact_possible=True)
    assert report.content.contact_possible and report.acknowledgment_due_on == dt.date(2026, 11, 12)
    report_contact_set(actor=referent, report=report, contact_possible=False)
    report.refresh_from_db()
    assert not report.content.contact_possible
    assert (report.acknowledgment_due_on, report.feedback_due_on) == (None, None)
    last = DeadlineEvent.objects.filter(report=report, deadline=DeadlineKind.FEEDBACK).latest("pk")
    assert last.due_on is None and "anonyme" in last.explanation

    # Once acknowledged, losing the contact keeps the deadlines (the author was told the dates).
    report_contact_set(actor=referent, report=report, contact_possible=True)
    report_acknowledge(actor=referent, report=report, acknowledged_on=dt.date(2026, 11, 20))
    report_contact_set(actor=referent, report=report, contact_possible=False)
    report.refresh_from_db()
    assert report.feedback_due_on is not None


def test_contact_cannot_be_removed_from_a_report_with_follow_up_credentials(referent):

    report = record(referent, anonymous=True, author_email="")
    follow_up_issue(actor=referent, report=report)
    problems = refusal(report_contact_set, actor=referent, report=report, contact_possible=False)
    assert "espace de suivi" in problems["contact_possible"][0]
