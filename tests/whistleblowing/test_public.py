"""The public channel `/signalement/` with Django's test client: the pages in French and English, plain HTML
forms (no script), the whole flow (report → code and passphrase → follow-up → messages both ways), every bad
input of issue 21, the rate limits, the headers, and no trace of the visitor anywhere (database, cache, logs)."""

from __future__ import annotations

import datetime as dt
import logging
import re
from pathlib import Path

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from tests.factories import UserFactory
from tests.whistleblowing.uploads import PDF, PNG, upload
from whistleblowing.choices import Category, Direction
from whistleblowing.models import Attachment, Message, Report
from whistleblowing.services.reports import message_to_author

pytestmark = pytest.mark.django_db

HOME = reverse("whistleblowing_public:home")
SUBMIT = reverse("whistleblowing_public:submit")
FOLLOW_UP = reverse("whistleblowing_public:follow_up")
MESSAGE = reverse("whistleblowing_public:follow_up_message")
MEETING = reverse("whistleblowing_public:follow_up_meeting")
LEAVE = reverse("whistleblowing_public:follow_up_leave")
PAGES = [HOME, SUBMIT, FOLLOW_UP]


@pytest.fixture(autouse=True)
def private_files(settings, tmp_path) -> Path:
    settings.VIGIE_WHISTLEBLOWING_FILES_ROOT = tmp_path / "whistleblowing"
    cache.clear()  # the rate-limit counters of other tests
    return settings.VIGIE_WHISTLEBLOWING_FILES_ROOT


def report_data(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "category": Category.CORRUPTION,
        "facts": "Le directeur des achats reçoit des enveloppes du fournisseur Zorglub.",
        "facts_period": "Depuis mars",
        "persons_concerned": "M. Zorglub, directeur des achats",
        "author_relation": "employee",
        "anonymous": "on",
        "author_name": "",
        "author_email": "",
        "author_phone": "",
        "author_contact": "",
    }
    data.update(overrides)
    return data


def text(response) -> str:
    return response.content.decode()


def secrets_of(response) -> tuple[str, str]:
    page = text(response)
    code = re.search(r'<code id="wb-code">([^<]+)</code>', page)
    passphrase = re.search(r'<code id="wb-passphrase">([^<]+)</code>', page)
    assert code and passphrase, page
    return code.group(1), passphrase.group(1)


def submit_report(client: Client, **overrides: object) -> tuple[str, str]:
    response = client.post(SUBMIT, report_data(**overrides))
    assert response.status_code == 200
    return secrets_of(response)


def sign_in(client: Client, code: str, passphrase: str):
    return client.post(FOLLOW_UP, {"code": code, "passphrase": passphrase})


