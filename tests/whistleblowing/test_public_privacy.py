"""What the public channel keeps of its visitor, beyond test_public.py (review 21a): no Vigie account logged
in in the same browser is ever named by a history row written from the public pages (finding 2); the
follow-up state lives in a cookie of its own and an expiring cache entry, never in Django's session
(finding 3)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.test import Client
from simple_history.models import HistoricalRecords

from tests.factories import UserFactory
from tests.whistleblowing.factories import ReportFactory
from tests.whistleblowing.test_public import (
    FOLLOW_UP,
    LEAVE,
    MEETING,
    MESSAGE,
    SUBMIT,
    report_data,
    secrets_of,
    sign_in,
    text,
)
from tests.whistleblowing.uploads import PDF, upload
from whistleblowing.models import Attachment, Report
from whistleblowing.services.attachments import attachment_add

pytestmark = pytest.mark.django_db

FOLLOW_UP_COOKIE = "vigie_wb_follow_up"  # whistleblowing/public/views.py


@pytest.fixture(autouse=True)
def private_files(settings, tmp_path):
    settings.VIGIE_WHISTLEBLOWING_FILES_ROOT = tmp_path / "whistleblowing"
    cache.clear()


def history_users() -> list[tuple[str, int | None]]:
    """(model, history_user_id) of every history row of every whistleblowing model."""
    found: list[tuple[str, int | None]] = []
    for model in apps.get_app_config("whistleblowing").get_models():
        if model.__name__.startswith("Historical"):
            users = model._default_manager.values_list("history_user_id", flat=True)
            found.extend((model.__name__, user) for user in users)
    return found


# --- finding 2: the logged-in account is not the author -----------------------------------------------------


def test_a_logged_in_account_is_named_by_no_history_row_written_from_the_public_pages(roles):
    author = UserFactory(username="employee.author")
    client = Client()
    client.force_login(author)
    response = client.post(SUBMIT, {**report_data(anonymous="on"), "documents": [upload("p.pdf", PDF)]})
    code, passphrase = secrets_of(response)
    assert sign_in(client, code, passphrase).status_code == 303
    assert client.post(MESSAGE, {"body": "suite", "documents": [upload("q.pdf", PDF)]}).status_code == 303
    assert client.post(MEETING).status_code == 303
    assert Attachment.objects.count() == 2

    rows = history_users()
    assert {name for name, _user in rows} >= {"HistoricalReport", "HistoricalAttachment", "HistoricalMessage"}
    assert [(name, user) for name, user in rows if user is not None] == []


def test_an_authors_attachment_never_takes_the_requests_user_for_its_history():
    account = UserFactory(username="logged.in")
    report = ReportFactory()
    HistoricalRecords.context.request = SimpleNamespace(user=account)  # what HistoryRequestMiddleware leaves
    try:
        attachment = attachment_add(report=report, uploaded_file=upload("p.pdf", PDF), from_author=True)
    finally:
        del HistoricalRecords.context.request
    assert attachment.history.get().history_user is None


# --- finding 3: the follow-up state is not in Django's session ------------------------------------------------


def test_nothing_of_the_report_is_kept_in_the_session_even_of_a_logged_in_browser(roles):
    client = Client()
    client.force_login(UserFactory())
    before = {session.session_key: session.get_decoded() for session in Session.objects.all()}
    code, passphrase = secrets_of(client.post(SUBMIT, report_data()))
    assert sign_in(client, code, passphrase).status_code == 303
    assert client.post(MESSAGE, {"body": "suite"}).status_code == 303
    after = {session.session_key: session.get_decoded() for session in Session.objects.all()}
    assert after == before  # the admin's session as it was: no report pk, no key cycled

    anonymous = Client()
    code, passphrase = secrets_of(anonymous.post(SUBMIT, report_data()))
    assert sign_in(anonymous, code, passphrase).status_code == 303
    assert 'id="wb-status"' in text(anonymous.get(FOLLOW_UP))
    assert not any("follow" in str(session.get_decoded()) for session in Session.objects.all())


@pytest.mark.parametrize("secure", [False, True])
def test_the_follow_up_cookie_is_strict_httponly_scoped_to_the_channel_and_dies_with_the_browser(settings, secure):
    settings.SESSION_COOKIE_SECURE = secure
    client = Client()
    code, passphrase = secrets_of(client.post(SUBMIT, report_data()))
    response = sign_in(client, code, passphrase)
    cookie = response.cookies[FOLLOW_UP_COOKIE]
    assert cookie["path"] == "/signalement/"
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Strict"
    assert bool(cookie["secure"]) is secure
    assert cookie["max-age"] == "" and cookie["expires"] == ""
    assert len(cookie.value) >= 40


def test_the_cache_forgets_the_token_after_30_minutes_and_keeps_only_its_digest(time_machine):
    client = Client()
    code, passphrase = secrets_of(client.post(SUBMIT, report_data()))
    sign_in(client, code, passphrase)
    token = client.cookies[FOLLOW_UP_COOKIE].value
    report = Report.objects.get()
    stored = [key for key in list(cache._cache) if "vigie:wb:follow_up:" in key]
    entries = {key: cache.get(key.split(":", 2)[2]) for key in stored}
    assert list(entries.values()) == [report.pk]
    assert not any(token in key for key in entries)
    (key,) = entries
    assert cache._expire_info[key] == pytest.approx(dt.datetime.now().timestamp() + 30 * 60, abs=5)


def test_leaving_forgets_the_token_at_once():
    client = Client()
    code, passphrase = secrets_of(client.post(SUBMIT, report_data()))
    sign_in(client, code, passphrase)
    token = client.cookies[FOLLOW_UP_COOKIE].value
    response = client.post(LEAVE)
    assert response.cookies[FOLLOW_UP_COOKIE]["max-age"] == 0
    replay = Client()
    replay.cookies[FOLLOW_UP_COOKIE] = token
    page = text(replay.get(FOLLOW_UP))
    assert 'id="wb-status"' not in page and 'name="passphrase"' in page
    assert not [key for key in cache._cache if "vigie:wb:follow_up:" in key]
