"""Imports of uploaded files (admin page and API): the same engine as the command line, and the size limit.

An import file may be at most VIGIE_IMPORT_MAX_BYTES. The limit holds while the file is received, not only
once it is on disk: the import views put `SizeLimitUploadHandler` first among the request's upload handlers,
so past the limit the rest of the file is counted, never stored, and what was stored of it is deleted at
once. The view then sees an `OversizedUpload` (the file's name and true size, no content) and refuses it
with both numbers; nothing is imported and no run is recorded.
"""

from __future__ import annotations

import io
import shutil
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpRequest
from django.utils.translation import gettext as _

from .engine import ImportReport, run_import
from .readers import size_text


def max_bytes() -> int:
    return int(settings.VIGIE_IMPORT_MAX_BYTES)


class UploadTooLarge(ValueError):
    """A file over VIGIE_IMPORT_MAX_BYTES; the message names the file, its size and the limit."""

    def __init__(self, name: str, size: int, limit: int | None = None) -> None:
        self.name, self.size, self.limit = name, size, max_bytes() if limit is None else limit
        super().__init__(too_large_message(name, size, self.limit))


def content_length(request: Any) -> int:
    """The size the request announces (CONTENT_LENGTH), 0 when it announces none or garbage."""
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def too_large_message(name: str, size: int, limit: int | None = None) -> str:
    limit = max_bytes() if limit is None else limit
    return _("The file “%(name)s” is too large: %(size)s; the limit is %(limit)s.") % {
        "name": name,
        "size": size_text(size),
        "limit": size_text(limit),
    }


class OversizedUpload(UploadedFile):
    """Stands for a file that passed the limit while it was received: its name and true size, no content."""

    def __init__(self, name: str, size: int, content_type: str | None = None, charset: str | None = None) -> None:
        super().__init__(io.BytesIO(b""), name, content_type, size, charset)


class SizeLimitUploadHandler(FileUploadHandler):
    """First of a request's upload handlers: past `limit` bytes, a file's chunks are counted, not passed on,
    and what the next handlers kept of it (a temporary file, a buffer) is closed, which deletes it."""

    def __init__(self, request: HttpRequest | None = None, limit: int | None = None) -> None:
        super().__init__(request)
        self.limit = max_bytes() if limit is None else limit
        self.received = 0
        self.oversized = False

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.received, self.oversized = 0, False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received <= self.limit:
            return raw_data
        if not self.oversized:
            self.oversized = True
            self._drop_kept_part()
        return None  # the next handlers get nothing more of this file

    def file_complete(self, file_size: int) -> UploadedFile | None:
        if self.oversized:
            name = self.file_name or ""  # set by new_file(), before any chunk
            return OversizedUpload(name, self.received, self.content_type, self.charset)
        return None  # the next handler (memory or temporary file) has the file

    def _drop_kept_part(self) -> None:
        for handler in getattr(self.request, "upload_handlers", []):
            kept = getattr(handler, "file", None)
            # Only the file being received: an earlier field's file is complete and in request.FILES.
            if (
                handler is not self
                and kept is not None
                and getattr(handler, "field_name", None) == self.field_name
                and getattr(handler, "file_name", None) == self.file_name
            ):
                kept.close()


def limit_uploads(request: HttpRequest, limit: int | None = None) -> None:
    """Make `request` stop storing any file past `limit` bytes (VIGIE_IMPORT_MAX_BYTES); call it before
    anything reads the body (request.POST, request.FILES, DRF's request.data)."""
    request.upload_handlers.insert(0, SizeLimitUploadHandler(request, limit))


def import_upload(
    kind: str, upload: UploadedFile, *, user: Any, dry_run: bool = False, strict: bool = False
) -> ImportReport:
    """Copy the upload to a private temporary directory under its own name (the extension decides
    the reader) and import it; the rejected rows are stored with the run, not beside the file.

    A file over VIGIE_IMPORT_MAX_BYTES is refused (UploadTooLarge) before anything is written; the views
    check first, with their own message, so this is the last line."""
    name = Path(upload.name or "upload").name
    if isinstance(upload, OversizedUpload) or (upload.size or 0) > max_bytes():
        raise UploadTooLarge(name, upload.size or 0)
    with tempfile.TemporaryDirectory(prefix="vigie-import-") as directory:
        path = Path(directory) / name
        with path.open("wb") as target:
            upload.seek(0)
            shutil.copyfileobj(upload, target, length=1024 * 1024)
        return run_import(kind, path, user=user, dry_run=dry_run, strict=strict, file_name=name)
