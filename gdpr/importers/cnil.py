"""Importer of the CNIL cases: `import_cnil_cases` (docs/interfaces.md, "Imports"), a DPO's tracker as it is.

The headers accepted include those of a French tracker (Référence, Type, Date de réception, Date limite
de réponse, Date de réponse, Référence de la demande...); see the `aliases` of each column. The dates
are checked by the same rules as the services (`cnil_case_problems`): a referral without its reply date,
an answer before the receipt or a reply date before the receipt are rejected with that reason. A
complaint without referral may carry the reply date a CNIL letter set (optional).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from core.imports import Column, Importer, Lookup, Row, register
from core.imports.parsers import Choice, Date, Text, max_length_of
from core.imports.text import fold_code
from organization.importers import EntityCodes, entity_code_column

from ..choices import CnilCaseKind
from ..models import CnilCase, RightsRequest
from ..services.cnil import cnil_case_problems

KIND = Choice(
    CnilCaseKind,
    aliases={
        "saisine": CnilCaseKind.REFERRAL,
        "saisine cnil": CnilCaseKind.REFERRAL,
        "saisine de la cnil": CnilCaseKind.REFERRAL,
        "courrier cnil": CnilCaseKind.REFERRAL,
        "referral": CnilCaseKind.REFERRAL,
        "plainte": CnilCaseKind.COMPLAINT_WITHOUT_REFERRAL,
        "plainte sans saisine": CnilCaseKind.COMPLAINT_WITHOUT_REFERRAL,
        "plainte hors saisine": CnilCaseKind.COMPLAINT_WITHOUT_REFERRAL,
        "reclamation": CnilCaseKind.COMPLAINT_WITHOUT_REFERRAL,
        "réclamation sans saisine": CnilCaseKind.COMPLAINT_WITHOUT_REFERRAL,
        "complaint": CnilCaseKind.COMPLAINT_WITHOUT_REFERRAL,
    },
)


@register
class CnilCaseImporter(Importer):
    """CNIL cases by `reference`. An optional column absent from the file leaves its field as it is."""

    kind = "cnil_cases"
    model = CnilCase
    natural_key = ("reference",)
    columns = (
        Column(
            "reference",
            Text(max_length_of(CnilCase, "reference")),
            required=True,
            aliases=("référence", "réf", "réf.", "référence dossier", "n° dossier", "numéro de dossier", "dossier"),
        ),
        Column("kind", KIND, required=True, aliases=("type", "nature", "type de dossier", "type de saisine")),
        Column(
            "received_on",
            Date(),
            required=True,
            aliases=("date de réception", "reçu le", "date réception", "date d'arrivée", "received"),
        ),
        Column(
            "due_on",
            Date(),
            aliases=(
                "date limite de réponse",
                "date limite",
                "échéance",
                "date de réponse attendue",
                "répondre avant le",
                "due date",
            ),
        ),
        Column(
            "answered_on",
            Date(),
            aliases=("date de réponse", "répondu le", "date réponse", "réponse envoyée le", "answered"),
        ),
        Column(
            "rights_request_reference",
            Text(max_length_of(RightsRequest, "reference")),
            aliases=(
                "référence de la demande",
                "référence demande",
                "demande liée",
                "demande de droit",
                "rights request",
            ),
        ),
        Column(
            "cnil_reference",
            Text(max_length_of(CnilCase, "cnil_reference")),
            aliases=("référence cnil", "réf cnil", "n° cnil", "numéro cnil"),
        ),
        Column("subject", Text(max_length_of(CnilCase, "subject")), aliases=("objet", "sujet")),
        Column("notes", Text(), aliases=("commentaires", "commentaire", "observations", "remarques")),
        entity_code_column(),
    )
    _plain = ("cnil_reference", "subject", "notes")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.requests = Lookup(RightsRequest, "reference", normalize=fold_code, label=_("rights requests"))
        self.entities = EntityCodes(parent_by_default=True)  # the controller: the parent company by default
        self.lookups = (self.requests, self.entities)

    def prepare(self) -> None:
        super().prepare()
        self.create_defaults = self.entities.defaults
        # The stored dates that a row leaves alone (its column absent) still have to agree with it.
        self.stored: dict[str, dict[str, Any]] = {
            reference: {"due_on": due_on, "answered_on": answered_on}
            for reference, due_on, answered_on in CnilCase.objects.values_list("reference", "due_on", "answered_on")
        }

    def build(self, row: Row) -> dict[str, Any]:
        parsed = not row.errors  # contradictions are only looked for between values that could be read
        values: dict[str, Any] = {"reference": row["reference"], "kind": row["kind"], "received_on": row["received_on"]}
        stored = self.stored.get(row["reference"] or "", {})
        for name in ("due_on", "answered_on", *self._plain):
            if name in row:
                values[name] = row[name]
        self.entities.put(row, values)
        if "rights_request_reference" in row:
            reference = row["rights_request_reference"]
            values["rights_request_id"] = self.requests.get(reference) if reference else None
            if reference and values["rights_request_id"] is None:
                row.error("rights_request_reference", _("unknown rights request '%s'") % reference)
        if parsed:
            problems = cnil_case_problems(
                kind=row["kind"],
                received_on=row["received_on"],
                due_on=values.get("due_on", stored.get("due_on")),
                answered_on=values.get("answered_on", stored.get("answered_on")),
            )
            for name, message in problems.items():
                if name == "due_on" and "due_on" not in row and row["kind"] == CnilCaseKind.REFERRAL:
                    message = _("a referral needs its reply date: add a due_on column (Date limite de réponse)")
                row.error(name, message)
        return values
