"""The reports in the admin (whistleblowing/admin/reports.py): the public part for every reader, read-only;
the content, the follow-up and the buttons for the referents who may read the report; the list's filters and
search on public fields; no deletion, no admin log; the referents' designation by superusers.

The buttons and the add page call the real services (whistleblowing/services/reports.py): each posts the form a
referent fills in and checks the report, its ledger and its messages; a service's refusal comes back on the same
form with what was typed."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.contrib.admin.models import LogEntry
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile

from core.roles import AML_OFFICER, AUDITOR, COMPLIANCE_OFFICER, WHISTLEBLOWING_REFERENT
from tests.aml.factories import AlertFactory
from tests.clients import logged_in, messages_of, page_of
from tests.compliance.factories import CaseFactory
from tests.factories import LegalEntityFactory, UserFactory
from tests.gdpr.factories import BreachFactory
from tests.whistleblowing.factories import (
    MessageFactory,
    ReferentAssignmentFactory,
    ReportContentFactory,
    ReportFactory,
)
from tests.whistleblowing.uploads import PDF, upload
from whistleblowing.choices import (
    Admissibility,
    Category,
    Channel,
    DeadlineKind,
    Direction,
    LinkKind,
    MessageKind,
    Proceedings,
    Status,
)
from whistleblowing.models import Attachment, DeadlineEvent, ReferentAssignment, Report, ReportContent, ReportLink
from whistleblowing.services import reports as services

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("roles"),
    pytest.mark.time_machine(dt.datetime(2026, 6, 3, 10, 0, tzinfo=dt.UTC), tick=False),  # a Wednesday
]
CHANGELIST = "/admin/whistleblowing/report/"
TODAY = dt.date(2026, 6, 3)


def report_with_content(reference: str = "SIG-2026-0001", entity=None, **report_fields) -> Report:
    report = ReportFactory(
        reference=reference,
        received_at=dt.datetime(2026, 5, 20, 8, tzinfo=dt.UTC),
        category=Category.FRAUD,
        acknowledgment_due_on=dt.date(2026, 5, 29),
        feedback_due_on=dt.date(2026, 8, 29),
        **report_fields,
    )
    ReportContentFactory(
        report=report,
        entity=entity,
        author_name="Clothilde SECRET-AUTHOR",
        facts="SECRET-FACTS in the warehouse",
        persons_concerned="SECRET-PERSON",
    )
    MessageFactory(report=report, direction=Direction.FROM_AUTHOR, body="SECRET-MESSAGE from the author")
    return report


def shown(body: str) -> list[str]:
    cells = re.findall(r'<th class="[^"]*\bfield-reference\b[^"]*"[^>]*>(.*?)</th>', body, re.S)
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in cells]


SECRETS = ("SECRET-AUTHOR", "SECRET-FACTS", "SECRET-PERSON", "SECRET-MESSAGE")


# --- the public part ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["superuser", AUDITOR, COMPLIANCE_OFFICER])
def test_readers_see_the_public_part_read_only_and_nothing_sealed(kind):
    report = report_with_content()
    client, _user = logged_in(*([] if kind == "superuser" else [kind]), is_superuser=kind == "superuser")
    listing = page_of(client.get(CHANGELIST))
    assert shown(listing) == [report.reference]
    assert "/admin/whistleblowing/report/add/" not in listing
    page = page_of(client.get(f"{CHANGELIST}{report.pk}/change/"))
    assert report.reference in page and "Fraud" in page
    assert not [secret for secret in SECRETS if secret in page]
    assert 'id="vigie-transitions"' not in page
    assert 'name="_save"' not in page
    history = page_of(client.get(f"{CHANGELIST}{report.pk}/history/"))
    assert not [secret for secret in SECRETS if secret in history]
    assert client.get(f"{CHANGELIST}add/").status_code == 403
    assert client.get(f"{CHANGELIST}{report.pk}/do/acknowledge/").status_code == 404
    assert client.post(f"{CHANGELIST}{report.pk}/do/acknowledge/", {"acknowledged_on": "2026-06-03"}).status_code == 404


@pytest.mark.parametrize("kind", ["superuser", AUDITOR, COMPLIANCE_OFFICER, WHISTLEBLOWING_REFERENT])
def test_nobody_deletes_a_report(kind):
    report = report_with_content()
    client, _user = logged_in(*([] if kind == "superuser" else [kind]), is_superuser=kind == "superuser")
    assert client.get(f"{CHANGELIST}{report.pk}/delete/").status_code == 403
    assert client.post(f"{CHANGELIST}{report.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Report.objects.filter(pk=report.pk).exists()


def test_a_user_without_the_role_has_no_whistleblowing_page():
    report = report_with_content()
    client, _user = logged_in()
    assert client.get(CHANGELIST).status_code == 403
    assert client.get(f"{CHANGELIST}{report.pk}/change/").status_code == 403


def test_the_list_is_searched_by_reference_only_and_filtered_on_public_fields():
    report = report_with_content("SIG-2026-0001")
    ReportFactory(
        reference="SIG-2026-0002", received_at=dt.datetime(2026, 5, 1, tzinfo=dt.UTC), category=Category.HARASSMENT
    )
    client, _user = logged_in(WHISTLEBLOWING_REFERENT)
    assert shown(page_of(client.get(f"{CHANGELIST}?q=SIG-2026-0001"))) == ["SIG-2026-0001"]
    assert shown(page_of(client.get(f"{CHANGELIST}?q=SIG-2026"))) == ["SIG-2026-0001", "SIG-2026-0002"]
    assert shown(page_of(client.get(f"{CHANGELIST}?q=2026-0001"))) == []  # a prefix, not any part
    assert shown(page_of(client.get(f"{CHANGELIST}?q=SECRET-FACTS"))) == []  # not the content, referents too
    assert shown(page_of(client.get(f"{CHANGELIST}?category__exact=fraud"))) == [report.reference]
    response = client.get(f"{CHANGELIST}?content__facts__icontains=SECRET")
    assert response.status_code in (302, 400)  # a lookup through the sealed part is refused


def test_the_due_filter_selects_overdue_acknowledgments_due_this_week_and_feedback_within_30_days():
    common = {"received_at": dt.datetime(2026, 5, 1, tzinfo=dt.UTC)}
    ReportFactory(reference="LATE-ACK", acknowledgment_due_on=TODAY - dt.timedelta(days=1), **common)
    ReportFactory(reference="ACK-SUNDAY", acknowledgment_due_on=dt.date(2026, 6, 7), **common)
    ReportFactory(reference="ACK-NEXT-WEEK", acknowledgment_due_on=dt.date(2026, 6, 8), **common)
    ReportFactory(
        reference="FEEDBACK-SOON",
        acknowledged_on=dt.date(2026, 5, 5),
        feedback_due_on=TODAY + dt.timedelta(days=30),
        **common,
    )
    ReportFactory(
        reference="FEEDBACK-LATER",
        acknowledged_on=dt.date(2026, 5, 5),
        feedback_due_on=TODAY + dt.timedelta(days=31),
        **common,
    )
    ReportFactory(
        reference="CLOSED-LATE",
        acknowledgment_due_on=TODAY - dt.timedelta(days=9),
        status=Status.CLOSED,
        closed_on=TODAY,
        **common,
    )
    client, _user = logged_in(AUDITOR)

    def due(value: str) -> set[str]:
        return set(shown(page_of(client.get(f"{CHANGELIST}?due={value}"))))

    assert due("overdue") == {"LATE-ACK"}
    assert due("ack_week") == {"LATE-ACK", "ACK-SUNDAY"}
    assert due("feedback_30") == {"FEEDBACK-SOON"}
    assert client.get(f"{CHANGELIST}?due=whenever").status_code in (200, 302)


# --- the sealed part, for the referents --------------------------------------------------------------------


def test_a_referent_reads_the_content_the_follow_up_and_the_ledger(settings, tmp_path):
    settings.VIGIE_WHISTLEBLOWING_FILES_ROOT = tmp_path
    report = report_with_content()
    Attachment.objects.create(
        report=report,
        file=ContentFile(b"%PDF-1.4 evidence", name="x"),
        name="evidence-SECRET.pdf",
        content_type="application/pdf",
        size=17,
    )
    DeadlineEvent.objects.create(
        report=report, deadline="acknowledgment", due_on=dt.date(2026, 5, 29), explanation="7th working day"
    )
    ReportLink.objects.create(report=report, kind=LinkKind.COI_CASE, coi_case=CaseFactory(reference="COI-LINKED"))
    client, _user = logged_in(WHISTLEBLOWING_REFERENT, COMPLIANCE_OFFICER)
    page = page_of(client.get(f"{CHANGELIST}{report.pk}/change/"))
    for secret in (*SECRETS, "evidence-SECRET.pdf", "COI-LINKED", "7th working day"):
        assert secret in page, secret
    assert 'id="vigie-transitions"' in page
    assert f"{CHANGELIST}{report.pk}/do/acknowledge/" in page
    attachment = report.attachments.get()
    download = client.get(f"{CHANGELIST}{report.pk}/attachment/{attachment.pk}/")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/octet-stream"
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Security-Policy"] == "sandbox"
    assert download["Content-Disposition"].startswith("attachment;")
    assert b"".join(download.streaming_content) == b"%PDF-1.4 evidence"


def test_the_ledger_is_public_the_rest_is_not(settings):
    report = report_with_content()
    DeadlineEvent.objects.create(
        report=report, deadline="acknowledgment", due_on=dt.date(2026, 5, 29), explanation="7th working day"
    )
    client, _user = logged_in(AUDITOR)
    page = page_of(client.get(f"{CHANGELIST}{report.pk}/change/"))
    assert "7th working day" in page
    assert "SECRET-AUTHOR" not in page


def test_per_entity_a_referent_of_another_entity_sees_the_public_part_only(settings, tmp_path):
    settings.VIGIE_WHISTLEBLOWING_REFERENTS_PER_ENTITY = True
    settings.VIGIE_WHISTLEBLOWING_FILES_ROOT = tmp_path
    e1, e2 = LegalEntityFactory(code="E1"), LegalEntityFactory(code="E2")
    report = report_with_content(entity=e1)
    attachment = Attachment.objects.create(
        report=report, file=ContentFile(b"x", name="x"), name="a.pdf", content_type="application/pdf", size=1
    )
    client, user = logged_in(WHISTLEBLOWING_REFERENT)
    ReferentAssignmentFactory(user=user, entity=e2)
    ReferentAssignmentFactory(user=logged_in(WHISTLEBLOWING_REFERENT)[1], entity=e1)  # E1 has its referent
    page = page_of(client.get(f"{CHANGELIST}{report.pk}/change/"))
    assert not [secret for secret in SECRETS if secret in page]
    assert 'id="vigie-transitions"' not in page
    assert client.get(f"{CHANGELIST}{report.pk}/attachment/{attachment.pk}/").status_code == 404
    assert client.get(f"{CHANGELIST}{report.pk}/do/message/").status_code == 404
    ReferentAssignmentFactory(user=user, entity=e1)
    assert "SECRET-FACTS" in page_of(client.get(f"{CHANGELIST}{report.pk}/change/"))


def recorded(referent: Any, *, entity: Any = None, facts: str = "SECRET-FACTS in the warehouse") -> Report:
    """A report received by email on 20 May 2026, recorded through the real service."""
    return services.report_record(
        actor=referent,
        received_at=dt.datetime(2026, 5, 20, 8, tzinfo=dt.UTC),
        channel=Channel.EMAIL,
        category=Category.FRAUD,
        facts=facts,
        author_name="Clothilde SECRET-AUTHOR",
        author_email="clothilde@example.org",
        entity=entity,
    )


def do(client: Any, report: Report, action: str, data: dict[str, Any]) -> Any:
    """Post the form of a button of the report's change page; a 302 is a success, back to the change page."""
    response = client.post(f"{CHANGELIST}{report.pk}/do/{action}/", data)
    if response.status_code != 302:
        raise AssertionError(response.context["form"].errors if response.context else response.status_code)
    assert response["Location"] == f"{CHANGELIST}{report.pk}/change/"
    report.refresh_from_db()
    return response


