"""Accessibility checked by axe-core (issue 18, item 5): no serious or critical violation of WCAG 2.0/2.1 A
and AA (and axe's best practices) on the pages people use, in light and dark mode.

The pages: the login page, the desk, and for each domain a list and a record's page with real records (the
demo data set), opened by the role that works there; the add form of a record with an autocomplete field,
with its search open; a list with its filters panel open; core's import page, the reporting dashboard and
the two-factor setup page. Each check is a test
(tests/browser/a11y.py lists the violations: rule, impact, elements, HTML, URL). The pages are visited
before the tests run, one login per role and colour scheme (see test_every_page.surveys for why).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings
from django.db.models import Model
from django.urls import reverse
from playwright.sync_api import Error as PlaywrightError

from compliance.models import ActionItem, ConflictOfInterestCase, RiskMap
from gdpr.models import Breach, CnilCase, RightsRequest
from notifications.models import Alert
from organization.models import Employee
from reporting.models import ReportingYear
from tests.browser.a11y import describe_violations, serious_violations
from tests.browser.conftest import TIMEOUT_MS
from tests.browser.pages import PASSWORD, log_in
from tests.browser.test_every_page import ROLES, VIEWPORT, site  # noqa: F401 - the module's data set and server
from training.models import Module, Session

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

SCHEMES = ("light", "dark")


def changelist(model: type[Model]) -> Callable[[], str]:
    opts = model._meta
    return lambda: reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")


def change(model: type[Model], **lookup: Any) -> Callable[[], str]:
    """A record's page: the one matching `lookup`, else the first one."""
    opts = model._meta

    def url() -> str:
        records = model._default_manager.filter(**lookup) if lookup else model._default_manager.order_by("pk")
        record = records.first()
        assert record is not None, f"no {opts.label} in the demo data ({lookup})"
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[record.pk])

    return url


def add(model: type[Model]) -> Callable[[], str]:
    opts = model._meta
    return lambda: reverse(f"admin:{opts.app_label}_{opts.model_name}_add")


def path(name: str) -> Callable[[], str]:
    return lambda: reverse(name)


@dataclass(frozen=True)
class Check:
    """A page in a state: its test id, the role that opens it (None: nobody logged in), its URL, what is done
    on it before the check ("filters": the list's filters panel opened; "autocomplete": the first
    autocomplete field's search opened)."""

    label: str
    role: str | None
    url: Callable[[], str]
    action: str = ""


CO, DPO, TM = "compliance-officer", "dpo", "training-manager"
CHECKS = [
    Check("login", None, path("admin:login")),
    Check("desk", CO, path("admin:index")),
    Check("compliance-list", CO, changelist(ConflictOfInterestCase)),
    Check("compliance-list-filters", CO, changelist(ConflictOfInterestCase), "filters"),
    Check("compliance-detail", CO, change(ConflictOfInterestCase)),
    Check("compliance-riskmap", CO, change(RiskMap)),
    Check("compliance-add-autocomplete", CO, add(ActionItem), "autocomplete"),
    Check("organization-list", CO, changelist(Employee)),
    Check("organization-detail", CO, change(Employee)),
    Check("reporting-list", CO, changelist(ReportingYear)),
    Check("reporting-detail", CO, change(ReportingYear)),
    Check("reporting-dashboard", CO, path("admin:reporting_dashboard")),
    Check("notifications-list", CO, changelist(Alert)),
    Check("notifications-detail", CO, change(Alert)),
    Check("core-import", CO, path("admin:core_importrun_upload")),
    Check("two-factor-setup", CO, path("admin:otp_setup")),
    Check("gdpr-desk", DPO, path("admin:index")),
    Check("gdpr-list", DPO, changelist(Breach)),
    Check("gdpr-detail", DPO, change(Breach, reference="BR-LIVE-01")),
    Check("gdpr-cnilcase", DPO, change(CnilCase, reference="CNIL-LIVE-01")),
    Check("gdpr-rightsrequest", DPO, change(RightsRequest, reference="DSR-LIVE-07")),
    Check("training-list", TM, changelist(Session)),
    Check("training-detail", TM, change(Session)),
    Check("training-module", TM, change(Module)),
]


@dataclass
class Audit:
    url: str = ""
    status: int | None = None
    violations: list[dict[str, Any]] | None = None
    error: str = ""


def act(page: Any, action: str) -> None:
    if action == "filters":
        page.locator('[x-on\\:click="filterOpen = true"]').first.click()
        page.locator("#changelist-filter").wait_for(state="visible")
    elif action == "autocomplete":
        page.locator(".select2-selection").first.click()
        page.locator(".select2-container--open .select2-search__field").wait_for(state="visible")
        page.locator(".select2-results__option").first.wait_for(state="visible")


def audit_role(browser: Any, site_url: str, role: str | None, scheme: str) -> dict[str, Audit]:
    context = browser.new_context(
        base_url=site_url, locale="fr-FR", timezone_id=settings.TIME_ZONE, viewport=VIEWPORT, color_scheme=scheme
    )
    context.set_default_timeout(TIMEOUT_MS)
    audits: dict[str, Audit] = {}
    try:
        page = context.new_page()
        if role is not None:
            log_in(page, ROLES[role][0], PASSWORD)
        for check in CHECKS:
            if check.role != role:
                continue
            audit = audits[check.label] = Audit(url=check.url())
            try:
                response = page.goto(audit.url)
                audit.status = response.status if response is not None else None
                act(page, check.action)
                audit.violations = serious_violations(page)
            except (PlaywrightError, AssertionError) as exc:  # reported by the check's test; the others go on
                audit.error = f"{type(exc).__name__}: {exc}"
    finally:
        context.close()
    return audits


@pytest.fixture(scope="module")
def audits(site, browser) -> dict[tuple[str, str], Audit]:
    """(scheme, check label) → what axe found, for every check, before any test runs."""
    found: dict[tuple[str, str], Audit] = {}
    for scheme in SCHEMES:
        for role in dict.fromkeys(check.role for check in CHECKS):
            for label, audit in audit_role(browser, site.url, role, scheme).items():
                found[(scheme, label)] = audit
    return found


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.label)
def test_no_serious_accessibility_violation(check: Check, scheme: str, audits) -> None:
    audit = audits[(scheme, check.label)]
    where = f"{check.label} as {check.role or 'a visitor'}, {scheme} mode"
    assert not audit.error, f"{where} ({audit.url}): {audit.error}"
    assert audit.status == 200, f"{where} ({audit.url}) answered {audit.status}"
    assert audit.violations is not None
    assert not audit.violations, (
        f"{len(audit.violations)} serious or critical accessibility violation(s), {where}:\n"
        + describe_violations(audit.violations, audit.url)
    )