def assert_public_headers(response) -> None:
    assert "no-store" in response["Cache-Control"]
    # Not "no-referrer": browsers would then post forms with `Origin: null`, refused by the CSRF check.
    assert response["Referrer-Policy"] == "same-origin"
    csp = response["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp and "form-action 'self'" in csp
    assert "frame-ancestors 'none'" in csp


# --- The pages --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", PAGES)
def test_every_page_is_french_by_default_plain_html_and_strictly_headed(client, url):
    response = client.get(url)
    assert response.status_code == 200
    page = text(response)
    assert '<html lang="fr">' in page
    assert "<script" not in page and " on" + "click=" not in page
    assert "Dispositif d’alerte" in page
    assert_public_headers(response)


@pytest.mark.parametrize("url", PAGES)
def test_every_page_is_available_in_english(client, url):
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    page = text(response)
    assert '<html lang="en">' in page
    assert "Whistleblowing channel" in page and "Dispositif d’alerte" not in page


def test_the_home_page_says_who_may_report_the_procedure_and_the_authorities(client):
    page = text(client.get(HOME))
    for words in (
        "les candidats à un emploi",
        "7 jours ouvrés",
        "3 mois",
        "20 jours ouvrés",
        "article 9",
        "représailles",
        "Défenseur des droits",
        "Agence française anticorruption",
        "CNIL",
        "ACPR",
        "autorité judiciaire",
        f'href="{SUBMIT}"',
        f'href="{FOLLOW_UP}"',
    ):
        assert words in page, words


def test_the_language_switch_is_a_plain_form_that_works_without_script(client):
    page = text(client.get(HOME))
    assert 'action="/signalement/langue/" method="post"' in page  # under the channel: an anonymous log line
    response = client.post("/signalement/langue/", {"language": "en", "next": HOME})
    assert response.status_code == 303 and response["Location"] == HOME
    assert "Report a breach, confidentially" in text(client.get(HOME))


def test_the_report_form_offers_every_field_of_the_issue(client):
    page = text(client.get(SUBMIT))
    assert 'enctype="multipart/form-data"' in page
    for name in (
        "category",
        "facts",
        "facts_period",
        "persons_concerned",
        "author_relation",
        "anonymous",
        "author_name",
        "author_email",
        "author_phone",
        "author_contact",
    ):
        assert f'name="{name}"' in page, name
    assert re.search(r'<input type="file" name="documents"[^>]* multiple', page)
    assert "Corruption ou trafic d’influence" in page or "Corruption" in page


# --- The whole flow ---------------------------------------------------------------------------------------


def test_a_report_is_followed_up_anonymously_in_both_directions(client, roles):
    response = client.post(SUBMIT, {**report_data(), "documents": [upload("preuve.pdf", PDF)]})
    # The secrets are in this very answer: no redirect to a URL carrying them, and nothing cached.
    assert response.status_code == 200 and not response.has_header("Location")
    assert_public_headers(response)
    code, passphrase = secrets_of(response)
    assert "/signalement/langue/" not in text(response)  # switching the language would lose the secrets
    report = Report.objects.get()
    assert report.content.facts.startswith("Le directeur des achats")
    assert report.attachments.get().name == "preuve.pdf"
    assert code not in str(report.access.code_digest) and passphrase not in report.access.passphrase_hash

    response = sign_in(client, code, passphrase)
    assert response.status_code == 303 and response["Location"] == FOLLOW_UP
    assert code not in response["Location"]
    space = client.get(FOLLOW_UP)
    assert_public_headers(space)
    page = text(space)
    assert report.reference in page and "preuve.pdf" in page
    assert f'id="wb-status">{report.get_status_display()}<' in page
    assert "Aucun message pour l’instant." in page

    response = client.post(MESSAGE, {"body": "J’ai retrouvé un autre reçu.", "documents": [upload("reçu.png", PNG)]})
    assert response.status_code == 303
    assert_public_headers(response)
    sent = Message.objects.get(direction=Direction.FROM_AUTHOR)
    assert sent.body == "J’ai retrouvé un autre reçu." and sent.attachments.get().name == "reçu.png"

    referent = UserFactory(
        username="referent-marguerite", first_name="Marguerite", last_name="Vigneron", groups=["Référent alertes"]
    )
    message_to_author(actor=referent, report=report, body="Merci, pouvez-vous préciser les dates ?")

    page = text(client.get(FOLLOW_UP))
    assert "Votre message a été envoyé au référent." in page
    assert page.index("J’ai retrouvé un autre reçu.") < page.index("Merci, pouvez-vous préciser les dates ?")
    assert "reçu.png" in page
    assert "Le référent" in page
    assert "marguerite" not in page.lower() and "Vigneron" not in page


def test_the_author_asks_for_a_meeting_then_leaves(client):
    code, passphrase = submit_report(client)
    sign_in(client, code, passphrase)
    response = client.post(MEETING)
    assert response.status_code == 303
    assert Report.objects.get().meeting_requested_on is not None
    assert "Votre demande d’entretien est enregistrée" in text(client.get(FOLLOW_UP))

    response = client.post(LEAVE)
    assert response.status_code == 303
    page = text(client.get(FOLLOW_UP))
    assert "Vous avez quitté l’espace de suivi." in page and 'name="passphrase"' in page
    # Nothing of the space is reachable any more without the code and passphrase.
    assert client.post(MESSAGE, {"body": "encore"}).status_code == 303
    assert not Message.objects.filter(body="encore").exists()


def test_the_follow_up_cookie_holds_only_a_random_token_that_expires_after_30_minutes(client, time_machine):
    code, passphrase = submit_report(client)
    sign_in(client, code, passphrase)
    token = client.cookies["vigie_wb_follow_up"].value
    assert code not in token and passphrase not in token and "whistleblowing_follow_up" not in client.session
    assert 'id="wb-status"' in text(client.get(FOLLOW_UP))
    time_machine.move_to(timezone.now() + dt.timedelta(minutes=29), tick=False)
    assert 'id="wb-status"' in text(client.get(FOLLOW_UP))
    time_machine.move_to(timezone.now() + dt.timedelta(minutes=2), tick=False)
    page = text(client.get(FOLLOW_UP))
    assert 'id="wb-status"' not in page and 'name="passphrase"' in page


def test_csrf_protection_stays_on_for_the_public_forms(roles):
    client = Client(enforce_csrf_checks=True)
    assert client.post(SUBMIT, report_data()).status_code == 403
    assert client.post(FOLLOW_UP, {"code": "x", "passphrase": "y"}).status_code == 403
    assert not Report.objects.exists()


# --- Bad input --------------------------------------------------------------------------------------------


def test_a_wrong_code_and_a_wrong_passphrase_get_the_same_answer(client):
    code, passphrase = submit_report(client)
    wrong_code = sign_in(Client(), "AAAA-BBBB-CCCC-DDDD", passphrase)
    wrong_passphrase = sign_in(Client(), code, passphrase + "x")
    assert wrong_code.status_code == wrong_passphrase.status_code == 200

    def comparable(response) -> str:
        page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text(response))
        return re.sub(r'name="code"[^>]*value="[^"]*"', 'name="code"', page)

    assert comparable(wrong_code) == comparable(wrong_passphrase)
    assert "Ce code de réception et cette phrase secrète n’ouvrent aucun signalement." in text(wrong_code)
    assert passphrase not in text(wrong_passphrase)


