"""The home page after login, "Mon bureau" (reporting/home.py, templates/admin/index.html): what the signed-in
user has to act on across the domains they may see, running breach clocks first; each count linked to the
admin list of exactly those records; nothing about what a role may not view; a number of queries that does
not grow with the records; "Nothing late" when nothing is due."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from compliance.choices import CaseStatus
from core.models import ImportRun
from core.roles import sealed_out
from gdpr.choices import RequestStatus
from notifications.models import Alert, Delivery
from reporting import dashboard, desk, home
from tests.aml.factories import AlertFactory, HitFactory
from tests.clients import admin_client
from tests.compliance.factories import ActionItemFactory, CaseFactory
from tests.factories import UserFactory
from tests.gdpr.factories import BreachFactory, CnilCaseFactory, RightsRequestFactory
from tests.whistleblowing.factories import ReportFactory

pytestmark = pytest.mark.django_db

PARIS = timezone.get_default_timezone()
TODAY = dt.date(2025, 6, 16)  # a Monday
NOW = dt.datetime(2025, 6, 16, 9, 0, tzinfo=PARIS)
INDEX = "admin:index"
COMPLIANCE_KEYS = {
    "coi_cases",
    "action_items",
    "coi_cases_week",
    "action_items_week",
    "coi_cases_unassigned",
    "action_items_unassigned",
}
GDPR_KEYS = {
    "breach_clocks",
    "rights_requests",
    "cnil_cases",
    "breaches",
    "rights_requests_week",
    "cnil_cases_week",
    "rights_requests_unassigned",
    "cnil_cases_unassigned",
    "breaches_unassigned",
}
FLOOR_KEYS = {"failed_imports", "undelivered_alerts"}
#: Counted for the LCB-FT role (and superusers when VIGIE_AML_VISIBLE_TO_SUPERUSERS): aml/indicators.py.
AML_KEYS = {"aml_alerts", "aml_hits", "aml_alerts_week", "aml_alerts_mine", "aml_alerts_unassigned"}
#: Counted for the whistleblowing referents only (superusers not): whistleblowing/indicators.py.
WB_KEYS = {"wb_acknowledgments", "wb_feedback", "wb_acknowledgments_week"}
#: Counted for administrators (superusers) only: they name the missing recipient (issue 19).
ADMIN_KEYS = {"alerts_without_recipient"}


@pytest.fixture(autouse=True)
def on_monday_16_june_2025():
    with time_machine.travel(NOW, tick=False):
        yield


def days(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)


def request_(due: dt.date, **extra) -> object:
    received = dt.datetime.combine(due - dt.timedelta(days=30), dt.time(10), tzinfo=PARIS)
    return RightsRequestFactory(
        received_at=received, due_on=due, applicable_due_on=due, status=RequestStatus.RECEIVED, **extra
    )


def make_records(scale: int = 1, *, handler=None) -> None:
    """`scale` records of every kind the page counts, due or not, and records that are not to count."""
    for _ in range(scale):
        # Breaches: one clock running (10 h ago: 62 h left), one past its 72 hours.
        BreachFactory(aware_at=NOW - dt.timedelta(hours=10))
        BreachFactory(aware_at=NOW - dt.timedelta(days=5), handler=handler)
        # Rights requests: overdue, due in 3 days, due in a month (counted only as unassigned).
        request_(days(-2))
        request_(days(3), handler=handler)
        request_(days(30))
        # CNIL: overdue, due in 7 days (the last day of the week), answered.
        CnilCaseFactory(received_on=days(-20), due_on=days(-1))
        CnilCaseFactory(received_on=days(-3), due_on=days(7), handler=handler)
        CnilCaseFactory(received_on=days(-20), due_on=days(-10), answered_on=days(-11))
        # COI: analysis overdue, due tomorrow; qualified (not awaiting its analysis).
        CaseFactory(reported_on=days(-60), analysis_due_on=days(-1))
        case = CaseFactory(reported_on=days(-5), analysis_due_on=days(1), handler=handler)
        CaseFactory(reported_on=days(-5), analysis_due_on=days(1), status=CaseStatus.CLOSED)
        # Action items: overdue, due in 2 days, done, and one with nobody in charge.
        ActionItemFactory(case=case, due_on=days(-3))
        ActionItemFactory(case=case, due_on=days(2), owner=handler)
        ActionItemFactory(case=case, due_on=days(-3), done_on=days(-1))
        ActionItemFactory(case=case, due_on=days(40), owner_name="")
        # An import that failed, one that went fine, one that failed long ago.
        ImportRun.objects.create(kind="roster", file_name="roster.csv", status="failed", started_at=NOW)
        ImportRun.objects.create(kind="roster", file_name="roster.csv", status="completed", started_at=NOW)
        ImportRun.objects.create(
            kind="roster", file_name="old.csv", status="interrupted", started_at=NOW - dt.timedelta(days=45)
        )
        # AML/CFT: an alert past its analysis date, one due in 5 days (mine), one decided; a hit past its review.
        AlertFactory(raised_at=NOW - dt.timedelta(days=31), analysis_due_on=days(-1))
        AlertFactory(raised_at=NOW - dt.timedelta(days=25), analysis_due_on=days(5), analyst=handler)
        AlertFactory(
            raised_at=NOW - dt.timedelta(days=31),
            analysis_due_on=days(-1),
            status="decided",
            decision="closed",
            decided_on=days(-2),
        )
        HitFactory(raised_at=NOW - dt.timedelta(days=4), review_due_on=days(-2))
        # Whistleblowing: an acknowledgment overdue, one due in 3 days, a feedback overdue, a closed report.
        ReportFactory(received_at=NOW - dt.timedelta(days=12), acknowledgment_due_on=days(-1))
        ReportFactory(received_at=NOW - dt.timedelta(days=6), acknowledgment_due_on=days(3))
        ReportFactory(
            received_at=NOW - dt.timedelta(days=100),
            acknowledgment_due_on=days(-90),
            acknowledged_on=days(-95),
            status="investigating",
            feedback_due_on=days(-2),
        )
        ReportFactory(
            received_at=NOW - dt.timedelta(days=100),
            acknowledgment_due_on=days(-90),
            feedback_due_on=days(-2),
            status="closed",
            closed_on=days(-50),
        )
    # Alerts: one whose email could not be delivered, one with no recipient at all.
    content_type = ContentType.objects.get(app_label="gdpr", model="rightsrequest")
    first = Alert.objects.count()
    for index, (recipient, escalated) in enumerate([("dpo@example.org", NOW), (None, None)] * scale, start=first):
        alert = Alert.objects.create(
            rule="gdpr.rights_request.deadline",
            threshold="overdue",
            content_type=content_type,
            object_id=index + 1,
            object_label=f"DSR-{index}",
            due_at=NOW,
            fires_at=NOW,
            urgency="overdue",
            title=f"Alert {index}",
            unaddressed=not recipient,  # as the sweep writes an alert it found nobody for
        )
        if recipient:
            Delivery.objects.create(alert=alert, recipient=recipient, attempts=8, escalated_at=escalated)


def keys_of(page: home.Home) -> dict[str, int]:
    return {entry.key: entry.count for section in page.sections for group in section.groups for entry in group.entries}


def home_of(user) -> home.Home:
    with translation.override("en"):
        return home.home(user)


# --- who sees what ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("Compliance officer", COMPLIANCE_KEYS | GDPR_KEYS | FLOOR_KEYS),
        ("Auditor", COMPLIANCE_KEYS | GDPR_KEYS | FLOOR_KEYS),
        ("DPO", GDPR_KEYS | FLOOR_KEYS),
        ("Training manager", {"failed_imports"}),
    ],
)
def test_each_role_sees_the_sections_of_what_it_may_view_and_no_other(roles, role, expected):
    make_records()
    user = UserFactory(groups=[role])
    assert set(keys_of(home_of(user))) == expected
    body = admin_client(role, language="en").get(reverse(INDEX)).content.decode()
    content = body[body.index('id="vigie-home"') :]
    links = set(re.findall(r'href="/admin/(\w+)/(\w+)/', content))
    if role in ("DPO", "Training manager"):
        assert not any(app == "compliance" for app, _model in links), links
    if role == "Training manager":
        assert not any(app == "gdpr" for app, _model in links), links
        assert "BR-TEST" not in content and "Personal data" not in content
    # Every link of the page opens for its reader.
    client = admin_client()
    client.force_login(user)
    hrefs = {href.replace("&amp;", "&") for href in re.findall(r'href="(/admin/[^"#]*)"', content)}
    assert [
        (href, client.get(href).status_code, client.get(href).get("Location"))
        for href in hrefs
        if client.get(href).status_code != 200
    ] == []


def test_the_counts_are_those_of_the_records(roles):
    make_records()
    counts = keys_of(home_of(UserFactory(groups=["Auditor"])))
    assert counts == {
        "breach_clocks": 2,
        "breaches": 1,
        "rights_requests": 1,
        "cnil_cases": 1,
        "coi_cases": 1,
        "action_items": 1,
        "rights_requests_week": 1,
        "cnil_cases_week": 1,
        "coi_cases_week": 1,
        "action_items_week": 1,
        "rights_requests_unassigned": 3,
        "cnil_cases_unassigned": 2,
        "breaches_unassigned": 2,
        "coi_cases_unassigned": 2,
        "action_items_unassigned": 1,
        "failed_imports": 1,
        "undelivered_alerts": 1,
    }
    # The alerts with no recipient: counted for an administrator only, not for a role (issue 19).
    assert keys_of(home_of(UserFactory(is_superuser=True)))["alerts_without_recipient"] == 1


def test_running_breach_clocks_come_first_the_most_urgent_first_with_their_hours(roles):
    make_records()
    page = home_of(UserFactory(groups=["DPO"]))
    kinds = [section.kind for section in page.sections]
    assert kinds[0] == desk.RUNNING_CLOCK
    assert kinds == [kind for kind, _title, _help in home.SECTIONS if kind in kinds]
    listed = page.sections[0].groups[0].entries[0].records
    assert "overdue by" in str(listed[0].badge) and "62 h left" in str(listed[1].badge)
    body = admin_client("DPO", language="en").get(reverse(INDEX)).content.decode()
    assert body.index('id="vigie-home-running_clock"') < body.index('id="vigie-home-overdue"')
    assert body.index('id="vigie-home-overdue"') < body.index('id="vigie-home-due_this_week"')
    assert listed[0].url in body and "62 h left" in body


def test_a_long_list_of_running_clocks_stops_at_its_limit_and_links_to_the_others(roles):
    for _ in range(12):
        BreachFactory(aware_at=NOW - dt.timedelta(hours=10))
    entry = home_of(UserFactory(groups=["DPO"])).sections[0].groups[0].entries[0]
    assert entry.count == 12 and len(entry.records) == 10 and entry.more == 2
    body = admin_client("DPO", language="en").get(reverse(INDEX)).content.decode()
    assert "2 others" in body and "clock=running" in body


def test_assigned_to_me_counts_only_my_open_records(roles):
    me, colleague = UserFactory(groups=["Compliance officer"]), UserFactory(groups=["Compliance officer"])
    make_records(handler=me)
    mine = keys_of(home_of(me))
    assert {key: count for key, count in mine.items() if key.endswith("_mine")} == {
        "rights_requests_mine": 1,
        "cnil_cases_mine": 1,
        "breaches_mine": 1,
        "coi_cases_mine": 1,
        "action_items_mine": 1,
    }
    assert not [key for key in keys_of(home_of(colleague)) if key.endswith("_mine")]


def test_the_page_says_nothing_late_when_nothing_is_due_and_not_the_app_list(roles):
    client = admin_client("Compliance officer", language="en")
    body = client.get(reverse(INDEX)).content.decode()
    assert 'id="vigie-home-nothing-due"' in body and "Nothing late" in body
    content = body[body.index('id="vigie-home"') :]
    assert 'class="app-' not in content  # the stock list of applications is not the page (the sidebar has it)
    assert reverse("admin:reporting_dashboard") in body
    make_records()
    body = client.get(reverse(INDEX)).content.decode()
    assert "Nothing late" not in body


def test_the_page_is_in_french_by_default(roles):
    make_records()
    body = admin_client("Compliance officer").get(reverse(INDEX)).content.decode()
    assert "Rien en retard" not in body and "En retard" in body
    assert re.search(r"<title>\s*Mon bureau \|", body) and "Mon bureau" in body


# --- each count opens the list of exactly those records ----------------------------------------------------------


def test_each_link_opens_the_list_of_exactly_the_counted_records(roles):
    user = UserFactory(is_superuser=True)
    make_records(handler=user)
    client = admin_client()
    client.force_login(user)
    moment = desk.Moment(TODAY, NOW, user)
    kinds = [kind for kind, _title, _help in home.SECTIONS if kind != desk.DUE_SOON]
    checked = set()
    for _domain, declared in desk.desks():
        for group in declared.items:
            if isinstance(group, desk.DeskRecords):
                pairs = [(group.key, group.records(moment), group.more_url(moment))]
            else:
                items = dashboard.declared_items(group, moment, kinds)
                pairs = [(item.key, item.records(moment), item.url(moment)) for item in items]
            for key, records, url in pairs:
                listing = client.get(url)
                assert listing.status_code == 200, key
                assert "e=1" not in listing.get("Location", ""), key
                expected = set(records.values_list("pk", flat=True))
                assert expected, key  # the fixture has some of each
                assert {obj.pk for obj in listing.context["cl"].queryset} == expected, key
                checked.add(key)
    assert checked >= COMPLIANCE_KEYS | GDPR_KEYS | FLOOR_KEYS | ADMIN_KEYS | AML_KEYS | WB_KEYS


def test_a_listed_record_links_to_its_own_page(roles):
    breach = BreachFactory(aware_at=NOW - dt.timedelta(hours=10))
    body = admin_client("DPO", language="en").get(reverse(INDEX)).content.decode()
    assert reverse("admin:gdpr_breach_change", args=[breach.pk]) in body


# --- the number of queries ----------------------------------------------------------------------------------------


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse(INDEX)).status_code == 200
    return len(queries)


@pytest.mark.parametrize("role", ["Compliance officer", "DPO"])
def test_the_number_of_queries_does_not_grow_with_the_records(roles, role):
    user = UserFactory(groups=[role])
    client = admin_client()
    client.force_login(user)
    make_records(1, handler=user)
    small = _queries(client)
    make_records(30, handler=user)
    large = _queries(client)
    assert large == small, (small, large)
    assert small <= 60, small


def _declared() -> list:
    """Every declaration of every domain's DESK, each a case of its own (a new one is guarded unlisted)."""
    return [
        pytest.param(domain, index, id=f"{domain}-{getattr(group, 'key', type(group).__name__)}")
        for domain, declared in desk.desks()
        for index, group in enumerate(declared.items)
    ]


