"""`manage.py compute_indicators --year YYYY [--diff]`: recompute one year's snapshot (docs/interfaces.md).

Refused on a frozen year (exit 1, with the differences a recomputation would bring). `--diff` only shows
the differences, for any year, and writes nothing.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from reporting import services


class Command(BaseCommand):
    help = "Recomputes one fiscal year's indicators from the records (refused on a frozen year)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--year", required=True, help="The fiscal year, e.g. 2023.")
        parser.add_argument(
            "--diff", action="store_true", help="Show what a recomputation would change; write nothing."
        )

    def handle(self, *args, year: str, diff: bool = False, **options) -> None:
        try:
            year_value = services.year_check(year)
            if diff:
                self._show_differences(year_value)
                return
            report = services.year_compute(year_value)
        except services.YearFrozen as exc:
            self._show_differences(int(year))
            raise CommandError(str(exc)) from exc
        except services.ReportingError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"{report.year}: {report.created} created, {report.changed} changed, {report.unchanged} unchanged"
        )
        for problem in report.problems:
            self.stderr.write(f"error: {problem}")
        if report.problems:
            raise CommandError(f"{len(report.problems)} indicator(s) failed to compute (listed above)")

    def _show_differences(self, year: int) -> None:
        changes = services.year_differences(year)
        if not changes:
            self.stdout.write(f"{year}: a recomputation would change nothing")
        for change in changes:
            before = change.before
            self.stdout.write(
                f"{change.code}: {before.value if before else '(none)'} → {change.after.value} "
                f"({change.after.status}; records +{change.records_added} −{change.records_removed})"
            )