def test_follow_up_attempts_are_rate_limited_per_address_with_one_wording(client, settings):
    settings.VIGIE_WHISTLEBLOWING_FOLLOW_UP_ATTEMPTS_PER_HOUR = 3
    code, passphrase = submit_report(client)
    for attempt in range(15):  # the per-address limit is five times the setting (ratelimit.ADDRESS_FACTOR)
        assert sign_in(client, f"WRONG-{attempt}", "nope").status_code == 200
    refused = sign_in(client, code, passphrase)
    assert refused.status_code == 429
    assert "Trop de tentatives ont été faites en peu de temps." in text(refused)
    assert "whistleblowing_follow_up" not in client.session
    assert_public_headers(refused)
    # Another address is not concerned.
    assert sign_in(Client(REMOTE_ADDR="192.0.2.8"), code, passphrase).status_code == 303


def test_one_code_cannot_be_tried_from_many_addresses(client, settings):
    settings.VIGIE_WHISTLEBLOWING_FOLLOW_UP_ATTEMPTS_PER_HOUR = 3
    code, passphrase = submit_report(client)
    for number in range(3):
        assert sign_in(Client(REMOTE_ADDR=f"192.0.2.{number}"), code.lower(), "guess").status_code == 200
    refused = sign_in(Client(REMOTE_ADDR="192.0.2.99"), code.replace("-", " "), passphrase)
    assert refused.status_code == 429
    same_wording = sign_in(Client(REMOTE_ADDR="192.0.2.99"), "OTHER-CODE", passphrase)
    assert same_wording.status_code == 200  # that address and that other code are under their limits
    by_address = sign_in(Client(REMOTE_ADDR="192.0.2.0"), "ANOTHER", "x")
    assert by_address.status_code == 200


def test_submissions_are_rate_limited_per_address(client, settings):
    settings.VIGIE_WHISTLEBLOWING_SUBMISSIONS_PER_HOUR = 2
    submit_report(client)
    submit_report(client)
    refused = client.post(SUBMIT, report_data())
    assert refused.status_code == 429
    assert "Trop de tentatives ont été faites en peu de temps." in text(refused)
    assert Report.objects.count() == 2
    assert Client(REMOTE_ADDR="192.0.2.50").post(SUBMIT, report_data()).status_code == 200


def test_an_authors_messages_are_rate_limited_per_report(client, settings):
    settings.VIGIE_WHISTLEBLOWING_SUBMISSIONS_PER_HOUR = 2
    code, passphrase = submit_report(client)
    other = Client(REMOTE_ADDR="192.0.2.60")
    sign_in(other, code, passphrase)
    assert client.post(MESSAGE, {"body": "un"}).status_code == 303  # not signed in: nothing sent
    sign_in(client, code, passphrase)
    assert client.post(MESSAGE, {"body": "un"}).status_code == 303
    assert other.post(MESSAGE, {"body": "deux"}).status_code == 303
    refused = client.post(MESSAGE, {"body": "trois"})
    assert refused.status_code == 429 and "Trop de tentatives" in text(refused)
    assert list(Message.objects.values_list("body", flat=True)) == ["un", "deux"]


