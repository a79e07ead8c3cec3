"""`manage.py auditor_pack --year YYYY --output PATH.zip [--sample-rate 0.3] [--seed N] [--dialect machine]`: the
auditor pack of a fiscal year (reporting/auditor_pack/), written to a file.

The file is written beside its final name then renamed: a failure never leaves half a ZIP behind.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from core.spreadsheets import add_dialect_argument, dialect_named
from reporting import auditor_pack, services


class Command(BaseCommand):
    help = (
        "Writes one fiscal year's auditor pack: the indicators export, the records behind each computed "
        "indicator, a random sample of them, the methods and a SHA-256 manifest, in one ZIP."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--year", required=True, help="The fiscal year, e.g. 2023.")
        parser.add_argument("--output", required=True, help="The ZIP file to write, e.g. vigie-auditor-pack-2023.zip.")
        parser.add_argument(
            "--sample-rate",
            dest="sample_rate",
            help="Share of each indicator's records to sample, more than 0 and at most 1 "
            "(default: VIGIE_AUDIT_SAMPLE_RATE, 0.3).",
        )
        parser.add_argument(
            "--seed",
            help="Seed of the random sample (default: VIGIE_AUDIT_SAMPLE_SEED, else "
            "the year). The same seed and data give the same sample.",
        )
        add_dialect_argument(
            parser,
            "The dialect of the CSV files: french (default: `;`, decimal comma, DD/MM/YYYY, UTF-8 with "
            "BOM) or machine (`,`, decimal point, ISO 8601 dates, no BOM).",
        )

    def handle(
        self,
        *args,
        year: str,
        output: str,
        sample_rate: str | None = None,
        seed: str | None = None,
        dialect: str | None = None,
        **options,
    ) -> None:
        try:
            year_value = services.year_check(year)
            rate = auditor_pack.resolve_sample_rate(sample_rate)
            csv_dialect = dialect_named(dialect)
        except (services.ReportingError, ValueError) as exc:  # UnknownCsvDialect is a ValueError
            raise CommandError(str(exc)) from exc
        if seed is not None and not seed.strip():
            raise CommandError(_("--seed cannot be empty: give a number (or leave --seed out)."))
        seed_value: int | str | None = None
        if seed is not None:
            seed_value = int(seed) if seed.strip().lstrip("-").isdigit() else seed.strip()
        path = Path(output)
        if path.is_dir():
            raise CommandError(
                _("--output %(path)s is a folder: give the name of the ZIP file to write.") % {"path": output}
            )
        if not path.parent.is_dir():
            raise CommandError(
                _("--output %(path)s: the folder %(folder)s does not exist.") % {"path": output, "folder": path.parent}
            )
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
        try:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temporary, 0o666 & ~umask)  # mkstemp makes it private; the pack is an ordinary file
            with os.fdopen(handle, "wb") as stream:
                manifest = auditor_pack.write_pack(
                    year_value, stream, sample_rate=rate, seed=seed_value, dialect=csv_dialect
                )
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        sampled = sum(item["sample"] for item in manifest["indicators"].values())
        records = sum(item["records"] for item in manifest["indicators"].values())
        self.stdout.write(
            _(
                "wrote %(path)s (%(year)d: %(files)d files, %(records)d records, %(sampled)d sampled "
                "at rate %(rate)s with seed %(seed)s)"
            )
            % {
                "path": path,
                "year": year_value,
                "files": len(manifest["files"]) + 2,
                "records": records,
                "sampled": sampled,
                "rate": manifest["sample_rate"],
                "seed": manifest["seed"],
            }
        )
