"""The stored figures of the module pages (training/figures.py): a snapshot equals the live computation on the
same records, the pages read it with the time it was computed (and never compute on a GET), "Recompute now"
replaces it, the nightly task computes every module, and the dashboard's trends read the snapshots."""

from __future__ import annotations

import datetime as dt
from functools import partial

import pytest
import time_machine
from celery.schedules import crontab
from django.db import connection
from django.test.utils import CaptureQueriesContext

from config.celery import _beat_schedule
from tests.clients import admin_client, messages_of
from tests.factories import DepartmentFactory, EmployeeFactory, LegalEntityFactory
from tests.training.factories import AttendanceFactory, CompletionFactory, ModuleFactory, WorkshopFactory, paris
from training import figures, kpis, services, tasks
from training.indicators import _trends_panel
from training.models import Module, ModuleFigures

PARIS = paris(dt.date(2025, 6, 2)).tzinfo
NOW = dt.datetime(2025, 6, 2, 12, 0, tzinfo=PARIS)
TODAY = NOW.date()
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("roles"),
    pytest.mark.time_machine(NOW, tick=False),
]
MODULES = "/admin/training/module/"
client_for = partial(admin_client, language="en")


@pytest.fixture
def staff():
    """Two entities, two departments, people trained at various days in a module of 2024 (never renewed), a
    renewable one and a workshop with sessions."""
    ea, eb = LegalEntityFactory(code="EA"), LegalEntityFactory(code="EB")
    one, two = DepartmentFactory(name="One"), DepartmentFactory(name="Two")
    plain = ModuleFactory(code="F-PLAIN", deployed_on=dt.date(2024, 1, 15))
    renewable = ModuleFactory(code="F-RENEW", deployed_on=dt.date(2023, 1, 1), renewal_months=12)
    workshop = WorkshopFactory(code="F-WORK", deployed_on=dt.date(2024, 1, 1))
    days = [dt.date(2024, 2, 1), dt.date(2024, 9, 10), dt.date(2025, 1, 5), dt.date(2025, 5, 20), None]
    for index in range(20):
        employee = EmployeeFactory(
            entity=(ea, eb)[index % 2],
            department=(one, two, None)[index % 3],
            is_manager=index % 5 == 0,
            gender=("F", "M", "")[index % 3],
            left_on=dt.date(2024, 12, 31) if index == 7 else None,
        )
        day = days[index % len(days)]
        if day is not None:
            CompletionFactory(employee=employee, module=plain, completed_at=paris(day))
            CompletionFactory(employee=employee, module=renewable, completed_at=paris(day - dt.timedelta(days=90)))
        if index % 4 == 0:
            AttendanceFactory(employee=employee, session__module=workshop, session__held_on=dt.date(2024, 6, 1))
    return {"plain": plain, "renewable": renewable, "workshop": workshop, "ea": ea, "one": one}


def change_url(module: Module) -> str:
    return f"{MODULES}{module.pk}/change/"


def recompute_url(module: Module, query: str = "") -> str:
    return f"{MODULES}{module.pk}/figures/" + (f"?{query}" if query else "")


# --- the snapshot is the live computation ------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["plain", "renewable", "workshop"])
@pytest.mark.parametrize("scoped", [False, True], ids=["whole company", "entity and department"])
def test_a_snapshot_equals_the_live_computation_on_the_same_records(staff, code, scoped):
    module = staff[code]
    entity, department = (staff["ea"], staff["one"]) if scoped else (None, None)
    scope = kpis.Scope.of(entities=[entity] if entity else [], departments=[department] if department else [])
    for day in (TODAY, dt.date(2024, 12, 31)):
        figures.compute(module, day, entity, department)
        stored = figures.stored(module, day, entity, department)
        assert stored is not None and stored.computed_at == NOW
        live = kpis.completion_rate(module, day, scope)
        assert (stored.rate.numerator, stored.rate.denominator) == (live.numerator, live.denominator)
        assert stored.rate.denominator > 0
        for by in kpis.BREAKDOWNS:
            assert stored.breakdown(by) == kpis.breakdown(module, day, by, scope)
        trend = kpis.monthly_trend(module, day, figures.TREND_MONTHS, scope)
        assert stored.trend() == [rate.point for rate in trend]
        # The dashboard's shorter trend is the end of the stored one.
        assert stored.trend(12) == [rate.point for rate in kpis.monthly_trend(module, day, 12, scope)]


