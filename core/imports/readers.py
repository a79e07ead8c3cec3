"""Readers: turn a .csv or .xlsx file into a header and a stream of (physical line, values).

Nothing here loads a whole file: a CSV is checked in 1 MB chunks (checksum, binary bytes, UTF-8
validity) before it is read line by line; a workbook is read with openpyxl's read-only mode.
A file that is not a table is refused as a whole with a one-line reason (`Refused`).
"""
from __future__ import annotations

import codecs
import csv
import hashlib
import itertools
import re
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from django.utils.translation import gettext as _

CHUNK = 1024 * 1024
CSV_EXTENSIONS = {".csv"}
XLSX_EXTENSIONS = {".xlsx", ".xlsm"}
# Bytes that never occur in a text export (tab, line breaks, form feed, Ctrl-Z excepted).
_BINARY_BYTES = re.compile(rb"[\x00-\x08\x0e-\x19\x1b-\x1f]")
_MAGIC = [
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (an Excel workbook? give it the .xlsx extension)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "a legacy Office document (.xls/.doc): save it as .xlsx or .csv"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"{\\rtf", "an RTF document"),
    (b"\xff\xfe", "UTF-16 text: save it as CSV UTF-8"),
    (b"\xfe\xff", "UTF-16 text: save it as CSV UTF-8"),
]
# Values of a line are whatever the reader produced: str for CSV, typed cells for workbooks.
Row = Sequence[Any]


class Refused(Exception):
    """The file as a whole is not an importable table. The message is one line, for a person."""


@dataclass(frozen=True)
class FileFacts:
    size: int
    sha256: str
    encoding: str | None  # CSV only


def _describe_magic(head: bytes) -> str | None:
    for magic, description in _MAGIC:
        if head.startswith(magic):
            return description
    return None


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def inspect_file(path: Path, *, max_bytes: int | None = None) -> FileFacts:
    """Checksum and sanity of the file, in one streamed pass; raises `Refused` for a non-table.

    For a CSV this is also where the encoding is decided: UTF-8 (BOM or not) if every chunk decodes
    as UTF-8, else Windows-1252 if every chunk decodes as that, else the file is refused.
    """
    suffix = path.suffix.lower()
    if suffix not in CSV_EXTENSIONS | XLSX_EXTENSIONS:
        if suffix == ".xls":
            raise Refused(_("legacy Excel .xls files are not supported: save the file as .xlsx or .csv"))
        raise Refused(_("unsupported file type '%(ext)s' (expected .csv or .xlsx)") % {"ext": suffix or path.name})
    if not path.is_file():
        raise Refused(_("no such file: %s") % path)
    size = path.stat().st_size
    if size == 0:
        raise Refused(_("the file is empty"))
    if max_bytes is not None and size > max_bytes:
        raise Refused(
            _("the file is too large (%(size)d bytes, the limit is %(limit)d)") % {"size": size, "limit": max_bytes}
        )
    is_csv = suffix in CSV_EXTENSIONS
    digest = hashlib.sha256()
    utf8 = codecs.getincrementaldecoder("utf-8")()
    cp1252 = codecs.getincrementaldecoder("cp1252")()
    utf8_ok = cp1252_ok = True
    offset = 0
    with path.open("rb") as stream:
        head = stream.read(CHUNK)
        if is_csv:
            if description := _describe_magic(head):
                raise Refused(_("the file is not a CSV text file: it looks like %s") % description)
        chunk = head
        while chunk:
            digest.update(chunk)
            if is_csv:
                if binary := _BINARY_BYTES.search(chunk):
                    raise Refused(
                        _("the file is not a CSV text file (binary byte 0x%(byte)02x at offset %(offset)d)")
                        % {"byte": chunk[binary.start()], "offset": offset + binary.start()}
                    )
                # Both decoders run on every chunk until they fail: one pass decides the encoding.
                if utf8_ok:
                    try:
                        utf8.decode(chunk)
                    except UnicodeDecodeError:
                        utf8_ok = False
                if cp1252_ok:
                    try:
                        cp1252.decode(chunk)
                    except UnicodeDecodeError:
                        cp1252_ok = False
            offset += len(chunk)
            chunk = stream.read(CHUNK)
    encoding: str | None = None
    if is_csv:
        if utf8_ok:
            try:
                utf8.decode(b"", final=True)
            except UnicodeDecodeError:
                utf8_ok = False
        if utf8_ok:
            encoding = "utf-8-sig" if head.startswith(codecs.BOM_UTF8) else "utf-8"
        elif cp1252_ok:
            encoding = "cp1252"
        else:
            raise Refused(_("the file is not text in UTF-8 or Windows-1252"))
    elif not zipfile.is_zipfile(path):
        hint = _describe_magic(head)
        raise Refused(
            _("the file is not a valid .xlsx workbook") + (f" ({_('it looks like %s') % hint})" if hint else "")
        )
    return FileFacts(size=size, sha256=digest.hexdigest(), encoding=encoding)


