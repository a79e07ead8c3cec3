"""Each person's deadlines in their calendar (issue 19, item 5): `/calendrier/<secret>.ics`.

The feed is read by two independent iCalendar readers (icalendar and vobject), holds the open deadlines the
person's role may see and nothing about the data subjects, answers 404 to a renewed, revoked or unknown
secret and to an inactive person, and costs the same queries for 1 record as for 10.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import icalendar
import pytest
import vobject
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from compliance.models import ActionItem, ConflictOfInterestCase
from gdpr.models import Breach, CnilCase, RightsRequest
from notifications import calendar as feeds
from notifications.models import CalendarFeed
from tests.compliance.factories import ActionItemFactory, CaseFactory
from tests.factories import UserFactory
from tests.gdpr.factories import BreachFactory, CnilCaseFactory, RightsRequestFactory

pytestmark = pytest.mark.django_db
SITE = "https://vigie.example.org"
PARIS = timezone.get_default_timezone()
#: What the records say about people (data subjects, reporters, free text): never in a feed.
SECRETS = ("Zébulon", "Requérant", "zebulon.secret@example.net", "Licencier", "cousin du directeur")


@pytest.fixture(autouse=True)
def setup(settings, roles):
    settings.VIGIE_SITE_URL = SITE


def make_records(count: int = 1, *, closed: bool = True) -> dict[str, list]:
    """`count` open records of each kind with a deadline, and one closed (answered) rights request."""
    today = timezone.localdate()
    made: dict[str, list] = {"rights": [], "cnil": [], "breach": [], "coi": [], "action": []}
    for index in range(count):
        due = today + dt.timedelta(days=10 + index)
        made["rights"].append(
            RightsRequestFactory(
                requester_name="Zébulon Requérant",
                requester_email="zebulon.secret@example.net",
                due_on=due,
                applicable_due_on=due,
            )
        )
        made["cnil"].append(CnilCaseFactory(received_on=today, due_on=due))
        made["breach"].append(
            BreachFactory(
                title="Zébulon's file sent to the wrong person",
                aware_at=(timezone.now() - dt.timedelta(hours=5)).replace(microsecond=0),
            )
        )
        case = CaseFactory(
            reported_on=today,
            analysis_due_on=due,
            description="Licencier le cousin du directeur",
            reporter_name="Zébulon",
        )
        made["coi"].append(case)
        made["action"].append(ActionItemFactory(case=case, title="Licencier Zébulon", due_on=due))
    if not closed:
        return made
    RightsRequestFactory(
        reference="DSR-CLOSED",
        due_on=today,
        applicable_due_on=today,
        answered_at=timezone.now(),
        status="answered",
    )
    return made


def fetch(token: str, client: Client | None = None):
    return (client or Client()).get(f"/calendrier/{token}.ics")


def events_of(body: bytes) -> list[Any]:
    return list(icalendar.Calendar.from_ical(body).walk("VEVENT"))


def unfolded(body: bytes) -> str:
    """The feed's text with its long lines unfolded (RFC 5545 3.1): what a reader sees."""
    return body.decode().replace("\r\n ", "")


