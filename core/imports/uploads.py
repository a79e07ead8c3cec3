"""Imports of uploaded files (admin page and API): the same engine as the command line."""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import UploadedFile

from .engine import ImportReport, run_import


def import_upload(kind: str, upload: UploadedFile, *, user: Any, dry_run: bool = False,
                  strict: bool = False) -> ImportReport:
    """Copy the upload to a private temporary directory under its own name (the extension decides
    the reader) and import it; the rejected rows are stored with the run, not beside the file."""
    name = Path(upload.name or "upload").name
    with tempfile.TemporaryDirectory(prefix="vigie-import-") as directory:
        path = Path(directory) / name
        with path.open("wb") as target:
            upload.seek(0)
            shutil.copyfileobj(upload, target, length=1024 * 1024)
        return run_import(kind, path, user=user, dry_run=dry_run, strict=strict, file_name=name)
