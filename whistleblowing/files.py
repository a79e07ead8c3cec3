"""Where a report's attachments live: outside the static and media URL spaces, under
VIGIE_WHISTLEBLOWING_FILES_ROOT, with random names. No URL serves them: only the permission-checked download
views do (as attachments, never inline). The size and type limits are in settings (docs/deployment.md)."""

from __future__ import annotations

import os
import secrets
from typing import Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage


class ReportFileStorage(FileSystemStorage):
    """A file system storage whose root is read from settings at each use (so tests can move it) and which
    has no URL."""

    def __init__(self) -> None:
        super().__init__(base_url=None)

    @property
    def base_location(self) -> str:
        return str(settings.VIGIE_WHISTLEBLOWING_FILES_ROOT)

    @property
    def location(self) -> str:
        return os.path.abspath(self.base_location)

    def url(self, name: str | None) -> str:
        raise ValueError("whistleblowing attachments have no URL: use the permission-checked download view")


_STORAGE = ReportFileStorage()


def report_storage() -> ReportFileStorage:
    """The storage of the attachments (a callable, so migrations do not freeze a path)."""
    return _STORAGE


def attachment_path(instance: Any, filename: str) -> str:
    """A random name under the report's year: the author's file name is kept in the row, not on disk."""
    year = instance.uploaded_at.year if getattr(instance, "uploaded_at", None) else "undated"
    return f"{year}/{secrets.token_hex(16)}"