def test_the_feed_is_read_by_two_readers_with_each_kind_of_deadline():
    made = make_records()
    user = UserFactory(groups=["Auditor"])
    token = feeds.feed_renew(user)
    response = fetch(token)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex"
    body = response.content

    by_url = {str(event["URL"]): event for event in events_of(body)}
    rights, cnil, breach = made["rights"][0], made["cnil"][0], made["breach"][0]
    coi, action = made["coi"][0], made["action"][0]
    expected = {
        reverse(
            "admin:gdpr_rightsrequest_change", args=[rights.pk]
        ): f"Demande d'exercice de droits : délai légal — {rights.reference}",
        reverse("admin:gdpr_cnilcase_change", args=[cnil.pk]): cnil.reference,
        reverse("admin:gdpr_breach_change", args=[breach.pk]): breach.reference,
        reverse("admin:compliance_conflictofinterestcase_change", args=[coi.pk]): coi.reference,
        reverse("admin:compliance_actionitem_change", args=[action.pk]): f"n° {action.pk}",
    }
    assert set(by_url) == {SITE + path for path in expected}
    for path, words in expected.items():
        assert str(by_url[SITE + path]["SUMMARY"]).endswith(words), by_url[SITE + path]["SUMMARY"]

    # Day deadlines are all-day events; the breach clock is an instant in Paris time.
    rights_event = by_url[SITE + reverse("admin:gdpr_rightsrequest_change", args=[rights.pk])]
    assert rights_event.decoded("DTSTART") == rights.applicable_due_on
    breach_event = by_url[SITE + reverse("admin:gdpr_breach_change", args=[breach.pk])]
    start = breach_event.decoded("DTSTART")
    assert isinstance(start, dt.datetime) and start == breach.notification_due_at
    assert breach_event["DTSTART"].params["TZID"] == "Europe/Paris"
    assert all(event.walk("VALARM") for event in events_of(body))

    # The second reader: the same events, the same dates.
    parsed = vobject.readOne(body.decode())
    second = {event.url.value: event for event in parsed.vevent_list}
    assert set(second) == set(by_url)
    assert second[str(rights_event["URL"])].dtstart.value == rights.applicable_due_on
    assert second[str(breach_event["URL"])].dtstart.value == breach.notification_due_at
    # Stable identifiers: asked again, the same UIDs.
    assert {str(e["UID"]) for e in events_of(fetch(token).content)} == {str(e["UID"]) for e in events_of(body)}
    assert len({str(e["UID"]) for e in events_of(body)}) == 5


def test_no_data_subject_data_and_no_closed_record_in_the_feed():
    make_records()
    token = feeds.feed_renew(UserFactory(is_superuser=True))
    text = unfolded(fetch(token).content)
    assert "BEGIN:VEVENT" in text
    for secret in SECRETS:
        assert secret not in text
    assert "DSR-CLOSED" not in text


@pytest.mark.parametrize(
    ("group", "kinds"),
    [
        ("Training manager", set()),
        ("DPO", {"rights", "cnil", "breach"}),
        ("Compliance officer", {"rights", "cnil", "breach", "coi", "action"}),
    ],
)
def test_only_what_the_role_may_view(group, kinds):
    made = make_records()
    token = feeds.feed_renew(UserFactory(groups=[group]))
    response = fetch(token)
    assert response.status_code == 200
    text = unfolded(response.content)
    for kind, records in made.items():
        reference = getattr(records[0], "reference", None) or f"n° {records[0].pk}"
        assert (reference in text) is (kind in kinds), (group, kind)
    assert len(events_of(response.content)) == len(kinds)


def test_renewing_revokes_the_old_url_and_revoking_the_new():
    user = UserFactory(groups=["DPO"])
    first = feeds.feed_renew(user)
    assert fetch(first).status_code == 200
    second = feeds.feed_renew(user)
    assert second != first
    old = fetch(first)
    assert old.status_code == 404
    assert fetch(second).status_code == 200
    assert CalendarFeed.objects.filter(user=user).count() == 1
    # Only the digest is stored, never the secret.
    assert CalendarFeed.objects.get(user=user).token_digest == feeds.token_digest(second)
    assert not CalendarFeed.objects.filter(token_digest__in=[first, second]).exists()

    assert feeds.feed_revoke(user) is True
    revoked = fetch(second)
    assert revoked.status_code == 404
    unknown = fetch("x" * 43)
    assert old.content == revoked.content == unknown.content


def test_an_inactive_or_no_longer_staff_person_gets_404():
    user = UserFactory(groups=["DPO"])
    token = feeds.feed_renew(user)
    user.is_active = False
    user.save()
    response = fetch(token)
    assert response.status_code == 404
    assert response.content == fetch("unknown").content
    user.is_active, user.is_staff = True, False
    user.save()
    assert fetch(token).status_code == 404


