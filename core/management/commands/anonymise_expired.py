"""Anonymise the records whose retention period has ended (core/retention.py), as the daily task does."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from core import retention
from core.models import RetentionRun


def _day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--today: expected a date as YYYY-MM-DD, not {value!r}") from exc


class Command(BaseCommand):
    help = (
        "Anonymise the personal data of the records whose retention period (settings.VIGIE_RETENTION) "
        "has ended, in their tables and history tables; --dry-run lists them and changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="List what is due; anonymise nothing.")
        parser.add_argument(
            "--today",
            help="Reference day YYYY-MM-DD (default: today, Paris time); a real run refuses a day in the future.",
        )
        parser.add_argument(
            "--only",
            action="append",
            metavar="CODE",
            help="Only this record type (repeatable): " + ", ".join(retention.policies()),
        )
        parser.add_argument("--all-references", action="store_true", help="Print every reference, not the first ten.")

    def handle(
        self, *args: Any, dry_run: bool, today: str | None, only: list[str] | None, all_references: bool, **options: Any
    ) -> None:
        day = _day(today) if today else timezone.localdate()
        if not dry_run and day > timezone.localdate():
            raise CommandError(
                f"--today {day.isoformat()} is in the future: only a --dry-run may look ahead "
                "(a real run would anonymise records before their time)."
            )
        try:
            record = retention.run(today=day, dry_run=dry_run, only=only, trigger=RetentionRun.Trigger.COMMAND)
        except (ValueError, ImproperlyConfigured) as exc:
            raise CommandError(str(exc)) from exc
        # The operator's output: a sealed app's records (aml) are neither listed nor counted.
        record = retention.without_sealed(record)
        for line in retention.report_lines(record, references=None if all_references else 10):
            self.stdout.write(line)
