"""The pack's ZIP: its files written as they are made, with the checksums of the manifests."""

from __future__ import annotations

import datetime as dt
import hashlib
import sys
import zipfile
from collections.abc import Iterable
from typing import Any

#: zlib level of the files in the ZIP: the fastest; higher levels take several times as long on these CSV
#: files for files only a little smaller.
COMPRESS_LEVEL = 1


class Writer:
    """Adds files to the ZIP and keeps their SHA-256 for the manifests."""

    def __init__(self, archive: zipfile.ZipFile, stamp: dt.datetime) -> None:
        self.archive = archive
        self.date_time = (max(stamp.year, 1980), stamp.month, stamp.day, stamp.hour, stamp.minute, stamp.second)
        self.files: list[dict[str, Any]] = []

    def _info(self, path: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(path, date_time=self.date_time)
        info.compress_type = zipfile.ZIP_DEFLATED
        if sys.version_info >= (3, 13):
            info.compress_level = COMPRESS_LEVEL
        else:
            info._compresslevel = COMPRESS_LEVEL  # type: ignore[attr-defined]  # private before 3.13: not in typeshed
        info.external_attr = 0o644 << 16
        return info

    def add(self, path: str, data: bytes | str, *, listed: bool = True) -> None:
        self.add_parts(path, [data], listed=listed)

    def add_parts(self, path: str, parts: Iterable[bytes | str], *, listed: bool = True) -> None:
        """Write the file `path` from its parts, as they come (a big file is never whole in memory)."""
        digest = hashlib.sha256()
        size = 0
        with self.archive.open(self._info(path), "w") as entry:
            for part in parts:
                content = part.encode("utf-8") if isinstance(part, str) else part
                digest.update(content)
                size += len(content)
                entry.write(content)
        if listed:
            self.files.append({"path": path, "sha256": digest.hexdigest(), "bytes": size})