def test_recomputing_a_selection_replaces_its_snapshot(staff):
    module = staff["plain"]
    figures.compute(module)
    with time_machine.travel(NOW + dt.timedelta(hours=1), tick=False):
        figures.compute(module)
    assert ModuleFigures.objects.filter(module=module).count() == 1
    assert ModuleFigures.objects.get(module=module).computed_at == NOW + dt.timedelta(hours=1)


# --- the module page reads it ------------------------------------------------------------------------------------


def test_the_page_shows_the_stored_figures_and_their_time_until_they_are_recomputed(staff):
    module = staff["plain"]
    figures.compute(module)
    client = client_for("Compliance officer")
    before = kpis.completion_rate(module, TODAY)
    body = client.get(change_url(module)).content.decode()
    assert f'data-numerator="{before.numerator}" data-denominator="{before.denominator}"' in body
    assert "Figures computed on 02/06/2025 12:00 (as of 02/06/2025)." in body

    # A completion recorded afterwards: the page still shows the stored figures, with their time.
    untrained = kpis.not_trained(module, TODAY).first()
    CompletionFactory(employee=untrained, module=module, completed_at=paris(dt.date(2025, 6, 1)))
    with time_machine.travel(NOW + dt.timedelta(minutes=30), tick=False):
        body = client.get(change_url(module)).content.decode()
        assert f'data-numerator="{before.numerator}" data-denominator="{before.denominator}"' in body
        assert "Figures computed on 02/06/2025 12:00" in body

        response = client.post(recompute_url(module, f"date={TODAY.isoformat()}"))
        assert response.status_code == 302 and response["Location"] == f"{change_url(module)}?date=2025-06-02"
        body = client.get(response["Location"]).content.decode()
    assert f'data-numerator="{before.numerator + 1}" data-denominator="{before.denominator}"' in body
    assert "Figures computed on 02/06/2025 12:30 (as of 02/06/2025)." in body


def test_a_change_of_the_module_s_rules_after_the_computation_is_pointed_out(staff):
    module = staff["plain"]
    figures.compute(module)
    client = client_for("Compliance officer")
    assert 'id="rules-changed"' not in client.get(change_url(module)).content.decode()
    with time_machine.travel(NOW + dt.timedelta(minutes=5), tick=False):
        services.module_update(actor=None, module=module, deployed_on=dt.date(2024, 3, 1))
        assert 'id="rules-changed"' in client.get(change_url(module)).content.decode()
        client.post(recompute_url(module))
        assert 'id="rules-changed"' not in client.get(change_url(module)).content.decode()


def test_the_time_is_shown_in_paris_time_and_in_french_by_default(staff):
    figures.compute(staff["plain"])  # 12:00 Paris is 10:00 UTC
    body = admin_client("Compliance officer").get(change_url(staff["plain"])).content.decode()
    assert "Chiffres calculés le 02/06/2025 12:00 (au 02/06/2025)." in body
    assert "Recalculer maintenant" in body


def test_the_default_page_shows_the_latest_whole_company_figures_with_their_day(staff):
    module = staff["plain"]
    with time_machine.travel(NOW - dt.timedelta(days=1), tick=False):
        figures.compute(module)
    body = client_for("Compliance officer").get(change_url(module)).content.decode()
    yesterday = kpis.completion_rate(module, TODAY - dt.timedelta(days=1))
    assert f'data-numerator="{yesterday.numerator}" data-denominator="{yesterday.denominator}"' in body
    assert "Figures computed on 01/06/2025 12:00 (as of 01/06/2025)." in body
    assert "Today's have not been computed yet." in body
    assert 'id="recompute-figures"' in body
    # Its links follow the day the figures are as of.
    assert "not-trained/?date=2025-06-01" in body


