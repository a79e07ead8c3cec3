"""The reporting dashboard: the year's indicators beside the year before, the overdue counts per domain (each
linked to the admin list of exactly those records), the charts, read-only for the auditor, and a number of
queries that does not grow with the records."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from compliance.choices import CaseStatus
from compliance.models import ActionItem, ConflictOfInterestCase
from gdpr import selectors
from gdpr.choices import CnilCaseKind, RequestStatus
from gdpr.models import Breach, CnilCase, RightsRequest
from reporting import dashboard, exports, services
from reporting.admin.common import value_text
from reporting.models import IndicatorValue, ReportingYear
from tests.clients import admin_client, api_client, messages_of
from tests.compliance.factories import ActionItemFactory, CaseFactory
from tests.factories import EmployeeFactory, UserFactory
from tests.gdpr.factories import BreachFactory, CnilCaseFactory, RightsRequestFactory
from tests.training.factories import CompletionFactory, paris
from training import figures, kpis
from training.models import Module

pytestmark = pytest.mark.django_db

PARIS = timezone.get_default_timezone()
TODAY = dt.date(2025, 6, 15)
#: Every test runs on 15 June 2025, noon in Paris: "this year" is 2025, "overdue" is before that day.
NOW = dt.datetime(2025, 6, 15, 12, 0, tzinfo=PARIS)
DASHBOARD = "admin:reporting_dashboard"


@pytest.fixture(autouse=True)
def on_15_june_2025():
    with time_machine.travel(NOW, tick=False):
        yield


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=PARIS)


def request_(
    received: dt.datetime,
    due: dt.date,
    *,
    answered: dt.datetime | None = None,
    status: str = "",
    outcome: str = "",
    extended_due: dt.date | None = None,
    **extra,
) -> RightsRequest:
    """A rights request with its deadline columns set as the services set them."""
    if answered and not status:
        status, outcome = RequestStatus.ANSWERED, outcome or "granted"
    status = status or RequestStatus.RECEIVED
    extension = (
        {"extension_notified_at": received + dt.timedelta(days=7), "extension_reason": "Many files to search"}
        if extended_due
        else {}
    )
    return RightsRequestFactory(
        received_at=received,
        due_on=due,
        extended_due_on=extended_due,
        applicable_due_on=extended_due or due,
        answered_at=answered,
        status=status,
        outcome=outcome or ("granted" if answered else ""),
        **extension,
        **extra,
    )


@pytest.fixture
def overdue_records():
    """Of each kind, the overdue ones (counted) beside the ones that are not (due later, done, decided)."""
    day = TODAY
    # Rights requests: 2 overdue; one due later, one answered after its deadline (done, not overdue).
    request_(at(day - dt.timedelta(days=45)), day - dt.timedelta(days=14))
    request_(at(day - dt.timedelta(days=40)), day - dt.timedelta(days=1), status=RequestStatus.IN_PROGRESS)
    request_(at(day - dt.timedelta(days=5)), day + dt.timedelta(days=26))
    request_(at(day - dt.timedelta(days=60)), day - dt.timedelta(days=29), answered=at(day - dt.timedelta(days=2)))
    # CNIL: one referral past its reply date; one due later, one answered late, a complaint without referral.
    CnilCaseFactory(received_on=day - dt.timedelta(days=15), due_on=day - dt.timedelta(days=5))
    CnilCaseFactory(received_on=day - dt.timedelta(days=3), due_on=day + dt.timedelta(days=7))
    CnilCaseFactory(
        received_on=day - dt.timedelta(days=30),
        due_on=day - dt.timedelta(days=20),
        answered_on=day - dt.timedelta(days=10),
    )
    CnilCaseFactory(kind=CnilCaseKind.COMPLAINT_WITHOUT_REFERRAL, received_on=day - dt.timedelta(days=30), due_on=None)
    # A complaint whose reply date, set by a CNIL letter, has passed: overdue like a referral.
    CnilCaseFactory(
        kind=CnilCaseKind.COMPLAINT_WITHOUT_REFERRAL,
        received_on=day - dt.timedelta(days=20),
        due_on=day - dt.timedelta(days=10),
    )
    # Breaches: one past 72 h undecided; one within its 72 h; one decided "no notification"; one notified.
    BreachFactory(aware_at=NOW - dt.timedelta(days=5))
    BreachFactory(aware_at=NOW - dt.timedelta(hours=10))
    BreachFactory(
        aware_at=NOW - dt.timedelta(days=8), notification_required=False, decision_reasoning="No risk: encrypted laptop"
    )
    BreachFactory(
        aware_at=NOW - dt.timedelta(days=9), notification_required=True, notified_at=NOW - dt.timedelta(days=8)
    )
    # COI: one received and one under analysis past their analysis date; one due later.
    CaseFactory(reported_on=day - dt.timedelta(days=90), analysis_due_on=day - dt.timedelta(days=30))
    CaseFactory(
        reported_on=day - dt.timedelta(days=70),
        analysis_due_on=day - dt.timedelta(days=10),
        status=CaseStatus.UNDER_ANALYSIS,
    )
    later = CaseFactory(reported_on=day - dt.timedelta(days=10), analysis_due_on=day + dt.timedelta(days=50))
    # Action items (on the case not yet due): one overdue, one done late, one due later.
    ActionItemFactory(case=later, due_on=day - dt.timedelta(days=3))
    ActionItemFactory(case=later, due_on=day - dt.timedelta(days=20), done_on=day - dt.timedelta(days=1))
    ActionItemFactory(case=later, due_on=day + dt.timedelta(days=30))
    # Training: RGPD is renewed every 24 months; a completion of July 2023 stops counting within 60 days.
    rgpd = Module.objects.get(code="RGPD")
    CompletionFactory(module=rgpd, completed_at=paris(dt.date(2023, 7, 1)))
    CompletionFactory(module=rgpd, completed_at=paris(dt.date(2025, 1, 10)))
    EmployeeFactory()  # never trained: not a renewal


def dashboard_page(client, **params):
    return client.get(reverse(DASHBOARD), params)


def items_of(response) -> dict[str, dashboard.Overdue]:
    return {item.key: item for section in response.context["overdue_sections"] for item in section.items}


# --- who sees what -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["Compliance officer", "Auditor", "DPO", "Training manager"])
def test_the_dashboard_renders_for_every_role_that_views_reporting(roles, role):
    response = dashboard_page(admin_client(role, language="en"))
    assert response.status_code == 200
    assert response.context["year"] == 2025


def test_anonymous_goes_to_the_login_and_a_user_without_permission_is_refused(roles):
    from django.test import Client

    response = Client().get(reverse(DASHBOARD))
    assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))
    assert dashboard_page(admin_client()).status_code == 403


def test_the_auditor_sees_no_action_button_and_the_officer_does(roles):
    services.year_compute(2025)
    officer = dashboard_page(admin_client("Compliance officer", language="en")).content.decode()
    auditor = dashboard_page(admin_client("Auditor", language="en")).content.decode()
    assert 'id="compute-form"' in officer
    assert 'id="compute-form"' not in auditor and 'id="compute-link"' not in auditor
    assert 'method="post"' not in auditor.split('id="content-main"')[1]
    assert 'id="download-links"' in auditor  # reading the export is not an action


def test_a_year_without_snapshot_offers_to_compute_it_to_the_officer_only(roles):
    officer = dashboard_page(admin_client("Compliance officer", language="en")).content.decode()
    assert 'id="compute-link"' in officer and f"{reverse('admin:reporting_reportingyear_add')}?year=2025" in officer
    assert 'id="compute-link"' not in dashboard_page(admin_client("Auditor", language="en")).content.decode()


def test_the_dashboard_is_linked_from_the_app_index_and_the_year_list(roles):
    client = admin_client("Auditor", language="en")
    link = reverse(DASHBOARD)
    assert link in client.get(reverse("admin:app_list", args=["reporting"])).content.decode()
    assert link in client.get(reverse("admin:reporting_reportingyear_changelist")).content.decode()


# --- the indicators ----------------------------------------------------------------------------------------------


def test_the_indicators_of_the_year_stand_beside_the_year_before_with_links_to_their_records(roles):
    request_(at(dt.date(2024, 3, 4)), dt.date(2024, 4, 4), answered=at(dt.date(2024, 3, 20)))
    for day in (dt.date(2025, 1, 6), dt.date(2025, 2, 3), dt.date(2025, 3, 3)):
        request_(at(day), day + dt.timedelta(days=31), answered=at(day + dt.timedelta(days=10)))
    services.year_compute(2024)
    services.year_compute(2025)
    response = dashboard_page(admin_client("Auditor", language="en"))
    rows = {row["code"]: row for section in response.context["sections"] for row in section["rows"]}
    row = rows["E2_RIGHTS_REQUESTS"]
    assert (row["value"], row["previous"], row["change"]) == ("3", "1", "+2")
    value = IndicatorValue.objects.get(reporting_year__year=2025, code="E2_RIGHTS_REQUESTS")
    assert row["url"] == reverse("admin:reporting_indicatorvalue_change", args=[value.pk])
    assert rows["E2_RIGHTS_REQUESTS_ON_TIME_RATE"]["value"] == "100.0\u00a0%"
    # Manual indicators are listed too, "not entered" until someone enters them.
    assert "not entered" in rows["E6_COMPLAINTS_RECEIVED"]["status"]
    titles = [section["title"] for section in response.context["sections"]]
    assert titles[0].startswith("1. ") and titles[-1].startswith("ESRS G1")


def test_the_year_selector_shows_another_year_and_says_when_a_year_is_wrong(roles):
    client = admin_client("Auditor", language="en")
    assert dashboard_page(client, year=2024).context["year"] == 2024
    response = dashboard_page(client, year="abc")
    assert response.status_code == 200 and response.context["year"] == 2025
    assert any("must be a number" in m for m in messages_of(response))
    response = dashboard_page(client, year=1850)
    assert response.context["year"] == 2025 and any("between 2000" in m for m in messages_of(response))


# --- stored figures, with their time; the exports compute from the records ---------------------------------


def _figures(response) -> dict[str, str]:
    return {row["code"]: row["value"] for section in response.context["sections"] for row in section["rows"]}


def _exported(year: int, user) -> dict[str, str]:
    """The export's figures of `year` for `user`, written as the dashboard writes them."""
    return {
        row.definition.code: value_text(row.value, row.definition.unit) for row in exports.table(year, user=user).rows
    }


