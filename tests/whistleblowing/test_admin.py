"""The reports in the admin (whistleblowing/admin/reports.py): the public part for every reader, read-only;
the content, the follow-up and the buttons for the referents who may read the report; the list's filters and
search on public fields; no deletion, no admin log; the referents' designation by superusers.

The buttons call whistleblowing/services/reports.py: here a stand-in records the calls (the services are
tested with their slice), so what is checked is what the admin passes them."""

from __future__ import annotations

import datetime as dt
import re
import sys
import types
from typing import Any

import pytest
from django.contrib.admin.models import LogEntry
from django.core.files.base import ContentFile

from core.roles import AML_OFFICER, AUDITOR, COMPLIANCE_OFFICER, WHISTLEBLOWING_REFERENT
from tests.clients import logged_in, messages_of, page_of
from tests.compliance.factories import CaseFactory
from tests.factories import LegalEntityFactory, UserFactory
from tests.whistleblowing.factories import (
    MessageFactory,
    ReferentAssignmentFactory,
    ReportContentFactory,
    ReportFactory,
)
from whistleblowing.choices import Category, Direction, LinkKind, Status
from whistleblowing.models import Attachment, DeadlineEvent, ReferentAssignment, Report, ReportLink

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("roles"),
    pytest.mark.time_machine(dt.datetime(2026, 6, 3, 10, 0, tzinfo=dt.UTC), tick=False),  # a Wednesday
]
CHANGELIST = "/admin/whistleblowing/report/"
TODAY = dt.date(2026, 6, 3)


@pytest.fixture
def services(monkeypatch):
    """A stand-in for whistleblowing/services/reports.py that records each call (and makes a report)."""
    calls: list[tuple[str, dict[str, Any]]] = []
    fake = types.ModuleType("whistleblowing.services.reports")

    def recorder(name: str):
        def call(**kwargs: Any) -> Any:
            calls.append((name, kwargs))
            if name == "report_record":
                return ReportFactory(
                    reference=kwargs.get("reference") or "SIG-NEW-1",
                    received_at=kwargs["received_at"],
                    category=kwargs["category"],
                )
            if name == "follow_up_issue":
                return "CODE-SHOWN-ONCE", "passphrase shown once"
            return None

        return call

    for name in (
        "report_record",
        "report_acknowledge",
        "report_decide_admissibility",
        "report_start_investigation",
        "report_give_feedback",
        "report_close",
        "message_to_author",
        "report_request_meeting",
        "report_meeting_held",
        "report_set_proceedings",
        "report_link",
        "report_entity_set",
        "follow_up_issue",
    ):
        setattr(fake, name, recorder(name))
    monkeypatch.setitem(sys.modules, "whistleblowing.services.reports", fake)
    return calls


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
    client, _user = logged_in(WHISTLEBLOWING_REFERENT)
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
    page = page_of(client.get(f"{CHANGELIST}{report.pk}/change/"))
    assert not [secret for secret in SECRETS if secret in page]
    assert 'id="vigie-transitions"' not in page
    assert client.get(f"{CHANGELIST}{report.pk}/attachment/{attachment.pk}/").status_code == 404
    assert client.get(f"{CHANGELIST}{report.pk}/do/message/").status_code == 404
    ReferentAssignmentFactory(user=user, entity=e1)
    assert "SECRET-FACTS" in page_of(client.get(f"{CHANGELIST}{report.pk}/change/"))


def test_the_buttons_call_the_services_with_the_referent_as_actor(services):
    report = report_with_content()
    client, user = logged_in(WHISTLEBLOWING_REFERENT)
    response = client.post(
        f"{CHANGELIST}{report.pk}/do/acknowledge/", {"acknowledged_on": "2026-06-02", "message": "Received, thanks."}
    )
    assert response.status_code == 302
    assert services == [
        (
            "report_acknowledge",
            {"actor": user, "report": report, "acknowledged_on": dt.date(2026, 6, 2), "message": "Received, thanks."},
        )
    ]
    services.clear()
    client.post(
        f"{CHANGELIST}{report.pk}/do/admissibility/",
        {"admissibility": "inadmissible", "decided_on": "2026-06-03", "reasons": "Outside art. 6"},
    )
    client.post(f"{CHANGELIST}{report.pk}/do/message/", {"kind": "message", "body": "Could you tell us more?"})
    client.post(f"{CHANGELIST}{report.pk}/do/meeting-request/", {"requested_on": "2026-06-03"})
    assert [name for name, _kwargs in services] == [
        "report_decide_admissibility",
        "message_to_author",
        "report_request_meeting",
    ]
    assert services[0][1]["reasons"] == "Outside art. 6"
    assert services[1][1]["files"] == () and services[1][1]["body"] == "Could you tell us more?"
    assert services[2][1] == {"actor": user, "report": report, "requested_on": dt.date(2026, 6, 3)}


