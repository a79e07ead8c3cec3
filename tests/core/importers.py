"""Importers for the tests of the import engine."""

from __future__ import annotations

from django.db import connection

from organization.importers import RosterImporter


class DatabaseFailsAfterLine3(RosterImporter):
    """The roster importer, except that the database fails while it writes a line past the third: a statement
    on a table that does not exist, an error that is no row's fault, as a database locked beyond its
    timeout, a lost connection or a full disk are. With `batch_size = 2`, the first batch (lines 2-3) is
    written and the second one fails."""

    def after_write(self, *, created, updated, unchanged) -> None:
        if any(row.line > 3 for row, _obj in created):
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1 FROM vigie_no_such_table")


#: Four roster lines: with `DatabaseFailsAfterLine3`, lines 2-3 are written and lines 4-5 fail.
FOUR_EMPLOYEES = "employee_id;entity_code;hired_on\n" + "".join(f"E{n};ALS;2020-01-01\n" for n in range(1, 5))


def roster_fails_after_line_3(monkeypatch) -> None:
    """Make the `roster` kind (command, admin, API) use `DatabaseFailsAfterLine3`, two rows per batch."""
    from core.imports import registry

    registry.importers()  # discovered first: the real importer must not come back over this one
    monkeypatch.setattr(DatabaseFailsAfterLine3, "batch_size", 2)
    monkeypatch.setitem(registry._importers, "roster", DatabaseFailsAfterLine3)


class RosterRefusingDuplicates(RosterImporter):
    """The roster importer with the file-wide refusal of a natural key seen twice."""

    duplicate_key_refuses_file = True
    batch_size = 1


class StrictRoster(RosterImporter):
    strict_only = True


class RosterSkippingE2(RosterImporter):
    """Skips employee E2: read, neither written nor rejected, counted in a note."""

    def build(self, row):
        if row["employee_id"] == "E2":
            from core.imports import RowSkipped

            raise RowSkipped("skipped for the test")
        return super().build(row)


class RosterWithFinish(RosterImporter):
    """Records, in `finished`, the employees the database holds when `finish` runs, and writes one more."""

    finished: list[list[str]] = []

    def finish(self) -> None:
        from organization.models import Employee

        RosterWithFinish.finished.append(sorted(Employee.objects.values_list("employee_id", flat=True)))
        Employee.objects.filter(employee_id="E1").update(last_name="Finished")
