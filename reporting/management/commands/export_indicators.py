"""`manage.py export_indicators --year YYYY --format json|csv|xlsx [--entity CODE] [--dialect french|machine]
[--output PATH]` (docs/interfaces.md).

`--entity CODE`: the figures of that legal entity's records only, computed now, never the published ones
(reporting/exports.py); without it, the company total.

json and csv go to stdout without --output; xlsx needs --output (it is binary).
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.spreadsheets import UnknownCsvDialect, add_dialect_argument, dialect_named
from reporting import exports, services


class Command(BaseCommand):
    help = "Exports one fiscal year's indicators (DPEF table and ESRS G1) as JSON, CSV or XLSX."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--year", required=True, help="The fiscal year, e.g. 2023.")
        parser.add_argument("--format", required=True, choices=exports.FORMATS, dest="fmt")
        parser.add_argument("--output", help="The file to write (stdout for json and csv when absent).")
        parser.add_argument(
            "--entity",
            help="A legal entity's code: its records only, computed now (not the published figures); "
            "default: the company total.",
        )
        add_dialect_argument(
            parser,
            "The CSV dialect: french (default: `;`, decimal comma, DD/MM/YYYY, UTF-8 with BOM, for "
            "spreadsheets) or machine (`,`, decimal point, ISO 8601 dates, no BOM, for programs).",
        )

    def handle(
        self,
        *args,
        year: str,
        fmt: str,
        output: str | None = None,
        dialect: str | None = None,
        entity: str | None = None,
        **options,
    ) -> None:
        try:
            year_value = services.year_check(year)
            csv_dialect = dialect_named(dialect)
            scope = services.entity_check(entity) if entity is not None else None
        except (services.ReportingError, UnknownCsvDialect) as exc:
            raise CommandError(str(exc)) from exc
        if fmt == "xlsx" and not output:
            raise CommandError("--format xlsx needs --output PATH (an XLSX file is binary)")
        if fmt == "json":
            content: str | bytes = (
                json.dumps(exports.as_dict(year_value, entity=scope), ensure_ascii=False, indent=2) + "\n"
            )
        elif fmt == "csv":
            content = exports.as_csv(year_value, dialect=csv_dialect, entity=scope)
        else:
            content = exports.as_xlsx(year_value, entity=scope)
        if not output:
            assert isinstance(content, str)  # an XLSX needs --output (refused above)
            self.stdout.write(content, ending="")
            return
        path = Path(output)
        if not path.parent.exists():
            raise CommandError(f"--output {output}: the folder {path.parent} does not exist")
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        self.stdout.write(f"wrote {path} ({fmt}, {year_value})")
