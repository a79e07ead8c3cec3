"""Personal-data retention (core/retention.py): for every record type, an expired record and one that is
not; after the run no personal value of the expired one is left in any table (history tables, the alert
ledger and the run record included) nor in the media files, the other is intact, the past years'
indicators are unchanged (a frozen year still shows no difference), a dry run changes nothing and a
second run does nothing more."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.db import connection
from django.utils import timezone

from compliance.models import ActionItem, CaseMeasure, ConflictOfInterestCase
from core import retention
from core.models import ImportRun, RetentionRun
from core.services import save_with_history
from core.users import get_system_user
from gdpr.models import (
    Breach,
    BreachNotification,
    CnilCase,
    CnilCaseAttachment,
    DeadlineEvent,
    RightsRequest,
    RightsRequestPause,
)
from notifications.models import Alert
from organization.models import Employee
from reporting import services as reporting
from tests.compliance.factories import ActionItemFactory, CaseFactory, CaseMeasureFactory
from tests.factories import EmployeeFactory, UserFactory
from tests.gdpr.factories import BreachFactory, CnilCaseFactory, RightsRequestFactory
from tests.training.factories import CompletionFactory
from training.models import Module

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("isolated_media")]

PARIS = timezone.get_default_timezone()
#: The reference day of the run: every "old" record's period has ended, no "recent" one's has.
TODAY = dt.date(2028, 6, 15)
YEAR = 2022  # the records' year, whose indicators must not move


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=PARIS)


class Scenario:
    """Records of every record type; `gone` holds the personal values that must disappear, `kept` those
    that must stay (records not expired, held by another, or kept by a live case)."""

    # The records build() makes, named after what each one tests.
    rr_old: RightsRequest
    rr_recent: RightsRequest
    rr_open: RightsRequest
    rr_held: RightsRequest
    cnil_old: CnilCase
    cnil_recent: CnilCase
    cnil_open: CnilCase
    complaint_old: CnilCase
    complaint_waiting: CnilCase
    letter: CnilCaseAttachment
    breach_old: Breach
    breach_recent: Breach
    emp_old: Employee
    emp_named: Employee
    emp_present: Employee
    emp_recent: Employee
    coi_old: ConflictOfInterestCase
    coi_recent: ConflictOfInterestCase
    coi_sanction_old: ConflictOfInterestCase
    coi_sanction_recent: ConflictOfInterestCase
    action_old: ActionItem
    import_old: ImportRun
    import_recent: ImportRun

    def __init__(self) -> None:
        self.gone: set[str] = set()
        self.kept: set[str] = set()
        self.actor = UserFactory(username="retention-test-actor")

    def secret(self, name: str, *, gone: bool) -> str:
        value = f"Zq{name}Xw"
        (self.gone if gone else self.kept).add(value)
        return value

    def alert(self, target, title: str) -> Alert:
        due = at(dt.date(YEAR, 3, 1))
        return Alert.objects.create(
            rule="test.rule",
            threshold="d-7",
            content_type=ContentType.objects.get_for_model(target),
            object_id=target.pk,
            object_label=title[:255],
            due_at=due,
            fires_at=due,
            urgency="soon",
            title=title,
            explanation=title,
        )


def _rights_request(s: Scenario, name: str, *, gone: bool, closed: dt.date | None, **extra) -> RightsRequest:
    old_name = s.secret(f"{name}Oldname", gone=gone)
    request: RightsRequest = RightsRequestFactory(
        reference=f"DSR-{name}",
        requester_name=old_name,
        requester_email=f"{s.secret(name + 'Mail', gone=gone)}@example.org",
        requester_address=s.secret(f"{name}Street", gone=gone),
        received_at=at(closed or dt.date(YEAR, 2, 1)) - dt.timedelta(days=20),
        **extra,
    )
    # A value only an older version holds, and a change reason quoting the requester.
    request.requester_name = s.secret(f"{name}Newname", gone=gone)
    save_with_history(request, actor=s.actor, reason=f"called back: {old_name}")
    if closed is not None:
        request.answered_at = at(closed)
        request.outcome, request.status = "granted", "closed"
        request.closed_at = at(closed, 18)
        request.extension_notified_at = request.received_at + dt.timedelta(days=3)
        request.extended_due_on = closed + dt.timedelta(days=60)
        request.extension_reason = s.secret(f"{name}Extension", gone=gone)
        request.notes = s.secret(f"{name}Notes", gone=gone)
        save_with_history(request, actor=s.actor, reason="closed")
    RightsRequestPause.objects.create(
        request=request,
        asked_on=request.received_at.date(),
        answered_on=request.received_at.date() + dt.timedelta(days=2),
        note=s.secret(f"{name}Pause", gone=gone),
    )
    DeadlineEvent.objects.create(request=request, kind="paused", reason=s.secret(f"{name}Event", gone=gone))
    s.alert(request, f"Answer {s.secret(name + 'Alert', gone=gone)}")
    return request


def build() -> Scenario:
    s = Scenario()
    s.rr_old = _rights_request(s, "RrOld", gone=True, closed=dt.date(YEAR, 3, 20))
    s.rr_recent = _rights_request(s, "RrRecent", gone=False, closed=dt.date(2023, 10, 1))
    s.rr_open = _rights_request(s, "RrOpen", gone=False, closed=None)  # never answered: never expires
    s.rr_held = _rights_request(s, "RrHeld", gone=False, closed=dt.date(YEAR, 4, 2))  # a live CNIL case is about it

    s.cnil_old = CnilCaseFactory(
        reference="CNIL-OLD",
        received_on=dt.date(YEAR, 5, 2),
        answered_on=dt.date(YEAR, 5, 10),
        subject=s.secret("CnilOldSubject", gone=True),
        notes=s.secret("CnilOldNotes", gone=True),
    )
    s.letter = CnilCaseAttachment.objects.create(
        case=s.cnil_old,
        description=s.secret("CnilOldLetter", gone=True),
        file=ContentFile(f"Complaint of {s.secret('CnilOldFileText', gone=True)}".encode(), name="letter.txt"),
    )
    s.complaint_old = CnilCaseFactory(
        reference="CNIL-COMPLAINT-OLD",
        kind="complaint_without_referral",
        received_on=dt.date(YEAR, 6, 1),
        subject=s.secret("ComplaintOld", gone=True),
    )
    # Awaiting the reply a CNIL letter asked for: an open matter, not anonymised from its receipt.
    s.complaint_waiting = CnilCaseFactory(
        reference="CNIL-COMPLAINT-WAITING",
        kind="complaint_without_referral",
        received_on=dt.date(YEAR, 6, 2),
        due_on=dt.date(YEAR, 6, 12),
        subject=s.secret("ComplaintWaiting", gone=False),
    )
    s.cnil_recent = CnilCaseFactory(
        reference="CNIL-RECENT",
        received_on=dt.date(2024, 1, 2),
        answered_on=dt.date(2024, 1, 10),
        rights_request=s.rr_held,
        subject=s.secret("CnilRecentSubject", gone=False),
    )
    s.cnil_open = CnilCaseFactory(
        reference="CNIL-OPEN", received_on=dt.date(YEAR, 1, 5), subject=s.secret("CnilOpenSubject", gone=False)
    )  # unanswered referral

    s.breach_old = BreachFactory(
        reference="BR-OLD",
        title=s.secret("BreachOldTitle", gone=True),
        description=s.secret("BreachOldFacts", gone=True),
        aware_at=at(dt.date(YEAR, 2, 1)),
        notified_at=at(dt.date(YEAR, 2, 2)),
        notification_required=True,
        closed_at=at(dt.date(YEAR, 4, 1)),
        measures=s.secret("BreachOldMeasures", gone=True),
        data_categories="identity, bank details",
    )
    BreachNotification.objects.create(
        breach=s.breach_old,
        phase="initial",
        sent_at=at(dt.date(YEAR, 2, 2)),
        content=s.secret("BreachOldNotice", gone=True),
    )
    s.breach_recent = BreachFactory(
        reference="BR-RECENT",
        title=s.secret("BreachRecentTitle", gone=False),
        aware_at=at(dt.date(2024, 2, 1)),
        closed_at=at(dt.date(2024, 3, 1)),
    )

    s.emp_old = EmployeeFactory(
        employee_id=s.secret("EmpOldId", gone=True),
        last_name=s.secret("EmpOldLast", gone=True),
        first_name=s.secret("EmpOldFirst", gone=True),
        email=f"{s.secret('EmpOldMail', gone=True)}@example.org",
        hired_on=dt.date(2015, 1, 1),
        left_on=dt.date(YEAR, 12, 31),
    )
    s.emp_old.last_name = s.secret("EmpOldMaiden", gone=True)  # the name before: only in the history
    save_with_history(s.emp_old, actor=s.actor, reason="roster import")
    s.emp_old.last_name = s.secret("EmpOldLast2", gone=True)
    save_with_history(s.emp_old, actor=s.actor, reason="roster import")
    s.alert(s.emp_old, f"{s.emp_old}: RGPD to renew")
    # Named in a live case: anonymised on time all the same, its identity kept on the case (compliance only).
    s.emp_named = EmployeeFactory(
        employee_id="EMP-NAMED",
        last_name=s.secret("EmpNamedLast", gone=False),
        first_name="Franck",
        hired_on=dt.date(2015, 1, 1),
        left_on=dt.date(YEAR, 12, 31),
    )
    s.emp_present = EmployeeFactory(
        employee_id="EMP-PRESENT", last_name=s.secret("EmpPresentLast", gone=False), hired_on=dt.date(2015, 1, 1)
    )
    s.emp_recent = EmployeeFactory(
        employee_id="EMP-RECENT",
        last_name=s.secret("EmpRecentLast", gone=False),
        hired_on=dt.date(2015, 1, 1),
        left_on=dt.date(2024, 6, 30),
    )
    # Django's admin log copies str(record) of each record saved in the admin.
    from django.contrib.admin.models import CHANGE, LogEntry
    from django.contrib.contenttypes.models import ContentType

    clerk = UserFactory(username="hr-clerk")
    for employee, name in ((s.emp_old, "EmpOldLogged"), (s.emp_recent, "EmpRecentLogged")):
        LogEntry.objects.create(
            user=clerk,
            content_type=ContentType.objects.get_for_model(employee),
            object_id=str(employee.pk),
            object_repr=f"{s.secret(name, gone=employee is s.emp_old)} ({employee.employee_id})",
            action_flag=CHANGE,
            change_message='[{"changed": {"fields": ["Last name"]}}]',
        )
    rgpd = Module.objects.get(code="RGPD")
    for employee in (s.emp_old, s.emp_present, s.emp_named):
        CompletionFactory(employee=employee, module=rgpd, completed_at=at(dt.date(YEAR, 5, 3)))

    s.coi_old = CaseFactory(
        reference="COI-OLD",
        reported_on=dt.date(YEAR, 1, 10),
        status="closed",
        qualification="potential",
        qualified_on=dt.date(YEAR, 1, 20),
        closed_on=dt.date(YEAR, 2, 1),
        reporter_employee=s.emp_present,
        reporter_name=s.secret("CoiOldReporter", gone=True),
        third_parties=s.secret("CoiOldThird", gone=True),
        dossier_reference=s.secret("CoiOldDossier", gone=True),
        description=s.secret("CoiOldFacts", gone=True),
        analysis=s.secret("CoiOldAnalysis", gone=True),
    )
    s.coi_old.persons_concerned.add(s.emp_old)
    CaseMeasureFactory(case=s.coi_old, kind="action_plan", description=s.secret("CoiOldMeasure", gone=True))
    s.action_old = ActionItemFactory(
        case=s.coi_old,
        title=s.secret("CoiOldAction", gone=True),
        owner_name=s.secret("CoiOldOwner", gone=True),
        evidence_file=ContentFile(b"evidence", name="evidence.txt"),
    )
    s.alert(s.action_old, f"Action {s.action_old.title}")
    save_with_history(s.coi_old, actor=s.actor, reason=f"reopened: {s.secret('CoiOldReason', gone=True)} called")
    s.coi_recent = CaseFactory(
        reference="COI-RECENT",
        reported_on=dt.date(2028, 4, 1),
        status="closed",
        qualification="unfounded",
        qualified_on=dt.date(2028, 4, 20),
        closed_on=dt.date(2028, 5, 1),
        description=s.secret("CoiRecentFacts", gone=False),
    )
    s.coi_recent.persons_concerned.add(s.emp_named)
    s.coi_sanction_old = CaseFactory(
        reference="COI-SANCTION-OLD",
        reported_on=dt.date(YEAR, 3, 1),
        status="closed",
        qualification="confirmed",
        qualified_on=dt.date(YEAR, 3, 10),
        closed_on=dt.date(YEAR, 4, 1),
        description=s.secret("CoiSanctionOld", gone=True),
    )
    CaseMeasureFactory(case=s.coi_sanction_old, kind="sanction", description=s.secret("CoiSanctionMeasure", gone=True))
    s.coi_sanction_recent = CaseFactory(
        reference="COI-SANCTION-RECENT",
        reported_on=dt.date(YEAR, 10, 1),
        status="closed",
        qualification="confirmed",
        qualified_on=dt.date(YEAR, 10, 10),
        closed_on=dt.date(2023, 1, 2),
        description=s.secret("CoiSanctionRecent", gone=False),
    )
    CaseMeasureFactory(case=s.coi_sanction_recent, kind="referral")

    s.import_old = _import_run(s, "ImportOld", dt.date(2028, 1, 2), gone=True)
    s.import_recent = _import_run(s, "ImportRecent", dt.date(2028, 6, 1), gone=False)
    _aml(s)
    _whistleblowing(s)
    return s


def _aml(s: Scenario) -> None:
    """AML/CFT (aml/retention.py): a counterparty whose relationship ended 5 years ago, with its screening
    keys and hits, and an alert decided 5 years ago with its files; and recent ones of each."""
    from aml.choices import AlertStatus, Decision, HitStatus
    from aml.models import CounterpartyKey
    from tests.aml.factories import AlertFactory, CounterpartyFactory, HitFactory

    for name, ended, gone in (("CpOld", dt.date(YEAR, 12, 31), True), ("CpRecent", dt.date(2024, 1, 5), False)):
        old_name = s.secret(f"{name}Name", gone=gone)
        counterparty = CounterpartyFactory(
            reference=s.secret(f"{name}Ref", gone=gone),
            name=old_name,
            birth_date=dt.date(1970, 1, 1),
            relationship_ended_on=ended,
        )
        counterparty.name = s.secret(f"{name}Renamed", gone=gone)
        save_with_history(counterparty, actor=s.actor, reason="counterparties import")
        CounterpartyKey.objects.create(counterparty=counterparty, key=old_name.lower())
        HitFactory(
            counterparty=counterparty,
            counterparty_name=old_name,
            status=HitStatus.FALSE_POSITIVE,
            reviewed_at=at(dt.date(YEAR, 6, 1)),
            review_reason=s.secret(f"{name}Review", gone=gone),
        )
        kept_from = dt.date(YEAR, 6, 2) if gone else dt.date(2024, 1, 5)
        alert = AlertFactory(
            counterparty=counterparty,
            raised_at=at(dt.date(YEAR, 5, 1)),
            analysis_due_on=dt.date(YEAR, 5, 31),
            reason=s.secret(f"{name}Reason", gone=gone),
            status=AlertStatus.DECIDED,
            decision=Decision.TRACFIN_REPORT,
            decided_on=dt.date(YEAR, 6, 2),
            decision_reason=s.secret(f"{name}Decision", gone=gone),
            enhanced_report=s.secret(f"{name}Report", gone=gone),
            tracfin_reported_on=dt.date(YEAR, 6, 2),
            tracfin_reference=f"TRACFIN-{name}",
            tracfin_file=ContentFile(f"STR {s.secret(name + 'Str', gone=gone)}".encode(), name="str.txt"),
            enhanced_report_file=ContentFile(f"{s.secret(name + 'Exam', gone=gone)}".encode(), name="exam.txt"),
        )
        alert.records_kept_from = kept_from
        alert.save()


@pytest.fixture(autouse=True)
def whistleblowing_files(settings, isolated_media):
    """The whistleblowing attachments (outside the media URL space in production) under the scanned folder."""
    settings.VIGIE_WHISTLEBLOWING_FILES_ROOT = isolated_media / "whistleblowing"


def _whistleblowing(s: Scenario) -> None:
    """Whistleblowing (whistleblowing/retention.py): for each of its record types a report whose period ended
    (an inadmissible one closed today, one verified without proceedings closed two months ago, one whose
    proceedings ended today) and one that is kept (open, closed a day later, proceedings under way); each with
    its content, messages, an attachment and follow-up credentials."""
    from tests.whistleblowing.factories import MessageFactory, ReportContentFactory, ReportFactory
    from whistleblowing.choices import Admissibility, Proceedings, Status
    from whistleblowing.models import Attachment, FollowUpAccess

    cases: tuple[tuple[str, bool, dict[str, object]], ...] = (
        ("WbInad", True, {"closed_on": TODAY, "admissibility": Admissibility.INADMISSIBLE}),
        ("WbOpen", False, {}),
        ("WbVerified", True, {"closed_on": dt.date(2028, 4, 15), "admissibility": Admissibility.ADMISSIBLE}),
        ("WbVerifiedRecent", False, {"closed_on": dt.date(2028, 4, 16), "admissibility": Admissibility.ADMISSIBLE}),
        (
            "WbEnded",
            True,
            {
                "closed_on": dt.date(2027, 1, 4),
                "admissibility": Admissibility.ADMISSIBLE,
                "proceedings": Proceedings.ENDED,
                "proceedings_ended_on": TODAY,
            },
        ),
        (
            "WbPending",
            False,
            {
                "closed_on": dt.date(2027, 1, 4),
                "admissibility": Admissibility.ADMISSIBLE,
                "proceedings": Proceedings.PENDING,
            },
        ),
    )
    for name, gone, fields in cases:
        if fields.get("closed_on"):
            fields["status"] = Status.CLOSED
        if fields.get("admissibility"):
            fields["admissibility_decided_on"] = dt.date(2027, 1, 4)
        report = ReportFactory(reference=f"SIG-{name}", received_at=at(dt.date(2026, 12, 1)), **fields)
        old_name = s.secret(f"{name}Author", gone=gone)
        content = ReportContentFactory(
            report=report,
            author_name=old_name,
            author_email=f"{s.secret(name + 'Mail', gone=gone)}@example.org",
            author_phone=s.secret(f"{name}Phone", gone=gone),
            author_contact=s.secret(f"{name}Contact", gone=gone),
            facts=s.secret(f"{name}Facts", gone=gone),
            facts_period=s.secret(f"{name}Period", gone=gone),
            persons_concerned=s.secret(f"{name}Persons", gone=gone),
            admissibility_reasons=s.secret(f"{name}Reasons", gone=gone),
            measures=s.secret(f"{name}Measures", gone=gone),
            proceedings_note=s.secret(f"{name}Note", gone=gone),
        )
        content.author_name = s.secret(f"{name}Renamed", gone=gone)
        save_with_history(content, actor=s.actor, reason=f"author corrected: {old_name}")
        message = MessageFactory(report=report, body=s.secret(f"{name}Message", gone=gone))
        Attachment.objects.create(
            report=report,
            message=message,
            file=ContentFile(s.secret(f"{name}FileBytes", gone=gone).encode(), name="scan.txt"),
            name=s.secret(f"{name}FileName", gone=gone),
            content_type="text/plain",
            size=20,
        )
        # The letter that says how it ended and the follow-up codes stay for the reading period that follows the
        # anonymisation (the "whistleblowing.notice" record type, below).
        MessageFactory(
            report=report, direction="to_author", kind="closure", body=s.secret(f"{name}Closure", gone=False)
        )
        FollowUpAccess.objects.create(
            report=report,
            code_digest=s.secret(f"{name}Digest", gone=False),
            passphrase_hash=s.secret(f"{name}Hash", gone=False),
        )
    # Reports anonymised earlier: the reading period of the first ended today (its letters and codes go), the
    # second's ends tomorrow.
    for name, anonymised_on, gone in (
        ("WbNoticeEnded", TODAY - dt.timedelta(days=30), True),
        ("WbNoticeKept", TODAY - dt.timedelta(days=29), False),
    ):
        report = ReportFactory(
            reference=f"SIG-{name}",
            received_at=at(dt.date(2026, 12, 1)),
            status=Status.CLOSED,
            closed_on=anonymised_on,
            admissibility=Admissibility.INADMISSIBLE,
            admissibility_decided_on=anonymised_on,
            anonymised_on=anonymised_on,
        )
        ReportContentFactory(report=report, author_name="", author_email="", facts="[anonymisé]")
        MessageFactory(
            report=report, direction="to_author", kind="admissibility", body=s.secret(f"{name}Letter", gone=gone)
        )
        FollowUpAccess.objects.create(
            report=report,
            code_digest=s.secret(f"{name}Digest", gone=gone),
            passphrase_hash=s.secret(f"{name}Hash", gone=gone),
        )


def _import_run(s: Scenario, name: str, day: dt.date, *, gone: bool) -> ImportRun:
    run = ImportRun(
        kind="roster", file_name="roster.csv", started_at=at(day), status="completed_with_rejects", rejected=1
    )
    run.rejects_file.save(
        "roster.rejects.csv", ContentFile(f"line,reason\n3,{s.secret(name, gone=gone)}\n".encode()), save=False
    )
    run.save()
    return run


# --- reading every row of every table -------------------------------------------------------------------------


def _text(value) -> str:
    if isinstance(value, memoryview):
        value = bytes(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def database_rows(skip: tuple[str, ...] = ()) -> dict[str, list[tuple[str, ...]]]:
    """Every row of every table, its values as text, sorted (a snapshot to compare)."""
    result = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            if table in skip:
                continue
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            result[table] = sorted(tuple(_text(v) for v in row) for row in cursor.fetchall())
    return result


def where_found(values: set[str]) -> dict[str, set[str]]:
    """value → the tables (and media files) holding it somewhere, in any column of any row."""
    from django.conf import settings

    found: dict[str, set[str]] = {}
    lowered = {v: v.lower() for v in values}
    for table, rows in database_rows().items():
        for row in rows:
            for cell in row:
                cell = cell.lower()
                for value, low in lowered.items():
                    if low in cell:
                        found.setdefault(value, set()).add(table)
    for path in Path(settings.MEDIA_ROOT).rglob("*"):
        if path.is_file():
            content = path.read_bytes().decode("utf-8", errors="replace").lower()
            for value, low in lowered.items():
                if low in content:
                    found.setdefault(value, set()).add(f"file {path.name}")
    return found


# --- the tests -------------------------------------------------------------------------------------------------


def test_every_record_type_has_an_expired_and_a_live_record_in_the_scenario():
    """The scenario covers every declared record type (a new one needs its records in `build`)."""
    s = build()
    dry = retention.run(today=TODAY, dry_run=True)
    assert {entry["code"] for entry in dry.report} == set(retention.policies())
    for entry in dry.report:
        model = retention.policies()[entry["code"]].model_class()
        assert entry["count"] >= 1, entry["code"]
        assert model.objects.count() > entry["count"], entry["code"]
    assert s.gone and s.kept


def test_no_personal_value_of_an_expired_record_survives_anywhere_and_the_others_are_intact():
    s = build()
    assert where_found(s.gone).keys() == s.gone  # they are there before, in their tables and history tables
    run = retention.run(today=TODAY)
    assert run.status == RetentionRun.Status.COMPLETED and not run.dry_run

    leaks = where_found(s.gone)
    assert leaks == {}, leaks
    kept = where_found(s.kept)
    assert kept.keys() == s.kept  # not expired, or held: untouched
    # The employee a live case names: gone from the roster and its history, kept on the case only.
    assert kept[s.emp_named.last_name] == {
        "compliance_conflictofinterestcase",
        "compliance_historicalconflictofinterestcase",
    }
    # Files of the expired records are gone from the storage, the others stay.
    s.letter.refresh_from_db()
    s.action_old.refresh_from_db()
    s.import_old.refresh_from_db()
    s.import_recent.refresh_from_db()
    assert not s.letter.file and not s.action_old.evidence_file and not s.import_old.rejects_file
    assert s.import_recent.rejects_file and s.import_recent.rejects_file.storage.exists(
        s.import_recent.rejects_file.name
    )


def test_what_the_indicators_and_the_register_need_stays():
    s = build()
    retention.run(today=TODAY)
    request = RightsRequest.objects.get(pk=s.rr_old.pk)
    assert (request.reference, request.status, request.outcome, request.right) == (
        "DSR-RrOld",
        "closed",
        "granted",
        "access",
    )
    assert request.received_at == s.rr_old.received_at and request.answered_at == at(dt.date(YEAR, 3, 20))
    assert request.requester_name == request.requester_email == request.requester_address == ""
    assert request.extension_reason == retention.placeholder() and request.anonymised_on is not None
    latest = request.history.first()
    assert latest.history_change_reason == retention.change_reason("gdpr.rights_request")
    assert "gdpr.rights_request" in latest.history_change_reason
    assert latest.history_user == get_system_user() and latest.requester_name == ""
    assert all(h.anonymised_on for h in request.history.all())

    case = ConflictOfInterestCase.objects.get(pk=s.coi_old.pk)
    assert (case.qualification, case.closed_on, case.reporter_employee_id) == ("potential", dt.date(YEAR, 2, 1), None)
    assert not case.persons_concerned.exists()
    assert list(CaseMeasure.objects.filter(case=case).values_list("kind", flat=True)) == ["action_plan"]
    assert ActionItem.objects.get(pk=s.action_old.pk).title == retention.placeholder()
    assert ConflictOfInterestCase.objects.get(pk=s.coi_sanction_old.pk).anonymised_on is not None
    assert ConflictOfInterestCase.objects.get(pk=s.coi_sanction_recent.pk).anonymised_on is None

    employee = Employee.objects.get(pk=s.emp_old.pk)
    assert employee.employee_id == f"ANON-{employee.pk}" and employee.last_name == employee.first_name == ""
    assert (employee.hired_on, employee.left_on, employee.gender) == (dt.date(2015, 1, 1), dt.date(YEAR, 12, 31), "F")
    assert employee.training_completions.count() == 1
    assert {h.employee_id for h in employee.history.all()} == {f"ANON-{employee.pk}"}
    # Named in a case not anonymised yet: anonymised on time, the case keeps who it was. Present: never
    # expires. The reporter is only unlinked.
    named = Employee.objects.get(pk=s.emp_named.pk)
    assert named.anonymised_on is not None and named.employee_id == f"ANON-{named.pk}" and named.last_name == ""
    recent = ConflictOfInterestCase.objects.get(pk=s.coi_recent.pk)
    assert recent.persons_concerned_identities == f"{s.emp_named.last_name} Franck (EMP-NAMED)"
    assert list(recent.persons_concerned.all()) == [named]
    assert Employee.objects.get(pk=s.emp_present.pk).last_name in s.kept
    assert RightsRequest.objects.get(pk=s.rr_held.pk).anonymised_on is None

    breach = Breach.objects.get(pk=s.breach_old.pk)
    assert (breach.notified_at, breach.data_categories) == (at(dt.date(YEAR, 2, 2)), "identity, bank details")
    assert breach.title == breach.description == retention.placeholder()
    assert CnilCase.objects.get(pk=s.complaint_old.pk).anonymised_on is not None
    assert CnilCase.objects.get(pk=s.cnil_open.pk).anonymised_on is None
    assert CnilCase.objects.get(pk=s.complaint_waiting.pk).anonymised_on is None
    alert = Alert.objects.get(object_id=s.emp_old.pk, content_type=ContentType.objects.get_for_model(Employee))
    assert alert.title == retention.placeholder() and alert.rule == "test.rule"


def test_the_past_years_indicators_do_not_change_even_frozen():
    s = build()
    reporting.year_compute(YEAR)
    reporting.year_freeze(YEAR, s.actor)
    before = {year: reporting.year_evaluate(year) for year in (YEAR, 2023)}
    assert before[YEAR]["E2_RIGHTS_REQUESTS"].value >= 2 and before[YEAR]["E1_COI_SUSPICIONS"].value >= 3
    assert before[YEAR]["E2_BREACH_NOTIFICATIONS"].value == 1
    employee_ids = {
        i for e in before[YEAR].values() for r in e.records if r["model"] == "organization.employee" for i in r["ids"]
    }
    assert s.emp_old.pk in employee_ids  # the anonymised employee is behind a figure of that year

    run = retention.run(today=TODAY)
    # One per record type, the old complaint, and the employee a live case names.
    assert run.anonymised == len(retention.policies()) + 2

    for year, values in before.items():
        after = reporting.year_evaluate(year)
        assert after.keys() == values.keys()
        for code, value in values.items():
            now = after[code]
            assert (now.status, now.value, now.numerator, now.denominator, now.records, now.method) == (
                value.status,
                value.value,
                value.numerator,
                value.denominator,
                value.records,
                value.method,
            ), code
    assert reporting.year_differences(YEAR) == []
    assert reporting.year_is_frozen(YEAR)


def test_a_dry_run_changes_nothing_and_lists_what_a_run_then_does():
    s = build()
    before = database_rows(skip=("core_retentionrun",))
    files = sorted(p.name for p in Path(s.letter.file.storage.location).rglob("*") if p.is_file())
    dry = retention.run(today=TODAY, dry_run=True)
    assert database_rows(skip=("core_retentionrun",)) == before
    assert sorted(p.name for p in Path(s.letter.file.storage.location).rglob("*") if p.is_file()) == files
    due = {entry["code"]: entry["references"] for entry in dry.report}
    assert due["gdpr.rights_request"] == ["DSR-RrOld"]
    assert sorted(due["gdpr.cnil_case"]) == ["CNIL-COMPLAINT-OLD", "CNIL-OLD"]
    assert due["compliance.coi_case"] == ["COI-OLD"] and due["compliance.coi_case_proceedings"] == ["COI-SANCTION-OLD"]
    assert due["organization.employee"] == [str(s.emp_old.pk), str(s.emp_named.pk)] and due["gdpr.breach"] == ["BR-OLD"]
    assert due["core.import_rejects"] == [str(s.import_old.pk)]
    # A sealed app's records are counted, never named: searching the reports would tell who they were.
    counts = {entry["code"]: entry["count"] for entry in dry.report}
    assert counts["aml.counterparty"] and counts["aml.alert"]
    assert due["aml.counterparty"] == due["aml.alert"] == []

    real = retention.run(today=TODAY)
    done = {entry["code"]: entry["references"] for entry in real.report}
    assert {code: sorted(refs) for code, refs in done.items()} == {code: sorted(refs) for code, refs in due.items()}
    assert real.anonymised == dry.anonymised == sum(entry["count"] for entry in dry.report)


@pytest.mark.time_machine(dt.datetime(2028, 6, 15, 12, 0, tzinfo=dt.UTC), tick=False)
def test_a_second_run_does_nothing_more():
    """The same day (a report anonymised by the first run starts its letters' reading period that day)."""
    build()
    first = retention.run(today=TODAY)
    assert first.anonymised > 0
    before = database_rows(skip=("core_retentionrun",))
    second = retention.run(today=TODAY)
    assert second.anonymised == 0 and all(entry["count"] == 0 for entry in second.report)
    assert database_rows(skip=("core_retentionrun",)) == before


def test_nothing_expires_the_day_before_the_period_ends_and_the_start_is_a_paris_day():
    # Closed on 15/06/2023 at 23:30 Paris time (21:30 UTC): five years end on 15/06/2028.
    late_evening = RightsRequestFactory(
        reference="DSR-EVENING",
        received_at=at(dt.date(2023, 6, 1)),
        answered_at=at(dt.date(2023, 6, 15), 23),
        outcome="granted",
        status="answered",
        requester_name="Zqevening",
    )
    # 16/06/2023 at 00:30 Paris time is still 15/06 in UTC: it expires one day later.
    after_midnight = RightsRequestFactory(
        reference="DSR-MIDNIGHT",
        received_at=at(dt.date(2023, 6, 1)),
        answered_at=dt.datetime(2023, 6, 16, 0, 30, tzinfo=PARIS),
        outcome="granted",
        status="answered",
        requester_name="Zqmidnight",
    )
    policy = retention.policies()["gdpr.rights_request"]
    period = retention.periods()["gdpr.rights_request"]
    assert list(retention.expired(policy, period, dt.date(2028, 6, 14))) == []
    assert list(retention.expired(policy, period, dt.date(2028, 6, 15))) == [late_evening]
    assert set(retention.expired(policy, period, dt.date(2028, 6, 16))) == {late_evening, after_midnight}


def test_a_run_anonymises_in_batches_and_records_them(monkeypatch):
    monkeypatch.setattr(retention, "BATCH_SIZE", 2)
    requests = [
        RightsRequestFactory(
            reference=f"DSR-B{i}",
            received_at=at(dt.date(2020, 1, 1 + i)),
            answered_at=at(dt.date(2020, 2, 1)),
            outcome="granted",
            status="answered",
            requester_name=f"Zqbatch{i}",
        )
        for i in range(5)
    ]
    run = retention.run(today=TODAY, only=["gdpr.rights_request"])
    entry = run.report[0]
    assert entry["count"] == 5 and sorted(entry["references"]) == sorted(r.reference for r in requests)
    assert RightsRequest.objects.filter(anonymised_on__isnull=True).count() == 0
    assert where_found({f"Zqbatch{i}" for i in range(5)}) == {}


def test_a_change_reason_keeps_its_action_and_loses_the_detail():
    text = "[x]"
    assert retention.clean_reason("closed", ["jeanne"], text) == "closed"
    assert retention.clean_reason("answered: granted", ["jeanne"], text) == "answered: [x]"
    assert retention.clean_reason("called Jeanne back", ["jeanne"], text) == "[x]"
    assert retention.clean_reason("", ["jeanne"], text) == "" and retention.clean_reason(None, [], text) is None


def _answered_requests(count: int, prefix: str) -> list[RightsRequest]:
    return [
        RightsRequestFactory(
            reference=f"{prefix}{i:02d}",
            received_at=at(dt.date(2020, 1, 1 + i)),
            answered_at=at(dt.date(2020, 2, 1)),
            outcome="granted",
            status="answered",
            requester_name=f"Zq{prefix}{i:02d}",
        )
        for i in range(count)
    ]


def test_a_run_that_fails_midway_keeps_whole_batches_says_where_and_the_next_run_completes(monkeypatch):
    monkeypatch.setattr(retention, "BATCH_SIZE", 3)
    requests = _answered_requests(7, "DSR-K")
    original = retention._Anonymiser.anonymise
    calls = []

    def failing(self, policy, ids):
        calls.append(ids)
        if len(calls) == 2:
            raise RuntimeError("worker lost")
        return original(self, policy, ids)

    monkeypatch.setattr(retention._Anonymiser, "anonymise", failing)
    with pytest.raises(RuntimeError):
        retention.run(today=TODAY, only=["gdpr.rights_request"])
    failed = RetentionRun.objects.get()
    assert failed.status == RetentionRun.Status.FAILED and "worker lost" in failed.message
    done = RightsRequest.objects.filter(anonymised_on__isnull=False)
    assert failed.anonymised == done.count() == 3  # the first batch, whole; the second rolled back
    assert sorted(failed.report[0]["references"]) == sorted(done.values_list("reference", flat=True))
    assert RightsRequest.objects.filter(requester_name="").count() == 3

    monkeypatch.setattr(retention._Anonymiser, "anonymise", original)
    again = retention.run(today=TODAY, only=["gdpr.rights_request"])
    assert again.anonymised == 4 and RightsRequest.objects.filter(anonymised_on__isnull=True).count() == 0
    assert where_found({r.requester_name for r in requests}) == {}


def test_a_batch_another_run_did_meanwhile_is_skipped(monkeypatch):
    """The ids are read first, then each batch is locked and read again: a run delivered twice (acks_late)
    does not anonymise a record twice."""
    _answered_requests(3, "DSR-TWICE")
    original = retention._batch
    other: list[RetentionRun] = []

    def meanwhile(record, entry, policy, *args, **kwargs):
        if not other:
            monkeypatch.setattr(retention, "_batch", original)
            other.append(retention.run(today=TODAY, only=[policy.code]))  # the other run does it all first
        return original(record, entry, policy, *args, **kwargs)

    monkeypatch.setattr(retention, "_batch", meanwhile)
    late = retention.run(today=TODAY, only=["gdpr.rights_request"])
    assert other[0].anonymised == 3 and late.anonymised == 0 and late.report[0]["references"] == []
    for request in RightsRequest.objects.all():
        assert request.history.filter(history_change_reason=retention.change_reason("gdpr.rights_request")).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_anonymise_each_record_once(postgres, monkeypatch):
    """The task is acks_late: a redelivered task may run beside the first. Row locks share the work."""
    import threading

    from django.db import connections

    monkeypatch.setattr(retention, "BATCH_SIZE", 4)
    _answered_requests(24, "DSR-C")
    barrier = threading.Barrier(2)
    runs: list[RetentionRun] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            barrier.wait(timeout=10)
            runs.append(retention.run(today=TODAY, only=["gdpr.rights_request"]))
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors and len(runs) == 2
    references = [ref for run in runs for ref in run.report[0]["references"]]
    assert sorted(references) == [f"DSR-C{i:02d}" for i in range(24)]  # each once, in one run or the other
    assert sum(run.anonymised for run in runs) == 24
    for request in RightsRequest.objects.all():
        assert request.history.filter(history_change_reason=retention.change_reason("gdpr.rights_request")).count() == 1
