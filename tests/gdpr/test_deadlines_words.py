""" "Why this date" in words: the calculation rules as a sentence (every value of every setting), the suspended
deadline stated correctly, the rules shown once on the request's page, and in the API as values and words."""

from __future__ import annotations

import datetime as dt
import re
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from dateutil.relativedelta import relativedelta
from django.utils import translation

from core.dates import format_date
from gdpr.deadlines import (
    DeadlinePolicy,
    ExtensionBase,
    HolidayCalendar,
    Pause,
    PausePolicy,
    Rollover,
    next_working_day,
    rights_request_deadline,
)
from gdpr.models import RightsRequest
from gdpr.services.rights import (
    readable_explanation,
    rights_request_create,
    rights_request_deadline_columns,
    rights_request_pause,
    rights_request_resume,
)
from tests.clients import admin_client, api_client

PARIS = ZoneInfo("Europe/Paris")
FR = DeadlinePolicy()
#: What a person must never read: an internal code or a raw setting.
CODE_PATTERNS = (r"\w+\.\w+\.\w+", r"\bd-\d+", r"h\+\d+", r"\w+=\w+")
LEGACY = (
    "Délai légal : reçue le 05/03/2025 + 1 mois = 05/04/2025, samedi → lundi 07/04/2025\n"
    "Règles de calcul : rollover=next_working_day, calendar=FR, extension_base=receipt_plus_3_months, "
    "pause=add_elapsed_days, internal_target_days=7"
)


def codes_in(text: str) -> list[str]:
    return [found for pattern in CODE_PATTERNS for found in re.findall(pattern, text)]


# --- the policy in words --------------------------------------------------------------------------------


def test_the_default_policy_reads_as_a_sentence_in_french_and_english() -> None:
    with translation.override("fr"):
        assert FR.explain() == (
            "échéance reportée au jour ouvré suivant si elle tombe un samedi, un dimanche ou un jour férié "
            "(calendrier de la France métropolitaine) ; prolongation comptée à partir de la réception "
            "(réception + 3 mois) ; une suspension ajoute les jours écoulés jusqu’à la réponse ; "
            "objectif interne : 7 jours avant l’échéance"
        )
    with translation.override("en"):
        assert FR.explain() == (
            "deadline moved to the next working day when it falls on a Saturday, a Sunday or a public holiday "
            "(calendar of metropolitan France); extension counted from receipt (receipt + 3 months); "
            "a suspension adds the days elapsed until the answer; internal target: 7 days before the deadline"
        )


POLICIES = [
    DeadlinePolicy(rollover=rollover, calendar=calendar, extension_base=base, pause=pause, internal_target_days=days)
    for rollover in Rollover
    for calendar in HolidayCalendar
    for base in ExtensionBase
    for pause in PausePolicy
    for days in (0, 1, 7)
]


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: p.describe())
def test_every_value_of_every_setting_has_its_words_in_both_languages(policy: DeadlinePolicy) -> None:
    with translation.override("fr"):
        french = policy.explain()
    with translation.override("en"):
        english = policy.explain()
    assert french != english  # translated
    for text in (french, english):
        assert codes_in(text) == []
        for value in policy.as_dict().values():
            if isinstance(value, str) and len(value) > 3:  # "FR" may be part of a word; the others may not
                assert value not in text


def test_two_values_of_one_setting_never_read_the_same() -> None:
    with translation.override("fr"):
        for setting in ("rollover", "calendar", "extension_base", "pause"):
            by_value: dict[object, set[str]] = {}
            for policy in POLICIES:
                by_value.setdefault(getattr(policy, setting), set()).add(policy.explain())
            first, second = by_value.values()
            assert first.isdisjoint(second), setting


def test_the_internal_target_is_said_with_its_number_of_days() -> None:
    with translation.override("fr"):
        assert DeadlinePolicy(internal_target_days=1).explain().endswith("objectif interne : 1 jour avant l’échéance")
        assert DeadlinePolicy(internal_target_days=0).explain().endswith("objectif interne : l’échéance elle-même")


