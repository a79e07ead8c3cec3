"""`import_rights_requests`: a DPO's tracker of rights requests (docs/interfaces.md, "Imports").

Headers of a French tracker are accepted (Référence, Date de réception, Droit, Canal, Catégorie,
Date demande d'identité, Date réception identité, Date notification prolongation, Motif prolongation,
Date de réponse, Issue...). Each row gets what the services would give it: a status derived from its
dates, the deadline columns computed by `gdpr.services.rights.rights_request_deadline_columns` (the services' own
code), its identity pause, and a ledger row when its deadline is first computed or changes. A column
absent from the file leaves the stored value as it is (the dates of a request answered in Vigie are
not erased by a list that does not have them); a row whose dates contradict each other is rejected,
with the services' rules and words (`gdpr.services.rights_rules.rights_request_problems`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import models
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from core.imports import Column, Importer, Row, register
from core.imports.parsers import Boolean, Choice, DateTime, Email, Text, max_length_of
from core.services import delete_with_history
from organization.importers import EntityCodes, entity_code_column

from ..choices import (
    Channel,
    DeadlineEventKind,
    Outcome,
    PauseReason,
    RefusalGround,
    RequesterCategory,
    RequestStatus,
    Right,
)
from ..deadlines import Pause, paris_date, policy_from_settings
from ..models import DeadlineEvent, RightsRequest, RightsRequestPause
from ..services.rights import rights_request_deadline_columns
from ..services.rights_rules import future_problem, rights_request_problems

RIGHT = Choice(
    Right,
    aliases={
        "accès": Right.ACCESS,
        "droit d'accès": Right.ACCESS,
        "demande d'accès": Right.ACCESS,
        "droit de rectification": Right.RECTIFICATION,
        "modification": Right.RECTIFICATION,
        "effacement": Right.ERASURE,
        "droit à l'effacement": Right.ERASURE,
        "suppression": Right.ERASURE,
        "droit à l'oubli": Right.ERASURE,
        "limitation": Right.RESTRICTION,
        "droit à la limitation": Right.RESTRICTION,
        "limitation du traitement": Right.RESTRICTION,
        "portabilité": Right.PORTABILITY,
        "droit à la portabilité": Right.PORTABILITY,
        "opposition": Right.OBJECTION,
        "droit d'opposition": Right.OBJECTION,
        "décision automatisée": Right.AUTOMATED_DECISION,
        "décision individuelle automatisée": Right.AUTOMATED_DECISION,
        "profilage": Right.AUTOMATED_DECISION,
        "post mortem": Right.POST_MORTEM,
        "directives post mortem": Right.POST_MORTEM,
        "autre": Right.OTHER,
    },
)
CHANNEL = Choice(
    Channel,
    aliases={
        "courriel": Channel.EMAIL,
        "mail": Channel.EMAIL,
        "e-mail": Channel.EMAIL,
        "messagerie": Channel.EMAIL,
        "courrier": Channel.POST,
        "lettre": Channel.POST,
        "voie postale": Channel.POST,
        "postal": Channel.POST,
        "lettre recommandée": Channel.POST,
        "LRAR": Channel.POST,
        "formulaire": Channel.WEB_FORM,
        "formulaire web": Channel.WEB_FORM,
        "formulaire en ligne": Channel.WEB_FORM,
        "site internet": Channel.WEB_FORM,
        "site web": Channel.WEB_FORM,
        "web": Channel.WEB_FORM,
        "en personne": Channel.IN_PERSON,
        "sur place": Channel.IN_PERSON,
        "guichet": Channel.IN_PERSON,
        "accueil": Channel.IN_PERSON,
        "agence": Channel.IN_PERSON,
        "autre": Channel.OTHER,
        "téléphone": Channel.OTHER,
    },
)
CATEGORY = Choice(
    RequesterCategory,
    aliases={
        "clients": RequesterCategory.CLIENT,
        "locataire": RequesterCategory.CLIENT,
        "emprunteur": RequesterCategory.CLIENT,
        "salarié": RequesterCategory.EMPLOYEE,
        "salariée": RequesterCategory.EMPLOYEE,
        "collaborateur": RequesterCategory.EMPLOYEE,
        "collaboratrice": RequesterCategory.EMPLOYEE,
        "employé": RequesterCategory.EMPLOYEE,
        "employée": RequesterCategory.EMPLOYEE,
        "agent": RequesterCategory.EMPLOYEE,
        "ancien salarié": RequesterCategory.EMPLOYEE,
        "prospects": RequesterCategory.PROSPECT,
        "autre": RequesterCategory.OTHER,
    },
)
OUTCOME = Choice(
    Outcome,
    aliases={
        "accordée": Outcome.GRANTED,
        "accordé": Outcome.GRANTED,
        "satisfaite": Outcome.GRANTED,
        "fait droit": Outcome.GRANTED,
        "favorable": Outcome.GRANTED,
        "traitée": Outcome.GRANTED,
        "partiellement accordée": Outcome.PARTIALLY_GRANTED,
        "partiellement satisfaite": Outcome.PARTIALLY_GRANTED,
        "partielle": Outcome.PARTIALLY_GRANTED,
        "accord partiel": Outcome.PARTIALLY_GRANTED,
        "refusée": Outcome.REFUSED,
        "refusé": Outcome.REFUSED,
        "refus": Outcome.REFUSED,
        "rejetée": Outcome.REFUSED,
        "aucune donnée": Outcome.NO_DATA,
        "pas de données": Outcome.NO_DATA,
        "données inexistantes": Outcome.NO_DATA,
        "non client": Outcome.NO_DATA,
        "retirée": Outcome.WITHDRAWN,
        "retrait": Outcome.WITHDRAWN,
        "désistement": Outcome.WITHDRAWN,
        "abandon": Outcome.WITHDRAWN,
        "abandonnée": Outcome.WITHDRAWN,
        "infondée": Outcome.UNFOUNDED,
        "non fondée": Outcome.UNFOUNDED,
        "manifestement infondée": Outcome.UNFOUNDED,
    },
)

#: The workflow columns, read from the stored request when the file does not have them.
REFUSAL_GROUND = Choice(
    RefusalGround,
    aliases={
        "manifestement infondée": RefusalGround.MANIFESTLY_UNFOUNDED,
        "infondée": RefusalGround.MANIFESTLY_UNFOUNDED,
        "excessive": RefusalGround.EXCESSIVE,
        "répétitive": RefusalGround.EXCESSIVE,
    },
)
_WORKFLOW = ("extension_notified_at", "extension_reason", "answered_at", "outcome")
_EXISTING_FIELDS = (
    "pk",
    "reference",
    "status",
    "received_at",
    "refusal_ground",
    "complaint_right_notified",
    *_WORKFLOW,
    "due_on",
    "extended_due_on",
    "applicable_due_on",
)
# A status moved on in Vigie is kept when the file's dates still agree with it.
_KEEPS = {
    RequestStatus.RECEIVED: {RequestStatus.RECEIVED, RequestStatus.IN_PROGRESS},
    RequestStatus.PAUSED: {RequestStatus.PAUSED},
    RequestStatus.EXTENDED: {RequestStatus.EXTENDED},
    RequestStatus.ANSWERED: {RequestStatus.ANSWERED, RequestStatus.REFUSED, RequestStatus.CLOSED},
    RequestStatus.WITHDRAWN: {RequestStatus.WITHDRAWN, RequestStatus.CLOSED},
    RequestStatus.REFUSED: {RequestStatus.REFUSED, RequestStatus.CLOSED},
}


@dataclass
class _PausePlan:
    """The identity pause a row should have: `wanted` (asked, answered) or None for none;
    `existing` the stored one (pk, asked, answered) or None; `keep` when there is nothing to change."""

    request_id: int | None
    wanted: tuple[dt.date, dt.date | None] | None
    existing: tuple[int, dt.date, dt.date | None] | None
    keep: bool


@register
class RightsRequestImporter(Importer):
    """Rights requests by `reference`; see the module docstring."""

    kind = "rights_requests"
    model = RightsRequest
    natural_key = ("reference",)
    columns = (
        Column(
            "reference",
            Text(max_length_of(RightsRequest, "reference")),
            required=True,
            aliases=(
                "référence",
                "réf",
                "ref",
                "référence de la demande",
                "n° de demande",
                "numéro de demande",
                "numéro",
                "n°",
                "identifiant",
            ),
        ),
        Column(
            "received_at",
            DateTime(),
            required=True,
            aliases=(
                "date de réception",
                "date réception",
                "reçue le",
                "date de la demande",
                "date d'arrivée",
                "date de saisine",
                "received",
            ),
        ),
        Column(
            "right",
            RIGHT,
            required=True,
            aliases=(
                "droit",
                "droit exercé",
                "droits exercés",
                "type de droit",
                "type de demande",
                "nature de la demande",
                "objet de la demande",
            ),
        ),
        Column(
            "channel",
            CHANNEL,
            default=Channel.OTHER,
            aliases=("canal", "canal de réception", "mode de réception", "moyen de réception", "voie de réception"),
        ),
        Column(
            "requester_category",
            CATEGORY,
            default=RequesterCategory.OTHER,
            aliases=(
                "catégorie",
                "catégorie de demandeur",
                "catégorie du demandeur",
                "type de demandeur",
                "qualité du demandeur",
                "population",
            ),
        ),
        Column(
            "requester_name",
            Text(max_length_of(RightsRequest, "requester_name")),
            aliases=("demandeur", "nom du demandeur", "nom et prénom", "nom prénom", "requester"),
        ),
        Column(
            "requester_email",
            Email(),
            aliases=(
                "email du demandeur",
                "courriel du demandeur",
                "adresse e-mail",
                "adresse mail",
                "courriel",
                "e-mail",
                "email",
            ),
        ),
        Column(
            "identity_requested_at",
            DateTime(),
            aliases=(
                "date demande d'identité",
                "date de demande d'identité",
                "demande d'identité le",
                "date demande justificatif",
                "date de demande de justificatif",
                "justificatif demandé le",
                "pièce d'identité demandée le",
                "identity requested",
            ),
        ),
        Column(
            "identity_received_at",
            DateTime(),
            aliases=(
                "date réception identité",
                "date de réception de l'identité",
                "date réception justificatif",
                "date de réception du justificatif",
                "justificatif reçu le",
                "pièce d'identité reçue le",
                "identity received",
            ),
        ),
        Column(
            "extension_notified_at",
            DateTime(),
            aliases=(
                "date notification prolongation",
                "date de notification de la prolongation",
                "prolongation notifiée le",
                "date prolongation",
                "date de prolongation",
                "extension notified",
            ),
        ),
        Column(
            "extension_reason",
            Text(),
            aliases=(
                "motif prolongation",
                "motif de prolongation",
                "motif de la prolongation",
                "motifs de la prolongation",
                "raison de la prolongation",
                "justification de la prolongation",
                "extension reason",
            ),
        ),
        Column(
            "answered_at",
            DateTime(),
            aliases=("date de réponse", "date réponse", "répondu le", "réponse le", "date de la réponse", "answered"),
        ),
        Column(
            "outcome",
            OUTCOME,
            aliases=(
                "issue",
                "résultat",
                "suite donnée",
                "suite donnée à la demande",
                "décision",
                "réponse apportée",
                "issue de la demande",
            ),
        ),
        Column("refusal_ground", REFUSAL_GROUND, aliases=("motif du refus", "motif de refus", "refusal ground")),
        Column(
            "complaint_right_notified",
            Boolean(),
            aliases=(
                "droit de réclamation notifié",
                "informé du droit de réclamation",
                "recours cnil indiqué",
                "complaint right notified",
            ),
        ),
        entity_code_column(),
    )
    _plain = ("channel", "requester_category", "requester_name", "requester_email")
    # A refusal (outcome refused or unfounded) needs these two facts (Art. 12(4)-(5)), from the file or stored.
    _REFUSAL = ("refusal_ground", "complaint_right_notified")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.entities = EntityCodes(parent_by_default=True)  # the controller: the parent company by default
        self.lookups = (self.entities,)

    def prepare(self) -> None:
        super().prepare()
        self.create_defaults = self.entities.defaults
        self.policy = policy_from_settings()
        self.plans: dict[str, _PausePlan] = {}

    # -- one line -----------------------------------------------------------------------------------
    def build(self, row: Row) -> dict[str, Any]:
        values: dict[str, Any] = {
            "reference": row["reference"],
            "received_at": row["received_at"],
            "right": row["right"],
        }
        for name in self._plain:
            if name in row:
                values[name] = row[name]
        self.entities.put(row, values)
        for name in _WORKFLOW:
            if name in row:
                values[name] = row[name]
        for name in (
            "received_at",
            "answered_at",
            "identity_requested_at",
            "identity_received_at",
            "extension_notified_at",
        ):
            value = row.get(name)
            problem = future_problem(value) if value is not None else None
            if problem is not None:
                row.error(name, problem)
        for name in self._REFUSAL:
            if name in row and row[name] not in (None, ""):
                values[name] = row[name]
        return values

    # -- a batch, with what is stored ---------------------------------------------------------------
    def stages(self, rows: list[Row]) -> Iterator[list[Row]]:
        self.plans = {}  # the previous batch is written
        existing = self._existing([row.built["reference"] for row in rows])  # type: ignore[index]  # stages get only the rows that built
        pauses = self._pauses([values["pk"] for values in existing.values()])
        ready = []
        for row in rows:
            assert row.built is not None
            old = existing.get(row.built["reference"])
            if self._complete(row, old, pauses.get(old["pk"], []) if old else []):
                ready.append(row)
        yield ready

    def _existing(self, references: list[str]) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(references), 900):
            chunk = references[start : start + 900]
            for values in RightsRequest._base_manager.filter(reference__in=chunk).values(*_EXISTING_FIELDS):
                found[values["reference"]] = values
        return found

    @staticmethod
    def _pauses(ids: list[int]) -> dict[int, list[Mapping[str, Any]]]:
        found: dict[int, list[Mapping[str, Any]]] = {}
        for start in range(0, len(ids), 900):
            queryset = RightsRequestPause.objects.filter(request_id__in=ids[start : start + 900]).order_by(
                "asked_on", "pk"
            )
            for values in queryset.values("pk", "request_id", "reason", "asked_on", "answered_on"):
                found.setdefault(values["request_id"], []).append(values)
        return found

    def _complete(self, row: Row, old: dict[str, Any] | None, stored_pauses: list[Mapping[str, Any]]) -> bool:
        """Check the row's dates together (the file's, else the stored ones) with the services' rules and
        add the status and the deadline columns to `row.built`; False (with the reasons on the row) when
        they contradict."""
        built = row.built
        assert built is not None
        merged = {name: built[name] if name in built else (old[name] if old else None) for name in _WORKFLOW}
        received_at: dt.datetime = built["received_at"]
        answered_at, outcome = merged["answered_at"], merged["outcome"] or ""
        notified_at = merged["extension_notified_at"]

        identity = next((p for p in stored_pauses if p["reason"] == PauseReason.IDENTITY), None)
        others = [p for p in stored_pauses if p is not identity]
        keep = "identity_requested_at" not in row and "identity_received_at" not in row
        if keep:
            asked = identity["asked_on"] if identity else None
            got = identity["answered_on"] if identity else None
        else:
            asked_at, got_at = row.get("identity_requested_at"), row.get("identity_received_at")
            asked = paris_date(asked_at) if asked_at else None
            got = paris_date(got_at) if got_at else None
        if answered_at is not None and asked is not None and got is None and outcome == Outcome.WITHDRAWN:
            got = max(
                paris_date(answered_at), asked
            )  # the wait ended with the withdrawal (as rights_request_withdraw does)
            keep = False
        other_pauses = [Pause(p["asked_on"], p["answered_on"]) for p in others]
        try:
            problems = rights_request_problems(
                received_at=received_at,
                answered_at=answered_at,
                outcome=outcome,
                extension_notified_at=notified_at,
                extension_reason=merged["extension_reason"] or "",
                refusal_ground=built.get("refusal_ground") or (old or {}).get("refusal_ground") or "",
                complaint_right_notified=built.get(
                    "complaint_right_notified", (old or {}).get("complaint_right_notified")
                ),
                refusal_ground_given=bool(built.get("refusal_ground")),
                identity_asked_on=asked,
                identity_received_on=got,
                other_pauses=other_pauses,
                policy=self.policy,
            )
            for name, message in problems:
                row.error(name, message)
            if row.errors:
                return False
            pauses = [*other_pauses, *([Pause(asked, got)] if asked is not None else [])]
            columns = rights_request_deadline_columns(
                received_at=received_at, pauses=pauses, extension_notified_at=notified_at, policy=self.policy
            )
        except ValueError as exc:  # a stored pause before a corrected receipt date, for instance
            row.error("received_at", str(exc))
            return False

        built.update(columns.as_fields())
        built["status"] = self._status(old, answered_at, outcome, any(p.is_open for p in pauses), notified_at)
        self.plans[built["reference"]] = _PausePlan(
            request_id=old["pk"] if old else None,
            wanted=(asked, got) if asked is not None else None,
            existing=(identity["pk"], identity["asked_on"], identity["answered_on"]) if identity else None,
            keep=keep,
        )
        return True

    @staticmethod
    def _status(
        old: dict[str, Any] | None,
        answered_at: dt.datetime | None,
        outcome: str,
        paused: bool,
        notified_at: dt.datetime | None,
    ) -> str:
        if answered_at is not None and outcome in (Outcome.REFUSED, Outcome.UNFOUNDED):
            derived = RequestStatus.REFUSED  # _complete checked the ground and the notice
        elif answered_at is not None:
            derived = RequestStatus.WITHDRAWN if outcome == Outcome.WITHDRAWN else RequestStatus.ANSWERED
        elif paused:
            derived = RequestStatus.PAUSED
        elif notified_at is not None:
            derived = RequestStatus.EXTENDED
        else:
            derived = RequestStatus.RECEIVED
        if old is not None and old["status"] in _KEEPS[derived]:
            refused_still = old["refusal_ground"] and outcome in (Outcome.REFUSED, Outcome.UNFOUNDED)
            if old["status"] != RequestStatus.REFUSED or refused_still:
                return old["status"]
        return derived

    # -- after the requests are written: their identity pause and the ledger ------------------------
    def after_write(
        self,
        *,
        created: list[tuple[Row, models.Model]],
        updated: list[tuple[Row, dict[str, Any]]],
        unchanged: list[Row],
    ) -> None:
        events: list[DeadlineEvent] = []
        new_pauses: list[RightsRequestPause] = []
        changed_pauses: list[RightsRequestPause] = []
        gone: list[int] = []
        written: list[tuple[Row, int, dict[str, Any] | None]] = [(row, obj.pk, None) for row, obj in created]
        written += [(row, old[RightsRequest._meta.pk.attname], old) for row, old in updated]
        for row in unchanged:  # the request is as it was, its pause may not be (a policy that ignores pauses)
            plan = self.plans.get(row.built["reference"])  # type: ignore[index]  # stages get only the rows that built
            if plan is not None and not plan.keep and plan.request_id is not None:
                self._sync_pause(plan.request_id, plan, new_pauses, changed_pauses, gone)
        for row, pk, old in written:
            built = row.built
            assert built is not None
            plan = self.plans.get(built["reference"])
            if plan is not None and not plan.keep:
                self._sync_pause(pk, plan, new_pauses, changed_pauses, gone)
            dates = (built["due_on"], built["extended_due_on"], built["applicable_due_on"])
            if old is not None and dates == (old["due_on"], old["extended_due_on"], old["applicable_due_on"]):
                continue
            events.append(
                DeadlineEvent(
                    request_id=pk,
                    kind=DeadlineEventKind.COMPUTED if old is None else DeadlineEventKind.RECOMPUTED,
                    actor=self.user,
                    due_on=built["due_on"],
                    extended_due_on=built["extended_due_on"],
                    explanation=built["deadline_explanation"],
                    reason=self.change_reason,
                )
            )
        history = {"default_user": self.user, "default_change_reason": self.change_reason}
        if gone:
            # Deleted one by one so that each deletion leaves its history row.
            for pause in RightsRequestPause.objects.filter(pk__in=gone):
                delete_with_history(pause, actor=self.user, reason=self.change_reason)
        if changed_pauses:
            bulk_update_with_history(changed_pauses, RightsRequestPause, ["asked_on", "answered_on"], **history)
        if new_pauses:
            bulk_create_with_history(new_pauses, RightsRequestPause, **history)
        if events:
            DeadlineEvent.objects.bulk_create(events)

    @staticmethod
    def _sync_pause(
        request_id: int,
        plan: _PausePlan,
        new: list[RightsRequestPause],
        changed: list[RightsRequestPause],
        gone: list[int],
    ) -> None:
        if plan.wanted is None:
            if plan.existing is not None:
                gone.append(plan.existing[0])
            return
        asked, answered = plan.wanted
        if plan.existing is None:
            new.append(
                RightsRequestPause(
                    request_id=request_id, reason=PauseReason.IDENTITY, asked_on=asked, answered_on=answered
                )
            )
        elif plan.existing[1:] != (asked, answered):
            changed.append(
                RightsRequestPause(
                    pk=plan.existing[0],
                    request_id=request_id,
                    reason=PauseReason.IDENTITY,
                    asked_on=asked,
                    answered_on=answered,
                )
            )
