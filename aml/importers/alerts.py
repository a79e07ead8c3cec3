"""`import_aml_alerts`: vigilance alerts raised by the operational systems (loans, subsidies, housing
allocations), by `reference` (docs/interfaces.md).

Each row gets what the services would give it: the analysis due date (the raised Paris day + the analysis
period), a status derived from its decision (decided with a decision; otherwise open, or under analysis as
an analyst left it) and, for a decision, the start of its retention (the later of the decision and the end of
the relationship). Contradictions are rejected by the services' rules (`alert_problems`): a decision without
its date, a report to TRACFIN without the date it was sent, TRACFIN fields without that decision, dates
before the alert or in the future, a negative amount; and a row that would undo or overturn a decision
already taken (closed and reported are final; an enhanced examination is followed only by its outcome).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from core.imports import Column, Importer, Row, register
from core.imports.parsers import Choice, Date, DateTime, DecimalNumber, Text, max_length_of
from core.imports.text import fold_code
from organization.importers import EntityCodes, entity_code_column

from ..choices import DECISION_FOLLOWS, OPEN_ALERT_STATUSES, AlertSource, AlertStatus, Decision
from ..models import Alert, Counterparty
from ..services.alerts import alert_analysis_due_on, alert_problems, alert_records_kept_from

SOURCE = Choice(
    AlertSource,
    aliases={
        "prêt": AlertSource.LOAN,
        "crédit": AlertSource.LOAN,
        "subvention": AlertSource.SUBSIDY,
        "aide": AlertSource.SUBSIDY,
        "attribution de logement": AlertSource.HOUSING_ALLOCATION,
        "logement": AlertSource.HOUSING_ALLOCATION,
        "criblage": AlertSource.SCREENING,
        "gel des avoirs": AlertSource.SCREENING,
        "autre": AlertSource.OTHER,
    },
)
DECISION = Choice(
    Decision,
    aliases={
        "classée": Decision.CLOSED,
        "classé": Decision.CLOSED,
        "classement": Decision.CLOSED,
        "classée sans suite": Decision.CLOSED,
        "classement sans suite": Decision.CLOSED,
        "examen renforcé": Decision.ENHANCED_EXAMINATION,
        "déclaration de soupçon": Decision.TRACFIN_REPORT,
        "ds": Decision.TRACFIN_REPORT,
        "tracfin": Decision.TRACFIN_REPORT,
        "déclaration tracfin": Decision.TRACFIN_REPORT,
    },
)


@register
class AmlAlertImporter(Importer):
    """Alerts by `reference`. An optional column absent from the file leaves its field as it is."""

    kind = "aml_alerts"
    model = Alert
    natural_key = ("reference",)
    columns = (
        Column(
            "reference",
            Text(max_length_of(Alert, "reference")),
            required=True,
            aliases=("référence", "réf", "réf.", "référence de l'alerte", "n° alerte"),
        ),
        Column(
            "raised_at",
            DateTime(),
            required=True,
            aliases=("date de l'alerte", "date alerte", "déclenchée le", "levée le", "date de détection"),
        ),
        Column("source", SOURCE, required=True, aliases=("origine", "origine de l'alerte", "dispositif")),
        Column("reason", Text(), required=True, aliases=("motif", "motif de l'alerte", "raison", "description")),
        Column(
            "counterparty_reference",
            Text(),
            aliases=("référence contrepartie", "référence de la contrepartie", "réf. tiers", "tiers", "client"),
        ),
        Column(
            "amount_eur",
            DecimalNumber(decimal_places=2),
            aliases=("montant", "montant (eur)", "montant eur", "montant en euros"),
        ),
        Column("decision", DECISION, aliases=("décision",)),
        Column("decided_on", Date(), aliases=("date de décision", "date de la décision", "décidée le", "décidé le")),
        Column(
            "tracfin_reported_on",
            Date(),
            aliases=("date de déclaration tracfin", "déclarée à tracfin le", "date de la déclaration", "date ds"),
        ),
        Column(
            "tracfin_reference",
            Text(max_length_of(Alert, "tracfin_reference")),
            aliases=("référence tracfin", "réf. tracfin", "n° tracfin"),
        ),
        entity_code_column(),
    )
    _plain = ("amount_eur", "decided_on", "tracfin_reported_on", "tracfin_reference")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.entities = EntityCodes()
        self.lookups = (self.entities,)

    def prepare(self) -> None:
        super().prepare()
        self.counterparties: dict[str, tuple[int, Any]] = {}
        self.ended: dict[int, Any] = {}
        for pk, reference, ended in Counterparty.objects.values_list("pk", "reference", "relationship_ended_on"):
            self.counterparties[fold_code(reference)] = (pk, ended)
            self.ended[pk] = ended
        fields = ("status", "decision", "decided_on", "tracfin_reported_on", "tracfin_reference", "counterparty_id")
        self.stored: dict[str, dict[str, Any]] = {
            values["reference"]: values for values in Alert.objects.values("reference", *fields)
        }

    def build(self, row: Row) -> dict[str, Any]:
        parsed = not row.errors
        reference, raised_at = row["reference"], row["raised_at"]
        stored = self.stored.get(reference or "", {})
        values: dict[str, Any] = {
            "reference": reference,
            "raised_at": raised_at,
            "source": row["source"],
            "reason": row["reason"],
        }
        for name in self._plain:
            if name in row:
                values[name] = row[name]
        if "decision" in row:
            values["decision"] = row["decision"] or ""
        self.entities.put(row, values)
        ended = None
        if "counterparty_reference" in row:
            code = row["counterparty_reference"]
            found = self.counterparties.get(fold_code(code)) if code else None
            values["counterparty_id"] = found[0] if found else None
            if code and found is None:
                row.error("counterparty_reference", _("unknown counterparty '%s'") % code)
            ended = found[1] if found else None
        elif stored.get("counterparty_id"):
            ended = self.ended.get(stored["counterparty_id"])
        decision = values.get("decision", stored.get("decision", ""))
        decided_on = values.get("decided_on", stored.get("decided_on"))
        if parsed and raised_at is not None:
            amount: Decimal | None = values.get("amount_eur")
            problems = alert_problems(
                raised_at=raised_at,
                source=row["source"],
                reason=row["reason"],
                amount_eur=amount,
                decision=decision or "",
                decided_on=decided_on,
                tracfin_reported_on=values.get("tracfin_reported_on", stored.get("tracfin_reported_on")),
                tracfin_reference=values.get("tracfin_reference", stored.get("tracfin_reference", "")) or "",
            )
            for name, message in problems.items():
                row.error(name, message)
            before = stored.get("decision", "")
            if before and decision != before and decision not in DECISION_FOLLOWS.get(before, ()):
                row.error(
                    "decision",
                    _("the alert was decided “%(previous)s”: a file cannot undo or overturn that decision")
                    % {"previous": Decision(before).label},
                )
        if raised_at is not None:
            values["analysis_due_on"] = alert_analysis_due_on(raised_at)
        if decision:
            values["status"] = AlertStatus.DECIDED
            if decided_on is not None:
                has_counterparty = bool(values.get("counterparty_id", stored.get("counterparty_id")))
                values["records_kept_from"] = alert_records_kept_from(
                    decided_on, ended, has_counterparty=has_counterparty
                )
        else:
            stored_status = stored.get("status")
            values["status"] = stored_status if stored_status in OPEN_ALERT_STATUSES else AlertStatus.OPEN
            values["records_kept_from"] = None
        return values
