"""Importer of the breach register: `import_breaches` (docs/interfaces.md, "Imports"), a DPO's tracker as it is.

The headers accepted include those of a French register (Référence, Date de prise de connaissance,
Description, Notification requise, Date de notification, Risque élevé, Personnes informées le, Nombre de
personnes...); see the `aliases` of each column. `notification_due_at` is computed, as the services do,
by `gdpr.deadlines.breach_notification_deadline(aware_at)`.

What a DPO expects of her own tracker, and what is rejected with its reason:
- a notification after the 72 hours without the reasons for the delay (optional `delay_reasons` column:
  the register must show them, Art. 33(1));
- a decision not to notify without its reasoning (optional `decision_reasoning` column, Art. 33(5)),
  with a notification date, or for a breach assessed as a risk (Art. 33(1)): `breach_decision_problems`,
  the check of `breach_decide`, in its words;
- dates that contradict each other (notified or people informed before awareness, a date in the future);
- `high_risk` and `risk_level` that disagree (when both columns are given: `high_risk_problem`).
A notification date records the initial notification (a `BreachNotification` row, kept in step on
re-import); a notified breach is taken as decided "notify" when the file does not say.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from core.dates import format_datetime
from core.imports import Column, Importer, Row, register
from core.imports.parsers import Boolean, Choice, DateTime, Integer, Text, max_length_of
from organization.importers import EntityCodes, entity_code_column

from ..choices import NotificationPhase, RiskLevel
from ..deadlines import breach_notification_deadline
from ..models import Breach, BreachNotification
from ..services.breaches import (
    breach_date_problems,
    breach_decision_problems,
    breach_late_notification_problem,
    high_risk_problem,
)

# The largest number a PositiveIntegerField holds on every database (PostgreSQL's integer).
MAX_COUNT = 2_147_483_647


RISK_LEVEL = Choice(
    RiskLevel,
    aliases={
        "aucun": RiskLevel.NONE,
        "nul": RiskLevel.NONE,
        "faible": RiskLevel.NONE,
        "peu probable": RiskLevel.NONE,
        "pas de risque": RiskLevel.NONE,
        "none": RiskLevel.NONE,
        "low": RiskLevel.NONE,
        "risque": RiskLevel.RISK,
        "modéré": RiskLevel.RISK,
        "moyen": RiskLevel.RISK,
        "medium": RiskLevel.RISK,
        "élevé": RiskLevel.HIGH,
        "risque élevé": RiskLevel.HIGH,
        "fort": RiskLevel.HIGH,
        "high": RiskLevel.HIGH,
    },
)

#: Optional columns copied as they are parsed (when the column is in the file).
PLAIN = (
    "title",
    "description",
    "occurred_at",
    "processor_aware_at",
    "processor_informed_at",
    "cnil_notification_reference",
    "delay_reasons",
    "decision_reasoning",
    "subjects_informed_at",
    "subject_categories",
    "subjects_count",
    "data_categories",
    "records_count",
    "likely_consequences",
    "measures",
)
#: The file's column for each argument of `breach_decide` a problem names.
DECISION_COLUMNS = {"reasoning": "decision_reasoning"}
#: What `prepare` loads of the stored breaches, to check a row against the fields it leaves alone.
STORED = (
    "occurred_at",
    "processor_aware_at",
    "processor_informed_at",
    "notified_at",
    "notification_required",
    "decision_reasoning",
    "delay_reasons",
    "subjects_informed_at",
    "risk_level",
    "high_risk",
)


@register
class BreachImporter(Importer):
    """Breaches by `reference`. An optional column absent from the file leaves its field as it is."""

    kind = "breaches"
    model = Breach
    natural_key = ("reference",)
    columns = (
        Column(
            "reference",
            Text(max_length_of(Breach, "reference")),
            required=True,
            aliases=("référence", "réf", "réf.", "n° de violation", "numéro de violation", "numéro"),
        ),
        Column(
            "aware_at",
            DateTime(),
            required=True,
            aliases=(
                "date de prise de connaissance",
                "prise de connaissance",
                "prise de connaissance le",
                "date et heure de prise de connaissance",
                "date de connaissance",
                "aware",
            ),
        ),
        Column("title", Text(max_length_of(Breach, "title")), aliases=("titre", "intitulé", "libellé")),
        Column(
            "description", Text(), aliases=("faits", "nature de la violation", "circonstances", "description des faits")
        ),
        Column(
            "occurred_at",
            DateTime(),
            aliases=("date de survenance", "date de la violation", "survenue le", "date de l'incident"),
        ),
        Column(
            "processor_aware_at",
            DateTime(),
            aliases=("prise de connaissance du sous-traitant", "date de connaissance du sous-traitant"),
        ),
        Column(
            "processor_informed_at",
            DateTime(),
            aliases=("informé par le sous-traitant le", "date d'information par le sous-traitant"),
        ),
        Column("risk_level", RISK_LEVEL, aliases=("niveau de risque", "risque pour les personnes")),
        Column("high_risk", Boolean(), aliases=("risque élevé", "risque élevé pour les personnes", "art. 34")),
        Column(
            "notification_required",
            Boolean(),
            default=None,
            aliases=(
                "notification requise",
                "notification cnil requise",
                "à notifier",
                "notifiable",
                "notification obligatoire",
            ),
        ),
        Column(
            "decision_reasoning",
            Text(),
            aliases=(
                "justification de la décision",
                "motif de non-notification",
                "justification",
                "motivation de la décision",
            ),
        ),
        Column(
            "notified_at",
            DateTime(),
            aliases=(
                "date de notification",
                "notifiée le",
                "date de notification cnil",
                "notification cnil le",
                "date de notification à la cnil",
            ),
        ),
        Column(
            "cnil_notification_reference",
            Text(max_length_of(Breach, "cnil_notification_reference")),
            aliases=("référence cnil", "n° de notification", "référence de notification", "numéro de notification"),
        ),
        Column(
            "delay_reasons",
            Text(),
            aliases=("motifs du retard", "raisons du retard", "justification du retard", "motif du retard"),
        ),
        Column(
            "subjects_informed_at",
            DateTime(),
            aliases=(
                "personnes informées le",
                "date d'information des personnes",
                "information des personnes",
                "personnes concernées informées le",
            ),
        ),
        Column("subject_categories", Text(), aliases=("catégories de personnes", "catégories de personnes concernées")),
        Column(
            "subjects_count",
            Integer(min_value=0, max_value=MAX_COUNT),
            aliases=("nombre de personnes", "nombre de personnes concernées", "personnes concernées"),
        ),
        Column("data_categories", Text(), aliases=("catégories de données", "données concernées")),
        Column(
            "records_count",
            Integer(min_value=0, max_value=MAX_COUNT),
            aliases=("nombre d'enregistrements", "nombre d'enregistrements concernés"),
        ),
        Column("likely_consequences", Text(), aliases=("conséquences", "conséquences probables")),
        Column("measures", Text(), aliases=("mesures", "mesures prises", "mesures prises ou envisagées")),
        entity_code_column(),
    )

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.entities = EntityCodes(parent_by_default=True)  # the controller: the parent company by default
        self.lookups = (self.entities,)

    def prepare(self) -> None:
        super().prepare()
        self.create_defaults = self.entities.defaults
        # Breaches are few (tens a year): the stored values a row leaves alone are loaded once.
        self.stored: dict[str, dict[str, Any]] = {
            values.pop("reference"): values for values in Breach.objects.values("reference", *STORED)
        }

    def build(self, row: Row) -> dict[str, Any]:
        parsed = not row.errors  # contradictions are only looked for between values that could be read
        aware_at = row["aware_at"]
        values: dict[str, Any] = {"reference": row["reference"], "aware_at": aware_at}
        if aware_at is not None:
            values["notification_due_at"] = breach_notification_deadline(aware_at)
        for name in PLAIN:
            if name in row:
                values[name] = row[name]
        self.entities.put(row, values)
        if "notified_at" in row:
            values["notified_at"] = row["notified_at"]
        stored = self.stored.get(row["reference"] or "", {})
        if parsed and aware_at is not None:
            self._risk(row, values, stored)
            self._decision_and_notification(row, values, stored)
            effective = {**stored, **values}
            for name, message in breach_date_problems(
                aware_at=aware_at,
                occurred_at=effective.get("occurred_at"),
                processor_aware_at=effective.get("processor_aware_at"),
                processor_informed_at=effective.get("processor_informed_at"),
                notified_at=effective.get("notified_at"),
                subjects_informed_at=effective.get("subjects_informed_at"),
            ).items():
                row.error(name, message)
        return values

    @staticmethod
    def _risk(row: Row, values: dict[str, Any], stored: dict[str, Any]) -> None:
        has_level, has_high = "risk_level" in row, "high_risk" in row
        if has_level:
            values["risk_level"] = row["risk_level"]
        if has_level and has_high:
            disagreement = high_risk_problem(risk_level=row["risk_level"], high_risk=bool(row["high_risk"]))
            if disagreement is not None:
                row.error("high_risk", disagreement)
            values["high_risk"] = row["high_risk"]
        elif has_level:
            values["high_risk"] = row["risk_level"] == RiskLevel.HIGH
        elif has_high:
            values["high_risk"] = row["high_risk"]
            if row["high_risk"]:
                values["risk_level"] = RiskLevel.HIGH
            elif stored.get("risk_level") == RiskLevel.HIGH:
                values["risk_level"] = ""  # no longer high: the level is to be assessed again

    @staticmethod
    def _decision_and_notification(row: Row, values: dict[str, Any], stored: dict[str, Any]) -> None:
        notified_at = values.get("notified_at", stored.get("notified_at"))
        if "notified_at" in row and notified_at is None and stored.get("notified_at") is not None:
            row.error(
                "notified_at",
                _("the breach was notified on %(at)s: an import cannot remove a notification")
                % {"at": format_datetime(stored["notified_at"])},
            )
            return
        required = (
            row.get("notification_required") if "notification_required" in row else stored.get("notification_required")
        )
        if notified_at is not None and required is None:
            required = values["notification_required"] = True  # notified: the decision was to notify
        elif "notification_required" in row:
            values["notification_required"] = required
        if required is False:
            # The decision as breach_decide checks it. The risk level (the row's, _risk ran first) is held
            # against a decision the file makes; a stored decision is not re-judged by a new level here.
            risk_level = values.get("risk_level", stored.get("risk_level")) if "notification_required" in row else ""
            for name, message in breach_decision_problems(
                notification_required=False,
                notified_at=notified_at,
                risk_level=risk_level or "",
                reasoning=values.get("decision_reasoning", stored.get("decision_reasoning")) or "",
            ).items():
                row.error(DECISION_COLUMNS.get(name, name), message)
        # Before awareness is reported by breach_date_problems; compared in UTC (see breaches.elapsed).
        if notified_at is not None and values["aware_at"].astimezone(dt.UTC) <= notified_at.astimezone(dt.UTC):
            late = breach_late_notification_problem(
                aware_at=values["aware_at"],
                notified_at=notified_at,
                delay_reasons=values.get("delay_reasons", stored.get("delay_reasons")) or "",
            )
            if late is not None:
                row.error("delay_reasons", late)

    def stages(self, rows: list[Row]) -> Iterator[list[Row]]:
        yield rows
        # The rows are written: keep each notified breach's initial notification in step with the file.
        notified = {
            row.built["reference"]: row.built
            for row in rows
            if not row.errors and row.built is not None and row.built.get("notified_at") is not None
        }
        if notified:
            self._sync_initial_notifications(notified)

    def _sync_initial_notifications(self, notified: dict[str, dict[str, Any]]) -> None:
        ids = dict(Breach.objects.filter(reference__in=list(notified)).values_list("reference", "pk"))
        existing = {
            notification.breach_id: notification
            for notification in BreachNotification.objects.filter(
                breach_id__in=list(ids.values()), phase=NotificationPhase.INITIAL
            )
        }
        to_create, to_update = [], []
        for reference, built in notified.items():
            breach_id = ids.get(reference)
            if breach_id is None:
                continue
            cnil_reference = built.get("cnil_notification_reference")
            notification = existing.get(breach_id)
            if notification is None:
                to_create.append(
                    BreachNotification(
                        breach_id=breach_id,
                        phase=NotificationPhase.INITIAL,
                        sent_at=built["notified_at"],
                        cnil_reference=cnil_reference or "",
                        sent_by=self.user,
                    )
                )
            elif notification.sent_at != built["notified_at"] or (
                cnil_reference is not None and notification.cnil_reference != cnil_reference
            ):
                notification.sent_at = built["notified_at"]
                if cnil_reference is not None:
                    notification.cnil_reference = cnil_reference
                to_update.append(notification)
        if to_create:
            bulk_create_with_history(
                to_create, BreachNotification, default_user=self.user, default_change_reason=self.change_reason
            )
        if to_update:
            bulk_update_with_history(
                to_update,
                BreachNotification,
                ["sent_at", "cnil_reference"],
                default_user=self.user,
                default_change_reason=self.change_reason,
            )
