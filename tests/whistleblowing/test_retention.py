"""Whistleblowing retention (whistleblowing/retention.py, CNIL référentiel): inadmissible → at once after its
closure; verified without proceedings → two months after the closure; proceedings ended → at their end;
proceedings under way → never. What goes (content, message bodies, attachment files and rows, follow-up
credentials, and every history row of them) and what stays (the public part, for the statistics); the run
record names the reports by reference and counts none of their sealed rows. (tests/core/test_retention.py
checks that no value of an expired report survives in any table or file.)"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.utils.translation import gettext

from core import retention
from core.services import save_with_history
from tests.compliance.factories import CaseFactory
from tests.factories import UserFactory
from tests.whistleblowing.factories import MessageFactory, ReportContentFactory, ReportFactory
from whistleblowing.choices import Admissibility, Category, LinkKind, Proceedings, Status
from whistleblowing.models import Attachment, FollowUpAccess, Message, Report, ReportContent, ReportLink

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("isolated_media")]

PARIS = ZoneInfo("Europe/Paris")
CODES = ("whistleblowing.inadmissible", "whistleblowing.verified", "whistleblowing.proceedings_ended")
NOTICE = "whistleblowing.notice"


@pytest.fixture(autouse=True)
def files_root(settings, tmp_path):
    settings.VIGIE_WHISTLEBLOWING_FILES_ROOT = tmp_path / "whistleblowing"
    return settings.VIGIE_WHISTLEBLOWING_FILES_ROOT


def report(name: str, *, closed_on=None, admissibility="", decided_on=None, proceedings=Proceedings.NONE, ended=None):
    """A report with every sealed part: content (changed once, so history holds an older author), messages both
    ways, an attachment with its file, follow-up credentials."""
    received = dt.datetime(2025, 1, 6, 10, tzinfo=PARIS)
    fields = {
        "status": Status.CLOSED if closed_on else Status.INVESTIGATING,
        "closed_on": closed_on,
        "admissibility": admissibility,
        "admissibility_decided_on": decided_on or (dt.date(2025, 1, 20) if admissibility else None),
        "proceedings": proceedings,
        "proceedings_ended_on": ended,
    }
    public = ReportFactory(reference=f"SIG-{name}", received_at=received, category=Category.HARASSMENT, **fields)
    content = ReportContentFactory(
        report=public,
        author_name=f"{name} Firstauthor",
        author_email=f"{name.lower()}@example.org",
        author_phone="0611223344",
        facts=f"{name} facts: the manager of the Lyon depot",
        persons_concerned=f"{name} Concerned",
        measures=f"{name} measures",
        admissibility_reasons=f"{name} reasons",
    )
    content.author_name = f"{name} Secondauthor"
    save_with_history(content, actor=UserFactory(), reason="author corrected")
    message = MessageFactory(report=public, body=f"{name} message from the author")
    MessageFactory(report=public, direction="to_author", body=f"{name} answer to the author")
    Attachment.objects.create(
        report=public,
        message=message,
        file=ContentFile(f"{name} file bytes".encode(), name="scan.pdf"),
        name=f"{name}-evidence.pdf",
        content_type="application/pdf",
        size=20,
    )
    FollowUpAccess.objects.create(report=public, code_digest=f"{name}-digest", passphrase_hash=f"{name}-hash")
    return public


def run(today: dt.date):
    return retention.run(today=today, only=(*CODES, NOTICE))


def anonymised(public: Report) -> bool:
    public.refresh_from_db()
    return public.anonymised_on is not None


def test_the_three_record_types():
    policies = retention.policies()
    assert [policies[code].default for code in CODES] == [
        retention.Period(),
        retention.Period(months=2),
        retention.Period(),
    ]
    assert all(policies[code].model == "whistleblowing.report" for code in CODES)
    assert retention.check_retention() == []


def test_an_inadmissible_report_is_anonymised_on_its_closing_day():
    closed = report(
        "Inad", closed_on=dt.date(2025, 2, 3), admissibility=Admissibility.INADMISSIBLE, decided_on=dt.date(2025, 2, 3)
    )
    run(dt.date(2025, 2, 2))
    assert not anonymised(closed)
    record = run(dt.date(2025, 2, 3))
    assert anonymised(closed) and closed.anonymised_on is not None
    entry = next(e for e in record.report if e["code"] == "whistleblowing.inadmissible")
    assert entry["references"] == ["SIG-Inad"] and entry["count"] == 1


def test_a_verified_report_without_proceedings_two_months_after_its_closure():
    verified = report(
        "Verif", closed_on=dt.date(2025, 3, 31), admissibility=Admissibility.ADMISSIBLE, decided_on=dt.date(2025, 1, 20)
    )
    run(dt.date(2025, 5, 30))
    assert not anonymised(verified)
    run(dt.date(2025, 5, 31))  # 31 March + 2 months
    assert anonymised(verified)


def test_proceedings_keep_the_report_until_they_end():
    pending = report(
        "Pend", closed_on=dt.date(2025, 3, 3), admissibility=Admissibility.ADMISSIBLE, proceedings=Proceedings.PENDING
    )
    ended = report(
        "Ended",
        closed_on=dt.date(2025, 3, 3),
        admissibility=Admissibility.ADMISSIBLE,
        proceedings=Proceedings.ENDED,
        ended=dt.date(2027, 9, 14),
    )
    run(dt.date(2027, 9, 13))
    assert not anonymised(pending) and not anonymised(ended)
    run(dt.date(2027, 9, 14))
    assert anonymised(ended)
    run(dt.date(2040, 1, 1))
    assert not anonymised(pending)


def test_an_open_report_is_never_anonymised():
    open_report = report("Open", admissibility=Admissibility.ADMISSIBLE)
    run(dt.date(2040, 1, 1))
    assert not anonymised(open_report)


def test_what_goes_and_what_stays(files_root):
    closed = report(
        "Gone", closed_on=dt.date(2025, 2, 3), admissibility=Admissibility.INADMISSIBLE, decided_on=dt.date(2025, 2, 3)
    )
    letter = MessageFactory(report=closed, direction="to_author", kind="admissibility", body="Outside the scheme")
    ReportLink.objects.create(report=closed, kind=LinkKind.COI_CASE, coi_case=CaseFactory(reference="COI-NAMES"))
    kept = report("Kept", admissibility=Admissibility.ADMISSIBLE)
    files = sorted(Path(files_root).rglob("*"))
    assert len([path for path in files if path.is_file()]) == 2
    record = run(dt.date(2025, 2, 3))

    content = ReportContent.objects.get(report=closed)
    assert (content.author_name, content.author_email, content.author_phone, content.persons_concerned) == (
        "",
        "",
        "",
        "[anonymisé]",
    )
    assert content.facts == content.measures == content.admissibility_reasons == "[anonymisé]"
    # Every message goes but the letter that tells the author why; it and the follow-up codes stay for the reading
    # period (below). The link to the case, which names the persons concerned, goes with its history.
    assert set(Message.objects.filter(report=closed).exclude(pk=letter.pk).values_list("body", flat=True)) == {
        "[anonymisé]"
    }
    assert Message.objects.get(pk=letter.pk).body == "Outside the scheme"
    assert not Attachment.objects.filter(report=closed).exists()
    assert FollowUpAccess.objects.filter(report=closed).exists()
    assert not ReportLink.objects.filter(report=closed).exists()
    assert {
        (row["coi_case_id"], row["breach_id"], row["aml_alert_id"])
        for row in ReportLink.history.filter(report_id=closed.pk).values()
    } == {(None, None, None)}
    # The history rows too: no version keeps the author, the facts, a message, a file name.
    secrets = (
        "Gone Firstauthor",
        "Gone Secondauthor",
        "gone@example.org",
        "Gone facts",
        "Gone message",
        "Gone-evidence",
    )
    for model in (ReportContent, Message, Attachment):
        for row in model.history.filter(report_id=closed.pk).values():
            assert not any(secret in str(value) for value in row.values() for secret in secrets), row
    # The file is gone from the disk; the other report's stays.
    remaining = [path for path in Path(files_root).rglob("*") if path.is_file()]
    assert [path.read_bytes() for path in remaining] == [b"Kept file bytes"]
    # The public part stays for the statistics.
    closed.refresh_from_db()
    assert (closed.reference, closed.category, closed.status, closed.closed_on, closed.admissibility) == (
        "SIG-Gone",
        Category.HARASSMENT,
        Status.CLOSED,
        dt.date(2025, 2, 3),
        Admissibility.INADMISSIBLE,
    )
    assert closed.history.first().history_change_reason.startswith("anonymis")
    # The other report is intact.
    assert ReportContent.objects.get(report=kept).author_name == "Kept Secondauthor"
    assert Attachment.objects.filter(report=kept).count() == 1 and FollowUpAccess.objects.filter(report=kept).exists()
    # The run record: the reference only, no count of messages or files, no content.
    entry = next(e for e in record.report if e["code"] == "whistleblowing.inadmissible")
    assert entry["references"] == ["SIG-Gone"]
    assert entry["related"] == {} and entry["files_deleted"] == 0
    text = "\n".join(retention.report_lines(record)) + str(record.report)
    assert not any(secret in text for secret in secrets)
    # ... and says that the sealed part went, rather than "0 files deleted".
    assert entry["sealed_related"] is True
    sealed = gettext(
        "and the sealed part (identity, content, messages, files, follow-up codes): anonymised or deleted, "
        "not counted above (its readers only may know how much there was)"
    )
    assert sealed in [line.strip() for line in retention.report_lines(record)]


def test_a_second_run_does_nothing_more():
    report(
        "Twice", closed_on=dt.date(2025, 2, 3), admissibility=Admissibility.INADMISSIBLE, decided_on=dt.date(2025, 2, 3)
    )
    assert run(dt.date(2025, 2, 3)).anonymised == 1
    assert run(dt.date(2025, 2, 4)).anonymised == 0


def test_the_author_reads_why_the_report_was_refused_for_the_reading_period_then_the_space_closes(client):
    """The author of an inadmissible report is told why in writing, and an anonymous author reads it only in the
    follow-up space: it still opens on the anonymised report for 30 days, with the letters only."""
    from django.core.cache import cache

    from whistleblowing.services.follow_up import follow_up_open, issue_credentials

    cache.clear()
    refused = report(
        "Refused",
        closed_on=dt.date(2025, 2, 3),
        admissibility=Admissibility.INADMISSIBLE,
        decided_on=dt.date(2025, 2, 3),
    )
    FollowUpAccess.objects.filter(report=refused).delete()
    code, passphrase = issue_credentials(refused)
    MessageFactory(report=refused, direction="to_author", kind="admissibility", body="Outside the scheme: reason X")
    run(dt.date(2025, 2, 3))
    assert anonymised(refused) and refused.anonymised_on is not None
    anonymised_on = refused.anonymised_on
    assert follow_up_open(code, passphrase) == refused
    with time_machine.travel(dt.datetime.combine(anonymised_on, dt.time(9), tzinfo=PARIS), tick=False):
        response = client.post("/signalement/suivi/", {"code": code, "passphrase": passphrase}, follow=True)
    page = response.content.decode()
    assert response.status_code == 200 and "reason X" in page and 'id="wb-anonymised"' in page
    assert "Refused message from the author" not in page and "Refused answer to the author" not in page
    last_day = anonymised_on + dt.timedelta(days=29)
    run(last_day)
    assert follow_up_open(code, passphrase) == refused
    run(last_day + dt.timedelta(days=1))
    refused.refresh_from_db()
    assert refused.letters_erased_on is not None
    assert follow_up_open(code, passphrase) is None
    assert set(Message.objects.filter(report=refused).values_list("body", flat=True)) == {"[anonymisé]"}
    assert not FollowUpAccess.objects.filter(report=refused).exists()
    for row in Message.history.filter(report_id=refused.pk).values("body"):
        assert "reason X" not in row["body"]