def kinds(report: Report) -> list[tuple[str, str]]:
    return list(report.messages.order_by("sent_at", "pk").values_list("kind", "body"))


def buttons(client: Any, report: Report) -> set[str]:
    page = page_of(client.get(f"{CHANGELIST}{report.pk}/change/"))
    return set(re.findall(rf"{CHANGELIST}{report.pk}/do/([a-z-]+)/", page))


def test_every_button_moves_the_report_through_the_real_services(settings, tmp_path):
    settings.VIGIE_WHISTLEBLOWING_FILES_ROOT = tmp_path
    client, referent = logged_in(WHISTLEBLOWING_REFERENT)
    report = recorded(referent)
    assert report.status == Status.RECEIVED and report.acknowledgment_due_on is not None
    assert "acknowledge" in buttons(client, report) and "investigate" not in buttons(client, report)

    response = do(client, report, "acknowledge", {"acknowledged_on": "2026-05-22", "message": "Received, thanks."})
    assert "Acknowledgment recorded." in messages_of(response)
    assert (report.status, report.acknowledged_on) == (Status.ACKNOWLEDGED, dt.date(2026, 5, 22))
    assert report.deadline_events.filter(deadline=DeadlineKind.ACKNOWLEDGMENT, reason__contains="22/05/2026").exists()
    assert kinds(report)[-1] == (MessageKind.ACKNOWLEDGMENT, "Received, thanks.")
    assert "acknowledge" not in buttons(client, report)

    do(client, report, "admissibility", {"admissibility": "admissible", "decided_on": "2026-05-25", "reasons": ""})
    assert (report.status, report.admissibility) == (Status.ADMISSIBLE, Admissibility.ADMISSIBLE)
    assert report.admissibility_decided_on == dt.date(2026, 5, 25)

    do(client, report, "investigate", {"measures": "Audit of the warehouse"})
    assert report.status == Status.INVESTIGATING
    assert ReportContent.objects.get(report=report).measures == "Audit of the warehouse"

    do(client, report, "meeting-request", {"requested_on": "2026-05-26"})
    assert report.meeting_requested_on == dt.date(2026, 5, 26) and report.meeting_due_on is not None
    assert kinds(report)[-1][0] == MessageKind.MEETING_REQUEST
    assert report.deadline_events.filter(deadline=DeadlineKind.MEETING, due_on=report.meeting_due_on).exists()

    do(client, report, "meeting-held", {"held_on": "2026-05-28", "minutes": "We met; the author confirmed."})
    assert report.meeting_held_on == dt.date(2026, 5, 28)
    assert kinds(report)[-1] == (MessageKind.MINUTES, "We met; the author confirmed.")

    do(
        client,
        report,
        "message",
        {"kind": "message", "body": "Could you tell us more?", "file": upload("rapport.pdf", PDF)},
    )
    message = report.messages.order_by("-sent_at", "-pk").first()
    assert (message.direction, message.kind, message.body) == (
        Direction.TO_AUTHOR,
        MessageKind.MESSAGE,
        "Could you tell us more?",
    )
    attachment = Attachment.objects.get(message=message)
    assert (attachment.name, attachment.from_author) == ("rapport.pdf", False)

    do(
        client,
        report,
        "feedback",
        {"feedback_on": "2026-06-01", "measures": "Procedure changed", "message": "Here is what we did."},
    )
    assert (report.status, report.feedback_on) == (Status.FEEDBACK_GIVEN, dt.date(2026, 6, 1))
    assert kinds(report)[-1] == (MessageKind.FEEDBACK, "Here is what we did.")
    assert report.deadline_events.filter(deadline=DeadlineKind.FEEDBACK, reason__contains="01/06/2026").exists()

    entity = LegalEntityFactory(code="E9")
    do(client, report, "entity", {"entity": str(entity.pk)})
    assert ReportContent.objects.get(report=report).entity_id == entity.pk

    do(client, report, "proceedings", {"proceedings": "pending", "ended_on": "", "note": "Disciplinary hearing"})
    assert report.proceedings == Proceedings.PENDING
    assert ReportContent.objects.get(report=report).proceedings_note == "Disciplinary hearing"

    do(client, report, "close", {"closed_on": "2026-06-02", "message": "The report is closed."})
    assert (report.status, report.closed_on) == (Status.CLOSED, dt.date(2026, 6, 2))
    assert kinds(report)[-1] == (MessageKind.CLOSURE, "The report is closed.")
    # No "link" button: a referent who may view no kind of record has nothing to link to (see the linking test).
    assert buttons(client, report) == {"proceedings", "entity", "credentials"}

    do(client, report, "proceedings", {"proceedings": "ended", "ended_on": "2026-06-03", "note": ""})
    assert (report.proceedings, report.proceedings_ended_on) == (Proceedings.ENDED, dt.date(2026, 6, 3))
    assert not LogEntry.objects.exists()