def _received(count: int, day: dt.date = dt.date(2025, 3, 3)) -> None:
    for _index in range(count):
        request_(at(day), day + dt.timedelta(days=31), answered=at(day + dt.timedelta(days=10)))


def test_the_dashboard_shows_the_export_s_figures_when_no_record_changed_since_the_computation(roles):
    _received(3)
    services.year_compute(2025)
    client = admin_client("Compliance officer", language="en")
    response = dashboard_page(client, year=2025)
    figures = _figures(response)
    assert figures == _exported(2025, response.wsgi_request.user)
    assert figures["E2_RIGHTS_REQUESTS"] == "3"


def test_after_a_record_changes_the_dashboard_shows_the_stored_figure_with_its_time_and_the_export_the_new_one(
    roles,
):
    _received(3)
    services.year_compute(2025, now=NOW - dt.timedelta(days=2))
    _received(2)
    client = admin_client("Compliance officer", language="en")
    response = dashboard_page(client, year=2025)
    assert _figures(response)["E2_RIGHTS_REQUESTS"] == "3"
    state = response.content.decode().split('id="year-state"')[1].split("</span>")[0]
    assert "Figures computed at 13/06/2025 12:00" in state, state  # Paris time
    user = response.wsgi_request.user
    assert _exported(2025, user)["E2_RIGHTS_REQUESTS"] == "5"
    assert (
        next(i for i in exports.as_dict(2025, user=user)["indicators"] if i["code"] == "E2_RIGHTS_REQUESTS")["value"]
        == 5
    )
    api = api_client("Compliance officer").get("/api/reporting/indicators/", {"year": 2025}).json()
    assert next(i for i in api["indicators"] if i["code"] == "E2_RIGHTS_REQUESTS")["value"] == 5
    # The year after: N-1 from the records too on the export, the stored figure on the dashboard.
    services.year_compute(2026)
    previous = {row.definition.code: row.previous for row in exports.table(2026, user=user).rows}
    assert previous["E2_RIGHTS_REQUESTS"] == 5
    rows = {
        row["code"]: row for section in dashboard_page(client, year=2026).context["sections"] for row in section["rows"]
    }
    assert rows["E2_RIGHTS_REQUESTS"]["previous"] == "3"


