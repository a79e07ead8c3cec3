"""A report's attachments: what is accepted (size, extension, first bytes that agree with the extension), how
a file is stored (the private storage of whistleblowing/files.py, under a random name; the author's name of
the file kept in the row, sanitised) and how it is handed out (always as a download, never rendered)."""

from __future__ import annotations

import codecs
import datetime as dt
import time
import unicodedata
import zipfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import FileResponse
from django.utils.translation import gettext as _

from core.downloads import download_response
from core.services import note_history

from ..files import report_storage
from ..models import Attachment, Message, Report

#: What the row says a file is (the download is always application/octet-stream whatever this says).
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "txt": "text/plain",
    "csv": "text/csv",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation",
}
#: The first bytes of the plain signatures.
MAGIC = {
    "pdf": (b"%PDF-",),
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "gif": (b"GIF87a", b"GIF89a"),
}
#: Office Open XML documents: a ZIP holding this part.
OOXML_PART = {"docx": "word/document.xml", "xlsx": "xl/workbook.xml", "pptx": "ppt/presentation.xml"}
#: OpenDocument files: a ZIP whose `mimetype` member says this.
ODF_MIMETYPE = {ext: CONTENT_TYPES[ext] for ext in ("odt", "ods", "odp")}
TEXT_TYPES = ("txt", "csv")
MAX_NAME_LENGTH = 200
CHUNK = 64 * 1024


