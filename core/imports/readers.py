"""Readers: turn a .csv or .xlsx file into a header and a stream of (physical line, values).

Nothing here loads a whole file: a CSV is checked in 1 MB chunks (checksum, binary bytes, UTF-8
validity) before it is read line by line; a workbook is read with openpyxl's read-only mode.
A file that is not a table is refused as a whole with a one-line reason (`Refused`).

Everything that can make a file unreadable is found before its first row is handed out, so a refusal
never comes after rows were written: a CSV is parsed once in full first (broken quoting, a value past
the cell limit, a line of more values than a sheet has columns); a workbook's archive and XML are measured
first, every part of it, streamed, never holding a value (`check_workbook`: a zip bomb, a cell of gigabytes,
two billion made-up rows). A message names the limit and where it was passed, never the oversized value.

The work of a file is bounded by what it holds, never by what it claims: a table is as wide as its header
(values past the header's last named column are not read), its lines × that width are bounded
(`Limits.max_cells`), and blank lines, a sheet's gaps of row numbers included, are counted, not walked.
"""

from __future__ import annotations

import codecs
import csv
import functools
import hashlib
import itertools
import re
import sys
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol
from xml.parsers import expat

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _, ngettext

CHUNK = 1024 * 1024
#: A member of a workbook up to this size unpacks to whatever its compression allows (a small part of
#: repeated entries compresses far better than a sheet); a larger one, to `Limits.xlsx_max_ratio` times its
#: size in the archive at most (Apache POI's rule, with its ratio of 100 by default).
RATIO_GRACE_BYTES = 1024 * 1024
#: What a workbook's part is fed to expat in: a tag cut by a piece is parsed again from its start with the next
#: (a tag of at most 528 KB, `_PartScan.max_token`, three times at most).
XML_CHUNK = 256 * 1024
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
#: The bounds of an Excel worksheet: rows, and columns (XFD).
EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLUMNS = 16_384
#: How much of a value a message may quote.
EXCERPT_CHARS = 40


class Refused(Exception):
    """The file as a whole is not an importable table. The message is one line, for a person."""


@dataclass(frozen=True)
class Limits:
    """What a file may hold, checked before it is read; None: no limit of ours (the csv module keeps its own
    limit of a field, and a worksheet Excel's number of rows)."""

    #: characters of one value (a CSV field, a workbook cell or shared string)
    max_cell_chars: int | None = None
    #: bytes a workbook's archive unpacks to, all its parts together
    xlsx_max_unpacked_bytes: int | None = None
    #: rows of a worksheet (row numbers included: a reader makes up the rows a sheet skips)
    xlsx_max_rows: int = EXCEL_MAX_ROWS
    #: lines after the header × the header's columns: each line read costs the header's width, whatever the
    #: line holds (a workbook's row of one cell is read as wide as the header)
    max_cells: int | None = None
    #: shared strings of a workbook (openpyxl keeps them all)
    xlsx_max_shared_strings: int | None = None
    #: XML elements of a workbook that a reader holds in memory all at once: all but a worksheet's rows and
    #: cells and the shared strings' texts (which are read one at a time)
    xlsx_max_elements: int | None = None
    #: how many times its size in the archive a member of more than `RATIO_GRACE_BYTES` may unpack to
    xlsx_max_ratio: int | None = None

    @classmethod
    def from_settings(cls) -> Limits:
        return cls(
            max_cell_chars=int(settings.VIGIE_IMPORT_MAX_CELL_CHARS),
            xlsx_max_unpacked_bytes=int(settings.VIGIE_IMPORT_XLSX_MAX_UNCOMPRESSED_BYTES),
            xlsx_max_rows=int(settings.VIGIE_IMPORT_XLSX_MAX_ROWS),
            max_cells=int(settings.VIGIE_IMPORT_MAX_CELLS),
            xlsx_max_shared_strings=int(settings.VIGIE_IMPORT_XLSX_MAX_SHARED_STRINGS),
            xlsx_max_elements=int(settings.VIGIE_IMPORT_XLSX_MAX_ELEMENTS),
            xlsx_max_ratio=int(settings.VIGIE_IMPORT_XLSX_MAX_RATIO),
        )


def excerpt(text: str, length: int = EXCERPT_CHARS) -> str:
    """The start of `text` for a message: a value may be 100,000 characters long, a message quotes 40."""
    return text if len(text) <= length else text[: length - 1] + "…"


