"""review 22c #2, #3, #4: the import never does what the workflow forbids. A report already in Vigie is only filled
in, through the services' rules (an empty cell leaves what Vigie holds, a recorded value is not changed, the steps
that write to the author are taken in Vigie); an anonymised report's row is rejected by its reference; rows whose
dates contradict each other are rejected with the services' own reasons (one definition: `date_order_problems`,
`transition_problem`); a report that changes in Vigie during the import is not overwritten."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from core import retention
from core.imports.testing import read_rejects, run_import_command
from tests.factories import UserFactory
from whistleblowing.choices import Admissibility, Channel, DeadlineKind, MessageKind, Status
from whistleblowing.importers.reports import WhistleblowingReportImporter
from whistleblowing.models import DeadlineEvent, Message, Report, ReportContent
from whistleblowing.services import reports as services
from whistleblowing.services.follow_up import follow_up_issue

KIND = "whistleblowing_reports"

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("isolated_media"),
    pytest.mark.time_machine(dt.datetime(2025, 6, 2, 10, 0, tzinfo=dt.UTC), tick=False),  # a Monday
]

HEADER = (
    "Référence;Reçu le;Canal;Anonyme;Contact possible;Catégorie;Accusé de réception;Recevabilité;"
    "Date de recevabilité;Date du retour;Date de clôture\n"
)


def write(tmp_path: Path, text: str, name: str = "reports.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + text, encoding="utf-8")
    return path


def rejects(tmp_path: Path, name: str = "reports") -> dict[str, str]:
    """Reference → reason (the reasons are French: the site's language)."""
    return {row[2]: row[1] for row in read_rejects(tmp_path / f"{name}.rejects.csv")[1:]}


@pytest.fixture(autouse=True)
def french():
    """The reasons in the site's language, whatever a test before left active."""
    with translation.override("fr"):
        yield


@pytest.fixture
def ref():
    return UserFactory(username="ref")


def recorded(ref, reference: str, received: dt.date = dt.date(2025, 4, 1), **fields) -> Report:
    values = {"channel": "email", "category": "fraud", "facts": "secret facts", "author_email": "a@b.fr", **fields}
    return services.report_record(actor=ref, received_at=received, reference=reference, **values)


def state(report: Report) -> tuple:
    report.refresh_from_db()
    return (
        report.status,
        report.acknowledged_on,
        report.admissibility,
        report.closed_on,
        report.acknowledgment_due_on,
        report.feedback_due_on,
    )


# --- #2: an anonymised report ----------------------------------------------------------------------------------------


def test_a_row_of_an_anonymised_report_is_rejected_by_its_reference(tmp_path, ref):
    report = recorded(ref, "SIG-R")
    services.report_acknowledge(actor=ref, report=report, acknowledged_on=dt.date(2025, 4, 2))
    services.report_decide_admissibility(
        actor=ref, report=report, admissibility="inadmissible", decided_on=dt.date(2025, 4, 3), reasons="out of scope"
    )
    retention.run(today=dt.date(2025, 6, 2), only=["whistleblowing.inadmissible"])
    report.refresh_from_db()
    assert report.anonymised_on is not None
    before, history = state(report), Report.history.count()
    for number, line in enumerate(
        (
            "SIG-R;01/04/2025;email;non;oui;fraud;02/04/2025;recevable;03/04/2025;;\n",  # the decision overturned
            "SIG-R;01/04/2025;email;non;oui;fraud;02/04/2025;irrecevable;03/04/2025;;03/04/2025\n",  # as it was
        )
    ):
        result = run_import_command(KIND, write(tmp_path, line, f"r{number}.csv"))
        assert result.exit_code == 1, result.stdout
        reason = rejects(tmp_path, f"r{number}")["SIG-R"]
        assert "le signalement SIG-R a été anonymisé le 02/06/2025" in reason
        assert "ne peut plus être modifié" in reason
    assert state(report) == before and Report.history.count() == history
    assert not Report.objects.overdue(dt.date(2025, 9, 1)).exists()


# --- #3: a live report -----------------------------------------------------------------------------------------------


def test_empty_cells_erase_nothing_and_an_identical_row_is_unchanged(tmp_path, ref):
    report = recorded(ref, "SIG-S")
    services.report_acknowledge(actor=ref, report=report, acknowledged_on=dt.date(2025, 4, 2))
    post = recorded(ref, "SIG-P", channel="post", anonymous=True, contact_possible=False)
    before, post_before = state(report), state(post)
    history = (Report.history.count(), ReportContent.history.count(), DeadlineEvent.objects.count())
    result = run_import_command(
        KIND,
        write(
            tmp_path,
            "SIG-S;01/04/2025;;;;;;;;;\n"  # empty: the acknowledgment, channel and contact stay
            "SIG-S2;01/04/2025;email;non;oui;fraud;;;;;\n"
            "SIG-P;01/04/2025 18:00;;;;fraud;;;;;\n",  # empty: anonymous, no contact, by post (another hour: same day)
        ),
    )
    assert result.exit_code == 0, result.stdout
    assert "créées 1, mises à jour 0, inchangées 2" in result.stdout
    assert state(report) == before and state(post) == post_before
    content = ReportContent.objects.get(report=post)
    assert (content.channel, content.anonymous, content.contact_possible) == (Channel.POST, True, False)
    # The same file again: every row unchanged, nothing written.
    history = (Report.history.count(), ReportContent.history.count(), DeadlineEvent.objects.count())
    again = run_import_command(KIND, tmp_path / "reports.csv")
    assert again.exit_code == 0 and "créées 0, mises à jour 0, inchangées 3" in again.stdout
    assert (Report.history.count(), ReportContent.history.count(), DeadlineEvent.objects.count()) == history


def test_what_vigie_recorded_is_not_changed_by_a_file(tmp_path, ref):
    acknowledged = recorded(ref, "SIG-A")
    services.report_acknowledge(actor=ref, report=acknowledged, acknowledged_on=dt.date(2025, 4, 2))
    closed = recorded(ref, "SIG-C")
    services.report_decide_admissibility(
        actor=ref, report=closed, admissibility="inadmissible", decided_on=dt.date(2025, 4, 3), reasons="hors champ"
    )
    anonymous = recorded(ref, "SIG-N", channel="post", anonymous=True)
    before = {r.reference: state(r) for r in (acknowledged, closed, anonymous)}
    result = run_import_command(
        KIND,
        write(
            tmp_path,
            "SIG-A;01/04/2025;email;non;oui;fraud;03/04/2025;;;;\n"  # another acknowledgment date
            "SIG-C;01/04/2025;email;non;oui;fraud;;recevable;03/04/2025;;\n"  # the decision reversed, reopened
            "SIG-N;02/04/2025;email;non;oui;corruption;;;;;\n",  # receipt, channel, anonymity, category
        ),
    )
    assert result.exit_code == 1
    reasons = rejects(tmp_path)
    assert "Vigie a enregistré 02/04/2025 : un fichier ne le modifie pas" in reasons["SIG-A"]
    assert 'admissibility ("Recevabilité"): Vigie a enregistré Irrecevable' in reasons["SIG-C"]
    for column, recorded_value in (
        ("received_at", "01/04/2025"),
        ("channel", "Courrier"),
        ("anonymous", "oui"),
        ("category", "Fraude"),
    ):
        assert f"{column} " in reasons["SIG-N"] and f"Vigie a enregistré {recorded_value}" in reasons["SIG-N"]
    assert {r.reference: state(r) for r in (acknowledged, closed, anonymous)} == before


def test_steps_that_write_to_the_author_are_taken_in_vigie_not_by_a_file(tmp_path, ref):
    report = recorded(ref, "SIG-S")
    services.report_acknowledge(actor=ref, report=report, acknowledged_on=dt.date(2025, 4, 2))
    admissible = recorded(ref, "SIG-F")
    services.report_decide_admissibility(
        actor=ref, report=admissible, admissibility="admissible", decided_on=dt.date(2025, 4, 3), reasons=""
    )
    before = {r.reference: state(r) for r in (report, admissible)}
    result = run_import_command(
        KIND,
        write(
            tmp_path,
            "SIG-S;01/04/2025;email;non;oui;fraud;;;;;20/05/2025\n"  # closed without its letter
            "SIG-F;01/04/2025;email;non;oui;fraud;;;;15/05/2025;\n"  # feedback without its letter
            "SIG-I;01/04/2025;email;non;oui;fraud;;;;;\n",
        ),
    )
    assert result.exit_code == 1  # SIG-I: a new report, created
    assert set(rejects(tmp_path)) == {"SIG-S", "SIG-F"}
    result = run_import_command(
        KIND, write(tmp_path, "SIG-I;01/04/2025;email;non;oui;fraud;;irrecevable;03/04/2025;;\n", "inadmissible.csv")
    )
    assert result.exit_code == 1
    assert "SIG-I" in rejects(tmp_path, "inadmissible")
    reasons = {**rejects(tmp_path), **rejects(tmp_path, "inadmissible")}
    assert (
        "closed_on" in reasons["SIG-S"]
        and "franchit cette étape dans Vigie, qui écrit à son auteur" in reasons["SIG-S"]
    )
    assert "feedback_on" in reasons["SIG-F"] and "qui écrit à son auteur" in reasons["SIG-F"]
    assert "admissibility" in reasons["SIG-I"] and "qui écrit à son auteur" in reasons["SIG-I"]
    assert {r.reference: state(r) for r in (report, admissible)} == before
    assert not Message.objects.filter(kind=MessageKind.CLOSURE).exists()
    assert Report.objects.get(reference="SIG-I").status == Status.RECEIVED


def test_the_file_fills_in_an_acknowledgment_or_an_admissible_decision_as_the_services_would(tmp_path, ref):
    report = recorded(ref, "SIG-F", received=dt.date(2025, 5, 5))
    assert report.feedback_due_on == dt.date(2025, 8, 15)
    result = run_import_command(
        KIND, write(tmp_path, "SIG-F;05/05/2025;email;non;oui;fraud;07/05/2025;recevable;09/05/2025;;\n")
    )
    assert result.exit_code == 0, result.stdout
    assert "mises à jour 1" in result.stdout
    report.refresh_from_db()
    assert (report.status, report.acknowledged_on, report.admissibility, report.admissibility_decided_on) == (
        Status.ADMISSIBLE,
        dt.date(2025, 5, 7),
        Admissibility.ADMISSIBLE,
        dt.date(2025, 5, 9),
    )
    assert report.feedback_due_on == dt.date(2025, 8, 7)  # counted again from the acknowledgment
    assert report.deadline_events.order_by("pk").last().due_on == dt.date(2025, 8, 7)
    # The services can take the next step.
    services.report_give_feedback(
        actor=ref, report=report, feedback_on=dt.date(2025, 5, 20), measures="audit", message="Nous avons agi."
    )


def test_a_closed_report_is_not_acknowledged_by_a_file_and_dates_keep_their_order(tmp_path, ref):
    # An author out of reach: no acknowledgment is due, so the closure letter does not stand for one.
    closed = recorded(ref, "SIG-C", anonymous=True, contact_possible=False)
    services.report_close(actor=ref, report=closed, closed_on=dt.date(2025, 4, 10), message="Clos.")
    assert closed.acknowledged_on is None
    decided = recorded(ref, "SIG-D")
    services.report_decide_admissibility(
        actor=ref, report=decided, admissibility="admissible", decided_on=dt.date(2025, 4, 3), reasons=""
    )
    before = {r.reference: state(r) for r in (closed, decided)}
    result = run_import_command(
        KIND,
        write(
            tmp_path,
            "SIG-C;01/04/2025;;;;;02/04/2025;;;;\n"
            "SIG-D;01/04/2025;;;;;04/04/2025;;;;\n",  # acknowledged after the decision of 03/04
        ),
    )
    assert result.exit_code == 1
    reasons = rejects(tmp_path)
    assert "acknowledged_on" in reasons["SIG-C"] and "« Clôturée » ne peut pas passer à cette étape" in reasons["SIG-C"]
    assert "acknowledged_on" in reasons["SIG-D"]
    assert (
        "La décision sur la recevabilité (03/04/2025) ne peut pas précéder l'accusé de réception (04/04/2025)"
        in (reasons["SIG-D"])
    )
    assert {r.reference: state(r) for r in (closed, decided)} == before
    # The service refuses the same acknowledgment, with the same words.
    with pytest.raises(ValidationError) as excinfo:
        services.report_acknowledge(actor=ref, report=decided, acknowledged_on=dt.date(2025, 4, 4))
    assert "ne peut pas précéder l'accusé de réception" in excinfo.value.message_dict["acknowledged_on"][0]


def test_contact_changes_through_the_service_and_never_for_an_author_with_credentials(tmp_path, ref):
    credentials = recorded(ref, "SIG-P", received=dt.date(2025, 5, 20), channel="post", anonymous=True)
    follow_up_issue(actor=ref, report=credentials)
    silent = recorded(
        ref, "SIG-Q", received=dt.date(2025, 5, 20), channel="post", anonymous=True, contact_possible=False
    )
    assert silent.acknowledgment_due_on is None
    before = state(credentials)
    assert before[4:] == (dt.date(2025, 5, 30), dt.date(2025, 8, 30))
    result = run_import_command(
        KIND,
        write(
            tmp_path,
            "SIG-P;20/05/2025;courrier;oui;non;fraud;;;;;\n"  # the clock of a contactable author would stop
            "SIG-Q;20/05/2025;courrier;oui;oui;fraud;;;;;\n",  # an address found: the clock starts from the receipt
        ),
    )
    assert result.exit_code == 1
    assert "identifiants de suivi" in rejects(tmp_path)["SIG-P"]
    assert state(credentials) == before
    assert ReportContent.objects.get(report=credentials).contact_possible is True
    silent.refresh_from_db()
    assert (silent.acknowledgment_due_on, silent.feedback_due_on) == (dt.date(2025, 5, 30), dt.date(2025, 8, 30))
    assert ReportContent.objects.get(report=silent).contact_possible is True
    latest = silent.deadline_events.filter(deadline=DeadlineKind.ACKNOWLEDGMENT).order_by("pk").last()
    assert latest.due_on == dt.date(2025, 5, 30) and "devenu possible" in latest.explanation


def test_a_report_changed_in_vigie_during_the_import_is_not_overwritten(tmp_path, ref, monkeypatch):
    report = recorded(ref, "SIG-X", received=dt.date(2025, 5, 5))
    prepare = WhistleblowingReportImporter.prepare

    def prepare_then_a_referent_acts(importer):
        prepare(importer)
        # After the rows' snapshot, before they are written: a referent closes the report.
        services.report_close(actor=ref, report=report, closed_on=dt.date(2025, 5, 6), message="Clos.")

    monkeypatch.setattr(WhistleblowingReportImporter, "prepare", prepare_then_a_referent_acts)
    result = run_import_command(KIND, write(tmp_path, "SIG-X;05/05/2025;;;;;07/05/2025;recevable;09/05/2025;;\n"))
    assert result.exit_code == 1
    assert "modifié dans Vigie pendant l'import" in rejects(tmp_path)["SIG-X"]
    report.refresh_from_db()
    # The closure letter acknowledged the receipt (services/reports.py); the file's acknowledgment is not taken.
    assert (report.status, report.closed_on, report.acknowledged_on, report.admissibility) == (
        Status.CLOSED,
        dt.date(2025, 5, 6),
        dt.date(2025, 5, 6),
        "",
    )


# --- #4: dates that contradict each other ----------------------------------------------------------------------------


def test_rows_whose_dates_contradict_each_other_are_rejected_with_the_column_named(tmp_path):
    text = (
        "CLOSE-BEFORE-ACK;21/04/2023;email;non;oui;fraud;25/04/2023;;;;24/04/2023\n"
        "CLOSE-BEFORE-FEEDBACK;21/04/2023;email;non;oui;fraud;25/04/2023;admissible;26/04/2023;01/06/2023;15/05/2023\n"
        "CLOSE-BEFORE-DECISION;21/04/2023;email;non;oui;fraud;25/04/2023;irrecevable;10/05/2023;;02/05/2023\n"
        "FEEDBACK-INADMISSIBLE;21/04/2023;email;non;oui;fraud;25/04/2023;irrecevable;26/04/2023;01/06/2023;\n"
        "FEEDBACK-NO-DECISION;21/04/2023;email;non;oui;fraud;25/04/2023;;;01/06/2023;\n"
        "FEEDBACK-BEFORE-DECISION;21/04/2023;email;non;oui;fraud;25/04/2023;admissible;10/05/2023;02/05/2023;\n"
        "DECISION-BEFORE-ACK;21/04/2023;email;non;oui;fraud;25/05/2023;admissible;24/04/2023;;\n"
        "GOOD;21/04/2023;email;non;oui;fraud;25/04/2023;admissible;26/04/2023;01/06/2023;15/06/2023\n"
    )
    result = run_import_command(KIND, write(tmp_path, text))
    assert result.exit_code == 1
    assert list(Report.objects.values_list("reference", flat=True)) == ["GOOD"]
    assert Report.objects.get().status == Status.CLOSED
    reasons = rejects(tmp_path)
    expected = {
        "CLOSE-BEFORE-ACK": (
            "closed_on",
            "La clôture (24/04/2023) ne peut pas précéder l'accusé de réception (25/04/2023)",
        ),
        "CLOSE-BEFORE-FEEDBACK": (
            "closed_on",
            "La clôture (15/05/2023) ne peut pas précéder le retour d'information (01/06/2023)",
        ),
        "CLOSE-BEFORE-DECISION": (
            "closed_on",
            "La clôture (02/05/2023) ne peut pas précéder la décision sur la recevabilité (10/05/2023)",
        ),
        "FEEDBACK-INADMISSIBLE": ("feedback_on", "« Clôturée » ne peut pas passer à cette étape"),
        "FEEDBACK-NO-DECISION": ("feedback_on", "ne peut pas passer à cette étape"),
        "FEEDBACK-BEFORE-DECISION": (
            "feedback_on",
            "Le retour d'information (02/05/2023) ne peut pas précéder la décision sur la recevabilité (10/05/2023)",
        ),
        "DECISION-BEFORE-ACK": (
            "admissibility_decided_on",
            "La décision sur la recevabilité (24/04/2023) ne peut pas précéder l'accusé de réception (25/05/2023)",
        ),
    }
    for reference, (column, words) in expected.items():
        assert reasons[reference].startswith(column) and words in reasons[reference], (reference, reasons[reference])


def test_the_services_refuse_the_same_orders(ref):
    report = recorded(ref, "SIG-O")
    services.report_acknowledge(actor=ref, report=report, acknowledged_on=dt.date(2025, 4, 2))
    services.report_decide_admissibility(
        actor=ref, report=report, admissibility="admissible", decided_on=dt.date(2025, 4, 10), reasons=""
    )
    with pytest.raises(ValidationError) as excinfo:
        services.report_give_feedback(
            actor=ref, report=report, feedback_on=dt.date(2025, 4, 9), measures="m", message="retour"
        )
    assert excinfo.value.message_dict["feedback_on"] == [
        "Le retour d'information (09/04/2025) ne peut pas précéder la décision sur la recevabilité (10/04/2025)."
    ]
    with pytest.raises(ValidationError) as excinfo:
        services.report_close(actor=ref, report=report, closed_on=dt.date(2025, 4, 5), message="clos")
    assert excinfo.value.message_dict["closed_on"] == [
        "La clôture (05/04/2025) ne peut pas précéder la décision sur la recevabilité (10/04/2025)."
    ]
