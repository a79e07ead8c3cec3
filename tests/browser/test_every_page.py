"""Every page of every role, in a real browser at 1366 × 768 (issue 16, item 9).

For each role (the superuser and the six role groups of core/roles.py, as the demo users who hold them),
on the demo data set plus what it lacks (a second running 72-hour clock, long texts, alerts, a failed and an
interrupted import), the pages visited are the desk (/admin/), the list of every model of the admin registry
the role may view (from `admin.site._registry` and the role's permissions, never a hard-coded list), a
breach, a rights request (the suspended one), a CNIL case and a whistleblowing report with their history pages, and the admin's
custom pages (dashboard, import form, previews) that one of these pages links to. On each page:

- no horizontal overflow: `scrollWidth <= clientWidth` of the document (the failure names what sticks out),
  and no box inside that scrolls sideways or cuts its content without the full text on hover;
- no visible internal code: a dotted rule name, a "d-30" or "h+24" threshold, a raw "key=value" setting, a
  snake_case value (pages.CODE_PATTERNS, with its narrow exceptions: dates, numbers, e-mails, domains, files);
- no link to a page that answers 403 (or a server error), fetched with the role's session.

Each role's desk and the three records are kept as full-page screenshots (desk-<role>.png,
breach-detail-<role>.png, rightsrequest-detail-<role>.png, cnilcase-detail-<role>.png) under
screenshot_dir(), a CI artifact.

The pages are visited once per role (a survey made before the tests, one login per role); the tests then read
the survey, one test per role and kind of problem, each listing every problem found, page by page. The
selectors are the document's, not the stock admin's classes or ids (the admin is moving to django-unfold).
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test import RequestFactory, override_settings
from django.urls import reverse
from django.utils import timezone

from core import roles
from core.models import ImportRun
from gdpr.choices import Right
from gdpr.models import Breach, CnilCase, RightsRequest
from gdpr.services import breaches as breach_services
from gdpr.services.rights import rights_request_create
from notifications.models import Alert, AlertStatus
from notifications.sweep import sweep
from tests.browser.conftest import TIMEOUT_MS, screenshot_dir
from tests.browser.pages import (
    LINKS_JS,
    OVERFLOW_JS,
    PASSWORD,
    VISIBLE_TEXTS_JS,
    internal_codes,
    log_in,
)
from training.reference import ensure_reference_modules
from whistleblowing.models import Report

#: `django_db` so that pytest-django sets the test database up; the data is the module's, loaded and flushed
#: by `site`, and the tests only read what the browser found (`surveys`).
pytestmark = [pytest.mark.browser, pytest.mark.django_db]

VIEWPORT = {"width": 1366, "height": 768}
#: role (as named in test ids and screenshots) → (demo user, the role group it must hold; None: the superuser).
ROLES = {
    "superuser": ("admin", None),
    "compliance-officer": ("conformite", roles.COMPLIANCE_OFFICER),
    "dpo": ("dpo", roles.DPO),
    "training-manager": ("formation", roles.TRAINING_MANAGER),
    "auditor": ("auditeur", roles.AUDITOR),
    # The AML/CFT officer: the only role that sees the aml app (sealed, core/roles.py `sealed_out`).
    "aml-officer": ("lcbft", roles.AML_OFFICER),
    # The whistleblowing referent: the only role that reads a report's author, content and messages.
    "wb-referent": ("referent", roles.WHISTLEBLOWING_REFERENT),
}
#: The records opened in detail (model → the reference of the demo record): the breach whose 72-hour clock
#: runs, the rights request suspended for an identity check, the CNIL case still open, the anonymous web report
#: with messages both ways (its content and follow-up for the referent, its public part for the other readers).
DETAILS = {Breach: "BR-LIVE-01", RightsRequest: "DSR-LIVE-07", CnilCase: "CNIL-LIVE-01", Report: "SIG-DEMO-01"}
#: Links of one kind (same path once record ids are blanked out) fetched per role: a record's permission is
#: the same for its model's records but for a few object rules, which a handful of samples reaches.
LINKS_PER_KIND = 2
#: Links never fetched: they log out or write (the language form posts), whatever they answer.
NOT_FETCHED = re.compile(r"/(logout|i18n|setlang|set_language)/")
#: On PostgreSQL the demo loads as on a demonstration server (load_demo refuses the public default there).
DEMO_SERVER = {"VIGIE_DEMO_SERVER": True, "VIGIE_DEMO_PASSWORD": "Demonstration-Vigie-2026"}

LONG_TITLE = (
    "Envoi par erreur du fichier de paie de décembre de la filiale de Lyon à l'ensemble des managers du "
    "réseau commercial, y compris les prestataires externes et les alternants, avec les coordonnées "
    "bancaires et les numéros de sécurité sociale"
)
LONG_TEXT = " ".join(
    [
        "Le fichier a été joint à un courriel de routine du service paie à la liste de diffusion de tous les",
        "managers ; le message a été rappelé quarante minutes plus tard, mais plusieurs destinataires l'avaient",
        "déjà ouvert et au moins deux l'avaient transféré à leur adresse personnelle.",
    ]
    * 3
)


@dataclass(frozen=True)
class Target:
    """A page to visit: what it is (for messages), its URL, the screenshot to keep ('' for none)."""

    label: str
    url: str
    screenshot: str = ""


@dataclass
class Visit:
    target: Target
    status: int | None = None
    overflow: dict = field(default_factory=dict)
    codes: list[str] = field(default_factory=list)
    #: (link text, URL, status) of the links that answered 403 or a server error.
    bad_links: list[tuple[str, str, int]] = field(default_factory=list)


@dataclass
class Survey:
    role: str
    visits: list[Visit]
    links_fetched: int
    seconds: float


@dataclass
class Site:
    url: str
    #: role → the pages that role may open.
    plans: dict[str, list[Target]]
    #: The admin's own pages that are not a record's (a dashboard, an import form, a preview): visited by a role
    #: when one of its pages links to them and they answer a page (not a download).
    custom_pages: set[str]


#: The admin pages every ModelAdmin has; the others of its get_urls() are its custom pages.
STANDARD_VIEWS = ("_changelist", "_add", "_change", "_delete", "_history", "_autocomplete", "_simple_history")


def custom_pages() -> set[str]:
    """The paths of the custom pages of the admin registry that take no argument."""
    paths = set()
    for model_admin in admin.site._registry.values():
        for pattern in model_admin.get_urls():
            name = getattr(pattern, "name", None)
            if name and not name.endswith(STANDARD_VIEWS) and "<" not in str(pattern.pattern):
                paths.add(reverse(f"admin:{name}"))
    return paths


def extra_records(actor) -> None:
    """What the demo lacks for these pages: long texts, a second running clock, alerts (the sweep of today,
    two of them failed: they reached nobody), a failed and an interrupted import."""
    now = timezone.now()
    dpo = get_user_model().objects.get(username="dpo")
    breach_services.breach_create(
        actor=actor,
        aware_at=now - dt.timedelta(hours=60),
        title=LONG_TITLE,
        description=LONG_TEXT,
        likely_consequences=LONG_TEXT,
        handler=dpo,
    )
    rights_request_create(
        actor=actor,
        received_at=now - dt.timedelta(days=25),
        right=Right.ERASURE,
        requester_name="Marie-Christine de La Tour d'Auvergne-Lauraguais épouse Montmorency-Laval",
        requester_email="marie-christine.de-la-tour-dauvergne@exemple-de-domaine-tres-long.example.org",
        notes=LONG_TEXT,
        handler=dpo,
    )
    sweep(now)
    for alert in Alert.objects.order_by("pk")[:2]:
        alert.status = AlertStatus.FAILED
        alert.save(update_fields=["status"])
    admin_user = get_user_model().objects.get(username="admin")
    ImportRun.objects.create(
        kind="employees",
        file_name="effectifs-decembre-2026-export-sirh-complet-avec-colonnes-supplementaires.csv",
        user=admin_user,
        started_at=now - dt.timedelta(hours=3),
        finished_at=now - dt.timedelta(hours=3) + dt.timedelta(seconds=12),
        status=ImportRun.Status.FAILED,
        rows_read=1200,
        message="Unexpected error: the database refused the batch (deadlock detected).",
        details={"stopped_by": "database", "encoding": "utf-8", "delimiter": ";", "unknown_columns": ["matricule_rh"]},
        host="vm",
        pid=4242,
    )
    ImportRun.objects.create(
        kind="completions",
        file_name="formations.xlsx",
        user=admin_user,
        started_at=now - dt.timedelta(days=1),
        finished_at=now - dt.timedelta(days=1) + dt.timedelta(minutes=2),
        status=ImportRun.Status.INTERRUPTED,
        rows_read=5000,
        created=2000,
        last_line_committed=2001,
        batches_committed=4,
        message="stopped after line 2001 (batch 4); re-run the same file to complete it",
        host="vm",
        pid=4243,
    )


def plan_for(user, role: str) -> list[Target]:
    """The desk, every list of the registry the user may view, the three records and their history."""
    request = RequestFactory().get(reverse("admin:index"))
    request.user = user
    targets = [Target("desk", reverse("admin:index"), f"desk-{role}.png")]
    models = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)
    for model, model_admin in models:
        if model_admin.has_view_or_change_permission(request):
            opts = model._meta
            targets.append(
                Target(f"list of {opts.label}", reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
            )
    for model, reference in DETAILS.items():
        detail_admin = admin.site._registry.get(model)
        record = model._default_manager.get(reference=reference)
        if detail_admin is None or not detail_admin.has_view_or_change_permission(request, record):
            continue
        opts = model._meta
        targets.append(
            Target(
                f"{opts.model_name} {reference}",
                reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[record.pk]),
                f"{opts.model_name}-detail-{role}.png",
            )
        )
        targets.append(
            Target(
                f"history of {opts.model_name} {reference}",
                reverse(f"admin:{opts.app_label}_{opts.model_name}_history", args=[record.pk]),
            )
        )
    return targets


@pytest.fixture(scope="module")
def site(django_db_setup, django_db_blocker) -> Iterator[Site]:
    """The demo data set and more, a live server of its own, each role's plan of pages; flushed afterwards.

    Not pytest-django's `live_server`: a test using it gets a transactional database, emptied after each
    test, and the data set takes some 20 s to load. Here it is loaded once for the module, as
    tests/core/test_demo.py does.
    """
    from pytest_django.live_server_helper import LiveServer

    with django_db_blocker.unblock():
        with override_settings(**({} if connection.vendor == "sqlite" else DEMO_SERVER)):
            call_command("load_demo", verbosity=0)
        User = get_user_model()
        users = {}
        for role, (username, group) in ROLES.items():
            user = User.objects.get(username=username)
            assert user.is_superuser if group is None else user.groups.filter(name=group).exists(), (role, username)
            user.set_password(PASSWORD)
            user.save(update_fields=["password"])
            users[role] = user
        extra_records(users["superuser"])
        plans = {role: plan_for(user, role) for role, user in users.items()}
        server = LiveServer("localhost")
        server._live_server_modified_settings.enable()
        try:
            yield Site(url=server.url, plans=plans, custom_pages=custom_pages())
        finally:
            server._live_server_modified_settings.disable()
            server.stop()
            call_command("flush", interactive=False, verbosity=0)
            ensure_reference_modules()  # what the data migration created, as every other test expects


def link_kind(path: str, query: str) -> str:
    """A link's path with its record ids blanked out and its query's keys, for LINKS_PER_KIND."""
    keys = sorted(key for key, _ in parse_qsl(query) if key != "_changelist_filters")
    return re.sub(r"/\d+/", "/#/", path) + "?" + "&".join(keys)


def survey_role(browser, site: Site, role: str) -> Survey:
    """Log in as the role once and visit its pages: what overflows, the internal codes shown, the links that
    refuse (each distinct URL fetched once, with the role's session)."""
    started = time.monotonic()
    username = ROLES[role][0]
    context = browser.new_context(base_url=site.url, locale="fr-FR", timezone_id=settings.TIME_ZONE, viewport=VIEWPORT)
    context.set_default_timeout(TIMEOUT_MS)
    folder = screenshot_dir()
    folder.mkdir(parents=True, exist_ok=True)
    origin = urlsplit(site.url).netloc
    statuses: dict[str, int] = {}
    per_kind: dict[str, int] = {}
    visits = []
    planned = {target.url for target in site.plans[role]}
    try:
        page = context.new_page()
        log_in(page, username, PASSWORD)
        queue = list(site.plans[role])
        queued: set[str] = set()
        for target in queue:
            visit = Visit(target)
            visits.append(visit)
            response = page.goto(target.url)
            visit.status = response.status if response is not None else None
            visit.overflow = page.evaluate(OVERFLOW_JS)
            visit.codes = internal_codes(page.evaluate(VISIBLE_TEXTS_JS))
            if target.screenshot:
                page.screenshot(path=str(folder / target.screenshot), full_page=True)
            here = urlsplit(page.url).path
            for absolute, written, text in page.evaluate(LINKS_JS):
                parts = urlsplit(absolute)
                if parts.scheme not in ("http", "https") or parts.netloc != origin or written.startswith("#"):
                    continue
                # The page's own path with another query (a filter, a sort, a page of the list): the same view,
                # which just answered.
                if parts.path == here or NOT_FETCHED.search(parts.path):
                    continue
                # A page of the plan (a list, the desk): its own visit tells whether it opens.
                if parts.path in planned and not parts.query:
                    continue
                url = parts.path + (f"?{parts.query}" if parts.query else "")
                if url not in statuses:
                    kind = link_kind(parts.path, parts.query)
                    if per_kind.get(kind, 0) >= LINKS_PER_KIND:
                        continue
                    per_kind[kind] = per_kind.get(kind, 0) + 1
                    answer = context.request.get(url, timeout=30_000)
                    statuses[url] = answer.status
                    if (
                        parts.path in site.custom_pages
                        and parts.path not in queued
                        and answer.status == 200
                        and answer.headers.get("content-type", "").startswith("text/html")
                    ):
                        queue.append(Target(f"page {text!r}", url))
                        queued.add(parts.path)
                status = statuses[url]
                if status == 403 or status >= 500:
                    visit.bad_links.append((text, url, status))
    finally:
        context.close()
    return Survey(role, visits, len(statuses), time.monotonic() - started)


@pytest.fixture(scope="module")
def surveys(request: pytest.FixtureRequest, site, browser) -> dict[str, Survey]:
    """The survey of each role the session's tests ask for, made before any test runs.

    Before, not at a test's first use: a test's database transaction (`django_db`) takes SQLite's write lock
    at once (transaction_mode IMMEDIATE), which the live server's login would wait for.
    """
    wanted = {
        item.callspec.params["role"]
        for item in request.session.items
        if getattr(item, "module", None) is request.module
        and hasattr(item, "callspec")
        and "role" in item.callspec.params
    }
    return {role: survey_role(browser, site, role) for role in ROLES if role in wanted}


@pytest.fixture
def survey(surveys, role: str) -> Survey:
    return surveys[role]


def where(survey: Survey, visit: Visit) -> str:
    return f"[{survey.role}] {visit.target.label} ({visit.target.url})"


def report(title: str, survey: Survey, problems: list[str]) -> str:
    return f"{title} for the {survey.role} ({len(problems)} pages):\n" + "\n".join(problems)


@pytest.mark.parametrize("role", ROLES)
def test_every_page_of_the_role_opens(role, survey):
    """Each page the role may open answers 200 (the lists come from its permissions, so a 403 here is a
    page offered to the role that refuses it), and the records of the role's domains are among them."""
    problems = [f"{where(survey, v)}: answered {v.status}" for v in survey.visits if v.status != 200]
    assert not problems, report("pages that do not open", survey, problems)
    assert any(v.target.label.startswith("list of") for v in survey.visits), "no list page for the role"


@pytest.mark.parametrize("role", ROLES)
def test_no_page_is_wider_than_the_screen(role, survey):
    problems = []
    for visit in survey.visits:
        overflow = visit.overflow
        if overflow and overflow["scrollWidth"] > overflow["clientWidth"]:
            lines = [f"{where(survey, visit)}: {overflow['scrollWidth']} px wide > {overflow['clientWidth']} px"]
            for offender in overflow["offenders"]:
                lines.append(f"    sticks out to {offender['right']} px: {offender['element']}")
                lines += [f"        because of {cause}" for cause in offender["causes"]]
            problems.append("\n".join(lines))
    assert not problems, report(f"horizontal overflow at {VIEWPORT['width']} px", survey, problems)


@pytest.mark.parametrize("role", ROLES)
def test_nothing_scrolls_sideways_or_is_cut(role, survey):
    """Inside the page too, at 1366 px: no table in a frame that scrolls sideways, no text or badge cut
    without its full text on hover (a `title`)."""
    problems = [
        f"{where(survey, v)}:\n" + "\n".join(f"    {line}" for line in v.overflow["inner"])
        for v in survey.visits
        if v.overflow.get("inner")
    ]
    assert not problems, report(f"boxes that do not fit at {VIEWPORT['width']} px", survey, problems)


@pytest.mark.parametrize("role", ROLES)
def test_no_internal_code_on_screen(role, survey):
    problems = [
        f"{where(survey, v)}:\n" + "\n".join(f"    {code}" for code in v.codes) for v in survey.visits if v.codes
    ]
    assert not problems, report("internal codes on screen", survey, problems)


@pytest.mark.parametrize("role", ROLES)
def test_no_link_to_a_page_the_role_may_not_open(role, survey):
    problems = [
        f"{where(survey, v)}:\n"
        + "\n".join(f"    {text!r} → {url} answers {status}" for text, url, status in v.bad_links)
        for v in survey.visits
        if v.bad_links
    ]
    assert not problems, report(f"links that refuse ({survey.links_fetched} fetched)", survey, problems)


@pytest.mark.parametrize("role", ROLES)
def test_screenshots_of_the_desk_and_records(role, survey):
    """The desk and, for a role that may view them, the breach, rights request and CNIL case pages are kept."""
    expected = [v.target.screenshot for v in survey.visits if v.target.screenshot]
    assert f"desk-{role}.png" in expected
    group = ROLES[role][1]
    declared = next((r for r in roles.ROLES if r.name == group), None)
    if declared is None or all(roles.role_views(declared, model) for model in DETAILS):  # roles with the GDPR domain
        assert len(expected) == 1 + len(DETAILS), expected
    missing = [name for name in expected if not (screenshot_dir() / name).is_file()]
    assert not missing, f"screenshots not written: {missing}"
    print(f"{role}: {len(survey.visits)} pages, {survey.links_fetched} links fetched in {survey.seconds:.0f} s")