class Table(Protocol):
    """A header and the data lines after it. `rows()` yields (physical line number, values), or
    (line, None) for a blank line; the header is the first non-blank line."""

    header: list[str]
    header_line: int
    blank_before_header: int

    def rows(self) -> Iterator[tuple[int, Row | None]]: ...

    def close(self) -> None: ...


def open_table(path: Path, facts: FileFacts) -> Table:
    if path.suffix.lower() in CSV_EXTENSIONS:
        assert facts.encoding is not None
        return CsvTable(path, facts.encoding)
    return XlsxTable(path)


_QUOTED = re.compile(r'"[^"]*"')


def detect_delimiter(header_line: str) -> str:
    """The delimiter the header line uses most: `;` (French Excel), `,` or tab; `,` when none."""
    unquoted = _QUOTED.sub("", header_line)
    counts = {d: unquoted.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


class CsvTable:
    def __init__(self, path: Path, encoding: str) -> None:
        self.encoding = encoding
        self._file = path.open(encoding=encoding, newline="")
        try:
            self._open()
        except BaseException:
            self._file.close()
            raise

    def _open(self) -> None:
        lines = iter(self._file)
        skipped = 0
        for line in lines:
            if line.strip(" \t\r\n;,"):
                first = line
                break
            skipped += 1
        else:
            raise Refused(_("the file has no header line (it contains only blank lines)"))
        self.delimiter = detect_delimiter(first)
        self._reader = csv.reader(itertools.chain([first], lines), delimiter=self.delimiter)
        self._offset = skipped
        self.blank_before_header = skipped
        try:
            self.header = [cell.strip() for cell in next(self._reader)]
        except csv.Error as exc:
            raise Refused(_("the header line cannot be read: %s") % exc) from None
        self.header_line = skipped + 1

    def rows(self) -> Iterator[tuple[int, Row | None]]:
        reader, offset = self._reader, self._offset
        previous = reader.line_num
        for values in reader:
            # line_num counts physical lines read so far: a quoted value may span several.
            line = offset + previous + 1
            previous = reader.line_num
            if not "".join(values).strip():
                yield line, None
            else:
                yield line, values

    def close(self) -> None:
        self._file.close()


def _blank_cells(values: Row) -> bool:
    return all(v is None or (type(v) is str and not v.strip()) for v in values)


class XlsxTable:
    """The first worksheet of a workbook; line numbers are the sheet's row numbers."""

    def __init__(self, path: Path) -> None:
        from openpyxl import load_workbook

        try:
            self._workbook = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # noqa: BLE001 - openpyxl raises anything from zip, XML or its own checks
            raise Refused(_("the file is not a valid .xlsx workbook (%s)") % type(exc).__name__) from None
        try:
            self._open()
        except BaseException:
            self.close()
            raise

    def _open(self) -> None:
        if not self._workbook.worksheets:
            raise Refused(_("the workbook has no worksheet"))
        sheet = self._workbook.worksheets[0]
        # Some generators write a wrong <dimension>; read what is really there.
        sheet.reset_dimensions()
        self._rows = enumerate(sheet.iter_rows(values_only=True), start=1)
        self.blank_before_header = 0
        try:
            for line, values in self._rows:
                if values and not _blank_cells(values):
                    self.header = ["" if v is None else str(v).strip() for v in values]
                    self.header_line = line
                    return
                self.blank_before_header += 1
        except Exception as exc:  # noqa: BLE001 - a corrupt sheet fails while it is parsed
            raise Refused(_("the worksheet cannot be read (%s)") % type(exc).__name__) from None
        raise Refused(_("the workbook's first sheet is empty"))

    def rows(self) -> Iterator[tuple[int, Row | None]]:
        for line, values in self._rows:
            if not values or _blank_cells(values):
                yield line, None
            else:
                yield line, values

    def close(self) -> None:
        self._workbook.close()
