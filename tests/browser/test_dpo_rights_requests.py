"""The DPO, in a real browser: logs in, opens the rights requests from the admin index, sees the overdue
badge, extends a request through its button and reads the new due date with the explanation of it.

The data is built relative to today (Paris), as the admin computes "overdue" against today's date: a clock
frozen in the test would not reach the live server's thread.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from dateutil.relativedelta import relativedelta
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import ngettext
from playwright.sync_api import expect

from core.admin_utils import COLOURS
from gdpr.admin.rights import TRANSITIONS, ExtendForm
from gdpr.choices import RequestStatus, Right
from gdpr.deadlines import ExtensionBase, extended_deadline, is_working_day, paris_date, policy_from_settings
from gdpr.models import RightsRequest
from gdpr.services.rights import deadline_policy_sentence, rights_request_create
from tests.browser.pages import PASSWORD, language_of, log_in, user_with_password

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("roles")]

RED = re.compile(r"\bvigie-badge-red\b")


def rgb(hex_colour: str) -> str:
    """#a61b1b → rgb(166, 27, 27), as the browser reports a computed colour."""
    red, green, blue = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({red}, {green}, {blue})"


def received(days_ago: int) -> dt.datetime:
    """10:00 Paris time, `days_ago` days before today (Paris)."""
    day = timezone.localdate() - dt.timedelta(days=days_ago)
    return dt.datetime(day.year, day.month, day.day, 10, tzinfo=timezone.get_default_timezone())


def french(text: object) -> str:
    with translation.override("fr"):
        return str(text)


@pytest.fixture
def dpo():
    return user_with_password("dpo-browser", "DPO")


@pytest.fixture
def rights_requests(dpo) -> dict[str, RightsRequest]:
    """Three open requests: one long overdue, one due in about four weeks, one received 12 days ago that
    can still be extended (the requester is told before the first deadline)."""

    def make(reference: str, days_ago: int) -> RightsRequest:
        return rights_request_create(
            actor=dpo,
            reference=reference,
            received_at=received(days_ago),
            right=Right.ACCESS,
            requester_name=f"Requester {reference}",
        )

    made = {
        "overdue": make("DSR-BROWSER-LATE", 50),
        "later": make("DSR-BROWSER-SOON", 2),
        "extendable": make("DSR-BROWSER-EXTEND", 12),
    }
    today = timezone.localdate()
    # What the scenario relies on, so a change in the deadline rules shows here rather than as a puzzle.
    overdue, later, extendable = (made[name].applicable_due_on for name in ("overdue", "later", "extendable"))
    assert overdue is not None and later is not None and extendable is not None
    assert overdue < today < later
    assert extendable > today and made["extendable"].extended_due_on is None
    return made