def clean_name(name: str) -> str:
    """The file's name without any folder part nor control or format character, at most 200 characters
    (its extension kept); "file" when nothing is left."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(c for c in base if unicodedata.category(c)[0] != "C").strip().lstrip(".").strip()
    if len(base) > MAX_NAME_LENGTH:
        stem, dot, ext = base.rpartition(".")
        if dot and 0 < len(ext) <= 10:
            base = stem[: MAX_NAME_LENGTH - len(ext) - 1] + "." + ext
        else:
            base = base[:MAX_NAME_LENGTH]
    return base or "file"


def extension_of(name: str) -> str:
    stem, dot, ext = name.rpartition(".")
    return ext.lower() if dot and stem else ""


def _head(uploaded_file: Any, size: int = 16) -> bytes:
    uploaded_file.seek(0)
    head = uploaded_file.read(size)
    uploaded_file.seek(0)
    return bytes(head)


def _is_utf8_text(uploaded_file: Any) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    uploaded_file.seek(0)
    try:
        for chunk in (
            uploaded_file.chunks(CHUNK)
            if hasattr(uploaded_file, "chunks")
            else iter(lambda: uploaded_file.read(CHUNK), b"")
        ):
            if b"\x00" in chunk:
                return False
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    finally:
        uploaded_file.seek(0)
    return True


def _zip_member_check(uploaded_file: Any, ext: str) -> bool:
    if _head(uploaded_file, 4) != b"PK\x03\x04":
        return False
    uploaded_file.seek(0)
    try:
        with zipfile.ZipFile(uploaded_file) as archive:
            if ext in OOXML_PART:
                return OOXML_PART[ext] in archive.namelist()
            with archive.open("mimetype") as member:
                return bool(member.read(100).decode("ascii", "replace").strip() == ODF_MIMETYPE[ext])
    except Exception:  # noqa: BLE001 - any archive that cannot be read (corrupt deflate data: zlib.error; the
        # "encrypted" flag: RuntimeError; truncated: EOFError...) simply does not match: a refusal, never a 500
        return False
    finally:
        uploaded_file.seek(0)


def _content_matches(uploaded_file: Any, ext: str) -> bool:
    if ext in MAGIC:
        head = _head(uploaded_file)
        return any(head.startswith(signature) for signature in MAGIC[ext])
    if ext in TEXT_TYPES:
        return _is_utf8_text(uploaded_file)
    if ext in OOXML_PART or ext in ODF_MIMETYPE:
        return _zip_member_check(uploaded_file, ext)
    return False  # an extension of the settings this module cannot check: refused rather than trusted


def accepted_types() -> list[str]:
    return [ext.strip().lower().lstrip(".") for ext in settings.VIGIE_WHISTLEBLOWING_FILE_TYPES if ext.strip()]


def validate_upload(uploaded_file: UploadedFile) -> None:
    """Refuse a file over VIGIE_WHISTLEBLOWING_MAX_FILE_MB, empty, of an extension not in
    VIGIE_WHISTLEBLOWING_FILE_TYPES, or whose content does not match its extension: a ValidationError in the
    active language naming the file."""
    name = clean_name(uploaded_file.name or "")
    limit_mb = settings.VIGIE_WHISTLEBLOWING_MAX_FILE_MB
    size = uploaded_file.size or 0
    if size > limit_mb * 1024 * 1024:
        raise ValidationError(
            _("“%(name)s” is larger than the %(limit)s MB allowed per file.") % {"name": name, "limit": limit_mb},
            code="file_too_big",
        )
    if size == 0:
        raise ValidationError(_("“%(name)s” is empty.") % {"name": name}, code="file_empty")
    ext = extension_of(name)
    types = accepted_types()
    if ext not in types:
        raise ValidationError(
            _("“%(name)s” is not of an accepted type (accepted: %(types)s).")
            % {"name": name, "types": ", ".join(types)},
            code="file_type",
        )
    if not _content_matches(uploaded_file, ext):
        raise ValidationError(
            _("The content of “%(name)s” does not match its extension .%(ext)s.") % {"name": name, "ext": ext},
            code="file_content",
        )


@transaction.atomic
def attachment_add(
    *,
    report: Report,
    uploaded_file: UploadedFile,
    from_author: bool,
    actor: Any = None,
    message: Message | None = None,
) -> Attachment:
    """Check the file (validate_upload), then keep it in the private storage under a random name, with its
    sanitised original name, its content type (from the checked extension) and its size. `actor` is the
    referent adding it (None for the author, who has no account)."""
    validate_upload(uploaded_file)
    name = clean_name(uploaded_file.name or "")
    attachment = Attachment(
        report=report,
        message=message,
        name=name,
        content_type=CONTENT_TYPES.get(extension_of(name), "application/octet-stream"),
        size=uploaded_file.size or 0,
        from_author=from_author,
    )
    uploaded_file.seek(0)
    # upload_to (whistleblowing/files.py) makes the stored name random: the name given here is not used.
    attachment.file.save(name, uploaded_file, save=False)
    # Neither the file's name nor its content in the change reason (history rows are read by who sees them).
    # The history's user is always given: None for the author, never the request's user (a Vigie account
    # logged in in the author's browser is not the author).
    note_history(attachment, actor=actor if getattr(actor, "pk", None) else None, reason="attachment added")
    try:
        attachment.save()
    except Exception:
        attachment.file.storage.delete(str(attachment.file.name))
        raise
    return attachment


def attachment_response(attachment: Attachment) -> FileResponse:
    """The file as a download, whatever its type: never shown inline, never sniffed, never able to run a
    script if a browser were to open it (CSP sandbox). The name in Content-Disposition, RFC 5987-encoded
    when it is not ASCII (Django's FileResponse)."""
    return download_response(attachment.file.storage.open(str(attachment.file.name), "rb"), attachment.name)


def orphan_files(*, older_than: dt.timedelta = dt.timedelta(hours=1)) -> list[str]:
    """Stored files no attachment row (live or historical) names, older than `older_than`: what a transaction
    that wrote a file and then rolled back leaves behind (Django has no rollback hook to remove it then)."""
    storage = report_storage()
    root = Path(storage.location)
    if not root.is_dir():
        return []
    named = set(Attachment.objects.values_list("file", flat=True))
    named |= set(Attachment.history.values_list("file", flat=True))
    limit = time.time() - older_than.total_seconds()
    found = []
    for path in root.rglob("*"):
        if path.is_file() and path.stat().st_mtime < limit:
            name = path.relative_to(root).as_posix()
            if name not in named:
                found.append(name)
    return sorted(found)


def delete_orphan_files(*, older_than: dt.timedelta = dt.timedelta(hours=1)) -> int:
    """Delete the orphan files (orphan_files); how many went. For a daily task."""
    names = orphan_files(older_than=older_than)
    for name in names:
        report_storage().delete(name)
    return len(names)