def test_an_inadmissible_report_is_closed_and_the_author_told_why():
    client, referent = logged_in(WHISTLEBLOWING_REFERENT, language="fr")
    report = recorded(referent)
    url = f"{CHANGELIST}{report.pk}/do/admissibility/"
    refused = client.post(url, {"admissibility": "inadmissible", "decided_on": "2026-05-25", "reasons": ""})
    assert refused.status_code == 200
    form = refused.context["form"]
    assert form["decided_on"].value() == "2026-05-25"
    assert "irrecevabilité" in " ".join(form.errors["reasons"])
    report.refresh_from_db()
    assert report.status == Status.RECEIVED
    do(
        client,
        report,
        "admissibility",
        {"admissibility": "inadmissible", "decided_on": "2026-05-25", "reasons": "Outside art. 6"},
    )
    assert (report.status, report.closed_on) == (Status.CLOSED, dt.date(2026, 5, 25))
    assert kinds(report) == [(MessageKind.ADMISSIBILITY, "Outside art. 6")]


@pytest.mark.parametrize(
    ("action", "data", "field"),
    [
        ("acknowledge", {"acknowledged_on": "2026-05-19", "message": "Typed acknowledgment"}, "acknowledged_on"),
        ("acknowledge", {"acknowledged_on": "2026-06-04", "message": "Typed acknowledgment"}, "acknowledged_on"),
        ("close", {"closed_on": "2026-05-24", "message": "Typed closure message"}, "closed_on"),
        ("meeting-held", {"held_on": "2026-05-25", "minutes": "Typed minutes"}, "held_on"),
    ],
)
def test_a_service_refusal_comes_back_on_the_same_form_with_what_was_typed(action, data, field):
    client, referent = logged_in(WHISTLEBLOWING_REFERENT, language="fr")
    report = recorded(referent)
    services.report_decide_admissibility(
        actor=referent, report=report, admissibility="admissible", decided_on=dt.date(2026, 5, 25), reasons=""
    )
    services.report_request_meeting(report=report, requested_on=dt.date(2026, 5, 26), actor=referent)
    before = (Report.objects.get(pk=report.pk).status, report.messages.count(), report.deadline_events.count())
    response = client.post(f"{CHANGELIST}{report.pk}/do/{action}/", data)
    assert response.status_code == 200
    form = response.context["form"]
    assert {name: form[name].value() for name in data} == data  # what the referent typed is kept
    assert form.errors[field]  # on the field it is about, in French
    message = " ".join(form.errors[field])
    assert re.search(r"\d\d/\d\d/2026", message) and not re.search(r"\b(the|is|before)\b", message)
    assert (Report.objects.get(pk=report.pk).status, report.messages.count(), report.deadline_events.count()) == before


