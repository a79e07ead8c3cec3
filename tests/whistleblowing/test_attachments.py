"""Attachments of a report (whistleblowing/services/attachments.py): what is refused and why (in French, naming
the file), how a file is kept (private storage, random name, sanitised original name) and how it is handed out
(a download that no browser renders or runs). No URL of the site serves the stored files."""

from __future__ import annotations

import datetime as dt
import io
import os
import zipfile
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from tests.whistleblowing.factories import ReportFactory
from tests.whistleblowing.uploads import DOCX, GOOD, JPEG, PDF, PNG, upload, zipped
from whistleblowing.files import report_storage
from whistleblowing.models import Attachment
from whistleblowing.services.attachments import (
    attachment_add,
    attachment_response,
    clean_name,
    validate_upload,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def files_root(settings, tmp_path) -> Path:
    settings.VIGIE_WHISTLEBLOWING_FILES_ROOT = tmp_path / "whistleblowing"
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.VIGIE_WHISTLEBLOWING_FILES_ROOT


def refusal(name: str, data: bytes) -> str:
    with pytest.raises(ValidationError) as caught:
        validate_upload(upload(name, data))
    return " ".join(caught.value.messages)


@pytest.mark.parametrize("name", sorted(GOOD))
def test_each_accepted_type_with_matching_content_is_accepted(name):
    validate_upload(upload(name, GOOD[name]))


def test_a_file_over_the_size_limit_is_refused_in_french_naming_it(settings):
    settings.VIGIE_WHISTLEBLOWING_MAX_FILE_MB = 1
    validate_upload(upload("juste.pdf", PDF + b"0" * (1024 * 1024 - len(PDF))))
    message = refusal("gros.pdf", PDF + b"0" * (1024 * 1024))
    assert message == "« gros.pdf » dépasse les 1 Mo autorisés par fichier."


def test_an_extension_not_in_the_settings_is_refused(settings):
    assert "« outil.exe » n’est pas d’un type accepté" in refusal("outil.exe", b"MZ\x90\x00")
    settings.VIGIE_WHISTLEBLOWING_FILE_TYPES = ["pdf"]
    assert "(types acceptés : pdf)" in refusal("photo.png", PNG)


def test_a_file_without_extension_is_refused():
    assert "n’est pas d’un type accepté" in refusal("rapport", PDF)


@pytest.mark.parametrize(
    "name, data",
    [
        ("faux.pdf", PNG),
        ("faux.png", JPEG),
        ("faux.jpg", PDF),
        ("faux.docx", zipped({"content.xml": b"x"})),
        ("faux.xlsx", DOCX),
        ("faux.odt", zipped({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet"})),
        ("faux.docx", b"PK\x03\x04 not really a zip"),
        ("binaire.txt", b"text\x00with a NUL"),
        ("latin1.txt", "Président".encode("latin-1")),
    ],
)
def test_content_that_does_not_match_the_extension_is_refused(name, data):
    extension = name.rsplit(".", 1)[1]
    assert refusal(name, data) == f"Le contenu de « {name} » ne correspond pas à son extension .{extension}."


def test_an_empty_file_is_refused():
    assert refusal("vide.pdf", b"") == "« vide.pdf » est vide."


def test_an_extension_the_module_cannot_check_is_refused_rather_than_trusted(settings):
    settings.VIGIE_WHISTLEBLOWING_FILE_TYPES = ["pdf", "mp4"]
    assert "ne correspond pas" in refusal("film.mp4", b"\x00\x00\x00\x18ftypmp42")


@pytest.mark.parametrize(
    "given, kept",
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("C:\\Users\\moi\\preuve.pdf", "preuve.pdf"),
        ("fac\x00tu\x1bre\u202e.pdf", "facture.pdf"),
        ("..hidden.pdf", "hidden.pdf"),
        ("", "file"),
        ("a" * 300 + ".pdf", "a" * 196 + ".pdf"),
    ],
)
def test_the_original_name_loses_folders_and_control_characters(given, kept):
    assert clean_name(given) == kept


def test_attachment_add_keeps_the_file_privately_under_a_random_name(files_root, settings):
    report = ReportFactory()
    attachment = attachment_add(report=report, uploaded_file=upload("../Preuve Dupont.pdf", PDF), from_author=True)

    attachment.refresh_from_db()
    assert attachment.name == "Preuve Dupont.pdf"
    assert attachment.content_type == "application/pdf"
    assert attachment.size == len(PDF)
    assert attachment.from_author is True
    stored = Path(report_storage().path(attachment.file.name))
    assert stored.read_bytes() == PDF
    assert stored.is_relative_to(files_root)
    assert not stored.is_relative_to(Path(settings.MEDIA_ROOT)) and not stored.is_relative_to(
        Path(settings.STATIC_ROOT)
    )
    assert "Preuve" not in attachment.file.name and "Dupont" not in attachment.file.name
    # The history row says what happened, not which file.
    assert attachment.history.get().history_change_reason == "attachment added"


def test_attachment_add_refuses_a_bad_file_and_writes_nothing(files_root):
    report = ReportFactory()
    with pytest.raises(ValidationError):
        attachment_add(report=report, uploaded_file=upload("faux.pdf", PNG), from_author=True)
    assert not Attachment.objects.exists()
    assert (
        not files_root.exists()
        or not any(files_root.rglob("*.*"))
        and not any(path.is_file() for path in files_root.rglob("*"))
    )


def test_the_download_is_never_inline_never_sniffed_and_sandboxed():
    attachment = attachment_add(report=ReportFactory(), uploaded_file=upload("Relevé été.pdf", PDF), from_author=False)
    response = attachment_response(attachment)
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox"
    assert "no-store" in response["Cache-Control"]
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=utf-8''Relev%C3%A9%20%C3%A9t%C3%A9.pdf" in disposition
    assert b"".join(response.streaming_content) == PDF


def test_the_storage_has_no_url():
    with pytest.raises(ValueError):
        report_storage().url("2026/abc")


def test_no_url_of_the_site_serves_a_stored_file(client, settings):
    attachment = attachment_add(report=ReportFactory(), uploaded_file=upload("preuve.pdf", PDF), from_author=True)
    stored = attachment.file.name
    base = os.path.basename(stored)
    for url in (
        f"/media/{stored}",
        f"/media/{base}",
        f"/static/{stored}",
        f"/static/{base}",
        f"/static/whistleblowing/{stored}",
        f"/whistleblowing/{stored}",
        f"/signalement/{stored}",
        f"/{stored}",
    ):
        response = client.get(url)
        # The media address asks a visitor to log in first (core/downloads.py), whatever the name: a referent
        # logged in gets a 404 there too (tests/core/test_media_downloads.py).
        login = url.startswith("/media/") and response.status_code == 302 and "/login/" in response["Location"]
        assert response.status_code == 404 or login, url
        content = b"".join(response.streaming_content) if response.streaming else response.content
        assert PDF not in content


def test_a_file_left_by_a_rolled_back_transaction_is_found_and_deleted(files_root):
    from django.db import transaction

    from whistleblowing.services.attachments import delete_orphan_files, orphan_files

    kept = attachment_add(report=ReportFactory(), uploaded_file=upload("gardé.pdf", PDF), from_author=True)
    with pytest.raises(RuntimeError), transaction.atomic():
        attachment_add(report=ReportFactory(), uploaded_file=upload("annulé.pdf", PDF), from_author=True)
        raise RuntimeError("the submission failed after the file was written")
    stored = [path for path in files_root.rglob("*") if path.is_file()]
    assert len(stored) == 2  # the rolled-back one is still on disk...
    assert orphan_files() == []  # ...but younger than an hour: perhaps a transaction still under way
    orphans = orphan_files(older_than=dt.timedelta(0))
    assert len(orphans) == 1 and orphans[0] != kept.file.name
    assert delete_orphan_files(older_than=dt.timedelta(0)) == 1
    assert [path for path in files_root.rglob("*") if path.is_file()] == [Path(report_storage().path(kept.file.name))]


def test_the_nightly_task_deletes_the_orphans_older_than_an_hour(files_root):
    from config.celery import _beat_schedule
    from whistleblowing.tasks import delete_orphan_files as task

    entry = _beat_schedule()["whistleblowing-orphan-files-daily"]
    assert entry["task"] == task.name
    kept = attachment_add(report=ReportFactory(), uploaded_file=upload("gardé.pdf", PDF), from_author=True)
    orphan = files_root / "2020" / "orphan"
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(PDF)
    two_hours_ago = orphan.stat().st_mtime - 7200
    os.utime(orphan, (two_hours_ago, two_hours_ago))
    assert task() == {"deleted": 1}
    assert not orphan.exists() and report_storage().exists(kept.file.name)


# --- Malformed archives (review 21a, finding 4) -------------------------------------------------------------


def _deflated_odt() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", b"application/vnd.oasis.opendocument.text" * 50)
        archive.writestr("content.xml", b"<office/>")
    return buffer.getvalue()


def corrupt_deflate(data: bytes) -> bytes:
    """The compressed stream of the first member flipped: reading it raises zlib.error."""
    damaged = bytearray(data)
    for index in range(38, 48):
        damaged[index] ^= 0xFF
    return bytes(damaged)


def encrypted_flag(data: bytes) -> bytes:
    """The "encrypted" bit set in the local and central headers: reading it raises RuntimeError."""
    damaged = bytearray(data)
    damaged[6] |= 1
    central = data.find(b"PK\x01\x02")
    damaged[central + 8] |= 1
    return bytes(damaged)


@pytest.mark.parametrize("mutator", [corrupt_deflate, encrypted_flag])
def test_a_malformed_archive_is_refused_as_not_matching_never_an_error(mutator):
    data = mutator(_deflated_odt())
    assert refusal("lettre.odt", data) == "Le contenu de « lettre.odt » ne correspond pas à son extension .odt."


@pytest.mark.parametrize("mutator", [corrupt_deflate, encrypted_flag])
def test_a_malformed_archive_on_the_public_form_keeps_the_typed_report(mutator):
    from django.core.cache import cache
    from django.test import Client

    from tests.whistleblowing.test_public import SUBMIT, report_data, text

    cache.clear()
    response = Client(raise_request_exception=False).post(
        SUBMIT, {**report_data(), "documents": [upload("lettre.odt", mutator(_deflated_odt()))]}
    )
    assert response.status_code == 200
    page = text(response)
    assert "Le contenu de « lettre.odt » ne correspond pas à son extension .odt." in page
    assert "Le directeur des achats reçoit des enveloppes du fournisseur Zorglub." in page
    assert not Attachment.objects.exists()
