"""What the public channel keeps of its visitor, beyond test_public.py (review 21a): no Vigie account logged
in in the same browser is ever named by a history row written from the public pages (finding 2); the
follow-up state lives in a cookie of its own and an expiring cache entry, never in Django's session
(finding 3)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import logging
import re
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
    HOME,
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


# --- finding 1: no request outside /signalement/ tells who opened the channel --------------------------------

ADDRESS, AGENT = "203.0.113.171", "Mozilla/5.0 (ReviewerBrowser 21a) qzxwv"


@pytest.mark.parametrize("url", [HOME, SUBMIT, FOLLOW_UP])
def test_a_public_page_makes_the_browser_fetch_nothing_else(client, url):
    response = client.get(url)
    page = text(response)
    assert "/static/" not in page and "<script" not in page and " src=" not in page
    assert re.findall(r"<link[^>]*>", page) == ['<link rel="icon" href="data:,">']  # no /favicon.ico request
    assert "/i18n/" not in page
    # The stylesheet is inline, and allowed by its hash only.
    (style,) = re.findall(r"<style>(.*?)</style>", page, re.S)
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    csp = response["Content-Security-Policy"]
    assert f"style-src 'sha256-{digest}';" in csp and "'self'" not in csp.split("style-src")[1].split(";")[0]
    assert ".wb-header" in style


@pytest.mark.parametrize(
    "next_url, location",
    [
        ("/signalement/suivi/", "/signalement/suivi/"),
        ("/signalement/nouveau/?x=1", "/signalement/nouveau/"),
        ("/admin/", "/signalement/"),
        ("/signalement/../admin/", "/signalement/"),
        ("https://evil.example/signalement/", "/signalement/"),
        ("//evil.example/signalement/", "/signalement/"),
        ("/signalement/\\\\evil.example", "/signalement/"),
        ("", "/signalement/"),
    ],
)
def test_the_language_switch_sets_the_cookie_and_stays_in_the_channel(client, next_url, location):
    response = client.post("/signalement/langue/", {"language": "en", "next": next_url})
    assert response.status_code == 303 and response["Location"] == location
    assert response.cookies["django_language"].value == "en"


def test_an_unknown_language_is_not_set(client):
    response = client.post("/signalement/langue/", {"language": "xx", "next": HOME})
    assert response.status_code == 303 and "django_language" not in response.cookies


def test_requests_sent_from_a_public_page_are_logged_without_the_visitor(caplog):
    """The reviewer's requests: a stylesheet, the language switch of Django, a favicon, each with a Referer of
    the follow-up page; Django's records keep their message but not the request."""
    caplog.set_level(logging.DEBUG)
    visitor = Client(
        REMOTE_ADDR=ADDRESS,
        HTTP_USER_AGENT=AGENT,
        HTTP_REFERER="http://testserver/signalement/suivi/",
        raise_request_exception=False,
    )
    assert visitor.get("/favicon.ico").status_code == 404
    assert visitor.get("/static/whistleblowing/public.css").status_code == 404
    visitor.post("/i18n/setlang/", {"language": "en", "next": "/signalement/suivi/"})
    records = [record for record in caplog.records if record.name.startswith("django")]
    assert any("/favicon.ico" in record.getMessage() for record in records)
    for record in records:
        request = getattr(record, "request", None)
        seen = f"{record.getMessage()} {getattr(request, 'META', {})!r}"
        assert ADDRESS not in seen and "qzxwv" not in seen, seen


@pytest.mark.parametrize(
    "path, referer",
    [
        ("/static/whistleblowing/public.css", "http://127.0.0.1:8771/signalement/suivi/"),
        ("/i18n/setlang/", "http://127.0.0.1:8771/signalement/suivi/"),
        ("/favicon.ico", "https://vigie.example/signalement/"),
        ("/favicon.ico", "https://vigie.example/en/signalement/nouveau/?x=1"),
    ],
)
def test_the_server_lines_of_requests_sent_from_a_public_page_name_no_visitor(capsys, path, referer):
    line = access_line(capsys, path, referer)
    assert f'"GET {path} HTTP/1.1" 200' in line
    assert ADDRESS not in line and "qzxwv" not in line and referer not in line, line


