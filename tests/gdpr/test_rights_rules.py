"""The rules of a rights request's dates and outcome (gdpr/services/rights_rules.py): one place for the
services, which stop at the first that fails, and the import, which checks a whole row with
`rights_request_problems`. Issue 15, item 3: the import had its own copies, in its own words."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from gdpr.choices import Outcome
from gdpr.deadlines import Pause
from gdpr.services.rights import rights_request_create, rights_request_extend
from gdpr.services.rights_rules import rights_request_problems

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_messages")]
PARIS = ZoneInfo("Europe/Paris")
RECEIVED = dt.datetime(2025, 3, 5, 10, 0, tzinfo=PARIS)  # first deadline: Monday 07/04/2025


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=PARIS)


@time_machine.travel(at(2025, 6, 1, 12), tick=False)
@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ({}, []),
        ({"answered_at": at(2025, 3, 20, 9), "outcome": Outcome.GRANTED}, []),
        (
            {"answered_at": at(2025, 3, 1, 9), "outcome": Outcome.GRANTED},
            [("answered_at", "This date is before the receipt of the request (05/03/2025 10:00).")],
        ),
        (
            {"answered_at": at(2025, 3, 20, 9), "outcome": Outcome.REFUSED, "refusal_ground": "excessive"},
            [
                (
                    "complaint_right_notified",
                    "A refusal must tell the requester of the right to complain to the CNIL "
                    "(Art. 12(4)): confirm it did.",
                )
            ],
        ),
        (
            {
                "answered_at": at(2025, 3, 20, 9),
                "outcome": Outcome.GRANTED,
                "refusal_ground": "excessive",
                "refusal_ground_given": True,
            },
            [("refusal_ground", "a refusal ground goes with the outcome refused or unfounded")],
        ),
        (
            {"extension_notified_at": at(2025, 3, 10, 9)},
            [
                (
                    "extension_reason",
                    "The reasons for the extension are required: the requester must be told them (Art. 12(3)).",
                )
            ],
        ),
        (
            {"identity_asked_on": dt.date(2025, 3, 10), "identity_received_on": dt.date(2025, 3, 8)},
            [
                (
                    "identity_received_at",
                    "The information cannot be received (08/03/2025) before it was asked for (10/03/2025).",
                )
            ],
        ),
        (
            {"identity_asked_on": dt.date(2025, 4, 10)},
            [("identity_requested_at", "The deadline (07/04/2025) had already passed: it cannot be suspended.")],
        ),
        (
            {"identity_asked_on": dt.date(2025, 3, 10), "other_pauses": [Pause(dt.date(2025, 3, 6))]},
            [("identity_requested_at", "another pause of this request is still open")],
        ),
    ],
)
def test_a_request_state_and_its_problems(state, expected):
    assert rights_request_problems(received_at=RECEIVED, **state) == expected


@time_machine.travel(at(2025, 6, 1, 12), tick=False)
def test_the_service_and_the_import_refuse_a_late_extension_in_the_same_words():
    request = rights_request_create(actor=None, received_at=RECEIVED, right="access")
    with pytest.raises(ValidationError) as excinfo:
        rights_request_extend(request=request, actor=None, notified_at=at(2025, 4, 8, 9), reason="complex")
    problems = rights_request_problems(
        received_at=RECEIVED, extension_notified_at=at(2025, 4, 8, 9), extension_reason="complex"
    )
    assert problems == [("extension_notified_at", excinfo.value.message_dict["notified_at"][0])]