def size_text(size: int) -> str:
    """ "4.9 KB (5000 bytes)": readable, and exact (a limit is a number of bytes); "900 bytes" alone."""
    if size < 1024:
        return filesizeformat(size)
    return ngettext("%(readable)s (%(bytes)d byte)", "%(readable)s (%(bytes)d bytes)", size) % {
        "readable": filesizeformat(size),
        "bytes": size,
    }


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
    """A header and the data lines after it; the header is the first non-blank line, its width is up to its last
    named column. `rows()` yields (physical line number, values) for each line that holds a value, with no more
    values than the header has columns; blank lines are counted in `blank_lines` as they are passed (a sheet's
    gap of a million row numbers is one addition), never handed out."""

    header: list[str]
    header_line: int
    blank_before_header: int
    #: blank lines after the header, up to the line `rows()` handed out last (all of them once it is exhausted)
    blank_lines: int

    def rows(self) -> Iterator[tuple[int, Row]]: ...

    def close(self) -> None: ...


def open_table(path: Path, facts: FileFacts, limits: Limits | None = None) -> Table:
    """The table of a file `inspect_file` accepted; raises `Refused` for anything that would stop its reading
    later (the whole file is checked first)."""
    limits = limits or Limits()
    if path.suffix.lower() in CSV_EXTENSIONS:
        assert facts.encoding is not None
        return CsvTable(path, facts.encoding, limits)
    return XlsxTable(path, limits)


_QUOTED = re.compile(r'"[^"]*"')


