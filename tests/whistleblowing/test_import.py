"""`import_whistleblowing_reports` (docs/interfaces.md row `whistleblowing_reports`): French headers, the deadlines of
the legal clock with their ledger rows, the status from the dates, a fixed line for the facts (never the
content), the rows rejected with their reason, an idempotent re-import, and the kind for the referents only."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from core.imports.registry import get_importer, visible_kinds
from core.imports.testing import read_rejects, run_import_command
from core.roles import sealed_out
from tests.factories import LegalEntityFactory, UserFactory
from tests.whistleblowing.factories import ReportContentFactory, ReportFactory
from whistleblowing.choices import Admissibility, Category, Channel, DeadlineKind, Status
from whistleblowing.importers.reports import imported_facts
from whistleblowing.models import DeadlineEvent, Report, ReportContent

PARIS = ZoneInfo("Europe/Paris")
KIND = "whistleblowing_reports"

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("english_messages", "isolated_media"),
    pytest.mark.time_machine(dt.datetime(2025, 6, 2, 10, 0, tzinfo=dt.UTC), tick=False),
]

HEADER = (
    "Référence;Reçu le;Canal;Anonyme;Contact possible;Catégorie;Accusé de réception;Recevabilité;"
    "Date de recevabilité;Date du retour;Date de clôture;Entité\n"
)
# SIG-1: the docs/rules.md example (received Friday 21 April 2023 → acknowledgment due Wednesday 3 May 2023, 1 May
# being a holiday); acknowledged on 25 April, so feedback is due 3 months after it: 25 July 2023.
# SIG-2: not acknowledged: feedback 3 months after the 7th working day, 3 August 2023; found inadmissible
# without a closing date: closed on the day of the decision.
# SIG-3: anonymous without any means of contact: nothing is due.
# SIG-5: anonymous and "no contact", but received on the web form: its follow-up space is a means of contact.
# SIG-4: received 31 Dec 2024 at 23:30 UTC = 1 January 2025 in Paris (a holiday): 7 working days from Thursday
# 2 January → Friday 10 January 2025; closed with feedback given.
GOOD = (
    "SIG-1;21/04/2023 10:00;Courriel;non;oui;Corruption;25/04/2023;recevable;02/05/2023;;;SF\n"
    "SIG-2;21/04/2023;courrier;non;;fraud;;irrecevable;28/04/2023;;;\n"
    "SIG-3;2024-03-04;Courrier;oui;non;Harcèlement;;;;;;\n"
    "SIG-4;2024-12-31T23:30:00Z;Téléphone;non;oui;Conflit d'intérêts;03/01/2025;admissible;06/01/2025;"
    "01/03/2025;15/03/2025;\n"
    "SIG-5;2024-03-04;web;oui;non;fraud;;;;;;\n"
)


@pytest.fixture(autouse=True)
def entity():
    return LegalEntityFactory(code="SF")


def write(tmp_path: Path, text: str, name: str = "reports.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def rejects(tmp_path: Path, name: str = "reports") -> dict[str, str]:
    return {row[2]: row[1] for row in read_rejects(tmp_path / f"{name}.rejects.csv")[1:]}


def ledger(report: Report) -> list[tuple[str, dt.date | None]]:
    return list(report.deadline_events.order_by("pk").values_list("deadline", "due_on"))


def test_a_french_file_imports_reports_with_their_clock_and_no_content(tmp_path, entity):
    result = run_import_command(KIND, write(tmp_path, HEADER + GOOD))
    assert result.exit_code == 0, result.stderr
    reports = {report.reference: report for report in Report.objects.all()}
    assert set(reports) == {"SIG-1", "SIG-2", "SIG-3", "SIG-4", "SIG-5"}

    first = reports["SIG-1"]
    assert (first.category, first.status, first.acknowledged_on) == (
        Category.CORRUPTION,
        Status.ADMISSIBLE,
        dt.date(2023, 4, 25),
    )
    assert (first.acknowledgment_due_on, first.feedback_due_on) == (dt.date(2023, 5, 3), dt.date(2023, 7, 25))
    assert ledger(first) == [
        (DeadlineKind.ACKNOWLEDGMENT, dt.date(2023, 5, 3)),
        (DeadlineKind.FEEDBACK, dt.date(2023, 7, 25)),
    ]
    content = first.content
    assert (content.channel, content.anonymous, content.contact_possible, content.entity_id) == (
        Channel.EMAIL,
        False,
        True,
        entity.pk,
    )
    assert content.facts == imported_facts() == "Signalement importé : son contenu est tenu hors de Vigie."
    assert content.author_name == content.author_email == content.persons_concerned == ""
    assert content.history.count() == 1

    second = reports["SIG-2"]
    assert (second.status, second.admissibility, second.closed_on) == (
        Status.CLOSED,
        Admissibility.INADMISSIBLE,
        dt.date(2023, 4, 28),
    )
    assert second.feedback_due_on == dt.date(2023, 8, 3)
    assert second.content.channel == Channel.POST and second.content.contact_possible is True

    anonymous = reports["SIG-3"]
    assert anonymous.acknowledgment_due_on is None and anonymous.feedback_due_on is None
    assert (anonymous.content.anonymous, anonymous.content.contact_possible) == (True, False)
    assert ledger(anonymous) == [(DeadlineKind.ACKNOWLEDGMENT, None), (DeadlineKind.FEEDBACK, None)]
    assert all(event.explanation for event in anonymous.deadline_events.all())

    web = reports["SIG-5"]
    assert (web.content.anonymous, web.content.contact_possible) == (True, True)
    assert web.acknowledgment_due_on == dt.date(2024, 3, 13)

    late_night = reports["SIG-4"]
    assert late_night.acknowledgment_due_on == dt.date(2025, 1, 10)
    assert (late_night.status, late_night.feedback_on, late_night.closed_on) == (
        Status.CLOSED,
        dt.date(2025, 3, 1),
        dt.date(2025, 3, 15),
    )
    # The history rows' change reasons name the file, never any content.
    assert all("reports.csv" in (row.history_change_reason or "") for row in first.history.all())


def test_importing_the_same_file_again_changes_nothing(tmp_path):
    path = write(tmp_path, HEADER + GOOD)
    assert run_import_command(KIND, path).exit_code == 0
    counts = (Report.history.count(), ReportContent.history.count(), DeadlineEvent.objects.count())
    assert run_import_command(KIND, path).exit_code == 0
    assert (Report.history.count(), ReportContent.history.count(), DeadlineEvent.objects.count()) == counts


def test_a_new_acknowledgment_moves_the_feedback_due_date_with_a_ledger_row(tmp_path):
    assert (
        run_import_command(KIND, write(tmp_path, HEADER + "SIG-9;21/04/2023;email;non;oui;fraud;;;;;;\n")).exit_code
        == 0
    )
    report = Report.objects.get(reference="SIG-9")
    assert report.feedback_due_on == dt.date(2023, 8, 3)
    again = write(tmp_path, HEADER + "SIG-9;21/04/2023;email;non;oui;fraud;24/04/2023;;;;;\n", "again.csv")
    assert run_import_command(KIND, again).exit_code == 0
    report.refresh_from_db()
    assert (report.status, report.feedback_due_on) == (Status.ACKNOWLEDGED, dt.date(2023, 7, 24))
    assert ledger(report)[-1] == (DeadlineKind.FEEDBACK, dt.date(2023, 7, 24))
    assert [kind for kind, _due in ledger(report)].count(DeadlineKind.ACKNOWLEDGMENT) == 1


def test_a_report_a_referent_completed_keeps_its_content(tmp_path):
    report = ReportFactory(reference="SIG-7", received_at=dt.datetime(2025, 5, 5, 9, tzinfo=PARIS))
    ReportContentFactory(report=report, author_name="Mallory Whistle", facts="Kickbacks at the Lyon depot")
    path = write(tmp_path, HEADER + "SIG-7;05/05/2025 09:00;email;non;oui;fraud;06/05/2025;;;;;\n")
    assert run_import_command(KIND, path).exit_code == 0
    content = ReportContent.objects.get(report=report)
    assert (content.author_name, content.facts, content.channel) == (
        "Mallory Whistle",
        "Kickbacks at the Lyon depot",
        Channel.EMAIL,
    )
    assert ReportContent.objects.count() == 1
    assert Report.objects.get(pk=report.pk).acknowledged_on == dt.date(2025, 5, 6)


def test_contradictions_are_rejected_with_their_reason(tmp_path):
    bad = (
        "BAD-ACK;21/04/2023;email;non;oui;fraud;20/04/2023;;;;;\n"
        "BAD-FEEDBACK;21/04/2023;email;non;oui;fraud;28/04/2023;admissible;28/04/2023;27/04/2023;;\n"
        "BAD-FUTURE;2025-06-03;email;non;oui;fraud;;;;;;\n"
        "BAD-CATEGORY;21/04/2023;email;non;oui;gossip;;;;;;\n"
        "BAD-CHANNEL;21/04/2023;pigeon;non;oui;fraud;;;;;;\n"
        "BAD-ENTITY;21/04/2023;email;non;oui;fraud;;;;;;NOPE\n"
        "BAD-ADMISSIBILITY;21/04/2023;email;non;oui;fraud;;admissible;;;;\n"
        "BAD-DATE;21/04/2023;email;non;oui;fraud;;;;;01/05/2026;\n"
        "NO-CATEGORY;21/04/2023;email;non;oui;;;;;;;\n"
        "GOOD;21/04/2023;email;non;oui;fraud;;;;;;\n"
    )
    result = run_import_command(KIND, write(tmp_path, HEADER + bad))
    assert result.exit_code == 1, result.stderr
    assert list(Report.objects.values_list("reference", flat=True)) == ["GOOD"]
    reasons = rejects(tmp_path)
    assert "the acknowledgment precedes the receipt" in reasons["BAD-ACK"]
    assert "Feedback (27/04/2023) cannot precede the acknowledgment (28/04/2023)" in reasons["BAD-FEEDBACK"]
    assert "the receipt cannot be in the future" in reasons["BAD-FUTURE"]
    assert "gossip" in reasons["BAD-CATEGORY"] or "is not one of" in reasons["BAD-CATEGORY"]
    assert "is not one of" in reasons["BAD-CHANNEL"]
    assert "unknown entity 'NOPE'" in reasons["BAD-ENTITY"]
    assert "needs its date" in reasons["BAD-ADMISSIBILITY"]
    assert "cannot be in the future" in reasons["BAD-DATE"]
    assert "needs its category" in reasons["NO-CATEGORY"]
    assert ReportContent.objects.count() == 1 and DeadlineEvent.objects.count() == 2


def test_only_the_referents_may_run_or_see_this_import(roles):
    importer = get_importer(KIND)
    assert importer.add_permission() == "whistleblowing.add_reportcontent"
    referent = UserFactory(username="ref", groups=["Référent alertes"])
    admin = UserFactory(username="root", is_superuser=True)
    officer = UserFactory(username="rcci", groups=["Compliance officer"])
    auditor = UserFactory(username="audit", groups=["Auditor"])
    assert not sealed_out(referent, importer.add_permission()) and referent.has_perm(importer.add_permission())
    assert KIND in visible_kinds(referent)
    for user in (admin, officer, auditor):
        assert sealed_out(user, importer.add_permission()), user.username
        assert KIND not in visible_kinds(user), user.username
