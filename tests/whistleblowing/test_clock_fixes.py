"""Dates the workflow must refuse, and the clock of a report that becomes contactable (review 21a, findings 7
and 8). French messages: the default language."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from tests.factories import UserFactory
from whistleblowing.choices import Admissibility, Category, Channel, Status
from whistleblowing.models import Report
from whistleblowing.services.reports import (
    report_acknowledge,
    report_close,
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
