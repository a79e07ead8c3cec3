"""`import_coi_cases`: the compliance department's tracker of conflict-of-interest cases (docs/interfaces.md).

Headers of a French tracker are accepted (Référence, Date de signalement, Origine, Entité, Macro-processus,
Type de dossier, Date de qualification, Qualification, Mesures, Date de clôture). Each row gets what the
services would give it: a status derived from its dates, the analysis due date (report + the analysis
period) and its measures as child rows (`CaseMeasure`, dated on the qualification), synced in
`after_write`: the measures of a case are those the file lists. Contradictions are rejected by the same
rules as the services (`coi_case_problems`): a qualification without its date, a closed case without
qualification, measures on an unfounded case, dates before the report.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from core.imports import Column, Importer, Row, register
from core.imports.parsers import Choice, ChoiceList, Date, Text, max_length_of
from core.imports.text import fold_code, fold_name
from core.services import delete_with_history
from organization.importers import EntityCodes, entity_code_column

from ..choices import CaseSource, CaseStatus, DossierType, MeasureKind, Qualification, RiskMapKind
from ..models import CaseMeasure, ConflictOfInterestCase, MacroProcess
from ..services.cases import coi_case_analysis_due_on, coi_case_problems

SOURCE = Choice(
    CaseSource,
    aliases={
        "auto-déclaration": CaseSource.SELF_DECLARATION,
        "autodéclaration": CaseSource.SELF_DECLARATION,
        "déclaration": CaseSource.SELF_DECLARATION,
        "déclaration spontanée": CaseSource.SELF_DECLARATION,
        "manager": CaseSource.MANAGER,
        "hiérarchie": CaseSource.MANAGER,
        "management": CaseSource.MANAGER,
        "contrôle": CaseSource.CONTROL,
        "contrôle interne": CaseSource.CONTROL,
        "contrôle permanent": CaseSource.CONTROL,
        "alerte": CaseSource.WHISTLEBLOWING,
        "lanceur d'alerte": CaseSource.WHISTLEBLOWING,
        "alerte professionnelle": CaseSource.WHISTLEBLOWING,
        "audit interne": CaseSource.AUDIT,
        "autre": CaseSource.OTHER,
    },
)
DOSSIER = Choice(
    DossierType,
    aliases={
        "prêt": DossierType.LOAN,
        "crédit": DossierType.LOAN,
        "subvention": DossierType.SUBSIDY,
        "attribution de logement": DossierType.HOUSING_ALLOCATION,
        "logement": DossierType.HOUSING_ALLOCATION,
        "achat": DossierType.PROCUREMENT,
        "achats": DossierType.PROCUREMENT,
        "marché": DossierType.PROCUREMENT,
        "rh": DossierType.HR,
        "ressources humaines": DossierType.HR,
        "recrutement": DossierType.HR,
        "autre": DossierType.OTHER,
    },
)
QUALIFICATION = Choice(
    Qualification,
    aliases={
        "infondé": Qualification.UNFOUNDED,
        "infondée": Qualification.UNFOUNDED,
        "non fondé": Qualification.UNFOUNDED,
        "potentiel": Qualification.POTENTIAL,
        "potentielle": Qualification.POTENTIAL,
        "conflit potentiel": Qualification.POTENTIAL,
        "avéré": Qualification.CONFIRMED,
        "avérée": Qualification.CONFIRMED,
        "confirmé": Qualification.CONFIRMED,
        "conflit avéré": Qualification.CONFIRMED,
    },
)
MEASURE = Choice(
    MeasureKind,
    aliases={
        "plan d'action": MeasureKind.ACTION_PLAN,
        "plan d'actions": MeasureKind.ACTION_PLAN,
        "refus du dossier": MeasureKind.DOSSIER_REFUSED,
        "dossier refusé": MeasureKind.DOSSIER_REFUSED,
        "refus": MeasureKind.DOSSIER_REFUSED,
        "sanction disciplinaire": MeasureKind.SANCTION,
        "saisine des autorités": MeasureKind.REFERRAL,
        "signalement aux autorités": MeasureKind.REFERRAL,
        "signalement au procureur": MeasureKind.REFERRAL,
    },
)


@register
class CoiCaseImporter(Importer):
    """Cases by `reference`. An optional column absent from the file leaves its field as it is."""

    kind = "coi_cases"
    model = ConflictOfInterestCase
    natural_key = ("reference",)
    columns = (
        Column(
            "reference",
            Text(max_length_of(ConflictOfInterestCase, "reference")),
            required=True,
            aliases=("référence", "réf", "réf.", "n° dossier", "numéro", "référence du cas"),
        ),
        Column(
            "reported_on",
            Date(),
            required=True,
            aliases=("date de signalement", "date signalement", "signalé le", "date de réception", "reported"),
        ),
        Column("source", SOURCE, aliases=("origine", "origine du signalement", "source du signalement")),
        entity_code_column(),
        Column("macro_process", Text(), aliases=("macro-processus", "macro processus", "processus")),
        Column("dossier_type", DOSSIER, aliases=("type de dossier", "type dossier", "nature du dossier")),
        Column(
            "dossier_reference",
            Text(max_length_of(ConflictOfInterestCase, "dossier_reference")),
            aliases=("référence du dossier", "référence dossier", "n° du dossier"),
        ),
        Column("qualified_on", Date(), aliases=("date de qualification", "qualifié le", "date qualification")),
        Column(
            "qualification", QUALIFICATION, aliases=("qualification (infondé/potentiel/avéré)", "qualification du cas")
        ),
        Column("measures", ChoiceList(MEASURE), aliases=("mesures", "mesures prises", "mesure")),
        Column("closed_on", Date(), aliases=("date de clôture", "date de cloture", "clôturé le", "clôture")),
        Column("description", Text(), aliases=("faits", "résumé")),
    )
    _plain = ("dossier_type", "dossier_reference", "description", "qualification", "qualified_on", "closed_on")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.entities = EntityCodes()
        self.lookups = (self.entities,)

    def prepare(self) -> None:
        super().prepare()
        # A macro-process is named by its code or its name, of any map kind; the conflict-of-interest
        # map's wins when both kinds use the same code or name.
        self.processes: dict[str, int] = {}
        rows = MacroProcess.objects.values_list("pk", "kind", "code", "name")
        for pk, _kind, code, name in sorted(rows, key=lambda r: (r[1] != RiskMapKind.CONFLICT_OF_INTEREST, r[0])):
            self.processes.setdefault(fold_code(code), pk)
            self.processes.setdefault(fold_name(name), pk)
        fields = ("reported_on", "status", "qualification", "qualified_on", "closed_on", "analysis_due_on")
        self.stored: dict[str, dict[str, Any]] = {
            values["reference"]: values for values in ConflictOfInterestCase.objects.values("pk", "reference", *fields)
        }

    def build(self, row: Row) -> dict[str, Any]:
        parsed = not row.errors
        reference, reported_on = row["reference"], row["reported_on"]
        stored = self.stored.get(reference or "", {})
        values: dict[str, Any] = {"reference": reference, "reported_on": reported_on}
        for name in self._plain:
            if name in row:
                values[name] = row[name]
        if "source" in row:
            values["source"] = row["source"] or CaseSource.OTHER
        self.entities.put(row, values)
        if "macro_process" in row:
            name = row["macro_process"]
            values["macro_process_id"] = (
                self.processes.get(fold_code(name)) or self.processes.get(fold_name(name)) if name else None
            )
            if name and values["macro_process_id"] is None:
                row.error("macro_process", _("unknown macro-process '%s' (neither a code nor a name)") % name)
        qualification = values.get("qualification", stored.get("qualification", ""))
        qualified_on = values.get("qualified_on", stored.get("qualified_on"))
        closed_on = values.get("closed_on", stored.get("closed_on"))
        if parsed and reported_on is not None:
            problems = coi_case_problems(
                reported_on=reported_on,
                qualification=qualification or "",
                qualified_on=qualified_on,
                measures=row.get("measures") or (),
                closed_on=closed_on,
            )
            for name, message in problems.items():
                row.error(name, message)
        if reported_on is not None:
            # A reopened case's later analysis date is kept while its report date does not change.
            same_report = stored.get("reported_on") == reported_on
            values["analysis_due_on"] = (
                stored["analysis_due_on"] if same_report else coi_case_analysis_due_on(reported_on)
            )
        if closed_on:
            values["status"] = CaseStatus.CLOSED
        elif qualification:
            values["status"] = CaseStatus.QUALIFIED
        elif stored.get("status") in (CaseStatus.RECEIVED, CaseStatus.UNDER_ANALYSIS):
            values["status"] = stored["status"]
        else:
            values["status"] = CaseStatus.RECEIVED
        return values

    # -- after the cases are written: their measures ------------------------------------------------------
    def after_write(
        self,
        *,
        created: list[tuple[Row, models.Model]],
        updated: list[tuple[Row, dict[str, Any]]],
        unchanged: list[Row],
    ) -> None:
        rows = [row for row, _obj in created] + [row for row, _old in updated] + list(unchanged)
        rows = [row for row in rows if "measures" in row]
        if not rows:
            return
        references = [row.built["reference"] for row in rows]  # type: ignore[index]  # valid rows: built
        cases = {
            reference: (pk, qualified_on)
            for pk, reference, qualified_on in ConflictOfInterestCase.objects.filter(
                reference__in=references
            ).values_list("pk", "reference", "qualified_on")
        }
        existing: dict[int, dict[str, CaseMeasure]] = {}
        for measure in CaseMeasure.objects.filter(case_id__in=[pk for pk, _day in cases.values()]):
            existing.setdefault(measure.case_id, {})[measure.kind] = measure
        new: list[CaseMeasure] = []
        gone: list[CaseMeasure] = []
        for row in rows:
            pk, qualified_on = cases[row.built["reference"]]  # type: ignore[index]  # valid rows: built
            wanted = list(row["measures"] or ())
            have = existing.get(pk, {})
            added = [kind for kind in wanted if kind not in have]
            if added:
                # coi_case_problems refuses measures on a case not qualified, and a qualified case has its date.
                assert qualified_on is not None
                new += [CaseMeasure(case_id=pk, kind=kind, decided_on=qualified_on) for kind in added]
            gone += [measure for kind, measure in have.items() if kind not in wanted]
        for measure in gone:
            # One by one, so that each deletion leaves its history row.
            delete_with_history(measure, actor=self.user, reason=self.change_reason)
        if new:
            bulk_create_with_history(new, CaseMeasure, default_user=self.user, default_change_reason=self.change_reason)