def detect_delimiter(header_line: str) -> str:
    """The delimiter the header line uses most: `;` (French Excel), `,` or tab; `,` when none."""
    unquoted = _QUOTED.sub("", header_line)
    counts = {d: unquoted.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _header_width(values: Sequence[Any]) -> int:
    """Up to the last named column: a header row is often styled, or exported, far past its names."""
    for index in range(len(values) - 1, -1, -1):
        value = values[index]
        if value is not None and str(value).strip():
            return index + 1
    return 0


def _check_cells(lines: int, width: int, limits: Limits) -> None:
    """Refuse a table whose lines, each read as wide as its header, make more cells than `limits` allow."""
    if limits.max_cells is not None and lines * width > limits.max_cells:
        raise Refused(
            ngettext(
                "the file is too large to import: %(lines)d line of %(columns)d columns (the header's) is more than "
                "%(limit)d cells",
                "the file is too large to import: %(lines)d lines of %(columns)d columns (the header's) are more than "
                "%(limit)d cells",
                lines,
            )
            % {"lines": lines, "columns": width, "limit": limits.max_cells}
        )


def _cell_limit(limits: Limits) -> int:
    """The longest value a CSV may hold: ours, within the csv module's own limit of a field."""
    ceiling = csv.field_size_limit()
    return ceiling if limits.max_cell_chars is None else min(limits.max_cell_chars, ceiling)


def _too_long(line: int, limit: int) -> Refused:
    return Refused(
        _("line %(line)d: a value is longer than %(limit)d characters, the most a cell may hold")
        % {"line": line, "limit": limit}
    )


def _csv_refusal(error: csv.Error, *, start: int, at: int, limits: Limits) -> Refused:
    """A csv.Error of the record that starts on line `start` and failed on line `at`, for a person."""
    text = str(error)
    if text.startswith("field larger than field limit"):
        return _too_long(start, _cell_limit(limits))
    if text.startswith("unexpected end of data"):
        # Strict mode: the file ended inside quotes. Not strict, csv would have read every line after the
        # quote as part of one value: rows silently lost.
        return Refused(
            _('line %(line)d: a quote (") opens a value that is never closed: the quoting of the file is broken')
            % {"line": start}
        )
    if start == at:
        return Refused(_("line %(line)d: the quoting of the file is broken (%(error)s)") % {"line": at, "error": text})
    return Refused(
        _("lines %(start)d to %(end)d: the quoting of the file is broken (%(error)s)")
        % {"start": start, "end": at, "error": text}
    )


class _FewValues:
    """The physical lines of a CSV, refused at the first record that holds more values than a sheet has columns,
    before the csv module splits it: it builds the whole list first (a 100 MB line of `;a` is 50 million
    strings). A delimiter inside quotes counts too: a text of 16,384 of them is no cell of a spreadsheet. A
    record runs over several lines when a quoted value holds a line break: the csv module asks for the lines of
    one record only before it returns it, so the count runs from one `record_read()` to the next."""

    def __init__(self, lines: Iterable[str], delimiter: str, first: int) -> None:
        self._lines = iter(lines)
        self._delimiter = delimiter
        self._line = first - 1
        self._start: int | None = None
        self._count = 0

    def __iter__(self) -> _FewValues:
        return self

    def __next__(self) -> str:
        text = next(self._lines)
        self._line += 1
        if self._start is None:
            self._start = self._line
        self._count += text.count(self._delimiter)
        if self._count >= EXCEL_MAX_COLUMNS:
            raise Refused(
                _("line %(line)d holds more than %(limit)d values, more columns than a worksheet has")
                % {"line": self._start, "limit": EXCEL_MAX_COLUMNS}
            )
        return text

    def record_read(self) -> None:
        self._start, self._count = None, 0


class CsvTable:
    """A CSV file, read twice: once in full to refuse it before anything is imported when its quoting is
    broken, a value is too long or it holds too much (`_check`), then for good (`rows`)."""

    def __init__(self, path: Path, encoding: str, limits: Limits | None = None) -> None:
        self.path, self.encoding, self.limits = path, encoding, limits or Limits()
        self.blank_lines = 0
        self._check()
        self._file = path.open(encoding=encoding, newline="")
        try:
            self._records = self._open(self._file)
        except BaseException:
            self._file.close()
            raise

    def _open(self, stream: IO[str]) -> Iterator[tuple[int, list[str]]]:
        """Read the header of `stream` (sets `header`, `header_line`...); returns its records after it."""
        lines = iter(stream)
        skipped = 0
        for line in lines:
            if line.strip(" \t\r\n;,"):
                first = line
                break
            skipped += 1
        else:
            raise Refused(_("the file has no header line (it contains only blank lines)"))
        self.delimiter = detect_delimiter(first)
        # Strict: a quote never closed, or text after a closing quote, is an error instead of a guess (not
        # strict, the csv module reads the rest of the file into one value).
        source = _FewValues(itertools.chain([first], lines), self.delimiter, skipped + 1)
        reader = csv.reader(source, delimiter=self.delimiter, strict=True)
        self.blank_before_header = skipped
        try:
            header = [cell.strip() for cell in next(reader)]
            source.record_read()
        except csv.Error as exc:
            if str(exc).startswith("field larger than field limit"):
                raise _too_long(skipped + 1, _cell_limit(self.limits)) from None
            raise Refused(_("the header line cannot be read: %s") % exc) from None
        self.width = _header_width(header)
        self.header = header[: self.width]
        self.header_line = skipped + 1
        return self._read(reader, skipped, source)

    def _read(self, reader: Any, offset: int, source: _FewValues) -> Iterator[tuple[int, list[str]]]:
        """(first physical line, values) of each record; a csv.Error becomes a `Refused` naming its line."""
        # line_num counts physical lines read so far: a quoted value may span several.
        previous = reader.line_num
        while True:
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise _csv_refusal(
                    exc, start=offset + previous + 1, at=offset + reader.line_num, limits=self.limits
                ) from None
            source.record_read()
            line = offset + previous + 1
            previous = reader.line_num
            yield line, values

    def _check(self) -> None:
        """Parse the whole file once: what would stop the import half-way stops it now."""
        limit = _cell_limit(self.limits)
        count = 0
        with self.path.open(encoding=self.encoding, newline="") as stream:
            records = self._open(stream)
            if limit < csv.field_size_limit():  # else the csv module raises for a longer field itself
                for line, values in records:
                    count += 1
                    if values and max(map(len, values)) > limit:
                        raise _too_long(line, limit)
            else:
                for _record in records:
                    count += 1
        _check_cells(count, self.width, self.limits)

    def rows(self) -> Iterator[tuple[int, Row]]:
        width = self.width
        for line, values in self._records:
            if not "".join(values).strip():  # blank, past the header's columns as well
                self.blank_lines += 1
                continue
            if len(values) > width:
                del values[width:]
            yield line, values

    def close(self) -> None:
        self._file.close()


# -- workbooks: measured before openpyxl reads them ---------------------------------------------------------
#: Elements inside a cell (<c>) or a shared string (<si>) that hold or format its text: the value's length
#: runs on through them. Any other element starts a new count.
_VALUE_PARTS = frozenset(
    {
        "v",
        "f",
        "is",
        "t",
        "r",
        "rPr",
        "rPh",
        "phoneticPr",
        "rFont",
        "charset",
        "family",
        "b",
        "i",
        "strike",
        "outline",
        "shadow",
        "condense",
        "extend",
        "color",
        "sz",
        "u",
        "vertAlign",
        "scheme",
    }
)
_CELL_REFERENCE = re.compile(r"([A-Z]{1,7})([0-9]{1,12})")
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    EOFError,
    OSError,
    NotImplementedError,
    RuntimeError,
    ValueError,
)
#: How an XML document can begin, in each encoding an XML parser detects from its first bytes (XML 1.0,
#: appendix F: byte-order marks, UTF-16 and UCS-4 without one, EBCDIC), or in UTF-8 after white space.
_XML_STARTS = (
    codecs.BOM_UTF8,
    codecs.BOM_UTF16_LE,
    codecs.BOM_UTF16_BE,
    codecs.BOM_UTF32_BE,
    b"<",
    b"\x00\x00\x00<",
    b"<\x00\x00\x00",
    b"\x00\x00<\x00",
    b"\x00<\x00\x00",
    b"\x00<\x00?",
    b"<\x00?\x00",
    b"\x4c\x6f\xa7\x94",
)


