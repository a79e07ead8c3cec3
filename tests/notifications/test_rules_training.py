"""The training-renewal rule with frozen `now` values: one alert per (employee, module), 30 days before
the last day the training counts (Paris midnight, not a minute before), to the training managers only;
a renewed training or a departure stops it; a missed month catches up once."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from notifications.models import Alert
from notifications.registry import get_rule
from notifications.sweep import sweep
from tests.factories import EmployeeFactory
from tests.training.factories import CompletionFactory, ModuleFactory, paris
from training import kpis

PARIS = ZoneInfo("Europe/Paris")
RENEWAL = "training.renewal.due"
MINUTE = dt.timedelta(minutes=1)
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def training_emails(settings):
    settings.TRAINING_EMAILS = ["formation@example.org"]
    settings.DPO_EMAILS = ["dpo@example.org"]


@pytest.fixture
def modules():
    return (
        ModuleFactory(code="T-A", deployed_on=dt.date(2020, 1, 1), renewal_months=24),
        ModuleFactory(code="T-B", deployed_on=dt.date(2020, 1, 1), renewal_months=24),
    )


def midnight(year, month, day):
    return dt.datetime(year, month, day, tzinfo=PARIS)


def alerts(**filters):
    return list(
        Alert.objects.filter(rule=RENEWAL, **filters)
        .order_by("threshold")
        .values_list("object_id", "threshold", "due_at")
    )


def test_the_rule_is_monthly_on_employees():
    rule = get_rule(RENEWAL)
    assert rule.schedule == "monthly" and rule.model == "organization.employee"
    assert [t.code for t in rule.thresholds] == ["d-30"]


def test_one_alert_per_employee_and_module_30_days_before_the_last_day_it_counts(modules):
    module_a, module_b = modules
    employee = EmployeeFactory()
    for module in modules:  # both completed on 31/03/2023: count until 30/03/2025
        CompletionFactory(employee=employee, module=module, completed_at=paris(dt.date(2023, 3, 31)))
    assert kpis.valid_until(module_a, dt.date(2023, 3, 31)) == dt.date(2025, 3, 30)
    # 30 days before 30/03/2025 is Friday 28/02/2025 (a month end), midnight Paris.
    assert sweep(midnight(2025, 2, 28) - MINUTE).created == 0
    assert sweep(midnight(2025, 2, 28)).created == 2
    due = midnight(2025, 3, 30)
    assert alerts() == [(employee.pk, "d-30:T-A", due), (employee.pk, "d-30:T-B", due)]
    alert = Alert.objects.get(threshold="d-30:T-A")
    assert alert.content_type.model == "employee" and alert.content_type.app_label == "organization"
    assert alert.fires_at == midnight(2025, 2, 28) and not alert.immediate and alert.urgency == "soon"
    assert "T-A" in alert.title and "30/03/2025" in alert.title and "31/03/2023" in alert.explanation
    assert alert.admin_path == f"/admin/organization/employee/{employee.pk}/change/"
    assert list(alert.deliveries.values_list("recipient", flat=True)) == ["formation@example.org"]
    assert sweep(midnight(2025, 3, 1)).created == 0  # the next run (or the next month's) adds nothing
    assert sweep(midnight(2025, 3, 29)).created == 0


def test_a_renewed_training_or_a_departure_stops_the_alert(modules):
    module_a, _module_b = modules
    renewed, leaving, due = EmployeeFactory(), EmployeeFactory(left_on=dt.date(2025, 2, 15)), EmployeeFactory()
    for employee in (renewed, leaving, due):
        CompletionFactory(employee=employee, module=module_a, completed_at=paris(dt.date(2023, 3, 31)))
    CompletionFactory(employee=renewed, module=module_a, completed_at=paris(dt.date(2025, 2, 10)))
    sweep(midnight(2025, 3, 1))
    assert [row[0] for row in alerts()] == [due.pk]


def test_a_training_already_expired_is_no_longer_a_renewal(modules):
    module_a, _module_b = modules
    employee = EmployeeFactory()
    CompletionFactory(employee=employee, module=module_a, completed_at=paris(dt.date(2023, 3, 31)))
    assert sweep(midnight(2025, 3, 31)).created == 0  # it counted until 30/03: not trained today


def test_the_monthly_run_catches_up_a_missed_window_once(modules, settings):
    settings.VIGIE_ALERT_THRESHOLDS = {RENEWAL: [30, 7]}
    module_a, _module_b = modules
    employee = EmployeeFactory()
    CompletionFactory(employee=employee, module=module_a, completed_at=paris(dt.date(2023, 3, 31)))
    assert sweep(midnight(2025, 3, 25)).created == 1  # the runs of 28/02 and of 23/03 were missed
    assert alerts() == [(employee.pk, "d-7:T-A", midnight(2025, 3, 30))]
    assert sweep(midnight(2025, 3, 26)).created == 0


def test_modules_without_renewal_never_alert():
    employee = EmployeeFactory()
    CompletionFactory(
        employee=employee,
        module=ModuleFactory(code="T-ONCE", deployed_on=dt.date(2020, 1, 1)),
        completed_at=paris(dt.date(2020, 3, 31)),
    )
    assert sweep(midnight(2025, 3, 1)).created == 0