def test_a_refused_file_comes_back_on_the_message_form(settings, tmp_path):
    settings.VIGIE_WHISTLEBLOWING_FILES_ROOT = tmp_path
    client, referent = logged_in(WHISTLEBLOWING_REFERENT, language="fr")
    report = recorded(referent)
    response = client.post(
        f"{CHANGELIST}{report.pk}/do/message/",
        {"kind": "message", "body": "Typed body", "file": upload("virus.exe", b"MZ\x90\x00")},
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert form["body"].value() == "Typed body"
    assert "virus.exe" in " ".join(form.errors["file"])
    assert not report.messages.exists() and not Attachment.objects.exists()


def test_linking_names_the_record_by_its_reference_and_offers_aml_alerts_to_the_aml_function_only():
    client, referent = logged_in(WHISTLEBLOWING_REFERENT, COMPLIANCE_OFFICER)
    report = recorded(referent)
    case, breach, alert = (
        CaseFactory(reference="COI-2026-0009"),
        BreachFactory(reference="BR-2026-0002"),
        AlertFactory(reference="AML-2026-0003"),
    )
    form = page_of(client.get(f"{CHANGELIST}{report.pk}/do/link/"))
    # A compliance officer views conflict-of-interest cases and breaches (read only), not the AML/CFT alerts.
    assert 'name="coi_case"' in form and 'name="breach"' in form and 'name="aml_alert"' not in form
    do(client, report, "link", {"coi_case": "COI-2026-0009"})
    do(client, report, "link", {"breach": "BR-2026-0002"})
    # Without the aml field, an AML reference typed into the request is not read.
    response = client.post(f"{CHANGELIST}{report.pk}/do/link/", {"aml_alert": "AML-2026-0003"})
    assert response.status_code == 200
    assert {(link.kind, link.coi_case_id, link.breach_id) for link in ReportLink.objects.filter(report=report)} == {
        (LinkKind.COI_CASE, case.pk, None),
        (LinkKind.BREACH, None, breach.pk),
    }
    again = client.post(f"{CHANGELIST}{report.pk}/do/link/", {"coi_case": "COI-2026-0009"})
    assert again.status_code == 200 and again.context["form"].errors["coi_case"]  # already linked, on the field
    missing = client.post(f"{CHANGELIST}{report.pk}/do/link/", {"coi_case": "NO-SUCH"})
    assert missing.status_code == 200 and missing.context["form"].errors["coi_case"]
    both, _both_user = logged_in(WHISTLEBLOWING_REFERENT, AML_OFFICER)
    assert 'name="aml_alert"' in page_of(both.get(f"{CHANGELIST}{report.pk}/do/link/"))
    do(both, report, "link", {"aml_alert": "AML-2026-0003"})
    assert ReportLink.objects.filter(report=report, kind=LinkKind.AML_ALERT, aml_alert_id=alert.pk).exists()
    assert "AML-2026-0003" in page_of(both.get(f"{CHANGELIST}{report.pk}/change/"))
    assert "AML-2026-0003" not in page_of(client.get(f"{CHANGELIST}{report.pk}/change/"))


def test_a_referent_who_may_not_view_a_kind_of_record_cannot_link_to_it_nor_learn_its_references():
    """Typing a reference into the link form would tell whether a record one may not see exists: a referent
    gets the fields of the kinds they may view only, and reads on a link the reference of those kinds only."""
    pure, referent = logged_in(WHISTLEBLOWING_REFERENT)
    coi_only, _user = logged_in(WHISTLEBLOWING_REFERENT, COMPLIANCE_OFFICER)
    report = recorded(referent)
    CaseFactory(reference="COI-2026-0010")
    assert "link" not in buttons(pure, report)
    refused = pure.get(f"{CHANGELIST}{report.pk}/do/link/")
    assert refused.status_code == 302 and refused.url.endswith(f"{report.pk}/change/")

    def answer(client: Any, reference: str) -> tuple[int, Any]:
        response = client.post(f"{CHANGELIST}{report.pk}/do/link/", {"coi_case": reference})
        return response.status_code, response.context["form"].errors if response.context else None

    # The same answer for a reference that exists and one that does not, and nothing linked.
    assert answer(pure, "COI-2026-0010") == answer(pure, "NO-SUCH-CASE")
    assert not ReportLink.objects.exists()
    with pytest.raises(ValidationError):
        services.report_link(actor=referent, report=report, record=CaseFactory(reference="COI-2026-0011"))
    assert not ReportLink.objects.exists()

    do(coi_only, report, "link", {"coi_case": "COI-2026-0010"})
    assert "COI-2026-0010" in page_of(coi_only.get(f"{CHANGELIST}{report.pk}/change/"))
    page = page_of(pure.get(f"{CHANGELIST}{report.pk}/change/"))
    assert "COI-2026-0010" not in page
    assert "Conflict-of-interest case: (you may not view these records)" in page


def test_new_follow_up_codes_are_shown_once_open_the_report_and_are_not_cached():
    client, referent = logged_in(WHISTLEBLOWING_REFERENT)
    report = recorded(referent)
    assert client.get(f"{CHANGELIST}{report.pk}/do/credentials/").status_code == 200
    response = client.post(f"{CHANGELIST}{report.pk}/do/credentials/", {"confirm": "on"})
    body = page_of(response)
    code = re.search(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", body).group(0)
    passphrase = response.context["passphrase"]
    assert passphrase in body
    assert services.follow_up_open(code, passphrase) == report
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    assert not any(code in message for message in messages_of(response))
    assert code not in str(dict(client.session))
    unticked = client.post(f"{CHANGELIST}{report.pk}/do/credentials/", {})
    assert unticked.status_code == 302
    assert services.follow_up_open(code, passphrase) == report  # not ticked: nothing issued


def add_data(**overrides: Any) -> dict[str, Any]:
    return {
        "reference": "",
        "received_at_0": "2026-06-01",
        "received_at_1": "09:30",
        "category": "harassment",
        "channel": "post",
        "contact_possible": "on",
        "author_name": "Jeanne Martin",
        "author_relation": "employee",
        "facts": "What the letter says.",
        "facts_period": "Spring 2026",
        **overrides,
    }


@pytest.mark.parametrize("channel", [Channel.EMAIL, Channel.POST, Channel.PHONE, Channel.MEETING, Channel.OTHER])
def test_a_referent_records_a_report_received_otherwise(channel, settings, tmp_path):
    settings.VIGIE_WHISTLEBLOWING_FILES_ROOT = tmp_path
    entity = LegalEntityFactory(code="E7")
    client, referent = logged_in(WHISTLEBLOWING_REFERENT)
    form = page_of(client.get(f"{CHANGELIST}add/"))
    assert f'value="{channel}"' in form and 'value="web"' not in form
    response = client.post(
        f"{CHANGELIST}add/",
        add_data(channel=channel, entity=str(entity.pk), file=upload("lettre.pdf", PDF)),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    report = Report.objects.get()
    assert report.reference == "SIG-2026-0001"
    assert response["Location"].startswith(f"{CHANGELIST}{report.pk}/change/") or response["Location"] == CHANGELIST
    assert report.received_at == dt.datetime(2026, 6, 1, 7, 30, tzinfo=dt.UTC)  # 09:30 in Paris
    assert (report.category, report.status) == (Category.HARASSMENT, Status.RECEIVED)
    assert report.acknowledgment_due_on is not None and report.feedback_due_on is not None
    content = ReportContent.objects.get(report=report)
    assert (content.channel, content.author_name, content.entity_id) == (channel, "Jeanne Martin", entity.pk)
    assert (content.facts, content.facts_period, content.anonymous) == ("What the letter says.", "Spring 2026", False)
    assert Attachment.objects.get(report=report).name == "lettre.pdf"
    assert report.deadline_events.count() == 2
    assert not LogEntry.objects.exists()  # the admin log copies what it is told: nothing here


def test_an_anonymous_report_without_contact_is_recorded_with_no_deadline():
    client, _referent = logged_in(WHISTLEBLOWING_REFERENT)
    data = add_data(anonymous="on", author_name="", reference="SIG-LETTER-1")
    del data["contact_possible"]
    assert client.post(f"{CHANGELIST}add/", data).status_code == 302
    report = Report.objects.get(reference="SIG-LETTER-1")
    assert report.acknowledgment_due_on is None and report.feedback_due_on is None
    assert ReportContent.objects.get(report=report).contact_possible is False


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"received_at_0": "2026-06-04"}, "received_at"),  # in the future
        ({"received_at_0": "1890-06-01"}, "received_at"),  # not plausible
    ],
)
def test_the_add_page_keeps_what_was_typed_when_the_service_refuses_it(overrides, field):
    client, _referent = logged_in(WHISTLEBLOWING_REFERENT, language="fr")
    data = add_data(**overrides)
    response = client.post(f"{CHANGELIST}add/", data)
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form["facts"].value() == "What the letter says." and form["author_name"].value() == "Jeanne Martin"
    assert form["facts_period"].value() == "Spring 2026" and form["channel"].value() == "post"
    assert form.errors[field]
    label = str(form.fields[field].label)
    assert any(message.startswith(f"{label}") for message in messages_of(response)), messages_of(response)
    assert not Report.objects.exists()