def _not_a_workbook(reason: str) -> Refused:
    return Refused(_("the file is not a valid .xlsx workbook (%s)") % reason)


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


def _cell_too_long(cell: str, limit: int) -> Refused:
    return Refused(
        _("cell %(cell)s holds more than %(limit)d characters, the most a cell may hold")
        % {"cell": cell, "limit": limit}
    )


def _too_many_rows(row: int, limit: int) -> Refused:
    return Refused(
        _("the worksheet has more than %(limit)d rows (row %(row)d), the most an import reads")
        % {"limit": limit, "row": row}
    )


def _past_last_column(row: int) -> Refused:
    return Refused(_("row %(row)d has a cell past the last column of a worksheet (XFD)") % {"row": row})


def _rows_out_of_order(row: int, previous: int, part: str) -> Refused:
    # openpyxl's reader drops such a row without a word: refused rather than lost.
    return Refused(
        _("row %(row)d of %(part)s comes after row %(previous)d: the rows of a worksheet must be in order")
        % {"row": row, "previous": previous, "part": part}
    )


class _PartScan:
    """One part of a workbook, streamed through expat: its rows and cells within the limits, no value longer
    than the cell limit, no tag longer than a cell may be. Text comes in pieces (`buffer_text` off): a value is
    measured, never held. The handlers run for every element and text of a sheet (a few million for 100,000
    rows): closures over local state, the common elements (v, t, is) first.

    Rows are numbered as openpyxl numbers them: `r`, else the row before plus one; `rows` counts the <row>
    elements, which are what a reader of the part builds (a gap between two row numbers is only counted)."""

    def __init__(self, part: str, limits: Limits, *, held: int = 0) -> None:
        self.part = part
        #: elements a reader holds all at once, in this part and the parts before it (see `scan`)
        self.held = held
        self.max_held = sys.maxsize if limits.xlsx_max_elements is None else limits.xlsx_max_elements
        self.max_strings = sys.maxsize if limits.xlsx_max_shared_strings is None else limits.xlsx_max_shared_strings
        self.max_chars = sys.maxsize if limits.max_cell_chars is None else limits.max_cell_chars
        # A tag may be as long as a cell's text in UTF-8, with room for its name and other attributes (a pivot
        # cache keeps cell texts in attributes). Past that, expat would hold it whole, and parse it again from
        # its start with every piece it is given: quadratic (a 100 MB attribute costs hours).
        self.max_token = None if limits.max_cell_chars is None else 4 * limits.max_cell_chars + 4096
        self.max_rows = limits.xlsx_max_rows
        self.row_digits = len(str(self.max_rows))
        #: <row> elements, and the number of the last one
        self.rows = self.last_row = 0
        #: <c> elements of the current row; the letters of its last cell with a reference, and how many cells
        #: without one came after it (openpyxl puts such a cell in the column after the one before it)
        self.row_cells = self.unnumbered = 0
        self.letters = ""
        #: whether the part has an element (else it is not XML from its first bytes), and what they are
        self.started = self.sheet = self.strings = False
        self.head = b""

    def scan(self, stream: IO[bytes]) -> None:
        """Raises `Refused` past a limit, expat's error for what is not well-formed XML.

        Elements are counted against the elements a reader may hold (`held`), but for the rows of a worksheet,
        their cells and what these hold, and the shared strings and what they hold: a worksheet is read a row
        at a time, the shared strings a string at a time. Anything else (styles, column widths, merged cells,
        names, relationships) is held whole: 200,000 <xf/> in styles.xml, 36 KB in the archive, were 160 MB
        in openpyxl. Which a part is comes from its root element (<worksheet>, <sst>), not from its name."""
        max_chars, max_held, max_strings = self.max_chars, self.max_held, self.max_strings
        # [length of the current value, what it belongs to (a cell reference, a shared string's number, None),
        #  shared strings seen, whether the current element is in a row of a worksheet or a shared string]
        state: list[Any] = [0, None, 0, False]
        value_parts = _VALUE_PARTS

        def held() -> None:
            self.held += 1
            if self.held > max_held:
                raise Refused(
                    _(
                        "the workbook holds more than %(limit)d elements besides its rows and shared "
                        "strings (in %(part)s), more than an import reads"
                    )
                    % {"limit": max_held, "part": self.part}
                )

        def start(name: str, attributes: dict[str, str]) -> None:
            if name in value_parts:
                if not state[3]:
                    held()
                return
            if ":" in name:  # "x:row" when the namespace has a prefix
                name = name[name.rfind(":") + 1 :]
                if name in value_parts:
                    if not state[3]:
                        held()
                    return
            state[0] = 0
            if name == "c":
                state[1] = self.cell(attributes.get("r"))
                if not self.sheet:
                    held()
            elif name == "si":
                state[2] += 1
                if state[2] > max_strings:
                    raise Refused(
                        _("the workbook holds more than %(limit)d shared strings (string %(count)d of %(part)s)")
                        % {"limit": max_strings, "count": state[2], "part": self.part}
                    )
                state[1] = state[2]  # counted from 1, for a person
                state[3] = self.strings
                if not self.strings:
                    held()
            else:
                state[1] = None
                if name == "row":
                    self.row(attributes.get("r"))
                    state[3] = self.sheet
                    if not self.sheet:
                        held()
                else:
                    state[3] = False
                    held()

        def first_start(name: str, attributes: dict[str, str]) -> None:
            self.started = True
            root = name[name.rfind(":") + 1 :]
            self.sheet, self.strings = root == "worksheet", root == "sst"
            parser.StartElementHandler = start
            start(name, attributes)

        def text(data: str) -> None:
            state[0] += len(data)
            if state[0] > max_chars:
                raise self.too_long(state[1])

        parser = expat.ParserCreate()
        parser.buffer_text = False
        parser.StartElementHandler = first_start
        parser.CharacterDataHandler = text
        parser.StartDoctypeDeclHandler = self.doctype
        parse, max_token, read = parser.Parse, self.max_token, 0
        chunk = stream.read(XML_CHUNK)
        self.head = chunk[:8]
        while chunk:
            parse(chunk, False)
            read += len(chunk)
            # Outside a handler, CurrentByteIndex is where the token expat could not finish yet begins.
            if max_token is not None and read - parser.CurrentByteIndex > max_token:
                raise Refused(
                    _("%(part)s holds a tag of more than %(limit)s, longer than any cell may be")
                    % {"part": self.part, "limit": size_text(max_token)}
                )
            chunk = stream.read(XML_CHUNK)
        parse(b"", True)

    def doctype(self, *args: Any) -> None:
        # A workbook never has one; a DOCTYPE is how entities (and their expansion) get in.
        raise _not_a_workbook(_("%(part)s declares a DOCTYPE") % {"part": self.part})

    def row(self, number: str | None) -> None:
        if number is None:
            row = self.last_row + 1
        else:
            if not (number.isdigit() and len(number) <= 12):
                raise _not_a_workbook(
                    _("row number '%(row)s' in %(part)s") % {"row": excerpt(number, 20), "part": self.part}
                )
            row = int(number)
            if row <= self.last_row:
                raise _rows_out_of_order(row, self.last_row, self.part)
        if row > self.max_rows:
            raise _too_many_rows(row, self.max_rows)
        self.last_row = row
        self.rows += 1
        self.row_cells = self.unnumbered = 0
        self.letters = ""

    def cell(self, reference: str | None) -> str | None:
        """The cell's reference, once its row and column are known to be within a worksheet. A row holds no
        more cells than a sheet has columns: a reader builds all of a row's cells before handing it out (a row
        of a million <c/>, or of the same reference a million times, is a few kilobytes in the archive)."""
        if self.rows:  # a part that is not a sheet may name an element "c" too
            self.row_cells += 1
            if self.row_cells > EXCEL_MAX_COLUMNS:
                raise Refused(
                    _("row %(row)d of %(part)s holds more than %(limit)d cells, more than a worksheet has columns")
                    % {"row": self.last_row, "part": self.part, "limit": EXCEL_MAX_COLUMNS}
                )
        if reference is None:
            self.unnumbered += 1
            if (
                self.rows
                and self.unnumbered + (_column_number(self.letters) if self.letters else 0) > EXCEL_MAX_COLUMNS
            ):
                raise _past_last_column(self.last_row)
            return None
        match = _CELL_REFERENCE.fullmatch(reference)
        if match is None:
            raise _not_a_workbook(
                _("cell reference '%(cell)s' in %(part)s") % {"cell": excerpt(reference, 20), "part": self.part}
            )
        self.letters, self.unnumbered = match[1], 0
        if len(match[1]) > 2 and _column_number(match[1]) > EXCEL_MAX_COLUMNS:
            raise Refused(_("cell %(cell)s is past the last column of a worksheet (XFD)") % {"cell": reference})
        if len(match[2]) >= self.row_digits and int(match[2]) > self.max_rows:  # a shorter number is within
            raise _too_many_rows(int(match[2]), self.max_rows)
        return reference

    def too_long(self, owner: str | int | None) -> Refused:
        if isinstance(owner, str):
            return _cell_too_long(owner, self.max_chars)
        if isinstance(owner, int):
            message = _(
                "text %(string)d of the workbook's shared strings holds more than %(limit)d characters, "
                "the most a cell may hold"
            )
        else:
            message = _("%(part)s holds a text of more than %(limit)d characters, the most a cell may hold")
        return Refused(message % {"string": owner, "part": self.part, "limit": self.max_chars})