def test_other_lines_keep_their_visitor(capsys):
    line = access_line(capsys, "/favicon.ico", "https://vigie.example/admin/")
    assert ADDRESS in line and "qzxwv" in line


def access_line(capsys, path: str, referer: str) -> str:
    from gunicorn.config import Config

    from core.gunicorn import RedactingLogger

    config = Config()
    config.set("accesslog", "-")
    config.set("access_log_format", '%(h)s "%(r)s" %(s)s "%(f)s" "%(a)s" %({remote_addr}e)s')
    headers = [("USER-AGENT", AGENT), ("REFERER", referer)]
    request = SimpleNamespace(headers=headers, uri=path, method="GET", version=(1, 1), path=path, query="")
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": path,
        "PATH_INFO": path,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": ADDRESS,
        "HTTP_USER_AGENT": AGENT,
        "HTTP_REFERER": referer,
    }
    response = SimpleNamespace(status="200 OK", response_length=10, headers=(), sent=10)
    RedactingLogger(config).access(response, request, environ, dt.timedelta(seconds=0.1))
    return capsys.readouterr().out


# --- finding 9: an oversized body is refused before it is read -----------------------------------------------


@pytest.fixture
def body_never_parsed(monkeypatch) -> list[str]:
    """The paths whose multipart body Django parsed (MultiPartParser spools every file to disk)."""
    from django.http import multipartparser

    parsed: list[str] = []
    original = multipartparser.MultiPartParser.parse

    def parse(self, *args, **kwargs):
        parsed.append("parsed")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(multipartparser.MultiPartParser, "parse", parse)
    return parsed


def test_a_submission_larger_than_every_file_allowed_is_refused_unread_with_a_french_page(settings, body_never_parsed):
    settings.VIGIE_WHISTLEBLOWING_MAX_FILES = 1
    settings.VIGIE_WHISTLEBLOWING_MAX_FILE_MB = 1  # the body limit: (1 × 1 + 1) MB
    big = upload("gros.pdf", PDF + b"0" * (2 * 1024 * 1024 + 10))
    response = Client(enforce_csrf_checks=True).post(SUBMIT, {**report_data(), "documents": [big]})
    assert response.status_code == 413
    page = text(response)
    assert "Votre envoi est trop volumineux" in page
    assert "Le dispositif accepte au plus 1 fichier de 1 Mo à la fois." in page
    assert "Rien n'a été conservé." in page
    assert "no-store" in response["Cache-Control"] and "default-src 'none'" in response["Content-Security-Policy"]
    assert body_never_parsed == [] and not Report.objects.exists()


def test_an_author_message_larger_than_allowed_is_refused_unread(settings, body_never_parsed):
    client = Client()
    code, passphrase = secrets_of(client.post(SUBMIT, report_data()))
    sign_in(client, code, passphrase)
    settings.VIGIE_WHISTLEBLOWING_MAX_FILES = 2
    settings.VIGIE_WHISTLEBLOWING_MAX_FILE_MB = 1
    body_never_parsed.clear()
    documents = [upload(f"p{number}.pdf", PDF + b"0" * 1024 * 1024) for number in range(3)]
    response = client.post(MESSAGE, {"body": "suite", "documents": documents})
    assert response.status_code == 413 and "Le dispositif accepte au plus 2 fichiers de 1 Mo chacun" in text(response)
    assert body_never_parsed == []


def test_a_body_within_the_limit_is_read_and_checked_as_before_csrf_included(settings):
    settings.VIGIE_WHISTLEBLOWING_MAX_FILES = 2
    settings.VIGIE_WHISTLEBLOWING_MAX_FILE_MB = 1
    single = upload("gros.pdf", PDF + b"0" * (1024 * 1024 + 10))  # over the file limit, under the body one
    response = Client().post(SUBMIT, {**report_data(), "documents": [single]})
    assert response.status_code == 200 and "« gros.pdf » dépasse les 1 Mo autorisés par fichier." in text(response)
    assert Client(enforce_csrf_checks=True).post(SUBMIT, report_data()).status_code == 403