def test_the_rate_limit_keys_are_keyed_hashes_that_expire(client, settings):
    code, _passphrase = submit_report(client, REMOTE_ADDR="203.0.113.200")
    sign_in(Client(REMOTE_ADDR="203.0.113.200"), code, "wrong")
    keys = list(cache._cache)  # LocMemCache: the counters as stored
    assert keys and all("203.0.113.200" not in key and code.replace("-", "") not in key for key in keys)
    assert all(cache._expire_info[key] is not None for key in keys)


def test_an_empty_description_is_refused_naming_the_field_and_keeping_what_was_typed(client):
    response = client.post(SUBMIT, report_data(facts="   \n "))
    assert response.status_code == 200
    page = text(response)
    assert "Décrivez les faits : ce champ est obligatoire." in page
    assert 'id="id_facts_errors"' in page
    assert "M. Zorglub, directeur des achats" in page and 'value="Depuis mars"' in page
    assert not Report.objects.exists()


@pytest.mark.parametrize(
    "document, message",
    [
        (upload("outil.exe", b"MZ\x90\x00"), "« outil.exe » n’est pas d’un type accepté"),
        (upload("image.pdf", PNG), "Le contenu de « image.pdf » ne correspond pas à son extension .pdf."),
        (upload("gros.pdf", PDF + b"0" * (1024 * 1024)), "« gros.pdf » dépasse les 1 Mo autorisés par fichier."),
    ],
)
def test_a_refused_file_is_named_in_french_nothing_is_written_and_the_text_is_kept(
    client, settings, private_files, document, message
):
    settings.VIGIE_WHISTLEBLOWING_MAX_FILE_MB = 1
    response = client.post(SUBMIT, {**report_data(), "documents": [upload("bon.pdf", PDF), document]})
    assert response.status_code == 200
    page = text(response)
    assert message in page
    assert "Les documents choisis n’ont pas été conservés : choisissez-les à nouveau avant d’envoyer." in page
    assert "Le directeur des achats reçoit des enveloppes du fournisseur Zorglub." in page
    assert not Report.objects.exists() and not Attachment.objects.exists()
    assert not private_files.exists() or not any(path.is_file() for path in private_files.rglob("*"))


def test_too_many_files_are_refused(client, settings):
    settings.VIGIE_WHISTLEBLOWING_MAX_FILES = 2
    documents = [upload(f"doc{number}.pdf", PDF) for number in range(3)]
    page = text(client.post(SUBMIT, {**report_data(), "documents": documents}))
    assert "2 fichiers au plus peuvent être envoyés à la fois." in page
    assert not Report.objects.exists()


def test_an_anonymous_author_who_gives_a_name_is_asked_to_choose(client):
    page = text(client.post(SUBMIT, report_data(author_name="Jean Dupont")))
    assert "Vous avez demandé à rester anonyme" in page
    assert not Report.objects.exists()


def test_an_empty_author_message_is_refused_naming_the_field(client):
    code, passphrase = submit_report(client)
    sign_in(client, code, passphrase)
    response = client.post(MESSAGE, {"body": "  "})
    assert response.status_code == 200
    assert "Écrivez votre message : ce champ est obligatoire." in text(response)
    assert not Message.objects.exists()


def test_a_referent_file_is_a_download_only_for_its_report(client, roles):
    code, passphrase = submit_report(client)
    report = Report.objects.get()
    referent = UserFactory(groups=["Référent alertes"])
    sent = message_to_author(
        actor=referent, report=report, body="Voici le courrier.", files=[upload("courrier.pdf", PDF)]
    )
    attachment = sent.attachments.get()
    url = reverse("whistleblowing_public:follow_up_file", args=[attachment.pk])
    assert client.get(url).status_code == 404  # not signed in
    sign_in(client, code, passphrase)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    assert b"".join(response.streaming_content) == PDF
    own = Attachment.objects.filter(from_author=True)
    for attachment in own:
        assert client.get(reverse("whistleblowing_public:follow_up_file", args=[attachment.pk])).status_code == 404


# --- No trace of the visitor ------------------------------------------------------------------------------

ADDRESS, FORWARDED, AGENT = "203.0.113.171", "198.51.100.172", "MarkerBrowser/9.7 qzxwv"
MARKERS = (ADDRESS, FORWARDED, AGENT, "qzxwv")


def every_stored_text() -> list[tuple[str, str]]:
    """Every value of every column of every table, as text (sessions decoded)."""
    from django.contrib.sessions.models import Session

    found: list[tuple[str, str]] = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            for row in cursor.fetchall():
                found.extend(
                    (table, value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value))
                    for value in row
                )
    found.extend(("django_session (decoded)", str(session.get_decoded())) for session in Session.objects.all())
    return found