def test_a_sign_on_person_not_confirmed_lately_by_the_provider_gets_404(settings):
    from core.models import SignOnIdentity

    settings.VIGIE_OIDC_CONFIRMATION_MAX_AGE_DAYS = 30
    person = UserFactory(groups=["DPO"])
    identity = SignOnIdentity.objects.create(user=person, issuer="https://idp.example", subject="p-1")
    token = feeds.feed_renew(person)
    now = timezone.now()
    SignOnIdentity.objects.filter(pk=identity.pk).update(confirmed_at=now - dt.timedelta(days=29))
    assert fetch(token).status_code == 200
    SignOnIdentity.objects.filter(pk=identity.pk).update(confirmed_at=now - dt.timedelta(days=31))
    response = fetch(token)
    assert response.status_code == 404
    assert response.content == fetch("unknown").content
    # A local person (no identity at the provider) is not concerned.
    local = UserFactory(groups=["DPO"], last_login=now - dt.timedelta(days=400))
    assert fetch(feeds.feed_renew(local)).status_code == 200


def test_the_secret_is_not_logged(caplog):
    user = UserFactory(groups=["DPO"])
    token = feeds.feed_renew(user)
    feeds.feed_revoke(user)
    with caplog.at_level(logging.DEBUG):
        assert fetch(token).status_code == 404
    assert token not in caplog.text


def test_the_feed_only_answers_reading():
    token = feeds.feed_renew(UserFactory(groups=["DPO"]))
    assert Client().post(f"/calendrier/{token}.ics").status_code == 405
    assert Client().head(f"/calendrier/{token}.ics").status_code == 200


def test_a_feed_asked_too_often_is_throttled(monkeypatch):
    monkeypatch.setattr(feeds, "THROTTLE_REQUESTS", 2)
    token = feeds.feed_renew(UserFactory(groups=["DPO"]))
    assert [fetch(token).status_code for _ in range(3)] == [200, 200, 429]
    # Another person's feed is not throttled by this one.
    assert fetch(feeds.feed_renew(UserFactory(groups=["DPO"]))).status_code == 200


def test_the_queries_do_not_grow_with_the_records():
    user = UserFactory(is_superuser=True)
    token = feeds.feed_renew(user)
    make_records(1)
    with CaptureQueriesContext(connection) as few:
        assert len(events_of(fetch(token).content)) == 5
    make_records(6, closed=False)
    with CaptureQueriesContext(connection) as many:
        assert len(events_of(fetch(token).content)) == 35
    assert len(many) == len(few)
    assert RightsRequest.objects.count() == 8 and Breach.objects.count() == 7 and CnilCase.objects.count() == 7
    assert ConflictOfInterestCase.objects.count() == ActionItem.objects.count() == 7


class Kept(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def test_the_servers_request_lines_do_not_hold_the_secret(capsys):
    """runserver's request lines (`make run`) and gunicorn's access log (the image) write every path."""
    token = feeds.feed_renew(UserFactory(groups=["DPO"]))
    kept = Kept()
    server = logging.getLogger("django.server")
    server.addHandler(kept)
    try:
        server.info('"%s" %s %s', f"GET /calendrier/{token}.ics HTTP/1.1", "200", "1234")
    finally:
        server.removeHandler(kept)
    assert kept.lines == ['"GET /calendrier/….ics HTTP/1.1" 200 1234']

    from types import SimpleNamespace

    from gunicorn.config import Config

    from core.gunicorn import RedactingLogger

    config = Config()
    config.set("accesslog", "-")
    path = f"/calendrier/{token}.ics"
    request = SimpleNamespace(headers=[], uri=path, method="GET", version=(1, 1), path=path, query="")
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": path, "PATH_INFO": path, "SERVER_PROTOCOL": "HTTP/1.1"}
    response = SimpleNamespace(status="200 OK", response_length=10, headers=(), sent=10)
    RedactingLogger(config).access(response, request, environ, dt.timedelta(seconds=0.1))
    line = capsys.readouterr().out
    assert '"GET /calendrier/….ics HTTP/1.1" 200' in line and token not in line