def test_the_referent_designation_is_the_superusers_and_the_referents_read_it():
    entity = LegalEntityFactory(code="E3")
    referent = UserFactory(groups=[WHISTLEBLOWING_REFERENT])
    superuser, _user = logged_in(is_superuser=True)
    response = superuser.post(
        "/admin/whistleblowing/referentassignment/add/", {"user": referent.pk, "entity": entity.pk}
    )
    assert response.status_code == 302
    assert ReferentAssignment.objects.filter(user=referent, entity=entity).exists()
    reader, _reader = logged_in(WHISTLEBLOWING_REFERENT)
    assert reader.get("/admin/whistleblowing/referentassignment/").status_code == 200
    assert reader.get("/admin/whistleblowing/referentassignment/add/").status_code == 403


def test_what_the_author_wrote_is_escaped_and_isolated_on_the_referent_s_pages(settings, tmp_path):
    settings.VIGIE_WHISTLEBLOWING_FILES_ROOT = tmp_path
    rlo = "\u202e"
    script = "<script>alert('x')</script>"
    report, _code, _passphrase = services.report_submit_public(
        category=Category.FRAUD,
        facts=f"{script} facts {rlo}fdp.exe",
        anonymous=False,
        author_name=f"<b>Name</b>{rlo}",
        facts_period=f"<i>May</i>{rlo}",
        persons_concerned=f"<img src=x onerror=alert(1)>{rlo}",
        files=[upload(f"<svg onload=alert(1)>{rlo}gpj.pdf", PDF)],
    )
    services.message_from_author(report=report, body=f"{script} body {rlo}txt.exe")
    client, _referent = logged_in(WHISTLEBLOWING_REFERENT)
    page = page_of(client.get(f"{CHANGELIST}{report.pk}/change/"))
    for raw in ("<script>alert", "<b>Name</b>", "<i>May</i>", "<img src=x", "<svg onload"):
        assert raw not in page, raw
    for escaped in ("&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;", "&lt;b&gt;Name&lt;/b&gt;", "&lt;img src=x"):
        assert escaped in page, escaped
    # Each right-to-left override stays inside the <bdi> of the text that carries it.
    assert page.count(rlo) == 5
    assert len(re.findall(rf"<bdi>[^<]*{rlo}[^<]*</bdi>", page)) == 5
    # The file name loses its control characters when it is stored.
    assert Attachment.objects.get().name == "<svg onload=alert(1)>gpj.pdf"
    assert "&lt;svg onload=alert(1)&gt;gpj.pdf" in page


