"""`import_processing_activities`: the Art. 30 register from a DPO's Excel register (docs/interfaces.md).

Headers of a French register are accepted (Référence, Nom du traitement, Rôle, Finalités, Base légale,
Catégories de personnes, Catégories de données, Destinataires, Transferts hors UE, Durée de
conservation, Mesures de sécurité, Date de dernière mise à jour...), and so are those of Vigie's own
XLSX export (gdpr/exports/register.py), so an exported register imports back unchanged.

An optional column absent from the file leaves its field alone. `registered_on` defaults to the import
date for a new record and is never overwritten when the file does not give it, so importing the same
file again, on another day, changes nothing. The dates follow the model's rules (`date_problems`); an
imported register may be incomplete (a processor without the controllers it serves, a transfer without
its safeguards): those gaps are refused when the record is edited, not when it comes in.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from core.imports import Column, Importer, Row, register
from core.imports.parsers import Boolean, Choice, Date, Text, max_length_of
from organization.importers import EntityCodes, entity_code_column

from ..choices import ProcessingRole
from ..models import ProcessingActivity
from ..models.register import date_problems

ROLE = Choice(
    ProcessingRole,
    aliases={
        "responsable de traitement": ProcessingRole.CONTROLLER,
        "responsable du traitement": ProcessingRole.CONTROLLER,
        "responsable": ProcessingRole.CONTROLLER,
        "responsable conjoint": ProcessingRole.CONTROLLER,
        "co-responsable": ProcessingRole.CONTROLLER,
        "RT": ProcessingRole.CONTROLLER,
        "sous-traitant": ProcessingRole.PROCESSOR,
        "ST": ProcessingRole.PROCESSOR,
        "data processor": ProcessingRole.PROCESSOR,
        "data controller": ProcessingRole.CONTROLLER,
    },
)


@register
class ProcessingActivityImporter(Importer):
    kind = "processing_activities"
    model = ProcessingActivity
    natural_key = ("reference",)
    columns = (
        Column(
            "reference",
            Text(max_length_of(ProcessingActivity, "reference")),
            required=True,
            aliases=(
                "référence",
                "réf",
                "ref",
                "n° / référence",
                "n° / réf",
                "n°",
                "numéro",
                "numéro de fiche",
                "identifiant",
                "code traitement",
                "id",
            ),
        ),
        Column(
            "name",
            Text(max_length_of(ProcessingActivity, "name")),
            required=True,
            aliases=(
                "nom du traitement",
                "nom / sigle",
                "nom",
                "traitement",
                "intitulé",
                "intitulé du traitement",
                "activité de traitement",
                "libellé",
                "nom de l'activité",
            ),
        ),
        Column(
            "role",
            ROLE,
            required=True,
            aliases=("rôle", "rôle de l'organisme", "qualité", "qualité de l'organisme", "en tant que"),
        ),
        Column(
            "purposes",
            aliases=(
                "finalités",
                "finalité",
                "finalité(s)",
                "finalités du traitement",
                "finalité principale",
                "finalité(s) du traitement effectué",
            ),
        ),
        Column(
            "legal_basis",
            Text(max_length_of(ProcessingActivity, "legal_basis")),
            aliases=(
                "base légale",
                "base juridique",
                "fondement juridique",
                "licéité",
                "base légale (art. 6)",
                "base de licéité",
            ),
        ),
        Column(
            "data_subject_categories",
            aliases=("catégories de personnes", "catégories de personnes concernées", "personnes concernées"),
        ),
        Column(
            "data_categories",
            aliases=(
                "catégories de données",
                "catégories de données personnelles",
                "données traitées",
                "données collectées",
                "catégories de données collectées",
                "catégories de données personnelles concernées",
            ),
        ),
        Column("sensitive_data", Boolean(), aliases=("données sensibles",)),
        Column(
            "sensitive_data_details",
            aliases=(
                "détail des données sensibles",
                "données sensibles : lesquelles",
                "données sensibles : lesquelles et sur quel fondement",
            ),
        ),
        Column("recipients", aliases=("destinataires", "catégories de destinataires", "destinataires des données")),
        Column(
            "transfers_outside_eu",
            Boolean(),
            aliases=(
                "transferts hors ue",
                "transfert hors ue",
                "transferts hors union européenne",
                "transferts de données hors ue",
                "transferts des données hors ue",
            ),
        ),
        Column(
            "transfer_safeguards",
            aliases=(
                "garanties des transferts",
                "garanties",
                "pays et garanties",
                "garanties appropriées",
                "pays et garanties (art. 46 rgpd)",
            ),
        ),
        Column(
            "retention",
            aliases=(
                "durée de conservation",
                "durées de conservation",
                "délai de conservation",
                "délais de conservation",
                "délais d'effacement",
            ),
        ),
        Column("security_measures", aliases=("mesures de sécurité",)),
        Column(
            "controller_contact",
            aliases=(
                "coordonnées du responsable",
                "responsable du traitement (coordonnées)",
                "coordonnées",
                "contacts",
                "acteurs",
            ),
        ),
        Column(
            "joint_controllers",
            aliases=("responsable conjoint", "responsables conjoints", "responsable(s) conjoint(s)", "co-responsables"),
        ),
        Column(
            "controllers_served",
            aliases=(
                "responsables de traitement servis",
                "pour le compte de",
                "clients (sous-traitant)",
                "responsables de traitement pour le compte desquels le traitement est effectué",
            ),
        ),
        Column("processing_categories", aliases=("catégories de traitements", "catégories de traitements effectués")),
        Column("dpia_required", Boolean(), aliases=("aipd requise", "aipd nécessaire", "aipd", "pia", "dpia")),
        Column("dpia_done_on", Date(), aliases=("aipd réalisée le", "date de l'aipd", "date aipd", "dpia date")),
        Column(
            "registered_on",
            Date(),
            help=_("YYYY-MM-DD or DD/MM/YYYY; empty or absent: the import date for a new activity"),
            aliases=(
                "date d'entrée au registre",
                "date de création",
                "date de création de la fiche",
                "date d'inscription",
                "inscrit le",
                "entered the register on",
            ),
        ),
        Column(
            "last_reviewed_on",
            Date(),
            aliases=(
                "date de dernière mise à jour",
                "dernière mise à jour",
                "mise à jour",
                "date de mise à jour",
                "mise à jour de la fiche",
                "date de revue",
                "dernière revue",
                "last review",
            ),
        ),
        Column("retired_on", Date(), aliases=("date de retrait", "retiré le", "date de fin", "date de suppression")),
        Column("retired_reason", aliases=("motif du retrait", "motif de retrait")),
        entity_code_column(),
    )
    #: Optional columns copied as they are parsed when the file has them.
    _plain = (
        "purposes",
        "legal_basis",
        "data_subject_categories",
        "data_categories",
        "sensitive_data",
        "sensitive_data_details",
        "recipients",
        "transfers_outside_eu",
        "transfer_safeguards",
        "retention",
        "security_measures",
        "controller_contact",
        "joint_controllers",
        "controllers_served",
        "processing_categories",
        "dpia_required",
        "dpia_done_on",
        "last_reviewed_on",
        "retired_on",
        "retired_reason",
    )

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.entities = EntityCodes(parent_by_default=True)  # the controller: the parent company by default
        self.lookups = (self.entities,)

    def prepare(self) -> None:
        super().prepare()
        self.create_defaults = self.entities.defaults
        # The register is a few hundred rows: knowing every stored entry date up front tells which rows
        # are new (they get today) and lets dates be checked against the stored ones.
        self.today = timezone.localdate()
        self.stored: dict[str, tuple[dt.date, dt.date | None]] = {
            reference: (registered_on, retired_on)
            for reference, registered_on, retired_on in ProcessingActivity.objects.values_list(
                "reference", "registered_on", "retired_on"
            )
        }

    def build(self, row: Row) -> dict[str, Any]:
        reference = row["reference"]
        values: dict[str, Any] = {"reference": reference, "name": row["name"], "role": row["role"]}
        for name in self._plain:
            if name in row:
                values[name] = row[name]
        self.entities.put(row, values)
        stored_registered_on, stored_retired_on = self.stored.get(reference, (None, None))
        registered_on = row.get("registered_on") or stored_registered_on
        if registered_on is None:
            registered_on = self.today
        if row.get("registered_on") or stored_registered_on is None:
            values["registered_on"] = registered_on
        retired_on = row["retired_on"] if "retired_on" in row else stored_retired_on
        for name, message in date_problems(
            today=self.today,
            registered_on=registered_on,
            retired_on=retired_on,
            dpia_done_on=row.get("dpia_done_on"),
            last_reviewed_on=row.get("last_reviewed_on"),
        ).items():
            row.error(name, message)
        return values