def test_the_stored_explanation_ends_with_the_rules_in_words() -> None:
    columns = rights_request_deadline_columns(received_at=dt.datetime(2025, 3, 5, 10, tzinfo=PARIS), policy=FR)
    lines = columns.explanation.splitlines()
    assert lines == [
        "Délai légal : reçue le 05/03/2025 + 1 mois = 05/04/2025, samedi → lundi 07/04/2025",
        "Règles de calcul : échéance reportée au jour ouvré suivant si elle tombe un samedi, un dimanche ou un "
        "jour férié (calendrier de la France métropolitaine) ; prolongation comptée à partir de la réception "
        "(réception + 3 mois) ; une suspension ajoute les jours écoulés jusqu’à la réponse ; "
        "objectif interne : 7 jours avant l’échéance.",
    ]
    assert codes_in(columns.explanation) == []


def test_an_explanation_stored_by_an_older_version_is_read_in_words() -> None:
    with translation.override("fr"):
        text = readable_explanation(LEGACY)
        assert text.splitlines()[0] == LEGACY.splitlines()[0]
        assert text.splitlines()[1].startswith("Règles de calcul : échéance reportée au jour ouvré suivant")
        assert codes_in(text) == []
    with translation.override("en"):
        assert (
            readable_explanation(LEGACY)
            .splitlines()[1]
            .startswith("Calculation rules: deadline moved to the next working day")
        )
    assert readable_explanation("no rules here") == "no rules here"


def test_the_rules_shown_above_are_not_repeated_unless_they_differ() -> None:
    with translation.override("fr"):
        current = rights_request_deadline_columns(
            received_at=dt.datetime(2025, 3, 5, 10, tzinfo=PARIS), policy=FR
        ).explanation
        assert readable_explanation(LEGACY, shown_above=current) == LEGACY.splitlines()[0]
        other = rights_request_deadline_columns(
            received_at=dt.datetime(2025, 3, 5, 10, tzinfo=PARIS), policy=DeadlinePolicy(internal_target_days=3)
        ).explanation
        assert readable_explanation(other, shown_above=current) == other  # computed under other rules: kept


# --- the suspended deadline -----------------------------------------------------------------------------


def test_the_suspended_explanation_of_the_issue_reads_correctly() -> None:
    # Received 22/11/2026, information asked 23/11/2026, no answer yet (issue 16).
    columns = rights_request_deadline_columns(
        received_at=dt.datetime(2026, 11, 22, 10, tzinfo=PARIS), pauses=[Pause(date(2026, 11, 23))], policy=FR
    )
    first = columns.explanation.splitlines()[0]
    assert first == (
        "Délai légal : reçue le 22/11/2026 + 1 mois = 22/12/2026, délai suspendu depuis le 23/11/2026 "
        "(information demandée, sans réponse) : l’échéance du 22/12/2026 sera reportée d’autant de jours que "
        "durera la suspension, puis au jour ouvré suivant si besoin"
    )
    assert "+ 0" not in columns.explanation and "au plus tôt" not in columns.explanation
    assert columns.dates == (None, None, None)
    # The stored text is in the site's language (French); the explanation itself reads in the active one.
    with translation.override("en"):
        english = rights_request_deadline(
            date(2026, 11, 22), pauses=[Pause(date(2026, 11, 23))], as_of=date(2026, 11, 23), policy=FR
        ).explanation
    assert english == (
        "received 22/11/2026 + 1 month = 22/12/2026, suspended since 23/11/2026 (information "
        "asked, no answer yet): the date of 22/12/2026 will move later by as many days as the suspension lasts, "
        "then to the next working day if needed"
    )


# Receipts whose date + 1 month falls on a working day, a Saturday, a Sunday and before a holiday weekend.
RECEIPTS = [date(2026, 11, 22), date(2025, 3, 5), date(2025, 3, 6), date(2025, 4, 17), date(2025, 1, 31)]


@pytest.mark.parametrize("received", RECEIPTS)
@pytest.mark.parametrize("policy", [FR, DeadlinePolicy(rollover=Rollover.NONE)], ids=["rollover", "no-rollover"])
def test_the_suspended_explanation_says_what_the_deadline_will_be_whenever_the_answer_comes(
    received: date, policy: DeadlinePolicy
) -> None:
    """RULES (docs/rules.md, "Pause"): the deadline moves by the calendar days between the request for
    information and the answer, and is then rolled. The stated date + the days of the suspension, rolled
    as stated, is the deadline computed once the answer is in, whatever day it comes."""
    asked = received + timedelta(days=2)
    with translation.override("fr"):
        suspended = rights_request_deadline(received, pauses=[Pause(asked)], as_of=asked, policy=policy)
        text = suspended.explanation
    base = received + relativedelta(months=1)
    assert f"délai suspendu depuis le {format_date(asked)}" in text
    assert f"l’échéance du {format_date(base)} sera reportée d’autant de jours que durera la suspension" in text
    assert text.endswith("puis au jour ouvré suivant si besoin") == (policy.rollover is Rollover.NEXT_WORKING_DAY)
    for days in range(12):
        answered = rights_request_deadline(received, pauses=[(asked, asked + timedelta(days=days))], policy=policy)
        stated = base + timedelta(days=days)
        if policy.rollover is Rollover.NEXT_WORKING_DAY:
            stated = next_working_day(stated, policy.calendar)
        assert answered.due_on == stated, days


