"""Risk map services: versions copied, approval freezing a version, scores from the scales, the
macro-process of the map's kind, interviews; every refusal writes nothing."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings

from compliance.choices import ControlEffectiveness, FunctionType, RiskMapKind
from compliance.models import MacroProcess, Risk, RiskInterview, RiskMap
from compliance.services import riskmaps as services
from tests.compliance.factories import MacroProcessFactory, RiskFactory, RiskInterviewFactory, RiskMapFactory
from tests.factories import UserFactory

PARIS = ZoneInfo("Europe/Paris")
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("english_messages"),
    pytest.mark.time_machine(dt.datetime(2025, 3, 10, 12, 0, tzinfo=PARIS), tick=False),
]
CORRUPTION, COI = RiskMapKind.CORRUPTION, RiskMapKind.CONFLICT_OF_INTEREST


@pytest.fixture
def officer():
    return UserFactory(username="officer")


def add(officer, risk_map, **overrides):
    values = {
        "code": "R1",
        "title": "Bribe to win a contract",
        "gross_likelihood": 3,
        "gross_impact": 4,
        "net_likelihood": 2,
        "net_impact": 3,
        "macro_process": MacroProcessFactory(kind=risk_map.kind, code="PURCHASE"),
    }
    values.update(overrides)
    return services.risk_add(actor=officer, risk_map=risk_map, **values)


# --- versions -------------------------------------------------------------------------------------------


def test_the_first_version_of_a_kind_is_version_1_and_versions_count_per_kind(officer):
    first = services.risk_map_create(actor=officer, kind=CORRUPTION, title="Corruption")
    second = services.risk_map_create(actor=officer, kind=CORRUPTION)
    other = services.risk_map_create(actor=officer, kind=COI)
    assert (first.version, second.version, other.version) == (1, 2, 1)
    assert first.based_on is None and second.based_on == first and other.based_on is None
    assert second.title == "Corruption"  # kept from the version copied
    assert first.history.first().history_change_reason == "Version 1 created"


def test_a_new_version_copies_the_risks_but_not_the_interviews(officer):
    previous = services.risk_map_create(actor=officer, kind=CORRUPTION)
    add(officer, previous, code="R1")
    add(officer, previous, code="R2", gross_likelihood=1, gross_impact=1, net_likelihood=1, net_impact=1)
    RiskInterviewFactory(map=previous)
    services.risk_map_approve(actor=officer, risk_map=previous, approved_on=dt.date(2025, 3, 1))
    new = services.risk_map_create(actor=officer, kind=CORRUPTION, title="2025")
    assert new.version == 2 and new.based_on == previous and new.approved_on is None
    assert sorted(new.risks.values_list("code", "gross_score", "net_score")) == [("R1", 12, 6), ("R2", 1, 1)]
    assert new.interviews.count() == 0
    assert previous.risks.count() == 2  # the approved version keeps its own
    assert new.risks.get(code="R1").history.first().history_change_reason == "Copied from version 1"


def test_a_new_version_from_an_older_one_is_numbered_after_the_last(officer):
    v1 = services.risk_map_create(actor=officer, kind=CORRUPTION)
    add(officer, v1, code="OLD")
    services.risk_map_create(actor=officer, kind=CORRUPTION)
    v3 = services.risk_map_create(actor=officer, kind=CORRUPTION, based_on=v1)
    assert v3.version == 3 and v3.based_on == v1 and list(v3.risks.values_list("code", flat=True)) == ["OLD"]


def test_a_map_cannot_be_copied_into_another_kind(officer):
    coi = services.risk_map_create(actor=officer, kind=COI)
    with pytest.raises(ValidationError) as error:
        services.risk_map_create(actor=officer, kind=CORRUPTION, based_on=coi)
    assert "based_on" in error.value.message_dict
    assert not RiskMap.objects.filter(kind=CORRUPTION).exists()


def test_an_unknown_kind_is_refused(officer):
    with pytest.raises(ValidationError) as error:
        services.risk_map_create(actor=officer, kind="fraud")
    assert "kind" in error.value.message_dict


# --- approval and freezing ------------------------------------------------------------------------------


def test_approval_records_the_date_and_the_approver(officer):
    risk_map = RiskMapFactory()
    RiskFactory(map=risk_map)
    approved = services.risk_map_approve(actor=officer, risk_map=risk_map, approved_on=dt.date(2025, 3, 7))
    assert approved.approved_on == dt.date(2025, 3, 7) and approved.approved_by == officer
    assert approved.history.first().history_change_reason == "Approved on 07/03/2025"


@pytest.mark.parametrize(
    "approved_on, message",
    [
        (dt.date(2025, 3, 11), "cannot be in the future"),
    ],
)
def test_an_approval_in_the_future_is_refused(officer, approved_on, message):
    risk_map = RiskMapFactory()
    RiskFactory(map=risk_map)
    with pytest.raises(ValidationError, match=message):
        services.risk_map_approve(actor=officer, risk_map=risk_map, approved_on=approved_on)
    risk_map.refresh_from_db()
    assert risk_map.approved_on is None


def test_an_empty_map_cannot_be_approved(officer):
    with pytest.raises(ValidationError, match="without risks"):
        services.risk_map_approve(actor=officer, risk_map=RiskMapFactory(), approved_on=dt.date(2025, 3, 1))


def test_a_map_is_approved_once(officer):
    risk = RiskFactory(map__approved_on=dt.date(2025, 1, 1))
    with pytest.raises(ValidationError, match="already approved"):
        services.risk_map_approve(actor=officer, risk_map=risk.map, approved_on=dt.date(2025, 3, 1))


def test_the_risks_of_an_approved_map_are_frozen(officer):
    risk = RiskFactory(map__approved_on=dt.date(2025, 1, 1), title="Before")
    with pytest.raises(ValidationError, match="frozen. Create a new version"):
        services.risk_update(actor=officer, risk=risk, title="After")
    with pytest.raises(ValidationError, match="frozen"):
        add(officer, risk.map, code="NEW")
    with pytest.raises(ValidationError, match="frozen"):
        services.risk_map_update(actor=officer, risk_map=risk.map, title="Changed")
    risk.refresh_from_db()
    assert risk.title == "Before" and risk.map.risks.count() == 1


# --- risks ----------------------------------------------------------------------------------------------


def test_scores_are_computed_from_the_levels(officer):
    risk = add(officer, RiskMapFactory(), gross_likelihood=4, gross_impact=3, net_likelihood=2, net_impact=2)
    assert (risk.gross_score, risk.net_score) == (12, 4)
    updated = services.risk_update(actor=officer, risk=risk, net_likelihood=1)
    assert updated.net_score == 2
    assert updated.history.first().history_change_reason == "Risk updated: net_likelihood"


def test_a_likelihood_outside_the_scale_is_refused_naming_the_field_and_the_scale(officer):
    risk_map = RiskMapFactory()
    with pytest.raises(ValidationError) as error:
        add(officer, risk_map, gross_likelihood=5, net_impact=0)
    assert error.value.message_dict["gross_likelihood"] == [
        "A likelihood of 5 is outside the likelihood scale (1 to 4)."
    ]
    assert error.value.message_dict["net_impact"] == ["An impact of 0 is outside the impact scale (1 to 4)."]
    assert not Risk.objects.exists()


@override_settings(VIGIE_RISK_LIKELIHOOD_MAX=5, VIGIE_RISK_IMPACT_MAX=5)
def test_a_wider_scale_in_the_settings_accepts_5(officer):
    assert add(officer, RiskMapFactory(), gross_likelihood=5, gross_impact=5).gross_score == 25


def test_a_risk_on_a_macro_process_of_another_map_kind_is_refused(officer):
    corruption_map = RiskMapFactory(kind=CORRUPTION)
    coi_process = MacroProcessFactory(kind=COI, code="LOANS", name="Loans")
    with pytest.raises(ValidationError) as error:
        add(officer, corruption_map, macro_process=coi_process)
    assert error.value.message_dict["macro_process"] == [
        "The macro-process “LOANS – Loans” belongs to the Conflicts of interest maps, not to this Corruption map."
    ]
    assert not Risk.objects.exists()


def test_a_risk_cannot_move_to_a_macro_process_of_another_kind(officer):
    risk = RiskFactory(map__kind=CORRUPTION)
    with pytest.raises(ValidationError) as error:
        services.risk_update(actor=officer, risk=risk, macro_process=MacroProcessFactory(kind=COI))
    assert "macro_process" in error.value.message_dict
    risk.refresh_from_db()
    assert risk.macro_process.kind == CORRUPTION


def test_a_risk_code_is_unique_in_its_map(officer):
    risk_map = RiskMapFactory()
    add(officer, risk_map, code="R1")
    with pytest.raises(ValidationError) as error:
        add(officer, risk_map, code="R1")
    assert "already used" in error.value.message_dict["code"][0]


def test_net_levels_above_gross_are_allowed(officer):
    risk = add(
        officer,
        RiskMapFactory(),
        gross_likelihood=1,
        gross_impact=1,
        net_likelihood=2,
        net_impact=2,
        control_effectiveness=ControlEffectiveness.WEAK,
    )
    assert risk.net_score == 4


def test_update_refuses_fields_it_does_not_own(officer):
    with pytest.raises(ValidationError) as error:
        services.risk_update(actor=officer, risk=RiskFactory(), net_score=1)
    assert "net_score" in error.value.message_dict


# --- interviews and macro-processes -----------------------------------------------------------------------


def test_an_interview_is_recorded_with_history(officer):
    risk_map = RiskMapFactory()
    interview = services.risk_interview_record(
        actor=officer,
        risk_map=risk_map,
        held_on=dt.date(2025, 2, 3),
        function="Head of purchasing",
        function_type=FunctionType.BUSINESS,
        macro_process=MacroProcessFactory(kind=risk_map.kind),
    )
    assert interview.map == risk_map and interview.history.first().history_change_reason == "Interview recorded"


def test_an_interview_with_bad_input_is_refused_field_by_field(officer):
    risk_map = RiskMapFactory(kind=CORRUPTION)
    with pytest.raises(ValidationError) as error:
        services.risk_interview_record(
            actor=officer,
            risk_map=risk_map,
            held_on=dt.date(2025, 4, 1),
            function=" ",
            function_type="other",
            macro_process=MacroProcessFactory(kind=COI),
        )
    assert set(error.value.message_dict) == {"held_on", "function", "function_type", "macro_process"}
    assert not RiskInterview.objects.exists()


def test_macro_processes_are_created_and_updated_with_unique_codes_per_kind(officer):
    process = services.macro_process_create(actor=officer, kind=COI, code="HR", name="Human resources")
    services.macro_process_create(actor=officer, kind=CORRUPTION, code="HR", name="Human resources")
    with pytest.raises(ValidationError) as error:
        services.macro_process_create(actor=officer, kind=COI, code="HR", name="Again")
    assert "code" in error.value.message_dict
    updated = services.macro_process_update(actor=officer, macro_process=process, name="HR and payroll")
    assert updated.name == "HR and payroll" and updated.history.first().history_change_reason == "Macro-process updated"
    assert MacroProcess.objects.count() == 2


def test_a_used_macro_process_cannot_change_kind(officer):
    risk = RiskFactory(map__kind=CORRUPTION)
    with pytest.raises(ValidationError) as error:
        services.macro_process_update(actor=officer, macro_process=risk.macro_process, kind=COI)
    assert "kind" in error.value.message_dict
