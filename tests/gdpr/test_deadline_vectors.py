"""The reference deadline vectors (tests/fixtures/reference/deadline-vectors.csv: worked cases of RULES in
docs/rules.md), one test per row, read at test time."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings

from gdpr.deadlines import (
    DeadlinePolicy,
    HolidayCalendar,
    Pause,
    breach_notification_deadline,
    extended_deadline,
    rights_request_deadline,
    to_paris,
)

VECTORS = Path(settings.BASE_DIR) / "tests" / "fixtures" / "reference" / "deadline-vectors.csv"
COLUMNS = {"id", "kind", "received", "months", "calendar", "pause", "expected_due", "note"}


def load_vectors() -> list[object]:
    # A missing file must not collect zero tests and pass: it becomes one failing test that says why.
    if not VECTORS.is_file():
        return [pytest.param(None, id="deadline-vectors-file-missing")]
    with VECTORS.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [pytest.param(row, id=row["id"]) for row in rows]


def _pauses(cell: str) -> tuple[Pause, ...]:
    if not cell.strip():
        return ()
    asked, answered = cell.split("/")
    return (Pause(date.fromisoformat(asked), date.fromisoformat(answered)),)


@pytest.mark.parametrize("row", load_vectors())
def test_reference_vector(row: dict[str, str] | None) -> None:
    if row is None:
        pytest.fail(
            f"reference vectors not found at {VECTORS}: the repository carries them; restore the file",
            pytrace=False,
        )
    assert COLUMNS <= set(row), f"unexpected columns in {VECTORS.name}: {sorted(row)}"

    if row["kind"] == "rights_request":
        policy = DeadlinePolicy(calendar=HolidayCalendar(row["calendar"] or "FR"))
        received = date.fromisoformat(row["received"])
        pauses = _pauses(row["pause"])
        months = int(row["months"])
        if months == 1:
            deadline = rights_request_deadline(received, pauses=pauses, policy=policy)
        elif months == 3:
            deadline = extended_deadline(received, pauses=pauses, policy=policy)
        else:
            pytest.fail(f"{row['id']}: months={months} is neither the first (1) nor the extended (3) deadline")
        assert deadline.due_on == date.fromisoformat(row["expected_due"]), f"{row['note']}: {deadline.explanation}"
        assert not deadline.suspended

    elif row["kind"] == "breach":
        aware_at = datetime.fromisoformat(row["received"])
        expected = datetime.fromisoformat(row["expected_due"])
        due = breach_notification_deadline(aware_at)
        assert due == expected, row["note"]
        # Exactly 72 elapsed hours, measured in UTC (same-zone subtraction in Python is wall-clock time).
        assert due.astimezone(UTC) - aware_at.astimezone(UTC) == timedelta(hours=72)
        # And the Paris display shows the offset the vector expects (CET/CEST on that day).
        assert to_paris(due).utcoffset() == expected.utcoffset()

    else:
        pytest.fail(f"{row['id']}: unknown kind {row['kind']!r}")