def test_a_selection_never_computed_shows_the_panel_and_computes_nothing_on_get(staff):
    module = staff["renewable"]
    figures.compute(module)  # the whole company today; not the entity's
    client = client_for("Compliance officer")
    with CaptureQueriesContext(connection) as queries:
        body = client.get(change_url(module), {"entity": "EA"}).content.decode()
    assert 'id="figures-missing"' in body and 'id="module-rate"' not in body
    assert "have not been computed yet" in body
    assert f'action="{MODULES}{module.pk}/figures/?date=2025-06-02&amp;entity=EA"' in body
    assert ModuleFigures.objects.filter(module=module).count() == 1
    # The renewals box stays live (one count and the first ones); no rate, breakdown or month is computed.
    assert len([q for q in queries.captured_queries if "training_completion" in q["sql"]]) <= 2
    # A module never computed at all shows the panel too, and the recompute button fills it.
    other = staff["plain"]
    body = client.get(change_url(other)).content.decode()
    assert 'id="figures-missing"' in body and not ModuleFigures.objects.filter(module=other).exists()
    response = client.post(recompute_url(other), follow=True)
    assert 'id="module-rate"' in response.content.decode()
    assert any("were recomputed" in message for message in messages_of(response))
    assert ModuleFigures.objects.filter(module=other, scope="", day=TODAY).exists()


def test_the_page_of_a_module_without_snapshot_reads_no_completion():
    module = ModuleFactory(code="F-EMPTY")
    CompletionFactory.create_batch(3, module=module)
    with CaptureQueriesContext(connection) as queries:
        assert client_for("Auditor").get(change_url(module)).status_code == 200
    assert not [q["sql"] for q in queries.captured_queries if "training_completion" in q["sql"]]
    assert not ModuleFigures.objects.exists()


def test_recompute_is_a_post_of_who_keeps_the_training_records_or_computes_the_indicators(staff):
    module = staff["plain"]
    # Who may not see the module, and who may only read (an auditor writes nothing, not even figures).
    assert client_for("DPO").post(recompute_url(module)).status_code == 403
    assert client_for().post(recompute_url(module)).status_code == 403
    auditor = client_for("Auditor")
    assert auditor.post(recompute_url(module)).status_code == 403
    page = auditor.get(change_url(module)).content.decode()
    assert 'id="figures-missing"' in page and 'id="recompute-figures"' not in page
    assert not ModuleFigures.objects.exists()
    officer = client_for("Compliance officer")
    assert 'id="recompute-figures"' in officer.get(change_url(module)).content.decode()
    assert officer.get(recompute_url(module)).status_code == 405
    assert not ModuleFigures.objects.exists()
    assert officer.post(recompute_url(module)).status_code == 302
    assert ModuleFigures.objects.filter(module=module).count() == 1
    assert client_for("Training manager").post(recompute_url(module)).status_code == 302


@pytest.mark.parametrize("query", ["date=0001-01-15", "date=2199-12-31", "entity=NOPE"])
def test_a_mistyped_selection_is_said_and_nothing_is_computed(staff, query):
    module = staff["renewable"]
    officer = client_for("Compliance officer")
    response = officer.post(recompute_url(module, query), follow=True)
    assert response.status_code == 200
    assert any(text.startswith("Nothing was recomputed") for text in messages_of(response)), messages_of(response)
    assert not ModuleFigures.objects.exists()
    # The page of that selection shows the form's error and the figures of no other selection as its own.
    assert officer.get(change_url(module) + "?" + query).status_code == 200


def test_who_may_not_compute_is_told_who_can(staff):
    page = client_for("Auditor").get(change_url(staff["plain"]) + "?entity=EA").content.decode()
    assert "A training manager or a compliance officer can compute them now." in page


