"""Computing, freezing, unfreezing a year; differences; manual values; the registry's completeness."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from reporting import catalogue, registry, services
from reporting.models import IndicatorValue, ManualValue, ReportingYear
from tests.factories import EmployeeFactory, UserFactory
from tests.gdpr.factories import RightsRequestFactory
from tests.training.factories import CompletionFactory

PARIS = ZoneInfo("Europe/Paris")
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_messages")]


def received(year, n=1):
    return [RightsRequestFactory(received_at=dt.datetime(year, 3, 1 + i, 10, tzinfo=PARIS)) for i in range(n)]


def test_every_computed_indicator_of_the_catalogue_has_its_computation_and_no_more():
    declared = set(registry.computations())
    assert declared == {d.code for d in catalogue.DEFINITIONS if d.computed}
    assert registry.check_registry() == []


def test_the_registry_check_reports_an_unknown_code_and_a_missing_computation(monkeypatch):
    monkeypatch.setattr(registry, "_PROBLEMS", [])
    monkeypatch.setattr(registry, "_COMPUTATIONS", dict(registry._COMPUTATIONS))
    registry.register(registry.Computation("E99_UNKNOWN", lambda year: None), origin="tests")
    del registry._COMPUTATIONS["E2_RIGHTS_REQUESTS"]
    messages = [str(error.msg) for error in registry.check_registry()]
    assert any("E99_UNKNOWN is not an indicator" in m for m in messages)
    assert any("E2_RIGHTS_REQUESTS is computed" in m for m in messages)


def test_compute_year_stores_values_parts_and_records_and_a_second_run_changes_nothing():
    requests = received(2023, 3)
    received(2022, 2)
    report = services.year_compute(2023)
    assert report.created == len(registry.computations()) and not report.problems
    value = IndicatorValue.objects.get(reporting_year__year=2023, code="E2_RIGHTS_REQUESTS")
    assert value.value == 3 and value.status == "ok"
    assert value.records == [{"model": "gdpr.rightsrequest", "ids": sorted(r.pk for r in requests)}]
    assert value.records_count == 3 and len(value.records_sha256) == 64
    history = value.history.count()
    again = services.year_compute(2023)
    assert again.created == again.changed == 0 and again.unchanged == report.created
    assert value.history.count() == history  # nothing changed: no new history row
    received(2023, 1)
    third = services.year_compute(2023)
    assert third.changed >= 1
    value.refresh_from_db()
    assert value.value == 4 and value.history.count() == history + 1
    assert value.history.first().records_sha256 == value.records_sha256  # history keeps the records' hash


def test_a_year_without_records_is_no_data_not_zero():
    services.year_compute(2021)
    values = {v.code: v for v in IndicatorValue.objects.filter(reporting_year__year=2021)}
    assert values["E2_RIGHTS_REQUESTS"].status == "no_data" and values["E2_RIGHTS_REQUESTS"].value is None
    assert "2021" in values["E2_RIGHTS_REQUESTS"].message
    assert values["E1_COI_SUSPICIONS"].status == "no_data"
    assert values["E1_AML_ELEARNING_RATE"].status == "no_data"  # no headcount, module not deployed


def test_an_indicator_that_fails_is_reported_and_the_others_are_computed(monkeypatch):
    received(2023, 2)
    broken = registry.Computation("E2_CNIL_REFERRALS", lambda year: 1 / 0)
    monkeypatch.setitem(registry._COMPUTATIONS, "E2_CNIL_REFERRALS", broken)
    report = services.year_compute(2023)
    assert report.problems == ["E2_CNIL_REFERRALS: ZeroDivisionError: division by zero"]
    assert IndicatorValue.objects.get(reporting_year__year=2023, code="E2_RIGHTS_REQUESTS").value == 2
    officer = UserFactory()
    with pytest.raises(services.ReportingError) as refused:
        services.year_freeze(2023, officer)
    assert refused.value.problems == ["E2_CNIL_REFERRALS: ZeroDivisionError: division by zero"]
    assert not ReportingYear.objects.get(year=2023).frozen


def test_a_frozen_year_never_changes_and_shows_its_differences():
    received(2023, 2)
    services.year_compute(2023)
    officer = UserFactory(username="claire")
    year = services.year_freeze(2023, officer)
    assert year.frozen and year.frozen_by == officer
    new = received(2023, 1)[0]
    with pytest.raises(services.YearFrozen):
        services.year_compute(2023)
    assert IndicatorValue.objects.get(reporting_year__year=2023, code="E2_RIGHTS_REQUESTS").value == 2
    changes = {c.code: c for c in services.year_differences(2023)}
    assert changes["E2_RIGHTS_REQUESTS"].before.value == 2 and changes["E2_RIGHTS_REQUESTS"].after.value == 3
    assert changes["E2_RIGHTS_REQUESTS"].records_added == 1 and changes["E2_RIGHTS_REQUESTS"].records_removed == 0
    assert new.pk in next(r["ids"] for r in changes["E2_RIGHTS_REQUESTS"].after.records)
    with pytest.raises(ValidationError, match="frozen"):
        services.manual_value_save(
            year=2023,
            code="E10_GENDER_EQUALITY_INDEX",
            value=Decimal(89),
            owner="DRH",
            actor=officer,
            source_reference="Index 2023",
        )


def test_unfreezing_needs_a_reason_kept_in_the_history():
    received(2023)
    services.year_compute(2023)
    officer = UserFactory()
    services.year_freeze(2023, officer)
    with pytest.raises(services.ReportingError, match="reason"):
        services.year_unfreeze(2023, officer, "  ")
    year = services.year_unfreeze(2023, officer, "Erreur de périmètre signalée par l'OTI")
    assert not year.frozen and year.unfreeze_reason == "Erreur de périmètre signalée par l'OTI"
    reasons = list(year.history.values_list("history_change_reason", flat=True))
    assert any("Erreur de périmètre" in (r or "") for r in reasons) and "frozen" in reasons
    assert services.year_compute(2023).unchanged > 0  # open again


def test_freezing_a_year_never_computed_is_refused():
    with pytest.raises(services.ReportingError, match="never been computed"):
        services.year_freeze(2023, UserFactory())


@pytest.mark.parametrize("bad", ["abc", "", None, "1999", "3000", "20.5"])
def test_an_impossible_year_is_refused_with_what_is_wrong(bad):
    with pytest.raises(services.ReportingError, match="year"):
        services.year_check(bad)


def test_a_manual_value_without_a_source_or_owner_is_refused_and_nothing_is_written():
    actor = UserFactory()
    with pytest.raises(ValidationError) as refused:
        services.manual_value_save(
            year=2023, code="E5_GHG_SCOPE_1_2", value=Decimal("3011.9"), owner="RSE", actor=actor
        )
    assert "source_reference" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        services.manual_value_save(
            year=2023,
            code="E5_GHG_SCOPE_1_2",
            value=Decimal("3011.9"),
            owner=" ",
            actor=actor,
            source_reference="BEGES 2023",
        )
    assert "owner" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        services.manual_value_save(
            year=2023, code="E2_RIGHTS_REQUESTS", value=Decimal(1), owner="x", actor=actor, source_reference="y"
        )
    assert "code" in refused.value.message_dict
    assert not ManualValue.objects.exists()
    manual = services.manual_value_save(
        year=2023,
        code="E5_GHG_SCOPE_1_2",
        value=Decimal("3011.9"),
        owner="RSE",
        actor=actor,
        source_reference="BEGES 2023, p.4",
    )
    assert manual.history.count() == 1 and manual.entered_by == actor


def test_the_completion_rate_comes_with_the_module_method_and_the_population():
    present = [EmployeeFactory() for _ in range(4)]
    from training.models import Module

    module = Module.objects.get(code="LCBFT")
    CompletionFactory(employee=present[0], module=module, completed_at=dt.datetime(2023, 5, 2, 10, tzinfo=PARIS))
    evaluated = services.year_evaluate(2023, codes=["E1_AML_ELEARNING_RATE"])["E1_AML_ELEARNING_RATE"]
    assert (evaluated.value, evaluated.numerator, evaluated.denominator) == (Decimal("25.0"), 1, 4)
    assert "LCBFT" in evaluated.method and "22/11/2022" in evaluated.method
    assert evaluated.records == [{"model": "organization.employee", "ids": sorted(e.pk for e in present)}]


def test_compute_indicators_command_computes_and_refuses_a_frozen_year(capsys):
    received(2023, 2)
    call_command("compute_indicators", "--year", "2023")
    assert "2023:" in capsys.readouterr().out
    services.year_freeze(2023, UserFactory())
    received(2023, 1)
    with pytest.raises(CommandError, match="frozen"):
        call_command("compute_indicators", "--year", "2023")
    assert "E2_RIGHTS_REQUESTS: 2" in capsys.readouterr().out  # the differences are shown
    with pytest.raises(CommandError, match="year"):
        call_command("compute_indicators", "--year", "twenty")


def test_the_nightly_task_computes_the_current_year_and_leaves_a_frozen_one(settings):
    from reporting.tasks import compute_indicators

    received(2023, 1)
    assert compute_indicators.apply(args=[2023]).get()["frozen"] is False
    services.year_freeze(2023, UserFactory())
    assert compute_indicators.apply(args=[2023]).get() == {"year": 2023, "frozen": True}