def test_a_closure_before_the_acknowledgment_is_refused_on_the_closure_form():
    client, referent = logged_in(WHISTLEBLOWING_REFERENT, language="fr")
    report = recorded(referent)
    services.report_acknowledge(actor=referent, report=report, acknowledged_on=dt.date(2026, 5, 28))
    data = {"closed_on": "2026-05-27", "message": "Typed closure message"}
    response = client.post(f"{CHANGELIST}{report.pk}/do/close/", data)
    assert response.status_code == 200
    form = response.context["form"]
    assert {name: form[name].value() for name in data} == data
    assert "28/05/2026" in " ".join(form.errors["closed_on"])
    report.refresh_from_db()
    assert report.status == Status.ACKNOWLEDGED and report.closed_on is None


def test_who_handles_which_entity_is_hidden_from_everyone_but_referents_and_superusers():
    # With per-entity referents, a report's history names who acted: joined to the assignments it would tell
    # the report's (sealed) entity. So the assignments do not exist for the other roles.
    ReferentAssignment.objects.create(user=UserFactory(groups=[WHISTLEBLOWING_REFERENT]), entity=LegalEntityFactory())
    for role in (AUDITOR, COMPLIANCE_OFFICER):
        reader, _user = logged_in(role)
        assert reader.get("/admin/whistleblowing/referentassignment/").status_code == 404, role
        assert reader.get("/admin/whistleblowing/referentassignment/1/change/").status_code == 404, role
        assert b"referentassignment" not in reader.get("/admin/").content, role


