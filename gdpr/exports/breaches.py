"""The breach register as an XLSX workbook (Art. 33(5)): the register the CNIL may ask for, every breach
notified or not. A read: the admin's changelist action downloads it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext
from openpyxl.worksheet.worksheet import Worksheet

from core.dates import format_datetime
from core.spreadsheets import new_workbook, print_layout, workbook_bytes, write_records

from ..choices import NotificationPhase
from ..deadlines import to_paris
from ..models import Breach


def _excel_time(value: dt.datetime | None) -> dt.datetime | None:
    # Excel has no time zones: Paris wall-clock time, as the DPO reads it.
    return to_paris(value).replace(tzinfo=None) if value is not None else None


def breach_register_xlsx(breaches: Iterable[Breach]) -> bytes:
    """The breach register as an XLSX workbook: every breach given, notified or not, one row each.

    Pass a queryset with `prefetch_related("notifications")` to read the complementary notifications
    in one query.
    """
    yes, no = gettext("yes"), gettext("no")

    def yes_no(value: bool | None) -> str:
        return "" if value is None else (yes if value else no)

    def decision(breach: Breach) -> str:
        if breach.notification_required is None:
            return gettext("undecided")
        return gettext("notify") if breach.notification_required else gettext("do not notify")

    columns: list[tuple[str, Any, int]] = [
        (gettext("Reference"), lambda b: b.reference, 16),
        (gettext("Title"), lambda b: b.title, 30),
        (gettext("Facts"), lambda b: b.description, 50),
        (gettext("Occurred at"), lambda b: _excel_time(b.occurred_at), 17),
        (gettext("Aware at (Paris)"), lambda b: _excel_time(b.aware_at), 17),
        (gettext("Processor aware at"), lambda b: _excel_time(b.processor_aware_at), 17),
        (gettext("Processor informed us at"), lambda b: _excel_time(b.processor_informed_at), 17),
        (gettext("Notification due at (72 h, Paris)"), lambda b: _excel_time(b.notification_due_at), 17),
        (gettext("Risk to people"), lambda b: b.get_risk_level_display() if b.risk_level else "", 20),
        (gettext("Risk assessment reasoning"), lambda b: b.risk_reasoning, 40),
        (gettext("Decision"), decision, 16),
        (gettext("Reasoning of the decision"), lambda b: b.decision_reasoning, 40),
        (gettext("Notified at (Paris)"), lambda b: _excel_time(b.notified_at), 17),
        (gettext("Within 72 hours"), lambda b: yes_no(b.notified_within_72h), 10),
        (gettext("Reasons for the delay"), lambda b: b.delay_reasons, 40),
        (gettext("CNIL notification reference"), lambda b: b.cnil_notification_reference, 18),
        (
            gettext("Complementary notifications"),
            lambda b: ", ".join(
                format_datetime(n.sent_at) for n in b.notifications.all() if n.phase == NotificationPhase.COMPLEMENTARY
            ),
            22,
        ),
        (gettext("High risk (Art. 34)"), lambda b: yes_no(b.high_risk), 10),
        (gettext("Data subjects informed at"), lambda b: _excel_time(b.subjects_informed_at), 17),
        (
            gettext("Exemption (Art. 34(3))"),
            lambda b: b.get_subjects_exemption_display() if b.subjects_exemption else "",
            30,
        ),
        (gettext("Why the exemption applies"), lambda b: b.subjects_exemption_reasoning, 40),
        (gettext("Categories of data subjects"), lambda b: b.subject_categories, 30),
        (gettext("Approximate number of people"), lambda b: b.subjects_count, 12),
        (gettext("Categories of personal data"), lambda b: b.data_categories, 30),
        (gettext("Approximate number of records"), lambda b: b.records_count, 12),
        (gettext("Likely consequences"), lambda b: b.likely_consequences, 40),
        (gettext("Measures taken or proposed"), lambda b: b.measures, 40),
        (gettext("Closed at"), lambda b: _excel_time(b.closed_at), 17),
    ]
    workbook = new_workbook()  # what people typed in a breach is written as data, never run as a formula
    sheet = workbook.active
    assert isinstance(sheet, Worksheet)  # new_workbook() makes one worksheet, the active one
    title = gettext("Breach register")
    sheet.title = title[:31]
    sheet.append([header for header, _value, _width in columns])
    records = []
    for breach in breaches:
        values = [value(breach) for _title, value, _width in columns]
        sheet.append(values)
        records.append(
            (
                f"{breach.reference} – {breach.title}",
                [(header, value) for (header, _value, _width), value in zip(columns, values, strict=True)],
            )
        )
    sheet.auto_filter.ref = sheet.dimensions
    # A table of 28 columns does not print readable on a page: it prints as an index (reference, title,
    # facts, dates), each breach in full on a page of the sheet after it.
    print_layout(
        sheet,
        title,
        header_rows=1,
        frozen_columns=1,
        widths={index: width for index, (_title, _value, width) in enumerate(columns, start=1)},
        print_columns=5,
    )
    cards = workbook.create_sheet(gettext("Breach records")[:31])
    write_records(cards, records)
    return workbook_bytes(workbook)