def check_workbook(path: Path, limits: Limits) -> dict[str, int]:
    """Refuse a workbook before openpyxl reads it when it would take more memory or time than `limits` allow:
    its archive unpacks to more bytes than allowed (the sizes its directory declares are a bound: Python's
    zipfile never inflates a member past its declared size, and fails on its checksum), or one of its parts has
    too many rows, rows out of order, a cell past the last column, a value past the cell limit, a tag longer
    than a cell may be, or a DOCTYPE. Returns the number of <row> elements of each part.

    Every member is measured, whatever its name: openpyxl reads the parts the workbook's relationships and
    content types name, `xl/worksheets/sheet1.dat` as well as `sheet1.xml`. A member is left alone only where
    no XML parser goes on: one whose first bytes cannot begin an XML document (an image, printer settings), or
    the rest of one after its XML stops being well-formed (Excel's VML drawings hold an unclosed <br>); what
    came before was measured. A part named .xml or .rels must be well-formed, and one whose first bytes are
    XML in an encoding expat does not read (UTF-32, EBCDIC: lxml reads them) is refused."""
    try:
        archive = zipfile.ZipFile(path)
    except _ZIP_ERRORS as exc:
        raise _not_a_workbook(type(exc).__name__) from None
    rows: dict[str, int] = {}
    with archive:
        members = archive.infolist()
        unpacked = sum(member.file_size for member in members)
        limit = limits.xlsx_max_unpacked_bytes
        if limit is not None and unpacked > limit:
            raise Refused(
                _("the workbook unpacks to %(size)s, over the limit of %(limit)s")
                % {"size": size_text(unpacked), "limit": size_text(limit)}
            )
        ratio = limits.xlsx_max_ratio
        if ratio is not None:
            for member in members:
                if member.file_size > RATIO_GRACE_BYTES and member.file_size > ratio * member.compress_size:
                    raise Refused(
                        _(
                            "%(part)s unpacks to %(size)s from %(packed)s in the archive, more than %(ratio)d "
                            "times its size (a zip bomb)"
                        )
                        % {
                            "part": member.filename,
                            "size": size_text(member.file_size),
                            "packed": size_text(member.compress_size),
                            "ratio": ratio,
                        }
                    )
        held = 0
        for member in members:
            if member.is_dir():
                continue
            scan = _PartScan(member.filename, limits, held=held)
            try:
                with archive.open(member) as stream:
                    scan.scan(stream)
            except _ZIP_ERRORS as exc:
                raise _not_a_workbook(f"{member.filename}: {type(exc).__name__}") from None
            except expat.ExpatError as exc:
                if (
                    member.filename.lower().endswith((".xml", ".rels"))
                    or not scan.started
                    and scan.head.lstrip(b" \t\r\n").startswith(_XML_STARTS)
                ):
                    raise _not_a_workbook(f"{member.filename}: {exc}") from None
            rows[member.filename] = max(scan.rows, rows.get(member.filename, 0))
            held = scan.held
    return rows