def test_a_frozen_year_shows_its_frozen_figure_on_the_dashboard_and_in_the_export(roles):
    _received(3)
    services.year_compute(2025)
    services.year_freeze(2025, UserFactory())
    _received(2)
    client = admin_client("Compliance officer", language="en")
    response = dashboard_page(client, year=2025)
    user = response.wsgi_request.user
    assert _figures(response)["E2_RIGHTS_REQUESTS"] == _exported(2025, user)["E2_RIGHTS_REQUESTS"] == "3"
    assert _figures(response) == _exported(2025, user)
    assert "Frozen on 15/06/2025 12:00: verified figures, computed at 15/06/2025 12:00." in response.content.decode()


def test_the_dashboard_of_a_year_never_computed_computes_and_writes_nothing(roles, monkeypatch):
    _received(3)

    def refused(*args, **kwargs):
        raise AssertionError("the dashboard computed an indicator in the request")

    monkeypatch.setattr(services, "year_evaluate", refused)
    monkeypatch.setattr(services, "indicator_evaluate", refused)
    officer = admin_client("Compliance officer", language="en")
    response = dashboard_page(officer, year=2025)
    assert response.status_code == 200
    assert not IndicatorValue.objects.exists() and not ReportingYear.objects.exists()
    body = response.content.decode()
    assert "Not computed yet: 2025 has no stored figures." in body
    assert 'id="compute-link"' in body  # to the officer, who may compute
    rows = {row["code"]: row for section in response.context["sections"] for row in section["rows"]}
    assert rows["E2_RIGHTS_REQUESTS"]["value"] == "–" and "not computed yet" in rows["E2_RIGHTS_REQUESTS"]["status"]
    auditor = dashboard_page(admin_client("Auditor", language="en"), year=2025).content.decode()
    assert "Not computed yet" in auditor and 'id="compute-link"' not in auditor


