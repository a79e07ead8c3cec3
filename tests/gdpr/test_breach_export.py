"""The breach register XLSX prints as a document: an index of the breaches, then each breach on its page."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from gdpr.exports.breaches import breach_register_xlsx
from gdpr.models import Breach
from tests.gdpr.factories import BreachFactory
from tests.spreadsheet_checks import assert_prints

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")


def test_the_register_prints_an_index_then_each_breach_on_its_own_page():
    BreachFactory(
        reference="BR-1",
        title="Misdirected email",
        description="An email with the payslips of March went to the wrong list. " * 6,
        aware_at=dt.datetime(2025, 3, 28, 10, 0, tzinfo=PARIS),
        notified_at=dt.datetime(2025, 3, 29, 10, 0, tzinfo=PARIS),
        subjects_count=12,
    )
    BreachFactory(reference="BR-2", title="Lost laptop")
    content = breach_register_xlsx(Breach.objects.order_by("reference"))
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    assert len(workbook.sheetnames) == 2
    table = assert_prints(content, workbook.sheetnames[0], orientation="landscape", title_rows="$1:$1", freeze="B2")
    # 28 columns: the table prints its first five (reference, title, facts, dates) readable, as an index.
    assert table.print_area.endswith("!$A$1:$E$3")
    assert table.max_column == 28 and table.auto_filter.ref == "A1:AB3"
    assert table["D1"].font.b and table.row_dimensions[2].height >= 15 * 6  # the facts wrap
    assert table["E2"].value == dt.datetime(2025, 3, 28, 10, 0) and table["E2"].number_format == "DD/MM/YYYY HH:MM"
    records = assert_prints(content, workbook.sheetnames[1], orientation="portrait", title_rows=None, freeze=None)
    headings = [cell.value for cell in records["A"] if cell.font.sz == 12 and cell.value]
    assert headings == ["BR-1 – Misdirected email", "BR-2 – Lost laptop"]
    assert len(records.row_breaks.brk) == 1
    values = {row[0]: row[1] for row in records.iter_rows(max_row=30, values_only=True) if row[0]}
    notified, people = table["M1"].value, table["W1"].value  # the labels are the table's headers
    assert values[notified] == dt.datetime(2025, 3, 29, 10, 0)
    assert values[people] == 12
