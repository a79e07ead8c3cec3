"""The demo data set: users per role and the roster's head-counts."""

import csv
import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import override_settings

from compliance import selectors as compliance_selectors
from core.models import ImportRun
from gdpr import selectors
from organization.models import Department, Employee, LegalEntity
from training import kpis
from training.choices import ModuleKind
from training.models import Attendance, Completion, Module
from training.reference import ensure_reference_modules

#: On PostgreSQL the demo loads as on a demonstration server (load_demo refuses the public default there).
DEMO_SERVER = {"VIGIE_DEMO_SERVER": True, "VIGIE_DEMO_PASSWORD": "Demonstration-Vigie-2026"}


def demo_settings():
    from django.db import connection

    return override_settings(**({} if connection.vendor == "sqlite" else DEMO_SERVER))


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo data set, loaded once for this module (loading it takes a while); flushed afterwards
    so that later tests start from an empty database."""
    with django_db_blocker.unblock(), demo_settings():
        call_command("load_demo", verbosity=0)
        yield
        call_command("flush", interactive=False, verbosity=0)
        ensure_reference_modules()  # what the data migration created, as every other test expects


pytestmark = pytest.mark.django_db


def test_demo_roster_has_the_dpef_headcount_at_2023_year_end(demo):
    present = Employee.objects.present_on(dt.date(2023, 12, 31))
    assert present.count() == 2639
    women = present.filter(gender="F").count() / present.count()
    assert 0.78 <= women <= 0.82
    executives = present.filter(is_executive=True).count() / present.count()
    assert 0.32 <= executives <= 0.38
    assert present.filter(is_manager=True).count() == 300


def test_demo_organisation_is_a_parent_four_subsidiaries_and_fourteen_departments(demo):
    parent = LegalEntity.objects.get(parent__isnull=True)
    assert parent.subsidiaries.count() == 4
    assert Department.objects.count() == 14


def test_demo_headcounts_differ_by_date_because_of_hires_and_leavers(demo):
    counts = {year: Employee.objects.present_on(dt.date(year, 12, 31)).count() for year in (2021, 2022, 2023, 2024)}
    assert len(set(counts.values())) == 4
    assert Employee.objects.filter(left_on__lt=dt.date(2023, 1, 1)).exists()
    assert Employee.objects.filter(hired_on__gt=dt.date(2023, 12, 31)).exists()


def test_demo_has_one_user_per_role_and_a_superuser(demo):
    users = {u.username: u for u in get_user_model().objects.all()}
    assert users["admin"].is_superuser
    assert [g.name for g in users["auditeur"].groups.all()] == ["Auditor"]
    assert [g.name for g in users["dpo"].groups.all()] == ["DPO"]
    from core.demo import demo_password

    with demo_settings():
        assert users["conformite"].check_password(demo_password())


def test_load_demo_twice_changes_nothing(demo):
    def state():
        # The import runs too: each restart of `make run` must not add the demo's files to the history.
        return (
            Employee.objects.count(),
            Employee.history.count(),
            get_user_model().objects.count(),
            Completion.objects.count(),
            Completion.history.count(),
            Attendance.history.count(),
            Module.history.count(),
            ImportRun.objects.count(),
        )

    before = state()
    with demo_settings():
        call_command("load_demo", verbosity=0)
    assert state() == before


@pytest.mark.parametrize(
    ("selector", "year", "published"),
    [
        (selectors.rights_requests_received, 2023, 344),
        (selectors.rights_requests_received, 2022, 670),
        (selectors.cnil_referrals_received, 2023, 4),
        (selectors.cnil_complaints_without_referral, 2023, 2),
        (selectors.breach_notifications, 2023, 2),
        (selectors.processing_activities, 2023, 313),
        (selectors.processing_activities_as_controller, 2023, 289),
        (selectors.processing_activities_as_processor, 2023, 24),
    ],
)
def test_demo_gives_the_published_gdpr_counts_through_the_selectors(demo, selector, year, published):
    assert selector(year).value == published


def test_demo_rights_requests_are_answered_in_under_30_days_on_average(demo):
    for year in (2022, 2023):
        figure = selectors.rights_request_mean_days(year)
        assert figure.value < 30
        assert figure.denominator >= 0.95 * selectors.rights_requests_received(year).value


def test_demo_rights_requests_received_in_2023_and_those_answered(demo):
    """The DPEF's "344 reçues et traitées" counted every request received: E2_RIGHTS_REQUESTS_ANSWERED says
    how many of them were answered (refusals included, withdrawals not)."""
    from gdpr.choices import Outcome
    from gdpr.models import RightsRequest

    answered = selectors.rights_requests_answered(2023)
    received = RightsRequest.objects.received_in(2023)
    assert answered.value == received.filter(answered_at__isnull=False).exclude(outcome=Outcome.WITHDRAWN).count()
    assert 0.9 * 344 <= answered.value <= 344


def test_demo_cnil_referrals_of_2023_were_all_answered_on_time(demo):
    figure = selectors.cnil_referrals_on_time_rate(2023)
    assert (figure.numerator, figure.denominator, figure.value) == (4, 4, 100)


def test_demo_cnil_complaints_of_2023_were_answered_by_the_date_a_cnil_letter_set(demo):
    """The DPEF: 4 referrals "et 2 plaintes [...] auxquelles il a été répondu dans le délai prescrit"."""
    figure = selectors.cnil_complaints_on_time_rate(2023)
    assert (figure.numerator, figure.denominator, figure.value) == (2, 2, 100)


def test_demo_shows_extensions_pauses_and_late_answers(demo):
    from gdpr.models import DeadlineEvent, RightsRequest

    assert RightsRequest.objects.received_in(2023).filter(extended_due_on__isnull=False).exists()
    assert DeadlineEvent.objects.filter(kind="paused").exists()
    assert selectors.rights_requests_on_time_rate(2023).value < 100
    assert RightsRequest.objects.open().exists()


@pytest.mark.parametrize(
    ("selector", "year", "published"),
    [
        (compliance_selectors.coi_suspicions, 2023, 18),
        (compliance_selectors.coi_suspicions, 2022, 22),
        (compliance_selectors.coi_confirmed_with_refusal_or_sanction, 2023, 2),
        (compliance_selectors.coi_qualified_with_action_plan, 2023, 9),
        (compliance_selectors.coi_map_risks, 2023, 53),
        (compliance_selectors.coi_map_macro_processes, 2023, 17),
        (compliance_selectors.corruption_map_risks, 2023, 63),
        (compliance_selectors.corruption_map_interviews, 2023, 55),
    ],
)
def test_demo_gives_the_published_compliance_figures_through_the_selectors(demo, selector, year, published):
    assert selector(year).value == published


def test_demo_interviews_by_function_type_add_up_to_the_total(demo):
    parts = compliance_selectors.corruption_map_interviews_by_function_type(2023)
    assert sum(figure.value for figure in parts.values()) == compliance_selectors.corruption_map_interviews(2023).value


# -- training (issue 5): the published rates are whole percents; ours keep one decimal -------------------
def _whole_percent(value) -> int:
    return int(value.quantize(Decimal("1"), rounding=ROUND_HALF_UP))


@pytest.mark.parametrize(
    ("code", "year", "published"),
    [
        ("LCBFT", 2023, 89),
        ("LCBFT", 2022, 84),
        ("DEONTO", 2023, 92),
        ("DEONTO", 2022, 93),
        ("RGPD", 2023, 91),
        ("RGPD", 2022, 92),
        ("CYBER", 2023, 92),
        ("CYBER", 2022, 93),
        ("HANDICAP", 2023, 87),
        ("RSE", 2023, 78),
    ],
)
def test_demo_gives_the_published_completion_rates(demo, code, year, published):
    rate = kpis.completion_rate(Module.objects.get(code=code), dt.date(year, 12, 31))
    assert _whole_percent(rate.value) == published


def test_demo_ethics_rate_is_the_published_2416_of_2639(demo):
    rate = kpis.completion_rate(Module.objects.get(code="DEONTO"), dt.date(2023, 12, 31))
    assert (rate.numerator, rate.denominator) == (2416, 2639)


def test_demo_disability_rate_leaves_out_the_subsidiary_in_liquidation(demo):
    module = Module.objects.get(code="HANDICAP")
    rate = kpis.completion_rate(module, dt.date(2023, 12, 31))
    mnv = Employee.objects.present_on(dt.date(2023, 12, 31)).filter(entity__code="MNV").count()
    assert mnv == 73
    assert (rate.numerator, rate.denominator) == (2225, 2639 - mnv)
    assert "MNV" in kpis.method_text(module) and "Ma Nouvelle Ville" in module.description


@pytest.mark.parametrize(("year", "published"), [(2023, 97), (2022, 94)])
def test_demo_trained_at_least_once(demo, year, published):
    assert _whole_percent(kpis.trained_at_least_once(year).value) == published


def test_demo_training_hours_are_the_published_ones(demo):
    hours = kpis.training_hours(2023)
    assert hours.hours() == 39797
    assert {kind: hours.hours(kind) for kind in ModuleKind.values} == {
        ModuleKind.E_LEARNING: 14327,
        ModuleKind.VIRTUAL: 3682,
        ModuleKind.IN_PERSON: 21788,
    }


@pytest.mark.parametrize(
    ("code", "published"), [("ATELIER-DEONTO", 626), ("ATELIER-FRAUDE", 2619), ("ATELIER-HANDICAP", 62)]
)
def test_demo_workshop_attendees(demo, code, published):
    assert kpis.workshop_trained(Module.objects.get(code=code), 2023).value == published


def test_demo_disability_workshop_trained_62_managers_over_11_sessions(demo):
    module = Module.objects.get(code="ATELIER-HANDICAP")
    assert kpis.sessions_held(module, 2023).value == 11
    trained = Employee.objects.filter(pk__in=kpis.workshop_trained(module, 2023).record_ids)
    assert not trained.filter(is_manager=False).exists()


def test_demo_ethics_workshop_has_attendees_who_left_at_or_before_45_minutes(demo):
    """The 2023 DPEF counts those present "sur une durée supérieure à 45 minutes": 45 minutes exactly do not."""
    short = Attendance.objects.filter(session__module__code="ATELIER-DEONTO", minutes_attended__lte=45)
    assert short.filter(minutes_attended__lt=45).exists() and short.filter(minutes_attended=45).exists()
    assert not short.filter(
        employee__in=kpis.workshop_trained(Module.objects.get(code="ATELIER-DEONTO"), 2023).record_ids
    ).exists()


def test_demo_phishing_campaigns_and_women_share(demo):
    assert kpis.phishing_campaigns(2023).value == 4
    assert _whole_percent(kpis.women_share_of_trainees(2023).value) == 80


def test_demo_lms_import_kept_flagged_rows_and_rejected_bad_ones(demo):
    run = ImportRun.objects.filter(kind="completions").latest("pk")
    assert run.rejected == 4
    assert set(Completion.objects.exclude(anomaly="").values_list("anomaly", flat=True)) == {
        "future",
        "before_deployment",
    }


# --- the DPEF export of the demo: every row of tests/fixtures/reference/dpef-indicators.csv ------------------------

DPEF_CSV = Path(settings.BASE_DIR) / "tests" / "fixtures" / "reference" / "dpef-indicators.csv"


def _published_rows() -> list[dict]:
    if not DPEF_CSV.exists():
        pytest.fail(
            f"reference indicators not found at {DPEF_CSV}: the repository carries them; restore the file",
            pytrace=False,
        )
    with DPEF_CSV.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _matches_published(value, published: str, unit: str) -> bool:
    """A value as the DPEF prints it: percentages to the unit (half up), "<30" an upper bound, counts and
    hours exact, other decimals as printed."""
    if value is None:
        return False
    if published.startswith("<"):
        return Decimal(str(value)) < Decimal(published[1:])
    if unit == "percent" and "." not in published:
        return _whole_percent(Decimal(str(value))) == int(published)
    return Decimal(str(value)) == Decimal(published)


@pytest.fixture(scope="module")
def dpef_export(demo, django_db_blocker):
    from tests.clients import api_client

    with django_db_blocker.unblock():
        response = api_client("Auditor").get("/api/reporting/indicators/", {"year": 2023})
    assert response.status_code == 200, response.content[:500]
    return response.json()


@pytest.mark.parametrize(
    "row", _published_rows() if DPEF_CSV.exists() else [None], ids=lambda r: r["code"] if r else "missing"
)
def test_the_demo_export_gives_every_published_dpef_figure(dpef_export, row):
    if row is None:
        _published_rows()  # fails with the reason
    exported = {item["code"]: item for item in dpef_export["indicators"]}
    assert row["code"] in exported, f"{row['code']} is missing from the export"
    item = exported[row["code"]]
    assert item["unit"] == row["unit"] and item["enjeu"] == int(row["enjeu"])
    assert item["source"] == ("computed" if row["computed_by_service"] == "yes" else "manual")
    if row["value_2023"]:
        assert _matches_published(item["value"], row["value_2023"], row["unit"]), (item["value"], row["value_2023"])
    else:  # not published: Vigie computes it anyway
        assert item["value"] is not None and item["status"] == "computed"
    if row["value_2022"]:
        assert _matches_published(item["previous_value"], row["value_2022"], row["unit"]), (
            item["previous_value"],
            row["value_2022"],
        )
    if item["unit"] == "percent" and item["source"] == "computed":
        assert item["numerator"] is not None and item["denominator"] and item["numerator"] <= item["denominator"]


def test_the_demo_export_has_exactly_the_published_codes_and_the_esrs_beside_them(dpef_export):
    # Every published code once, and the ones Vigie adds beside them, grouped by enjeu as in the statement.
    from reporting import catalogue

    codes = [item["code"] for item in dpef_export["indicators"]]
    added = [d.code for d in catalogue.definitions(catalogue.DPEF) if d.added]
    assert sorted(codes) == sorted([row["code"] for row in _published_rows()] + added)
    enjeux = [item["enjeu"] for item in dpef_export["indicators"]]
    assert enjeux == sorted(enjeux)
    assert set(dpef_export["indicators"][0]) >= {
        "code",
        "enjeu",
        "label",
        "unit",
        "value",
        "numerator",
        "denominator",
        "previous_value",
        "source",
        "method",
    }
    assert dpef_export["year"] == 2023 and dpef_export["frozen"] is False
    esrs = {item["code"]: item for item in dpef_export["esrs"]}
    assert set(esrs) == {
        "G1_3_AT_RISK_TRAINED_RATE",
        "G1_4_CONFIRMED_INCIDENTS",
        "G1_4_DISCIPLINARY_ACTIONS",
        "G1_4_PARTNER_CONTRACTS_TERMINATED",
        "G1_4_CONVICTIONS",
        "G1_4_FINES_EUR",
        # The whistleblowing channel's figures (whistleblowing/indicators.py), ESRS G1-1.
        *(d.code for d in catalogue.DEFINITIONS if d.code.startswith("G1_WB_")),
    }
    assert esrs["G1_3_AT_RISK_TRAINED_RATE"]["denominator"] == 300  # the managers present at 31/12/2023
    # ESRS G1-4: the demo's confirmed conflicts of interest are not incidents of corruption; none was
    # recorded, so 0 is computed (from the records), not stored, and no "no data".
    for code in (
        "G1_4_CONFIRMED_INCIDENTS",
        "G1_4_DISCIPLINARY_ACTIONS",
        "G1_4_PARTNER_CONTRACTS_TERMINATED",
        "G1_4_CONVICTIONS",
        "G1_4_FINES_EUR",
    ):
        assert (esrs[code]["value"], esrs[code]["status"], esrs[code]["source"]) == (0, "computed", "computed"), code
    assert esrs["G1_4_FINES_EUR"]["unit"] == "eur"


def test_the_demo_froze_2022_and_its_values_are_the_previous_ones(demo):
    from reporting.models import IndicatorValue, ReportingYear

    year = ReportingYear.objects.get(year=2022)
    assert year.frozen and year.frozen_by.username == "conformite"
    stored = IndicatorValue.objects.get(reporting_year=year, code="E2_RIGHTS_REQUESTS")
    assert stored.value == 670 and stored.records_count == 670
    assert IndicatorValue.objects.get(reporting_year=year, code="E5_CSR_ELEARNING_RATE").status == "no_data"


def test_a_sweep_on_the_demo_delivers_every_alert_and_the_subsidiarys_to_its_dpo(demo, settings):
    """Issue 19: with no address in the settings, every alert of a full sweep reaches a person (the entities'
    contacts, the handlers), and the gdpr alerts of the subsidiary ONV go to ONV's DPO, the others not."""
    from django.contrib.contenttypes.models import ContentType

    from gdpr.models import RightsRequest
    from notifications.models import Alert, Delivery
    from notifications.sweep import sweep

    settings.DPO_EMAILS, settings.COMPLIANCE_EMAILS, settings.TRAINING_EMAILS = [], [], []
    report = sweep()
    assert report.created > 0 and report.unaddressed == 0
    assert not Alert.objects.filter(unaddressed=True).exists()
    assert not Alert.objects.exclude(pk__in=Delivery.objects.values("alert")).exists()
    assert set(Alert.objects.values_list("rule", flat=True)) >= {
        "gdpr.rights_request.deadline",
        "compliance.coi_case.analysis_overdue",
        "compliance.action_item.due",
    }
    onv = set(RightsRequest.objects.filter(entity__code="ONV").values_list("pk", flat=True))
    requests = Alert.objects.filter(content_type=ContentType.objects.get_for_model(RightsRequest))
    theirs = requests.filter(object_id__in=onv)
    assert theirs.exists() and requests.exclude(object_id__in=onv).exists()
    for alert in theirs:
        assert "dpo-onv@example.org" in alert.deliveries.values_list("recipient", flat=True)
    assert not Delivery.objects.filter(alert__in=requests.exclude(object_id__in=onv), recipient="dpo-onv@example.org")