# --- what is overdue ---------------------------------------------------------------------------------------------


def test_the_overdue_counts_match_the_records(roles, overdue_records):
    response = dashboard_page(admin_client("Compliance officer", language="en"))
    items = items_of(response)
    assert {key: item.count for key, item in items.items()} == {
        "rights_requests": 2,
        "cnil_cases": 2,
        "breaches": 1,
        "coi_cases": 2,
        "action_items": 1,
        "renewals_CYBER": 0,
        "renewals_RGPD": 1,
    }
    # The same as the querysets the alerts use.
    assert items["rights_requests"].count == RightsRequest.objects.overdue().count()
    assert items["cnil_cases"].count == CnilCase.objects.overdue().count()
    assert items["breaches"].count == Breach.objects.overdue().count()
    assert items["coi_cases"].count == ConflictOfInterestCase.objects.analysis_overdue().count()
    assert items["action_items"].count == ActionItem.objects.overdue().count()
    body = response.content.decode()
    assert 'id="overdue-rights_requests"' in body and 'data-count="2"' in body


def test_each_overdue_count_links_to_the_list_of_exactly_those_records(roles, overdue_records):
    client = admin_client("Compliance officer", language="en")
    items = items_of(dashboard_page(client))
    expected = {
        "rights_requests": set(RightsRequest.objects.overdue().values_list("pk", flat=True)),
        "cnil_cases": set(CnilCase.objects.overdue().values_list("pk", flat=True)),
        "breaches": set(Breach.objects.overdue().values_list("pk", flat=True)),
        "coi_cases": set(ConflictOfInterestCase.objects.analysis_overdue().values_list("pk", flat=True)),
        "action_items": set(ActionItem.objects.overdue().values_list("pk", flat=True)),
    }
    for key, pks in expected.items():
        listing = client.get(items[key].url)
        assert listing.status_code == 200, key
        assert {obj.pk for obj in listing.context["cl"].queryset} == pks, key
    rgpd = Module.objects.get(code="RGPD")
    renewals = client.get(items["renewals_RGPD"].url)
    assert renewals.status_code == 200
    due = kpis.renewals_due(rgpd, kpis.RENEWAL_HORIZON_DAYS, TODAY)
    assert renewals.context["count"] == due.count() == 1


def test_each_role_sees_only_the_counts_of_the_lists_it_may_open(roles, overdue_records):
    dpo = items_of(dashboard_page(admin_client("DPO", language="en")))
    assert set(dpo) == {"rights_requests", "cnil_cases", "breaches"}
    manager = items_of(dashboard_page(admin_client("Training manager", language="en")))
    assert set(manager) == {"renewals_CYBER", "renewals_RGPD"}
    auditor = items_of(dashboard_page(admin_client("Auditor", language="en")))
    assert auditor["coi_cases"].count == 2 and auditor["breaches"].count == 1