def test_no_address_or_browser_is_kept_in_any_table_cache_or_log(caplog, roles):
    visitor = Client(REMOTE_ADDR=ADDRESS, HTTP_X_FORWARDED_FOR=FORWARDED, HTTP_USER_AGENT=AGENT)
    caplog.set_level(logging.DEBUG)
    response = visitor.post(
        SUBMIT, {**report_data(anonymous=""), "author_name": "A. Uteur", "documents": [upload("p.pdf", PDF)]}
    )
    code, passphrase = secrets_of(response)
    assert sign_in(visitor, "WRONG", "wrong").status_code == 200
    assert sign_in(visitor, code, passphrase).status_code == 303
    assert visitor.post(MESSAGE, {"body": "Suite."}).status_code == 303
    visitor.post(MEETING)
    visitor.get(FOLLOW_UP)
    # Requests Django logs with the request attached: a missing page, a wrong method, a CSRF refusal.
    assert visitor.get("/signalement/inconnue/").status_code == 404
    assert visitor.get(MESSAGE).status_code == 405
    strict = Client(
        enforce_csrf_checks=True, REMOTE_ADDR=ADDRESS, HTTP_X_FORWARDED_FOR=FORWARDED, HTTP_USER_AGENT=AGENT
    )
    assert strict.post(SUBMIT, report_data()).status_code == 403

    for table, value in every_stored_text():
        assert not any(marker in value for marker in MARKERS), (table, value)
    for key, value in getattr(cache, "_cache", {}).items():
        assert not any(marker in f"{key}{value!r}" for marker in MARKERS)

    about_public_pages = [record for record in caplog.records if "/signalement/" in record.getMessage()]
    assert len(about_public_pages) >= 3  # the 404, the 405 and the CSRF refusal were logged...
    for record in caplog.records:  # ...with nothing of the visitor, the request included
        request = getattr(record, "request", None)
        meta = getattr(request, "META", {}) if request is not None else {}
        seen = f"{record.getMessage()} {record.__dict__!r} {meta!r}"
        assert not any(marker in seen for marker in MARKERS), seen


def test_an_error_email_about_a_public_page_carries_neither_the_visitor_nor_the_report(
    settings, monkeypatch, mailoutbox
):
    settings.ADMINS = [("Ops", "ops@example.org")]

    def broken(**kwargs: object) -> None:
        raise RuntimeError("the service failed")

    monkeypatch.setattr("whistleblowing.services.reports.report_submit_public", broken)
    visitor = Client(
        REMOTE_ADDR=ADDRESS, HTTP_X_FORWARDED_FOR=FORWARDED, HTTP_USER_AGENT=AGENT, raise_request_exception=False
    )
    assert visitor.post(SUBMIT, report_data()).status_code == 500
    assert len(mailoutbox) == 1  # the administrators are still told that something failed...
    email = mailoutbox[0]
    assert "the service failed" in email.body
    seen = f"{email.subject} {email.body} {[body for body, _type in getattr(email, 'alternatives', [])]}"
    for secret in (*MARKERS, "Zorglub", "enveloppes"):  # ...but not by whom, nor what was reported
        assert secret not in seen, secret


def test_refused_requests_to_a_public_page_are_mailed_without_the_visitor(settings, mailoutbox):
    settings.ADMINS = [("Ops", "ops@example.org")]
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2_000
    visitor = Client(REMOTE_ADDR=ADDRESS, HTTP_X_FORWARDED_FOR=FORWARDED, HTTP_USER_AGENT=AGENT)
    assert visitor.post(SUBMIT, report_data(facts="Zorglub " * 500)).status_code == 400  # RequestDataTooBig
    assert visitor.get(HOME, HTTP_HOST="intrus.example").status_code == 400  # DisallowedHost
    assert len(mailoutbox) == 2
    for email in mailoutbox:
        for secret in (*MARKERS, "Zorglub"):
            assert secret not in f"{email.subject} {email.body}", (secret, email.subject)


