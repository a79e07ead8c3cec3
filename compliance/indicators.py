"""The compliance indicators (reporting/registry.py): the DPEF's enjeu 1 figures on conflicts of
interest and the risk maps, and ESRS G1-4 (incidents of corruption, convictions, fines), with the
selectors that compute them (compliance/selectors.py)."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _

from reporting.desk import (
    Desk,
    DeskItem,
    assignments,
    changelist,
    due_this_week,
)
from reporting.registry import Computation, per_entity, shared

from . import selectors
from .choices import OPEN_CASE_STATUSES, CaseStatus, RiskMapKind
from .models import ActionItem, ConflictOfInterestCase, CorruptionIncident, LegalProceeding, RiskMap


def has_data(year: int) -> bool:
    """Whether compliance/ holds anything for Y: a case reported, an incident confirmed, a legal case
    brought or decided in Y, or a risk map approved by 31/12. A year with data and no incident has 0
    incidents (computed), not "no data"."""
    return shared(("compliance.has_data", year), lambda: _has_data(year))


def _has_data(year: int) -> bool:
    return (
        selectors.cases_reported_in(year).exists()
        or CorruptionIncident.objects.confirmed_in(year).exists()
        or LegalProceeding.objects.filter(opened_on__year=year).exists()
        or LegalProceeding.objects.decided_in(year).exists()
        or RiskMap.objects.filter(approved_on__lte=dt.date(year, 12, 31)).exists()
    )


#: What `has_data` reads: every figure it guards stands on these records too ("no data" or 0 tells them).
HAS_DATA_MODELS = (
    "compliance.conflictofinterestcase",
    "compliance.corruptionincident",
    "compliance.legalproceeding",
    "compliance.riskmap",
)
CASES = ("compliance.conflictofinterestcase", "compliance.casemeasure")
INCIDENTS = ("compliance.corruptionincident",)
PROCEEDINGS = ("compliance.legalproceeding",)


def _c(code: str, compute, models: tuple[str, ...]) -> Computation:
    """A figure of the cases, incidents or proceedings: per legal entity, on the records of that entity."""
    return Computation(
        code,
        compute,
        has_data=has_data,
        models=tuple(dict.fromkeys(HAS_DATA_MODELS + models)),
        by_entity=per_entity(compute),
    )


#: Why the risk-map figures are not computed per legal entity.
MAP_WHOLE_COMPANY = _("A risk map covers the whole company; it is not kept per legal entity.")


def _map(code: str, compute, kind: str, *models: str) -> Computation:
    """A risk-map figure: "no data" while no map of that kind was approved by 31/12 (not 0 risks)."""
    return Computation(
        code,
        compute,
        has_data=lambda year: selectors.map_in_force(kind, year) is not None,
        models=("compliance.riskmap", *models),
        whole_company_only=MAP_WHOLE_COMPANY,
    )


INDICATORS = (
    _c("E1_COI_SUSPICIONS", selectors.coi_suspicions, CASES),
    _c("E1_COI_CONFIRMED_REFUSAL_OR_SANCTION", selectors.coi_confirmed_with_refusal_or_sanction, CASES),
    _c("E1_COI_QUALIFIED_WITH_ACTION_PLAN", selectors.coi_qualified_with_action_plan, CASES),
    _map("E1_COI_RISK_MAP_RISKS", selectors.coi_map_risks, RiskMapKind.CONFLICT_OF_INTEREST, "compliance.risk"),
    _map(
        "E1_COI_RISK_MAP_MACRO_PROCESSES",
        selectors.coi_map_macro_processes,
        RiskMapKind.CONFLICT_OF_INTEREST,
        "compliance.risk",
        "compliance.macroprocess",
    ),
    _map("E1_CORRUPTION_RISK_MAP_RISKS", selectors.corruption_map_risks, RiskMapKind.CORRUPTION, "compliance.risk"),
    _map(
        "E1_CORRUPTION_RISK_MAP_INTERVIEWS",
        selectors.corruption_map_interviews,
        RiskMapKind.CORRUPTION,
        "compliance.riskinterview",
    ),
    _c("G1_4_CONFIRMED_INCIDENTS", selectors.esrs_g1_4_confirmed_incidents, INCIDENTS),
    _c("G1_4_DISCIPLINARY_ACTIONS", selectors.esrs_g1_4_disciplinary_actions, INCIDENTS),
    _c("G1_4_PARTNER_CONTRACTS_TERMINATED", selectors.esrs_g1_4_partner_contracts_terminated, INCIDENTS),
    _c("G1_4_CONVICTIONS", selectors.esrs_g1_4_convictions, PROCEEDINGS),
    _c("G1_4_FINES_EUR", selectors.esrs_g1_4_fines, PROCEEDINGS),
)


# What compliance/ shows on the reporting dashboard and the home page (reporting/desk.py). The admin filters
# of these links (compliance/admin) select the rows the querysets count: tests/reporting/test_dashboard.py
# and tests/reporting/test_desk_home.py check each pair.
_CASES = "admin:compliance_conflictofinterestcase_changelist"
_ACTIONS = "admin:compliance_actionitem_changelist"
_AWAITING_QUALIFICATION = (CaseStatus.RECEIVED, CaseStatus.UNDER_ANALYSIS)


DESK = Desk(
    title=_("Conflicts of interest and action plans"),
    order=20,
    items=(
        DeskItem(
            "coi_cases",
            _("Conflict-of-interest cases awaiting qualification past their analysis date"),
            "compliance.conflictofinterestcase",
            records=lambda moment: ConflictOfInterestCase.objects.analysis_overdue(moment.day),
            url=changelist(_CASES, "analysis=overdue"),
        ),
        DeskItem(
            "action_items",
            _("Action items past their due date"),
            "compliance.actionitem",
            records=lambda moment: ActionItem.objects.overdue(moment.day),
            url=changelist(_ACTIONS, "state=overdue"),
        ),
        due_this_week(
            "coi_cases_week",
            _("Conflict-of-interest cases whose analysis is due"),
            "compliance.conflictofinterestcase",
            ConflictOfInterestCase.objects.awaiting_qualification,
            _CASES,
            "analysis_due_on",
            status__in=_AWAITING_QUALIFICATION,
        ),
        due_this_week(
            "action_items_week",
            _("Action items due"),
            "compliance.actionitem",
            ActionItem.objects.open,
            _ACTIONS,
            "due_on",
            done_on__isnull=True,
        ),
        *assignments(
            "coi_cases",
            "compliance.conflictofinterestcase",
            ConflictOfInterestCase.objects.open,
            _CASES,
            mine=_("Open conflict-of-interest cases"),
            unassigned=_("Open conflict-of-interest cases without a handler"),
            status__in=OPEN_CASE_STATUSES,
        ),
        *assignments(
            "action_items",
            "compliance.actionitem",
            ActionItem.objects.open,
            _ACTIONS,
            mine=_("Action items not done"),
            unassigned=_("Action items not done, without an owner"),
            field="owner",
            nobody={"owner__isnull": True, "owner_name": ""},  # nor a free-text owner
            done_on__isnull=True,
        ),
    ),
)


# -- Records for the auditor pack (reporting/records.py) ----------------------------------------------------
#: What an auditor sees of each record of compliance behind a value: the fields that trace it, and no more
#: personal data than that. Headers are stable identifiers (not translated).
RECORD_COLUMNS = {
    "compliance.conflictofinterestcase": (
        ("reference", "reference"),
        ("reported_on", "reported_on"),
        ("source", "source"),
        ("entity_code", "entity__code"),
        ("macro_process_code", "macro_process__code"),
        ("dossier_type", "dossier_type"),
        ("status", "status"),
        ("qualification", "qualification"),
        ("qualified_on", "qualified_on"),
        ("measures", "measures__kind"),
        ("closed_on", "closed_on"),
    ),
    # ESRS G1-4: no description (free text); the case is traced by its reference.
    "compliance.corruptionincident": (
        ("reference", "reference"),
        ("nature", "nature"),
        ("confirmed_on", "confirmed_on"),
        ("entity_code", "entity__code"),
        ("coi_case_reference", "coi_case__reference"),
        ("workers_disciplined", "workers_disciplined"),
        ("partner_contract_terminated", "partner_contract_terminated"),
    ),
    "compliance.legalproceeding": (
        ("reference", "reference"),
        ("incident_reference", "incident__reference"),
        ("defendant", "defendant"),
        ("entity_code", "entity__code"),
        ("court", "court"),
        ("opened_on", "opened_on"),
        ("outcome", "outcome"),
        ("decided_on", "decided_on"),
        ("fine_eur", "fine_eur"),
    ),
    "compliance.risk": (
        ("map_kind", "map__kind"),
        ("map_version", "map__version"),
        ("map_approved_on", "map__approved_on"),
        ("code", "code"),
        ("title", "title"),
        ("macro_process_code", "macro_process__code"),
        ("gross_score", "gross_score"),
        ("net_score", "net_score"),
    ),
    "compliance.macroprocess": (
        ("kind", "kind"),
        ("code", "code"),
        ("name", "name"),
    ),
    "compliance.riskinterview": (
        ("map_kind", "map__kind"),
        ("map_version", "map__version"),
        ("map_approved_on", "map__approved_on"),
        ("held_on", "held_on"),
        ("function", "function"),
        ("function_type", "function_type"),
        ("macro_process_code", "macro_process__code"),
    ),
}