def _load_workbook(path: Path) -> Any:
    """openpyxl's `load_workbook(path, read_only=True, data_only=True)`, without what an import never reads
    and openpyxl would hold whole: chart sheets (read entire even in read-only mode, from whatever part the
    workbook points at: one of a million rows, which `check_workbook` lets through as a worksheet read a row
    at a time) and links to other workbooks."""
    from openpyxl.reader.excel import ExcelReader

    class Reader(ExcelReader):
        def read_chartsheet(self, sheet: Any, rel: Any) -> None:
            pass

    reader = Reader(path, read_only=True, data_only=True, keep_links=False)
    try:
        reader.read()
    except BaseException:
        reader.archive.close()
        raise
    return reader.wb


def _holds_value(cells: list[dict[str, Any]]) -> bool:
    for cell in cells:
        value = cell["value"]
        if value is not None and (type(value) is not str or value.strip()):
            return True
    return False


class XlsxTable:
    """The first worksheet of a workbook; line numbers are the sheet's row numbers.

    The sheet is read with openpyxl's own worksheet parser, as its read-only mode does, but only the rows the
    sheet holds: its read-only iterator makes up a blank row for each row number a sheet skips (a gap of a
    million is a million rows built and walked), and a row as wide as its last cell (one cell at XFD: 16,384
    values). Here a gap is a count, and a row is read as wide as the header: cells past it are passed over
    unparsed (`check_workbook` bounds them: no more in a row than a sheet has columns, their bytes in the
    archive); a row that holds a value only there is still a line, rejected for its missing values rather
    than ignored.

    The rows are checked again as they are read (row numbers, order, length of a value, cells), whatever
    `check_workbook` let through."""

    def __init__(self, path: Path, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()
        parts = check_workbook(path, self.limits)
        try:
            self._workbook = _load_workbook(path)
        except Exception as exc:  # noqa: BLE001 - openpyxl raises anything from zip, XML or its own checks
            raise Refused(_("the file is not a valid .xlsx workbook (%s)") % type(exc).__name__) from None
        self._source: IO[bytes] | None = None
        try:
            self._open(parts)
        except BaseException:
            self.close()
            raise

    def _open(self, parts: dict[str, int]) -> None:
        if not self._workbook.worksheets:
            raise Refused(_("the workbook has no worksheet"))
        sheet = self._workbook.worksheets[0]
        self._rows = self._read(sheet)
        self.blank_lines = 0
        self._line = 0
        seen = 0
        try:
            for line, cells, _beyond in self._rows:  # nothing is beyond before the header is known
                seen += 1
                if _holds_value(cells):
                    header: list[Any] = [None] * max(cell["column"] for cell in cells)
                    for cell in cells:
                        header[cell["column"] - 1] = cell["value"]
                    self.width = self._width = _header_width(header)
                    self.header = ["" if v is None else str(v).strip() for v in header[: self.width]]
                    self.header_line = self._line = line
                    self.blank_before_header = line - 1  # rows before it, held blank or skipped
                    break
            else:
                raise Refused(_("the workbook's first sheet is empty"))
        except Refused:
            raise
        except Exception as exc:  # noqa: BLE001 - a corrupt sheet fails while it is parsed
            raise Refused(_("the worksheet cannot be read (%s)") % type(exc).__name__) from None
        held = parts.get(sheet._worksheet_path)
        if held is not None:
            _check_cells(held - seen, self.width, self.limits)

    def _read(self, sheet: Any) -> Iterator[tuple[int, list[dict[str, Any]], bool]]:
        """(row number, cells up to the header's width, whether a cell past it has content) of each row the
        sheet holds, checked: in order, within the row limit, no value past the cell limit, no cell past the
        last column."""
        from openpyxl.utils import get_column_letter
        from openpyxl.worksheet._reader import WorkSheetParser

        workbook = self._workbook
        self._source = sheet._get_source()
        self._part = sheet._worksheet_path
        parser = WorkSheetParser(
            self._source,
            sheet._shared_strings,
            data_only=workbook.data_only,
            epoch=workbook.epoch,
            date_formats=workbook._date_formats,
            timedelta_formats=workbook._timedelta_formats,
        )
        self._width = EXCEL_MAX_COLUMNS  # until the header is read
        # Our row parser: it also tells whether a cell lies past the header's width.
        parser.parse_row = functools.partial(self._parse_row, parser)  # type: ignore[method-assign, assignment]  # ours
        max_rows = self.limits.xlsx_max_rows
        max_chars = sys.maxsize if self.limits.max_cell_chars is None else self.limits.max_cell_chars
        previous = 0
        for line, cells, beyond in parser.parse():
            if line <= previous:
                raise _rows_out_of_order(line, previous, sheet._worksheet_path)
            if line > max_rows:
                raise _too_many_rows(line, max_rows)
            previous = line
            for cell in cells:
                value = cell["value"]
                if type(value) is str and len(value) > max_chars:
                    raise _cell_too_long(f"{get_column_letter(cell['column'])}{line}", max_chars)
                if cell["column"] > EXCEL_MAX_COLUMNS:
                    raise _past_last_column(line)
            yield line, cells, beyond

    def _parse_row(self, parser: Any, row: Any) -> tuple[int, list[dict[str, Any]], bool]:
        """openpyxl's `WorkSheetParser.parse_row`, but a cell past the header's last column is only placed, not
        parsed (its value converted, its shared string looked up): a row of 16,000 cells costs what its header's
        columns do. Whether such a cell has content (a value, a text) is kept: the row is then no blank line."""
        number = row.get("r")
        parser.row_counter = parser.row_counter + 1 if number is None else int(number)
        parser.col_counter = 0
        width, cells, beyond = self._width, [], False
        for element in row:
            reference = element.get("r")
            if reference is None:
                column = parser.col_counter + 1
            else:
                match = _CELL_REFERENCE.fullmatch(reference)
                if match is None:
                    raise _not_a_workbook(
                        _("cell reference '%(cell)s' in %(part)s")
                        % {"cell": excerpt(reference, 20), "part": self._part}
                    )
                column = _column_number(match[1])
            if column <= width:
                cells.append(parser.parse_cell(element))  # which moves `col_counter` on
            else:
                if column > EXCEL_MAX_COLUMNS:
                    raise _past_last_column(parser.row_counter)
                parser.col_counter = column
                beyond = beyond or len(element) > 0
        return parser.row_counter, cells, beyond

    def rows(self) -> Iterator[tuple[int, Row]]:
        width, previous = self.width, self.header_line
        max_cells = sys.maxsize if self.limits.max_cells is None else self.limits.max_cells
        cells_read = 0
        try:
            for line, cells, beyond in self._rows:
                self._line = line
                self.blank_lines += line - previous - 1  # the rows the sheet skips: counted, not made up
                previous = line
                if not (beyond or _holds_value(cells)):
                    self.blank_lines += 1
                    continue
                cells_read += width
                if cells_read > max_cells:  # `check_workbook` counted the rows: never, unless it missed some
                    raise Refused(
                        _("the file is too large to import: more than %(limit)d cells") % {"limit": max_cells}
                    )
                values: list[Any] = [None] * width
                for cell in cells:
                    values[cell["column"] - 1] = cell["value"]
                yield line, values
        except Refused:
            raise
        except Exception as exc:  # noqa: BLE001 - a value openpyxl cannot convert (a number that is not one...)
            raise Refused(
                _("the worksheet cannot be read after line %(line)d (%(error)s)")
                % {"line": self._line, "error": type(exc).__name__}
            ) from None

    def close(self) -> None:
        if self._source is not None:
            self._source.close()
        self._workbook.close()