# --- the charts ----------------------------------------------------------------------------------------------


def test_the_rights_requests_per_month_count_receipts_in_paris_months_and_the_on_time_rate():
    # March: answered within its validly extended deadline → on time.
    request_(
        at(dt.date(2025, 3, 3)),
        dt.date(2025, 4, 3),
        extended_due=dt.date(2025, 6, 3),
        answered=at(dt.date(2025, 5, 20)),
        status=RequestStatus.ANSWERED,
    )
    # April: open past its deadline → judged, late.
    request_(at(dt.date(2025, 4, 1)), dt.date(2025, 5, 2))
    # May: on time, late, withdrawn (received but neither on time nor late).
    request_(at(dt.date(2025, 5, 5)), dt.date(2025, 6, 5), answered=at(dt.date(2025, 5, 20)))
    request_(at(dt.date(2025, 5, 6)), dt.date(2025, 6, 6), answered=at(dt.date(2025, 6, 10)))
    request_(
        at(dt.date(2025, 5, 7)),
        dt.date(2025, 6, 9),
        answered=at(dt.date(2025, 5, 9)),
        status=RequestStatus.WITHDRAWN,
        outcome="withdrawn",
    )
    # June: 00:30 on 1 June in Paris is still 31 May in UTC: a June request. Both open, not yet due.
    request_(dt.datetime(2025, 6, 1, 0, 30, tzinfo=PARIS), dt.date(2025, 7, 1))
    request_(at(dt.date(2025, 6, 10)), dt.date(2025, 7, 10))
    # Before the 12 months: left out.
    request_(at(dt.date(2024, 5, 2)), dt.date(2024, 6, 3), answered=at(dt.date(2024, 5, 10)))

    months = selectors.rights_requests_by_month(TODAY, dashboard.TREND_MONTHS)
    assert [m.month for m in months] == [dt.date(2024, 7, 1) + _months(i) for i in range(12)]
    by_month = {m.month: (m.received, m.judged, m.on_time, m.value) for m in months}
    assert by_month[dt.date(2025, 3, 1)] == (1, 1, 1, Decimal("100.0"))
    assert by_month[dt.date(2025, 4, 1)] == (1, 1, 0, Decimal("0.0"))
    assert by_month[dt.date(2025, 5, 1)] == (3, 2, 1, Decimal("50.0"))
    assert by_month[dt.date(2025, 6, 1)] == (2, 0, 0, None)
    assert by_month[dt.date(2024, 7, 1)] == (0, 0, 0, None)
    # Month by month, the same judgement as the yearly indicator (gdpr/selectors.py).
    yearly = selectors.rights_requests_on_time_rate(2025, today=TODAY)
    this_year = [m for m in months if m.month.year == 2025]
    assert (sum(m.on_time for m in this_year), sum(m.judged for m in this_year)) == (
        yearly.numerator,
        yearly.denominator,
    )


#: What a refusal records besides its outcome (gdpr/models/rights.py: its ground, the right to complain told).
REFUSAL = {"refusal_ground": "excessive", "complaint_right_notified": True}


def test_a_refusal_after_an_extension_is_held_to_the_first_deadline_month_by_month_as_in_the_year(roles):
    # Both extended to 3 June; refused on 20 May, after the first deadline (3 April): late, though before the
    # extended one (docs/rules.md: a refusal is notified within the month). Granted on 20 May: on time.
    for outcome in ("refused", "granted"):
        request_(
            at(dt.date(2025, 3, 3)),
            dt.date(2025, 4, 3),
            extended_due=dt.date(2025, 6, 3),
            answered=at(dt.date(2025, 5, 20)),
            status=RequestStatus.REFUSED if outcome == "refused" else RequestStatus.ANSWERED,
            outcome=outcome,
            **(REFUSAL if outcome == "refused" else {}),
        )
    # Refused before its first deadline, manifestly unfounded after it: on time, then late.
    request_(
        at(dt.date(2025, 3, 10)),
        dt.date(2025, 4, 10),
        extended_due=dt.date(2025, 6, 10),
        answered=at(dt.date(2025, 4, 1)),
        status=RequestStatus.REFUSED,
        outcome="refused",
        **REFUSAL,
    )
    request_(
        at(dt.date(2025, 3, 11)),
        dt.date(2025, 4, 11),
        extended_due=dt.date(2025, 6, 11),
        answered=at(dt.date(2025, 5, 2)),
        status=RequestStatus.REFUSED,
        outcome="unfounded",
        refusal_ground="manifestly_unfounded",
        complaint_right_notified=True,
    )

    march = next(
        m for m in selectors.rights_requests_by_month(TODAY, dashboard.TREND_MONTHS) if m.month == dt.date(2025, 3, 1)
    )
    assert (march.received, march.judged, march.on_time) == (4, 4, 2)
    yearly = selectors.rights_requests_on_time_rate(2025, today=TODAY)
    assert (yearly.numerator, yearly.denominator) == (march.on_time, march.judged)
    # And on the page, for the DPO.
    page = dashboard_page(admin_client("DPO", language="en"))
    row = next(m for m in page.context["request_months"] if m["month"] == dt.date(2025, 3, 1))
    assert (row["judged"], row["on_time"], row["late"]) == (4, 2, 2)