def test_an_author_who_becomes_reachable_starts_the_clock_from_the_receipt(settings, tmp_path):
    settings.VIGIE_WHISTLEBLOWING_FILES_ROOT = tmp_path
    client, referent = logged_in(WHISTLEBLOWING_REFERENT)
    report = services.report_record(
        actor=referent,
        received_at=dt.datetime(2026, 5, 20, 8, tzinfo=dt.UTC),
        channel=Channel.POST,
        category=Category.FRAUD,
        facts="An anonymous letter",
        anonymous=True,
        contact_possible=False,
    )
    assert report.acknowledgment_due_on is None and report.feedback_due_on is None
    assert "contact" in buttons(client, report)
    do(client, report, "contact", {"contact_possible": "on"})
    # Wed 20/05/2026; Thu 21 (1) Fri 22 (2); Mon 25 Whit Monday; Tue 26 (3) .. Fri 29 (6); Mon 01/06 (7).
    assert report.acknowledgment_due_on == dt.date(2026, 6, 1)
    assert report.feedback_due_on == dt.date(2026, 9, 1)
    assert ReportContent.objects.get(report=report).contact_possible is True
    do(client, report, "contact", {})  # back to no means of contact, before any acknowledgment: none due
    assert report.acknowledgment_due_on is None and report.feedback_due_on is None