def test_dpo_sees_overdue_badge_and_extends_a_request(open_page, shot, dpo, rights_requests):
    list_label = french(capfirst(RightsRequest._meta.verbose_name_plural))
    extend_label = french(TRANSITIONS["extend"][2])
    page = open_page()

    log_in(page, dpo.username, PASSWORD, shot)
    assert language_of(page) == "fr"  # the site's language for a French browser

    # From the sidebar, as a person does.
    page.get_by_role("navigation").get_by_role("link", name=list_label, exact=True).first.click()
    page.wait_for_url("**/admin/gdpr/rightsrequest/")
    shot(page, "changelist")

    def row(reference: str):
        return page.locator("#result_list tbody tr").filter(has=page.get_by_role("link", name=reference, exact=True))

    # The overdue request: a red badge saying by how many days, in French.
    overdue = rights_requests["overdue"]
    late_days = (timezone.localdate() - overdue.applicable_due_on).days
    badge = row(overdue.reference).locator(".vigie-badge")
    with translation.override("fr"):
        late_text = ngettext("overdue by %(days)d day", "overdue by %(days)d days", late_days) % {"days": late_days}
    expect(badge).to_have_text(late_text)
    expect(badge).to_have_class(RED)
    expect(badge).to_have_css("color", rgb(COLOURS["red"][1]))
    # The one due later is not marked overdue.
    expect(row(rights_requests["later"].reference).locator(".vigie-badge")).not_to_have_class(RED)

    # The extendable request: its page, then its "extend" button and the small form asking for the reasons.
    target = rights_requests["extendable"]
    row(target.reference).get_by_role("link", name=target.reference, exact=True).click()
    page.wait_for_url(f"**/admin/gdpr/rightsrequest/{target.pk}/change/")
    shot(page, "request-before")
    page.locator("#vigie-transitions").get_by_role("link", name=extend_label, exact=True).click()
    page.wait_for_url(f"**/admin/gdpr/rightsrequest/{target.pk}/do/extend/")
    notified = page.locator("#id_notified_at")
    expect(notified).not_to_have_value("")  # prefilled with now
    reason = "Trois systèmes à interroger pour réunir les données demandées."
    page.get_by_label(french(ExtendForm.base_fields["reason"].label)).fill(reason)
    shot(page, "extend-form")
    page.get_by_role("button", name=extend_label, exact=True).click()
    page.wait_for_url(f"**/admin/gdpr/rightsrequest/{target.pk}/change/")
    shot(page, "request-extended")
    expect(page.get_by_text(french(TRANSITIONS["extend"][3]))).to_be_visible()  # the success message

    # What the deadline rules say, computed by gdpr.deadlines: the extended deadline, receipt + 3 months
    # (default policy) moved to a working day, is now the one that applies.
    target.refresh_from_db()
    policy = policy_from_settings()
    legal = extended_deadline(target.received_at, policy=policy)
    assert target.status == RequestStatus.EXTENDED
    assert target.extended_due_on == target.applicable_due_on == legal.due_on
    if policy.extension_base is ExtensionBase.RECEIPT_PLUS_3_MONTHS:
        assert legal.raw_on == paris_date(target.received_at) + relativedelta(months=3)
    assert legal.due_on >= legal.raw_on and is_working_day(legal.due_on, policy.calendar)

    # The page shows that date, and beside it (same "Deadline" box) why it is that date.
    with translation.override("fr"):
        shown_date = date_format(legal.due_on)
        legal_explanation = legal.explanation
    deadline_box = page.locator("#content-main")
    expect(deadline_box.locator(".field-applicable_due_on .readonly")).to_have_text(shown_date)
    expect(deadline_box.locator(".field-extended_due_on .readonly")).to_have_text(shown_date)
    explanation = deadline_box.locator(".field-why_this_date .vigie-deadline-explanation")
    expect(explanation).to_be_visible()
    expect(explanation).to_contain_text(legal_explanation)
    expect(explanation).to_contain_text(legal.due_on.strftime("%d/%m/%Y"))
    for line in target.deadline_explanation.splitlines():
        expect(explanation).to_contain_text(line)
    ledger = deadline_box.locator(".vigie-deadline-ledger")
    expect(ledger).to_contain_text(reason)  # the reasons given to the requester, in the ledger's last event
    with translation.override("fr"):
        policy_line = deadline_policy_sentence(policy)
    expect(explanation).to_contain_text(policy_line)
    expect(deadline_box).not_to_contain_text("rollover=")

    # Back to the list (its link in the page's header, after the sidebar's): the new date and a badge that is no longer about the first deadline.
    page.get_by_role("link", name=list_label, exact=True).last.click()
    page.wait_for_url("**/admin/gdpr/rightsrequest/")
    shot(page, "changelist-after")
    extended_row = row(target.reference)
    # The deadline column: the date, its badge under it.
    expect(extended_row.locator("td.field-deadline")).to_contain_text(target.applicable_due_on.strftime("%d/%m/%Y"))
    days_left = (legal.due_on - timezone.localdate()).days
    with translation.override("fr"):
        left_text = ngettext("%(days)d day left", "%(days)d days left", days_left) % {"days": days_left}
    expect(extended_row.locator(".vigie-badge")).to_have_text(left_text)