def test_a_people_page_no_database_offset_reaches_is_the_last_page(staff):
    module = staff["renewable"]
    with time_machine.travel(dt.datetime(2025, 2, 20, 12, tzinfo=PARIS), tick=False):
        response = client_for("Training manager").get(f"{MODULES}{module.pk}/renewals-due/", {"page": str(10**20)})
    assert response.status_code == 200


# --- the module list ---------------------------------------------------------------------------------------------


def test_the_module_list_reads_the_stored_rates_with_their_time(staff):
    module = staff["plain"]
    with time_machine.travel(NOW - dt.timedelta(days=2), tick=False):
        figures.compute(module)
    figures.compute(staff["renewable"])
    body = client_for("Compliance officer").get(MODULES).content.decode()
    old = figures.stored(module, TODAY - dt.timedelta(days=2))
    assert old is not None
    assert f"{old.rate.numerator}/{old.rate.denominator}" in body
    assert "As of 31/05/2025, computed on 31/05/2025 12:00" in body and "<small>(31/05/2025)</small>" in body
    assert "As of 02/06/2025, computed on 02/06/2025 12:00" in body
    assert "not computed yet" in body  # the workshop and the reference modules


# --- the nightly task --------------------------------------------------------------------------------------------


def test_the_nightly_task_computes_every_module_and_prunes_old_selections(staff):
    with time_machine.travel(NOW - dt.timedelta(days=10), tick=False):
        figures.compute(staff["plain"], entity=staff["ea"])
        figures.compute(staff["plain"])
    figures.compute(staff["plain"], entity=staff["ea"], department=staff["one"])  # recent: kept
    result = tasks.compute_module_figures.apply().get()
    modules = Module.objects.count()
    assert result == {"computed": modules, "pruned": 1}
    today = ModuleFigures.objects.filter(day=TODAY, scope="")
    assert today.count() == modules and set(today.values_list("computed_at", flat=True)) == {NOW}
    assert ModuleFigures.objects.filter(scope="").count() == modules + 1  # the whole company of 10 days ago stays
    assert ModuleFigures.objects.exclude(scope="").get().scope == f"entity=EA&department={staff['one'].pk}"


def test_the_task_runs_every_night_before_the_indicators():
    schedule = _beat_schedule()
    entry = schedule["training-module-figures-nightly"]
    assert entry["task"] == "training.tasks.compute_module_figures" == tasks.compute_module_figures.name
    assert isinstance(entry["schedule"], crontab)
    indicators = schedule["reporting-indicators-nightly"]["schedule"]
    assert (min(entry["schedule"].hour), min(entry["schedule"].minute)) < (
        min(indicators.hour),
        min(indicators.minute),
    )
    assert tasks.compute_module_figures.acks_late is True


# --- the dashboard's trends --------------------------------------------------------------------------------------


def test_the_dashboard_trends_read_the_snapshots_with_their_time():
    reference = list(Module.objects.filter(is_reference=True, mandatory=True).order_by("code"))
    first, rest = reference[0], reference[1:]
    CompletionFactory(module=first, completed_at=paris(dt.date(2025, 5, 1)))
    EmployeeFactory()
    with time_machine.travel(NOW - dt.timedelta(days=1), tick=False):
        figures.compute(first)
    CompletionFactory(module=first, completed_at=paris(dt.date(2025, 5, 1)))  # after: not on the chart
    with CaptureQueriesContext(connection) as queries:
        panel = _trends_panel(TODAY, 12)
    assert len(queries) == 2  # the modules, their latest snapshots
    trends = {trend["module"].code: trend for trend in panel["trends"]}
    assert set(trends) == {module.code for module in reference}
    assert trends[first.code]["computed"] and trends[first.code]["computed_at"] == "01/06/2025 12:00"
    assert trends[first.code]["day"] == "01/06/2025"
    assert 'data-day="2025-06-01" data-value="50.0"' in str(trends[first.code]["chart"])
    assert not any(trends[module.code]["computed"] for module in rest)