def _declared_queries(group, moment: desk.Moment) -> list[str]:
    """The queries of one declaration as the home page and the dashboard draw it: a listed kind's records
    with their badges, or each counted item's count and list link."""
    every_kind = [kind for kind, _title, _help in home.SECTIONS]
    with CaptureQueriesContext(connection) as queries, translation.override("en"):
        if isinstance(group, desk.DeskRecords):
            entry = home._listed(group, "domain", moment)
            for listed in entry.records if entry else ():
                str(listed.label), str(listed.badge)  # lazy texts written out, as the page does
        else:
            for item in dashboard.declared_items(group, moment, every_kind):
                item.records(moment).count()
                item.url(moment)
    return [query["sql"] for query in queries.captured_queries]


@pytest.mark.parametrize(("domain", "index"), _declared())
def test_each_declared_item_asks_the_same_number_of_queries_whatever_the_records(roles, domain, index):
    """Item by item, what the whole page's test above sums up: the declaration that adds a query per record
    is named."""
    user = UserFactory(is_superuser=True)
    group = dict(desk.desks())[domain].items[index]
    moment = desk.Moment(TODAY, NOW, user)
    sealed_out(user, "aml.alert")  # the user's groups, read once a request by the seal: not the item's cost
    make_records(1, handler=user)
    small = _declared_queries(group, moment)
    make_records(12, handler=user)
    large = _declared_queries(group, moment)
    assert len(large) == len(small), (
        f"{domain} {getattr(group, 'key', group)}: {len(small)} queries with 1 record of each kind, "
        f"{len(large)} with 13:\n" + "\n".join(large)
    )
