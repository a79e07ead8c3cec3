"""Writing the pack: the export, each indicator's records and sample, the texts and the manifests, into
one ZIP, for the command line (the whole pack) or for one user (what they may read)."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from django.utils import timezone

from core.spreadsheets import FRENCH, CsvDialect, csv_line

from .. import registry, services, visibility
from ..models import ReportingYear
from ..records import RecordsExtra
from .lines import RecordRows, headers_of, record_lines
from .sampling import drawn_ids, resolve_sample_rate, resolve_seed
from .shared import Shared
from .sources import Source, compact, computed_codes, record_sources, stored_codes, viewable
from .texts import methods, readme
from .zipfiles import Writer


def pack_filename(year: int) -> str:
    return f"vigie-auditor-pack-{year}.zip"


def record_extras() -> dict[str, RecordsExtra]:
    """Indicator code → the columns its computation adds to its records (reporting/records.py)."""
    return {code: c.records_extra for code, c in registry.computations().items() if c.records_extra is not None}


@dataclass
class IndicatorFiles:
    code: str
    origin: str
    status: str
    records_count: int
    sample_count: int
    records_sha256: str
    computed_at: dt.datetime | None
    missing: list[tuple[str, int]]


def _write_indicator(
    writer: Writer,
    source: Source,
    year: int,
    rate: float,
    seed: int | str,
    shared: Shared | None = None,
    dialect: CsvDialect = FRENCH,
) -> IndicatorFiles:
    """records/<CODE>.csv, written as its lines are made, and sample/<CODE>.csv: the same lines, those of the
    sampled records (kept aside meanwhile: 20-40% of the records)."""
    extra = record_extras().get(source.code)
    headers = headers_of(source.records, extra)
    chosen = drawn_ids(source.records, source.code, rate, seed)
    header = dialect.bom + csv_line(headers, dialect)
    sample = [header]
    result = RecordRows(headers)
    count = 0

    def parts() -> Iterator[str]:
        nonlocal count
        yield header
        for label, pks, lines in record_lines(source.records, year, extra, headers, result, shared, dialect):
            count += len(lines)
            drawn = chosen.get(label)
            if drawn:
                sample.append("".join(itertools.compress(lines, map(drawn.__contains__, pks))))
            yield "".join(lines)

    writer.add_parts(f"records/{source.code}.csv", parts())
    writer.add_parts(f"sample/{source.code}.csv", sample)
    return IndicatorFiles(
        source.code,
        source.origin,
        source.status,
        count,
        sum(map(len, chosen.values())),
        source.records_sha256,
        source.computed_at,
        result.missing,
    )


def write_pack(
    year: int,
    output: BinaryIO,
    *,
    sample_rate: Any = None,
    seed: Any = None,
    now: dt.datetime | None = None,
    user: Any = None,
    dialect: CsvDialect = FRENCH,
) -> dict[str, Any]:
    """Write `year`'s auditor pack as a ZIP to `output`; returns manifest.json's content.

    For `user` (the admin's download), the pack is what they may read: the indicators export as they are
    shown it (reporting/visibility.py: a value of a year not frozen computed from records their role may not
    view is withheld), and the records of an indicator only when they may read its value whatever the
    year's state and view every model its files are written from (`viewable`); the pack says which
    indicators are left out, never how many records nor their status (None: the whole pack, the command
    line). The CSV files are written in `dialect` (core/spreadsheets.py). ReportingError for a bad year,
    ValueError for a bad rate."""
    from .. import exports

    year = services.year_check(year)
    rate = resolve_sample_rate(sample_rate)
    seed = resolve_seed(year, seed)
    now = now or timezone.now()
    local_now = timezone.localtime(now, timezone.get_default_timezone())
    reporting_year = ReportingYear.objects.filter(year=year).first()
    with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        writer = Writer(archive, local_now)
        table = exports.table(year, user=user)  # N and N-1 computed once for both files
        data = exports.as_dict(year, now=now, data=table)
        writer.add(f"indicators-{year}.xlsx", exports.as_xlsx(year, data=table))
        writer.add(f"indicators-{year}.json", json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        extras = record_extras()
        reader = visibility.Reader.of(user)
        readable = [code for code in computed_codes() if reader.reads(code)]
        stored = stored_codes(year)
        # Left out: its origin, and its status as the export shows it (a withheld value's is "withheld").
        statuses = {row.definition.code: row.status for row in table.rows}
        sources, withheld = [], {}
        for source in map(compact, record_sources(year, readable)):  # the others are not even read
            if viewable(source, extras.get(source.code), user):
                sources.append(source)
            else:
                withheld[source.code] = source.origin
        withheld.update(
            {code: "snapshot" if code in stored else "evaluated" for code in computed_codes() if code not in readable}
        )
        withheld = {code: withheld[code] for code in computed_codes() if code in withheld}
        shared = Shared(sources, extras, dialect)
        files: dict[str, IndicatorFiles] = {}
        for source in sources:
            files[source.code] = _write_indicator(writer, source, year, rate, seed, shared, dialect)
        writer.add("methods.md", methods(data, files, list(withheld)))
        writer.add("README.txt", readme(year, data, rate, seed, reporting_year, files, list(withheld), dialect))
        manifest = {
            "year": year,
            "generated_at": local_now.isoformat(timespec="seconds"),
            "frozen": bool(reporting_year and reporting_year.frozen),
            "sample_rate": rate,
            "seed": seed,
            "csv_dialect": dialect.name,
            "indicators": {
                code: {
                    "records": f.records_count,
                    "sample": f.sample_count,
                    "source": f.origin,
                    "status": f.status,
                    "records_sha256": f.records_sha256,
                }
                for code, f in files.items()
            },
            "files": sorted(writer.files, key=lambda f: f["path"]),
        }
        # Left out: no count or checksum (a short list of ids is found back from its SHA-256).
        manifest["indicators"].update(
            {
                code: {"withheld": True, "source": origin, "status": statuses.get(code, "")}
                for code, origin in withheld.items()
            }
        )
        writer.add("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")
        writer.add(
            "manifest.sha256",
            "".join(f"{f['sha256']}  {f['path']}\n" for f in sorted(writer.files, key=lambda f: f["path"])),
            listed=False,
        )
    return manifest


def build_pack(
    year: int,
    *,
    sample_rate: float | None = None,
    seed: int | str | None = None,
    now: dt.datetime | None = None,
    user: Any = None,
    dialect: CsvDialect = FRENCH,
) -> bytes:
    """`year`'s auditor pack as ZIP bytes (for the admin download, made for its `user`; the command writes a
    file)."""
    out = io.BytesIO()
    write_pack(year, out, sample_rate=sample_rate, seed=seed, now=now, user=user, dialect=dialect)
    return out.getvalue()
