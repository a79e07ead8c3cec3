"""The auditor, in a real browser: reads everything (lists, records, their history) and is offered nothing
that writes: no add, change or delete button, no save button or editable field, no admin action other
than an export; an add page asked for directly is refused (403).

The pages are the ones the admin index offers the auditor, so a model added later is checked too; the
models of the issue (rights requests, breaches, COI cases, action plans, completions, employees, reporting
years...) must be among them, each with a record to open.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect
from simple_history.admin import SimpleHistoryAdmin

from core.roles import VIGIE_APPS
from gdpr.choices import Right
from gdpr.services.rights import rights_request_create
from reporting.models import ReportingYear
from tests.browser.pages import PASSWORD, language_of, log_in, user_with_password
from tests.compliance.factories import ActionItemFactory, CaseFactory, RiskFactory, RiskMapFactory
from tests.factories import EmployeeFactory
from tests.gdpr.factories import BreachFactory, CnilCaseFactory, ProcessingActivityFactory
from tests.training.factories import CompletionFactory

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("roles")]

#: The models the auditor must be able to open a record of (app_label/model_name); the fixture makes one each.
MUST_OPEN = {
    "gdpr/rightsrequest",
    "gdpr/breach",
    "gdpr/cnilcase",
    "gdpr/processingactivity",
    "compliance/conflictofinterestcase",
    "compliance/actionitem",
    "compliance/riskmap",
    "compliance/risk",
    "training/completion",
    "training/module",
    "organization/employee",
    "organization/legalentity",
    "organization/department",
    "reporting/reportingyear",
}
#: What writes, wherever it shows: add / change / delete links, save buttons, the transition buttons.
WRITE_LINKS = "a[href$='/add/'], a[href$='/delete/'], a.addlink, a.deletelink, a.vigie-transition"
SAVE_BUTTONS = "[name=_save], [name=_continue], [name=_addanother], [name=_saveasnew], .submit-row [type=submit]"
POSTING_FORM = "#content-main form[method=post i]"
EDITABLE = "input:not([type=hidden]), select, textarea, button, [contenteditable=true]"
#: An admin action an auditor may be offered: an export (read-only); anything else writes.
READ_ONLY_ACTION = re.compile(r"^export")
CHANGELIST_HREF = re.compile(r"^/admin/(?P<app>[a-z_]+)/(?P<model>[a-z_]+)/$")


@pytest.fixture
def auditor():
    return user_with_password("auditor-browser", "Auditor")


@pytest.fixture
def records(db) -> None:
    """One record (with its history row) of each model the auditor must be able to open."""
    received = timezone.localtime() - dt.timedelta(days=20)
    rights_request_create(actor=None, received_at=received, right=Right.ERASURE, requester_name="Jeanne Martin")
    BreachFactory()
    CnilCaseFactory()
    ProcessingActivityFactory()
    ActionItemFactory(case=CaseFactory())
    RiskFactory()
    CompletionFactory(employee=EmployeeFactory())
    ReportingYear.objects.create(year=timezone.localdate().year - 1)


def writes_offered(page: Page, where: str, form: bool = False) -> list[str]:
    """What the page offers that writes: links, save buttons and, in its form (`form`), editable fields."""
    found = []
    for what, selector in [("write link", WRITE_LINKS), ("save button", SAVE_BUTTONS)]:
        texts = page.locator(selector).filter(visible=True).all_inner_texts()
        if texts:
            found.append(f"{where}: {what}s {texts}")
    if form:
        # The forms that post (a GET form choosing what to show, as a module's dashboard has, writes nothing).
        fields = (
            page.locator(POSTING_FORM)
            .locator(EDITABLE)
            .filter(visible=True)
            .evaluate_all("elements => elements.map(e => e.name || e.tagName.toLowerCase())")
        )
        if fields:
            found.append(f"{where}: editable fields {fields}")
    return found


def offered_actions(page: Page) -> list[str]:
    return [
        value
        for value in page.locator("select[name=action] option").evaluate_all("options => options.map(o => o.value)")
        if value
    ]


def test_auditor_reads_everything_and_can_change_nothing(open_page, shot, auditor, records):
    page = open_page(locale="de-DE")  # a language the site does not have: its default, French, is used
    log_in(page, auditor.username, PASSWORD, shot)
    assert language_of(page) == "fr"

    # The sidebar: a link per list the auditor may read, none to add.
    sidebar = page.get_by_role("navigation").first
    expect(sidebar.locator(WRITE_LINKS)).to_have_count(0)
    hrefs = []
    for href in sidebar.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))"):
        match = CHANGELIST_HREF.match(href or "")
        if match and match["app"] in VIGIE_APPS:
            hrefs.append((href, match))
    registry = {
        (model._meta.app_label, model._meta.model_name): model_admin
        for model, model_admin in admin.site._registry.items()
    }

    # Every page is checked and every problem collected, so one run shows them all.
    problems: list[str] = []
    opened = set()
    for href, match in hrefs:
        name = f"{match['app']}/{match['model']}"
        model_admin = registry[(match["app"], match["model"])]

        # The list: nothing to add, no action but exports, no editable column.
        response = page.goto(href)
        if response is None or response.status != 200:
            problems.append(f"{href}: answered {response and response.status}, not 200")
            continue
        shot(page, f"{match['model']}-list")
        problems += writes_offered(page, href)
        writing_actions = [action for action in offered_actions(page) if not READ_ONLY_ACTION.match(action)]
        if writing_actions:
            problems.append(f"{href}: offers admin actions that write: {writing_actions}")
        editable = page.locator("#changelist-form").locator("input[name^='form-']:not([type=hidden])").count()
        if editable:
            problems.append(f"{href}: {editable} editable cells")
        record_href = page.locator("#result_list tbody tr").first.locator("th a, td a").first

        # A record: read-only, no save, delete or transition button, no field to type in.
        if record_href.count():
            record_href.click()
            page.wait_for_url(re.compile(rf"{re.escape(href)}[^/]+/change/"))
            shot(page, f"{match['model']}-record")
            problems += writes_offered(page, page.url, form=True)
            opened.add(name)

            # Its history is readable; a past version opens read-only (no "revert"), or not at all.
            page.locator("a[href$='/history/']").first.click()
            page.wait_for_url(re.compile(rf"{re.escape(href)}[^/]+/history/"))
            shot(page, f"{match['model']}-history")
            problems += writes_offered(page, page.url)
            if isinstance(model_admin, SimpleHistoryAdmin):
                # Every version is listed; one the auditor may not open is not linked (a conflict-of-interest
                # case's past versions name its reporter: officers only).
                versions = page.locator("#change-history tbody tr td a[href*='/history/']")
                if not page.locator("#change-history tbody tr").count():
                    problems.append(f"{page.url}: no version listed")
                elif not versions.count():
                    pass
                else:
                    response = page.goto(versions.first.get_attribute("href"))
                    shot(page, f"{match['model']}-version")
                    if response is not None and response.status == 200:
                        problems += writes_offered(page, page.url, form=True)
                    elif response is None or response.status != 403:
                        problems.append(f"{page.url}: answered {response and response.status}")

        # A direct GET of the add page is refused.
        response = page.goto(f"{href}add/")
        if response is None or response.status != 403:
            problems.append(f"{href}add/: answered {response and response.status}, not 403")

    assert not problems, "the auditor is offered writes:\n" + "\n".join(problems)
    missing = MUST_OPEN - opened
    assert not missing, f"the auditor could not open a record of: {sorted(missing)}"


#: Submits the page's form (or, on a page without one, the CSRF token alone) with `field` set to `value`,
#: as a crafty user would from the browser's console; returns the status of the answer (redirects followed).
SUBMIT_WITH = """async ({field, value}) => {
    const form = document.querySelector('#content-main form[method=post i], #content-main form[method=POST]');
    const data = form ? new FormData(form) : new FormData();
    if (!form) data.set('csrfmiddlewaretoken', (document.cookie.match(/csrftoken=([^;]+)/) || [])[1] || '');
    data.set(field, value);
    const response = await fetch(location.href, {method: 'POST', body: data, credentials: 'same-origin'});
    return response.status;
}"""


def test_auditor_cannot_save_a_past_version(open_page, shot, auditor):
    """A past version's page (django-simple-history) must not save for a read-only user, whatever the form
    shows: the "revert" is refused (403) and the record is unchanged."""
    received = timezone.localtime() - dt.timedelta(days=20)
    targets = [
        (RiskMapFactory(title="Map as approved"), "title"),
        (EmployeeFactory(last_name="Martin"), "last_name"),
        (
            rights_request_create(actor=None, received_at=received, right=Right.ACCESS, requester_name="Jeanne Martin"),
            "requester_name",
        ),
    ]
    page = open_page()
    log_in(page, auditor.username, PASSWORD)
    refused = []
    for record, field in targets:
        opts = record._meta
        before = getattr(record, field)
        version = record.history.earliest()
        page.goto(
            reverse(f"admin:{opts.app_label}_{opts.model_name}_simple_history", args=[record.pk, version.history_id])
        )
        shot(page, f"{opts.model_name}-version")
        status = page.evaluate(SUBMIT_WITH, {"field": field, "value": "Changed by the auditor"})
        record.refresh_from_db()
        refused.append((opts.label, status, getattr(record, field)))
        assert getattr(record, field) == before, f"the auditor changed {opts.label}.{field} through its history"
    assert all(status == 403 for _, status, _ in refused), f"a past version's POST is not refused: {refused}"