def test_the_server_request_lines_of_the_public_pages_name_no_visitor(capsys):
    from types import SimpleNamespace

    from gunicorn.config import Config

    from core.gunicorn import RedactingLogger

    config = Config()
    config.set("accesslog", "-")
    config.set("access_log_format", '%(h)s %({x-forwarded-for}i)s "%(r)s" %(s)s "%(f)s" "%(a)s" %({remote_addr}e)s')
    headers = [("USER-AGENT", AGENT), ("X-FORWARDED-FOR", FORWARDED), ("REFERER", "https://intranet/qzxwv")]

    def line_for(path: str) -> str:
        request = SimpleNamespace(headers=headers, uri=path, method="POST", version=(1, 1), path=path, query="")
        environ = {
            "REQUEST_METHOD": "POST",
            "RAW_URI": path,
            "PATH_INFO": path,
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": ADDRESS,
            "HTTP_USER_AGENT": AGENT,
            "HTTP_X_FORWARDED_FOR": FORWARDED,
            "HTTP_REFERER": "https://intranet/qzxwv",
        }
        response = SimpleNamespace(status="200 OK", response_length=10, headers=(), sent=10)
        RedactingLogger(config).access(response, request, environ, dt.timedelta(seconds=0.1))
        return capsys.readouterr().out

    public = line_for("/signalement/suivi/")
    assert '"POST /signalement/suivi/ HTTP/1.1" 200' in public
    assert not any(marker in public for marker in MARKERS), public
    assert ADDRESS in line_for("/admin/")  # other pages keep their access log as it was

    kept: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            kept.append(record)

    server = logging.getLogger("django.server")
    handler = Keep()
    server.addHandler(handler)
    try:
        socket = SimpleNamespace(peer=ADDRESS)
        server.info('"%s" %s %s', "GET /signalement/ HTTP/1.1", "200", "12", extra={"request": socket})
        server.info('"%s" %s %s', "GET /admin/ HTTP/1.1", "200", "12", extra={"request": socket})
    finally:
        server.removeHandler(handler)
    assert kept[0].request is None and kept[1].request is socket


def test_the_rate_limit_works_on_redis_as_in_production(client, settings, own_redis):
    redis_url = f"redis://127.0.0.1:{own_redis[1]}/0"
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_url}}
    settings.VIGIE_WHISTLEBLOWING_FOLLOW_UP_ATTEMPTS_PER_HOUR = 2
    cache.clear()
    visitor = Client(REMOTE_ADDR="203.0.113.201")
    assert sign_in(visitor, "REDIS-ONE", "x").status_code == 200
    assert sign_in(visitor, "REDIS-ONE", "x").status_code == 200
    assert sign_in(visitor, "REDIS-ONE", "x").status_code == 429  # that code's limit
    for attempt in range(8):  # the address's: five times the setting
        assert sign_in(visitor, f"REDIS-{attempt}", "x").status_code == 200
    assert sign_in(visitor, "REDIS-LAST", "x").status_code == 429
    import redis

    stored = redis.Redis.from_url(redis_url)
    keys = [key.decode() for key in stored.scan_iter("*vigie:wb:rl:*")]
    assert keys and not any("203.0.113.201" in key or "REDIS" in key for key in keys)
    assert all(0 < stored.ttl(key) <= 3600 + 300 for key in keys)


def test_the_follow_up_space_reads_a_fixed_number_of_queries_however_long_the_thread(client, roles):
    from django.test.utils import CaptureQueriesContext

    code, passphrase = submit_report(client)
    sign_in(client, code, passphrase)
    report = Report.objects.get()
    referent = UserFactory(groups=["Référent alertes"])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(FOLLOW_UP).status_code == 200
        return len(captured)

    message_to_author(actor=referent, report=report, body="premier", files=[upload("a.pdf", PDF)])
    few = queries()
    for number in range(15):
        message_to_author(actor=referent, report=report, body=f"suite {number}", files=[upload(f"{number}.pdf", PDF)])
    assert queries() == few <= 6


def test_with_the_cache_down_reports_still_come_in_and_the_follow_up_says_it_is_unavailable(roles):
    from tests.core.test_redis_down import _dead_redis_url

    url = _dead_redis_url()
    caches = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "OPTIONS": {"socket_connect_timeout": 0.5},
        }
    }
    with override_settings(CACHES=caches):
        client = Client()
        code, passphrase = submit_report(client)  # the rate limit lets it through: no limit rather than no channel
        assert Report.objects.count() == 1
        response = client.post(FOLLOW_UP, {"code": code, "passphrase": passphrase})
        assert response.status_code == 503
        assert "Le suivi est momentanément indisponible" in text(response)
        assert client.get(FOLLOW_UP).status_code == 200  # the sign-in form, not an error page
