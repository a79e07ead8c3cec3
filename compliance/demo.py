"""The compliance demo data, written through the services, such that the real selectors give the
reference DPEF's 2023 figures (2022 in brackets):

- 18 conflict-of-interest suspicions reported in 2023 (22), of which 2 confirmed cases led to a
  dossier refusal or a sanction, and 9 cases qualified potential or confirmed have an action plan;
- a conflict-of-interest risk map with 53 risks over 17 macro-processes;
- a corruption risk map with 63 risks and 55 interviews (34 of business functions, 21 of support
  functions: the parts add up, where the published 34 + 22 do not);
- no incident of corruption and no legal case: the DPEF publishes none, and its confirmed conflicts of
  interest are not corruption (ESRS G1-4 counts only the cases qualified as corruption), so the G1-4
  figures are computed as 0 from the records, not stored.

Seeded and idempotent: what exists (by reference, code or version) is left as it is.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence

from django.utils import timezone

from organization.models import Employee, LegalEntity

from .choices import (
    CaseSource,
    ControlEffectiveness,
    DossierType,
    FunctionType,
    MeasureKind,
    Qualification,
    RiskMapKind,
)
from .models import ConflictOfInterestCase, MacroProcess, RiskMap
from .services import cases as case_services, riskmaps as map_services

SEED = 17
MACRO_PROCESSES = (
    ("MP01", "Collecte de la PEEC"),
    ("MP02", "Prêts accession"),
    ("MP03", "Prêts travaux"),
    ("MP04", "Aides Mobili-Jeune et mobilité"),
    ("MP05", "Garantie Visale"),
    ("MP06", "Attribution de logements"),
    ("MP07", "Financement des bailleurs sociaux"),
    ("MP08", "Recouvrement"),
    ("MP09", "Achats et sous-traitance"),
    ("MP10", "Ressources humaines"),
    ("MP11", "Partenariats et mécénat"),
    ("MP12", "Relations institutionnelles"),
    ("MP13", "Gestion immobilière"),
    ("MP14", "Comptabilité et trésorerie"),
    ("MP15", "Systèmes d'information"),
    ("MP16", "Communication"),
    ("MP17", "Contrôle interne et conformité"),
)
SCENARIOS = {
    RiskMapKind.CONFLICT_OF_INTEREST: (
        "Instruction d'un dossier d'un proche",
        "Choix d'un prestataire lié à un collaborateur",
        "Cumul d'un mandat externe avec une décision interne",
        "Avantage accordé à un partenaire familial",
    ),
    RiskMapKind.CORRUPTION: (
        "Sollicitation d'un avantage pour accélérer un dossier",
        "Cadeau ou invitation excessive d'un fournisseur",
        "Paiement de facilitation à un intermédiaire",
        "Trafic d'influence auprès d'un élu",
    ),
}
# kind → (risks, approved on, interviews (business, support))
MAPS = {
    RiskMapKind.CONFLICT_OF_INTEREST: (53, dt.date(2023, 6, 30), (0, 0)),
    RiskMapKind.CORRUPTION: (63, dt.date(2023, 11, 15), (34, 21)),
}


def load_macro_processes(actor) -> dict[str, dict[str, MacroProcess]]:
    found: dict[str, dict[str, MacroProcess]] = {kind: {} for kind in RiskMapKind.values}
    for process in MacroProcess.objects.all():
        found[process.kind][process.code] = process
    for kind in RiskMapKind.values:
        for code, name in MACRO_PROCESSES:
            if code not in found[kind]:
                found[kind][code] = map_services.macro_process_create(actor=actor, kind=kind, code=code, name=name)
    return found


def load_maps(rng: random.Random, actor, processes) -> int:
    created = 0
    for kind, (count, approved_on, (business, support)) in MAPS.items():
        if RiskMap.objects.filter(kind=kind).exists():
            continue
        risk_map = map_services.risk_map_create(actor=actor, kind=kind, title=f"Cartographie {approved_on.year}")
        codes = [code for code, _name in MACRO_PROCESSES]
        # Every macro-process has at least one risk; the others are spread.
        assignment = codes + [rng.choice(codes) for _ in range(count - len(codes))]
        prefix = "CI" if kind == RiskMapKind.CONFLICT_OF_INTEREST else "CO"
        for number, code in enumerate(assignment, start=1):
            gross_l, gross_i = rng.randint(1, 4), rng.randint(1, 4)
            effectiveness = rng.choice(ControlEffectiveness.values)
            relief = {"none": 0, "weak": 0, "adequate": 1, "strong": 2}[effectiveness]
            map_services.risk_add(
                actor=actor,
                risk_map=risk_map,
                code=f"{prefix}-{number:03d}",
                title=f"{rng.choice(SCENARIOS[kind])} ({processes[kind][code].name})",
                macro_process=processes[kind][code],
                gross_likelihood=gross_l,
                gross_impact=gross_i,
                net_likelihood=max(1, gross_l - relief),
                net_impact=gross_i,
                control_effectiveness=effectiveness,
                existing_controls="Double regard, délégations de pouvoirs, déclaration d'intérêts" if relief else "",
                owner="Direction de la conformité",
            )
        for function_type, total in ((FunctionType.BUSINESS, business), (FunctionType.SUPPORT, support)):
            for n in range(total):
                map_services.risk_interview_record(
                    actor=actor,
                    risk_map=risk_map,
                    held_on=approved_on - dt.timedelta(days=120 - n),
                    function=f"{'Direction métier' if function_type == FunctionType.BUSINESS else 'Fonction support'} {n + 1}",
                    function_type=function_type,
                    macro_process=processes[kind][rng.choice(codes)],
                )
        map_services.risk_map_approve(actor=actor, risk_map=risk_map, approved_on=approved_on)
        created += 1
    return created


# The cases of a year: (qualification or None when still open, measures). 2023 gives 18 suspicions, 2
# confirmed with a refusal or a sanction, 9 potential or confirmed with an action plan.
#: Per year, the qualification and measures of each case (None: still being analysed).
CASES: dict[int | str, Sequence[tuple[str | None, tuple[str, ...]]]] = {
    2022: (
        [
            (Qualification.CONFIRMED, (MeasureKind.DOSSIER_REFUSED,)),
            (Qualification.CONFIRMED, (MeasureKind.SANCTION, MeasureKind.ACTION_PLAN)),
        ]
        + [(Qualification.POTENTIAL, (MeasureKind.ACTION_PLAN,))] * 8
        + [(Qualification.POTENTIAL, (MeasureKind.REFERRAL,))]
        + [(Qualification.UNFOUNDED, ())] * 11
    ),
    2023: (
        [
            (Qualification.CONFIRMED, (MeasureKind.DOSSIER_REFUSED, MeasureKind.ACTION_PLAN)),
            (Qualification.CONFIRMED, (MeasureKind.SANCTION,)),
            (Qualification.CONFIRMED, (MeasureKind.ACTION_PLAN,)),
        ]
        + [(Qualification.POTENTIAL, (MeasureKind.ACTION_PLAN,))] * 7
        + [(Qualification.POTENTIAL, (MeasureKind.REFERRAL,))]
        + [(Qualification.UNFOUNDED, ())] * 7
    ),
    # Open cases of the current year: one overdue for analysis, one just received.
    "live": [(None, ()), (None, ())],
}


def load_cases(rng: random.Random, actor, processes, today: dt.date) -> int:
    existing = set(ConflictOfInterestCase.objects.values_list("reference", flat=True))
    entities = list(LegalEntity.objects.order_by("code"))
    staff = list(Employee.objects.present_on(dt.date(2023, 12, 31)).order_by("employee_id")[:400])
    codes = [code for code, _name in MACRO_PROCESSES]
    created = 0
    for year, plan in CASES.items():
        for number, (qualification, measures) in enumerate(plan, start=1):
            if year == "live":
                reference = f"COI-LIVE-{number:02d}"
                reported_on = today - dt.timedelta(days=75 if number == 1 else 3)
            else:
                reference = f"COI-{year}-{number:03d}"
                reported_on = dt.date(int(year), 1, 10) + dt.timedelta(days=int(340 * (number - 1) / len(plan)))
            if reference in existing:
                continue
            case = case_services.coi_case_create(
                actor=actor,
                reference=reference,
                reported_on=reported_on,
                source=rng.choice(CaseSource.values),
                entity=rng.choice(entities) if entities else None,
                macro_process=processes[RiskMapKind.CONFLICT_OF_INTEREST][rng.choice(codes)],
                dossier_type=rng.choice(DossierType.values),
                dossier_reference=f"DOS-{rng.randint(10000, 99999)}",
                persons_concerned=[rng.choice(staff)] if staff else (),
                description="Lien familial ou d'intérêt signalé entre un collaborateur et le bénéficiaire d'un dossier.",
            )
            created += 1
            if qualification is None:
                continue
            case_services.coi_case_start_analysis(actor=actor, case=case)
            qualified_on = reported_on + dt.timedelta(days=rng.randint(10, 50))
            case_services.coi_case_qualify(
                actor=actor,
                case=case,
                qualification=qualification,
                qualified_on=qualified_on,
                analysis="Analyse des liens et du dossier.",
            )
            for kind in measures:
                case_services.coi_case_add_measure(
                    actor=actor,
                    case=case,
                    kind=kind,
                    decided_on=qualified_on,
                    description="Mesure décidée par le comité de déontologie.",
                )
                if kind == MeasureKind.ACTION_PLAN:
                    case_services.action_item_create(
                        actor=actor,
                        case=case,
                        title="Retirer le collaborateur de l'instruction du dossier",
                        due_on=qualified_on + dt.timedelta(days=30),
                        owner_name="Responsable hiérarchique",
                    )
            case_services.coi_case_close(actor=actor, case=case, closed_on=qualified_on + dt.timedelta(days=5))
    return created


def load(user=None) -> str:
    rng = random.Random(SEED)
    processes = load_macro_processes(user)
    maps = load_maps(rng, user, processes)
    cases = load_cases(rng, user, processes, timezone.localdate())
    return f"compliance: {maps} risk maps, {cases} conflict-of-interest cases created"
