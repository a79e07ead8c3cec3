"""`python manage.py screen_counterparties [--list LIST]` (docs/interfaces.md, "Commands"): a full screening run,
its counts printed (no names)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from aml.choices import ScreeningTrigger
from aml.screening import run_screening


class Command(BaseCommand):
    help = (
        "Screens every active counterparty against the active screening lists and records new potential matches "
        "as pending hits (a pair already reviewed is not raised again unless its list entry changed)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--list", dest="lists", action="append", metavar="LIST", help="Only this list's code (repeatable)."
        )

    def handle(self, *args, lists: list[str] | None = None, **options) -> None:
        try:
            run = run_screening(trigger=ScreeningTrigger.MANUAL, lists=lists)
        except ValueError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"run {run.pk}: {run.status} in {run.duration_ms} ms")
        self.stdout.write(f"counterparties screened: {run.counterparties_screened}")
        self.stdout.write(f"list entries screened: {run.entries_screened} ({run.names_indexed} names)")
        self.stdout.write(f"hits raised: {run.hits_raised}")
        self.stdout.write(f"pairs already reviewed: {run.hits_already_reviewed}")
        self.stdout.write(
            f"coverage: {run.covered_counterparties} of {run.active_counterparties} active counterparties"
        )