def _months(count: int):
    from dateutil.relativedelta import relativedelta

    return relativedelta(months=count)


def test_the_page_draws_the_completion_trends_and_the_requests_chart_with_their_figures(roles):
    deonto = Module.objects.get(code="DEONTO")
    trained = CompletionFactory(module=deonto, completed_at=paris(dt.date(2025, 2, 1))).employee
    EmployeeFactory(entity=trained.entity, department=trained.department)
    request_(at(dt.date(2025, 5, 5)), dt.date(2025, 6, 5), answered=at(dt.date(2025, 5, 20)))
    figures.compute_all()  # the nightly computation the trends read (training/figures.py)

    response = dashboard_page(admin_client("Auditor", language="en"))
    body = response.content.decode()
    codes = {trend["module"].code for trend in response.context["trends"]}
    assert codes == set(Module.objects.filter(is_reference=True, mandatory=True).values_list("code", flat=True))
    for code in codes:
        assert f'id="trend-{code}"' in body
    # The last dot of DEONTO is today's rate: one of the two employees.
    deonto_chart = str(next(t["chart"] for t in response.context["trends"] if t["module"].code == "DEONTO"))
    assert kpis.completion_rate(deonto, TODAY).value == Decimal("50.0")
    assert 'data-day="2025-06-15" data-value="50.0"' in deonto_chart
    assert 'id="rights-on-time"' in body
    may = next(m for m in response.context["request_months"] if m["month"] == dt.date(2025, 5, 1))
    assert (may["received"], may["on_time"], may["rate"]) == (1, 1, "100.0\u00a0%")
    assert 'data-month="2025-05"' in body


# --- the number of queries ---------------------------------------------------------------------------------------


def _records(scale: int) -> None:
    """`scale` records of every kind the dashboard counts or charts (the same kinds at every scale)."""
    rgpd, deonto = Module.objects.get(code="RGPD"), Module.objects.get(code="DEONTO")
    for index in range(scale):
        day = TODAY - dt.timedelta(days=index % 200 + 1)
        request_(at(day - dt.timedelta(days=40)), day)
        request_(at(day - dt.timedelta(days=50)), day, answered=at(day - dt.timedelta(days=20)))
        CnilCaseFactory(received_on=day - dt.timedelta(days=10), due_on=day)
        BreachFactory(aware_at=at(day) - dt.timedelta(days=4))
        CaseFactory(reported_on=day - dt.timedelta(days=60), analysis_due_on=day)
        ActionItemFactory(due_on=day)
        CompletionFactory(module=rgpd, completed_at=paris(dt.date(2023, 7, 1) + dt.timedelta(days=index % 30)))
        CompletionFactory(module=deonto, completed_at=paris(dt.date(2025, 1, 1) + dt.timedelta(days=index % 100)))


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert dashboard_page(client).status_code == 200
    return len(queries)


@pytest.mark.parametrize("stored", [True, False], ids=["stored snapshots", "never computed"])
def test_the_number_of_queries_does_not_grow_with_the_records(roles, stored):
    client = admin_client("Compliance officer", language="en")
    _records(2)
    if stored:
        services.year_compute(2024)
        services.year_compute(2025)
    small = _queries(client)
    _records(40)
    if stored:
        services.year_compute(2024)
        services.year_compute(2025)
    large = _queries(client)
    assert large == small, (small, large)
    if stored:
        assert small <= 80, small