def test_a_service_refusal_comes_back_on_the_form(services, monkeypatch):
    from django.core.exceptions import ValidationError

    def refuse(**kwargs):
        raise ValidationError({"acknowledged_on": "La date précède la réception."})

    monkeypatch.setattr(sys.modules["whistleblowing.services.reports"], "report_acknowledge", refuse)
    report = report_with_content()
    client, _user = logged_in(WHISTLEBLOWING_REFERENT)
    response = client.post(f"{CHANGELIST}{report.pk}/do/acknowledge/", {"acknowledged_on": "2026-01-01"})
    assert response.status_code == 200
    assert "La date précède la réception." in response.content.decode()


def test_linking_names_the_record_by_its_reference_and_offers_aml_alerts_to_the_aml_function_only(services):
    report = report_with_content()
    case = CaseFactory(reference="COI-2026-0009")
    client, user = logged_in(WHISTLEBLOWING_REFERENT)
    form = page_of(client.get(f"{CHANGELIST}{report.pk}/do/link/"))
    assert 'name="coi_case"' in form and 'name="aml_alert"' not in form
    client.post(f"{CHANGELIST}{report.pk}/do/link/", {"coi_case": "COI-2026-0009"})
    assert services == [("report_link", {"actor": user, "report": report, "record": case})]
    response = client.post(f"{CHANGELIST}{report.pk}/do/link/", {"coi_case": "NO-SUCH"})
    assert response.status_code == 200 and len(services) == 1
    both, _both_user = logged_in(WHISTLEBLOWING_REFERENT, AML_OFFICER)
    assert 'name="aml_alert"' in page_of(both.get(f"{CHANGELIST}{report.pk}/do/link/"))


def test_new_follow_up_codes_are_shown_once_and_not_cached(services):
    report = report_with_content()
    client, user = logged_in(WHISTLEBLOWING_REFERENT)
    response = client.post(f"{CHANGELIST}{report.pk}/do/credentials/", {"confirm": "on"})
    body = page_of(response)
    assert "CODE-SHOWN-ONCE" in body and "passphrase shown once" in body
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    assert services == [("follow_up_issue", {"actor": user, "report": report})]
    assert not any("CODE-SHOWN-ONCE" in message for message in messages_of(response))


def test_a_referent_records_a_report_received_by_post(services):
    entity = LegalEntityFactory(code="E7")
    client, user = logged_in(WHISTLEBLOWING_REFERENT)
    assert client.get(f"{CHANGELIST}add/").status_code == 200
    response = client.post(
        f"{CHANGELIST}add/",
        {
            "reference": "",
            "received_at_0": "2026-06-01",
            "received_at_1": "09:30",
            "category": "harassment",
            "channel": "post",
            "contact_possible": "on",
            "author_name": "Jeanne Martin",
            "author_relation": "employee",
            "entity": str(entity.pk),
            "facts": "What the letter says.",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    name, kwargs = services[0]
    assert name == "report_record"
    assert kwargs["actor"] == user
    assert kwargs["channel"] == "post" and kwargs["category"] == "harassment"
    assert kwargs["author_name"] == "Jeanne Martin" and kwargs["entity"] == entity
    assert kwargs["reference"] is None and kwargs["files"] == ()
    assert kwargs["facts"] == "What the letter says." and kwargs["anonymous"] is False
    assert not LogEntry.objects.exists()  # the admin log copies what it is told: nothing here


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