def test_asked_about_a_later_day_the_suspension_says_the_days_so_far_and_the_earliest_deadline() -> None:
    with translation.override("fr"):
        later = rights_request_deadline(date(2025, 6, 2), pauses=[Pause(date(2025, 6, 3))], as_of=date(2025, 6, 10))
        assert later.explanation.endswith(
            "l’échéance du 02/07/2025 sera reportée d’autant de jours que durera la suspension, puis au jour ouvré "
            "suivant si besoin (7 jours au 10/06/2025 : au plus tôt le 09/07/2025)"
        )
    assert later.due_on == date(2025, 7, 9)


@pytest.mark.django_db
def test_a_resumed_request_gets_the_deadline_the_suspended_explanation_announced() -> None:
    with time_machine.travel(dt.datetime(2026, 11, 30, 12, tzinfo=PARIS), tick=False):
        request = rights_request_create(
            actor=None, received_at=dt.datetime(2026, 11, 22, 10, tzinfo=PARIS), right="access"
        )
        rights_request_pause(request=request, actor=None, asked_on=date(2026, 11, 23))
        request.refresh_from_db()
        assert "l’échéance du 22/12/2026 sera reportée d’autant de jours" in request.deadline_explanation
        rights_request_resume(request=request, actor=None, answered_on=date(2026, 11, 30))
        request.refresh_from_db()
    # 22/12/2026 + 7 days of suspension = Tuesday 29/12/2026, a working day.
    assert request.due_on == date(2026, 12, 29)


# --- on the page and in the API ---------------------------------------------------------------------------


@pytest.fixture
def paused_request(db) -> RightsRequest:
    with time_machine.travel(dt.datetime(2025, 6, 20, 12, tzinfo=PARIS), tick=False):
        request = rights_request_create(
            actor=None, received_at=dt.datetime(2025, 6, 2, 9, tzinfo=PARIS), right="access"
        )
        rights_request_pause(request=request, actor=None, asked_on=date(2025, 6, 3))
        rights_request_resume(request=request, actor=None, answered_on=date(2025, 6, 10))
    return RightsRequest.objects.get(pk=request.pk)


@pytest.mark.usefixtures("roles")
def test_the_request_page_states_the_rules_once_in_words(paused_request: RightsRequest) -> None:
    assert paused_request.deadline_events.count() == 3  # computed, paused, resumed: each with its explanation
    page = admin_client("DPO").get(f"/admin/gdpr/rightsrequest/{paused_request.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count("Règles de calcul :") == 1
    assert "rollover=" not in html and "internal_target_days" not in html
    assert "échéance reportée au jour ouvré suivant si elle tombe un samedi" in html


@pytest.mark.usefixtures("roles")
def test_the_api_gives_the_rules_as_values_and_in_words(paused_request: RightsRequest) -> None:
    RightsRequest.objects.filter(pk=paused_request.pk).update(deadline_explanation=LEGACY)  # an older row
    data = api_client("Auditor", language="en").get(f"/api/gdpr/rights-requests/{paused_request.pk}/").json()
    with translation.override("en"):
        words = FR.explain()
    assert data["deadline_policy"] == {
        "rollover": "next_working_day",
        "calendar": "FR",
        "extension_base": "receipt_plus_3_months",
        "pause": "add_elapsed_days",
        "internal_target_days": 7,
        "description": words,
    }
    assert words.startswith("deadline moved to the next working day")
    assert "rollover=" not in data["deadline_explanation"]
    assert data["deadline_explanation"].splitlines()[-1] == f"Calculation rules: {words}."
    assert len(data["deadline_events"]) == 3
    for event in data["deadline_events"]:
        assert codes_in(event["explanation"]) == []
