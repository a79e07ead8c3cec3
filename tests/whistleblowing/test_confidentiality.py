"""The issue's permission test (issue 21 §5): no channel shows a report's author or content to a non-referent.

One world: a report whose every sealed field carries a unique MARKER (the author's name, email, phone, other
contact, the facts, their period, the persons concerned, the reasons, the measures, the proceedings note, a
message each way, an attachment's name and its bytes) in the legal entity `E1`, linked to a conflict-of-interest
case, with its history rows. Per-entity referents are on: the referent assigned to `E1` reads it; one assigned
to `E2` only does not.

Then, for each user outside (superuser, auditor, compliance officer, DPO, training manager, LCB-FT, the referent
of `E2`, a staff user with no group, a visitor), GET:
- every page of the resolver that names no record (indexes, desk, search, sidebar, changelists, dashboards,
  exports and downloads, the auditor pack, the API lists and their formats, the schema, health, import runs,
  retention), every changelist also searched for a marker;
- every page of the report in the admin (change, history, each past version, each action's page, the
  attachment download with the real and guessed ids) and the API (detail, filters, formats, lookups through
  the sealed fields), and the linked case's pages (which must not tell that a report led to it);
- the user's calendar feed;
- and every email a notification sweep sends.
No answer (body, headers, file names, ZIP members) and no email holds a marker. The sealed URLs (an
attachment, an action) answer exactly what the same URL with a missing id answers; a lookup through a sealed
field answers the same whether its value is right or wrong.

Positive control: the referent of `E1` finds the markers on the report's page and the file's bytes in its
download, so the walk can fail.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
from django.core import mail
from django.core.files.base import ContentFile
from django.urls import get_resolver
from django.utils import timezone
from django.utils.html import escape

from core.roles import AML_OFFICER, AUDITOR, COMPLIANCE_OFFICER, DPO, TRAINING_MANAGER, WHISTLEBLOWING_REFERENT
from notifications.calendar import feed_renew
from notifications.jobs import run_sending, run_sweep
from tests.aml.test_no_tipping_off import _fill, _patterns, answer, clients_for
from tests.compliance.factories import CaseFactory
from tests.factories import LegalEntityFactory, UserFactory
from tests.whistleblowing.factories import MessageFactory, ReportContentFactory, ReportFactory
from whistleblowing.admin.reports import TRANSITIONS
from whistleblowing.choices import Category, Direction, LinkKind, MessageKind
from whistleblowing.models import Attachment, ReferentAssignment, ReportLink

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

MISSING_ID = 987654321

MARKER = {
    "author_name": "Anselme WBMARK-NAME",
    "author_email": "wbmark-mail@example.org",
    "author_phone": "+33 6 99 WBMARK-TEL",
    "author_contact": "WBMARK-CONTACT PO box",
    "facts": "WBMARK-FACTS bribes at the depot",
    "facts_period": "WBMARK-PERIOD spring",
    "persons_concerned": "WBMARK-PERSONS Mr Dubois",
    "admissibility_reasons": "WBMARK-REASONS art. 6",
    "measures": "WBMARK-MEASURES audit",
    "proceedings_note": "WBMARK-PROCNOTE",
}
MESSAGE_IN = "WBMARK-MSG-IN please call me"
MESSAGE_OUT = "WBMARK-MSG-OUT we received it"
FILE_NAME = "wbmark-evidence.pdf"
FILE_BYTES = b"%PDF-1.4 WBMARK-FILEBYTES"
MARKERS = (
    "WBMARK",  # every marker but the email's carries it
    "wbmark-mail",
    "wbmark-evidence",
    "Anselme",
)


# --- the world --------------------------------------------------------------------------------------------


def make_world(settings, tmp_path) -> dict[str, Any]:
    settings.VIGIE_WHISTLEBLOWING_FILES_ROOT = tmp_path / "wb"
    settings.VIGIE_WHISTLEBLOWING_REFERENTS_PER_ENTITY = True
    e1, e2 = LegalEntityFactory(code="E1"), LegalEntityFactory(code="E2")
    now = timezone.now()
    report = ReportFactory(
        reference="SIG-2026-0007",
        received_at=now - dt.timedelta(days=20),
        category=Category.CORRUPTION,
        acknowledgment_due_on=timezone.localdate() - dt.timedelta(days=8),
        feedback_due_on=timezone.localdate() + dt.timedelta(days=70),
    )
    content = ReportContentFactory(report=report, entity=e1, **{**MARKER, "measures": ""})
    content.measures = MARKER["measures"]  # a second version: the history holds the markers twice
    content.save()
    inbound = MessageFactory(report=report, direction=Direction.FROM_AUTHOR, body=MESSAGE_IN)
    MessageFactory(report=report, direction=Direction.TO_AUTHOR, kind=MessageKind.ACKNOWLEDGMENT, body=MESSAGE_OUT)
    attachment = Attachment.objects.create(
        report=report,
        message=inbound,
        file=ContentFile(FILE_BYTES, name=FILE_NAME),
        name=FILE_NAME,
        content_type="application/pdf",
        size=len(FILE_BYTES),
    )
    case = CaseFactory()
    ReportLink.objects.create(report=report, kind=LinkKind.COI_CASE, coi_case=case)
    other = ReportFactory(reference="SIG-2026-0008", category=Category.FRAUD)  # no content: a plain public row
    referent = UserFactory(username="wb-referent-e1", groups=[WHISTLEBLOWING_REFERENT])
    ReferentAssignment.objects.create(user=referent, entity=e1)
    return {
        "report": report,
        "other": other,
        "attachment": attachment,
        "case": case,
        "referent": referent,
        "e2": e2,
    }


# --- the users --------------------------------------------------------------------------------------------

OUTSIDE = {
    "superuser": {"is_superuser": True},
    AUDITOR: {"groups": [AUDITOR]},
    COMPLIANCE_OFFICER: {"groups": [COMPLIANCE_OFFICER]},
    DPO: {"groups": [DPO]},
    TRAINING_MANAGER: {"groups": [TRAINING_MANAGER]},
    AML_OFFICER: {"groups": [AML_OFFICER]},
    "referent of another entity": {"groups": [WHISTLEBLOWING_REFERENT], "entity": "E2"},
    "staff without group": {},
    "visitor": None,
}


def make_user(name: str, spec: dict[str, Any] | None, world: dict[str, Any]) -> Any:
    if spec is None:
        return None
    spec = dict(spec)
    entity = spec.pop("entity", None)
    user = UserFactory(username="wbwalk-" + re.sub(r"\W+", "-", name.lower()).strip("-"), **spec)
    if entity:
        ReferentAssignment.objects.create(user=user, entity=world["e2"])
    return type(user)._default_manager.get(pk=user.pk)


# --- the URLs ---------------------------------------------------------------------------------------------

#: Pages walked with no record: the resolver's patterns with no record argument, but these (a logout
#: would end the session of the walk; the login pages answer the same to everyone).
SKIPPED = ("admin/logout/", "admin/login/", "api-auth/logout/", "api-auth/login/")
RECORD_ARGUMENTS = re.compile(r"object_id|<int:pk>|<path:pk>|\(\?P<pk>|attachment_id|content_type_id|\(\[\^/\]\+\)")


def general_urls() -> list[str]:
    """Every page of the resolver that names no record (filled as tests/aml/test_no_tipping_off.py does)."""
    urls: dict[str, None] = {}
    for route, pattern in _patterns(get_resolver().url_patterns):
        if route.startswith(SKIPPED) or RECORD_ARGUMENTS.search(route) or route.startswith("signalement/"):
            continue
        for url in _fill(route, pattern) or []:
            urls.setdefault(url, None)
            if url.startswith("/admin/") and url.count("/") == 4 and not url.endswith(("/add/", "/preview/")):
                urls.setdefault(f"{url}?q=WBMARK", None)  # every changelist searched for a marker
    return list(urls)


def report_urls(world: dict[str, Any]) -> list[str]:
    report, attachment, case = world["report"], world["attachment"], world["case"]
    base = f"/admin/whistleblowing/report/{report.pk}"
    history_ids = list(report.history.values_list("history_id", flat=True))
    reference = report.reference
    return [
        "/admin/whistleblowing/report/",
        f"/admin/whistleblowing/report/?q={reference}",
        f"/admin/whistleblowing/report/?q={reference[:8]}",
        "/admin/whistleblowing/report/?q=Anselme",
        "/admin/whistleblowing/report/?q=wbmark-mail@example.org",
        *[f"/admin/whistleblowing/report/?o={n}" for n in range(1, 10)],
        *[f"/admin/whistleblowing/report/?due={due}" for due in ("overdue", "ack_week", "feedback_30")],
        "/admin/whistleblowing/report/?status__exact=received&category__exact=corruption",
        f"/admin/whistleblowing/report/?received_at__year={report.received_at.year}",
        f"{base}/change/",
        f"{base}/history/",
        *[f"{base}/history/{history_id}/" for history_id in history_ids],
        *[f"{base}/do/{action.replace('_', '-')}/" for action in TRANSITIONS],
        f"{base}/attachment/{attachment.pk}/",
        f"{base}/attachment/{MISSING_ID}/",
        f"/admin/whistleblowing/report/{world['other'].pk}/attachment/{attachment.pk}/",
        "/admin/whistleblowing/referentassignment/",
        f"/admin/compliance/conflictofinterestcase/{case.pk}/change/",
        f"/admin/compliance/conflictofinterestcase/{case.pk}/history/",
        f"/api/compliance/coi-cases/{case.pk}/",
        "/api/whistleblowing/reports/",
        "/api/whistleblowing/reports/?format=json",
        "/api/whistleblowing/reports.json",
        f"/api/whistleblowing/reports/{report.pk}/",
        f"/api/whistleblowing/reports/{report.pk}.json",
        f"/api/whistleblowing/reports/?reference={reference}",
        "/api/whistleblowing/reports/?status=received&category=corruption",
        "/api/whistleblowing/reports/?search=WBMARK&ordering=content__facts",
        # The exports of the year the report was received in, the auditor pack included (ZIP members read).
        *[
            f"/admin/reporting/reportingyear/download/?year={report.received_at.year}&format={fmt}"
            for fmt in ("zip", "json", "csv", "xlsx")
        ],
        "/admin/search/?q=WBMARK",
        "/admin/search/?q=Anselme",
        f"/admin/search/?q={reference}",
    ]


#: Lookups through the sealed part: the right value and a wrong one must answer the same.
PROBES = [
    ("/admin/whistleblowing/report/?q={}", "WBMARK-FACTS", "nothing-like-it"),
    ("/admin/whistleblowing/report/?q={}", "Anselme", "Nobody"),
    ("/admin/search/?q={}", "WBMARK-FACTS", "nothing-like-it"),
    ("/api/whistleblowing/reports/?search={}", "WBMARK-FACTS", "nothing-like-it"),
    ("/admin/whistleblowing/report/?content__author_name__icontains={}", "Anselme", "Nobody"),
    ("/admin/whistleblowing/report/?content__facts__icontains={}", "WBMARK-FACTS", "nothing-like-it"),
    ("/admin/whistleblowing/report/?content__entity__code={}", "E1", "E9"),
    ("/admin/whistleblowing/report/?messages__body__icontains={}", "WBMARK-MSG-IN", "nothing-like-it"),
    ("/admin/whistleblowing/report/?links__coi_case={}", "{case}", str(MISSING_ID)),
    ("/api/whistleblowing/reports/?content__author_name={}", "Anselme", "Nobody"),
    ("/api/whistleblowing/reports/?author_name={}", "Anselme", "Nobody"),
    ("/api/whistleblowing/reports/?facts={}", "WBMARK-FACTS", "nothing-like-it"),
    ("/api/whistleblowing/reports/?entity={}", "E1", "E9"),
]

#: The sealed URLs: each must answer exactly what the same URL with a missing id answers.
SEALED = [
    ("{base}/attachment/{attachment}/", "{base}/attachment/{missing}/"),
    ("{base}/attachment/{attachment}/", "/admin/whistleblowing/report/{missing}/attachment/{missing}/"),
    *[
        (
            f"{{base}}/do/{action.replace('_', '-')}/",
            f"/admin/whistleblowing/report/{{missing}}/do/{action.replace('_', '-')}/",
        )
        for action in TRANSITIONS
    ],
]


def leaks(found: dict[str, Any], url: str) -> list[str]:
    text = " ".join(str(value) for value in found.values())
    return [marker for marker in MARKERS if marker.lower() in text.lower() and marker.lower() not in url.lower()]


def same(
    first: dict[str, Any], second: dict[str, Any], urls: tuple[str, str], values: tuple[str, str] = ("", "")
) -> bool:
    """Two answers alike once each names its own URL, and the value it was asked, the same (a login redirect's
    `next`, a search box)."""

    def plain(found: dict[str, Any], url: str, value: str) -> dict[str, Any]:
        out = {}
        for key, text in found.items():
            if isinstance(text, str):
                for said in (url, value):
                    if len(said) > 3:  # a short value (an id) would be replaced inside other words
                        for form in (quote(said, safe=""), quote(said), quote_plus(said), escape(said), said):
                            text = text.replace(form, "SAID")
                text = re.sub(r"[A-Za-z0-9]{32,}", "X", text)
            out[key] = text
        return out

    return plain(first, urls[0], values[0]) == plain(second, urls[1], values[1])


# --- the tests --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(OUTSIDE))
def test_no_channel_shows_a_report_s_author_or_content_to_a_non_referent(roles, settings, tmp_path, name):
    world = make_world(settings, tmp_path)
    user = make_user(name, OUTSIDE[name], world)
    web, api = clients_for(user)
    problems: list[str] = []

    mail.outbox.clear()
    now = timezone.now()
    run_sweep("daily", now)
    run_sending(now, digests=True)
    for message in mail.outbox:
        parts = [message.subject, message.body, *[str(a) for a in getattr(message, "alternatives", [])]]
        parts += [f"{a[0]} {a[1]!s}" for a in message.attachments if isinstance(a, tuple)]
        if leaked := [m for m in MARKERS if m.lower() in " ".join(parts).lower()]:
            problems.append(f"email {message.subject!r} to {message.to} carries {leaked}")

    urls = [*general_urls(), *report_urls(world)]
    if user is not None:
        urls.append(f"/calendrier/{feed_renew(user)}.ics")
    for url in urls:
        got = answer(api if url.startswith("/api/") else web, "get", url)
        if got["status"] >= 500:
            problems.append(f"GET {url}: {got['status']}")
        if leaked := leaks(got, url):
            problems.append(f"GET {url} shows {leaked}")
        if url.startswith("/api/whistleblowing/") and '"content"' in got["body"]:
            problems.append(f"GET {url} has a content key")
        if url == f"/admin/compliance/conflictofinterestcase/{world['case'].pk}/change/" and (
            world["report"].reference in got["body"]
        ):
            problems.append("the linked case's page tells that a report led to it")

    base = f"/admin/whistleblowing/report/{world['report'].pk}"
    values = {"base": base, "attachment": world["attachment"].pk, "missing": MISSING_ID}
    for sealed, missing in SEALED:
        pair = (sealed.format(**values), missing.format(**values))
        for method in ("get", "post"):
            first, second = answer(web, method, pair[0]), answer(web, method, pair[1])
            if first["status"] not in (302, 404) or not same(first, second, pair):
                problems.append(f"{method.upper()} {pair[0]} answers {first['status']}, unlike {pair[1]}")
    for template, right, wrong in PROBES:
        right = right.format(case=world["case"].pk)
        pair = (template.format(right), template.format(wrong))
        client = api if pair[0].startswith("/api/") else web
        first, second = answer(client, "get", pair[0]), answer(client, "get", pair[1])
        if not same(first, second, pair, (right, wrong)):
            problems.append(f"GET {pair[0]} answers unlike {pair[1]}")
    assert problems == []


def test_the_assigned_referent_reads_what_the_others_may_not(roles, settings, tmp_path):
    """The positive control: the walk's markers are on the referent's pages, so the test above can fail."""
    world = make_world(settings, tmp_path)
    web, api = clients_for(world["referent"])
    base = f"/admin/whistleblowing/report/{world['report'].pk}"
    page = answer(web, "get", f"{base}/change/")
    assert page["status"] == 200
    for value in [*MARKER.values(), MESSAGE_IN, MESSAGE_OUT, FILE_NAME]:
        assert value in page["body"].replace("&#x27;", "'"), value
    download = web.get(f"{base}/attachment/{world['attachment'].pk}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == FILE_BYTES
    assert FILE_NAME in download["Content-Disposition"]
    detail = api.get(f"/api/whistleblowing/reports/{world['report'].pk}/").json()
    assert detail["content"]["author_name"] == MARKER["author_name"]
    assert detail["content"]["entity"] == "E1"
    # The same probes that must tell others nothing are refused to the referent too (lookups are not API).
    assert answer(web, "get", f"{base}/do/message/")["status"] == 200
