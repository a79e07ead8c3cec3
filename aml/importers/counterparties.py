"""Importer of the counterparties: `import_counterparties` (docs/interfaces.md, "Imports").

Customers, borrowers, beneficiaries and suppliers as the operational systems export them, by `reference`.
A row is rejected with its reason when its birth date is impossible (unreadable, in the future, before 1900,
or given for a company) or its entity code unknown (`aml.services.counterparties.counterparty_problems`).
The normalised name and the screening hash are computed as `counterparty_save` does; when the hash changes
(or the counterparty is new), `changed_at` moves and the blocking keys are rewritten in bulk, and the
screening of the changed counterparties is queued once the import commits.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.imports import Column, Importer, Row, register
from core.imports.parsers import Choice, Date, InvalidValue, Text, max_length_of
from organization.importers import EntityCodes, entity_code_column

from ..choices import CounterpartyKind
from ..models import Counterparty
from ..services import counterparties as services
from ..services.alerts import alerts_follow_relationships

KIND = Choice(
    CounterpartyKind,
    aliases={
        "personne physique": CounterpartyKind.PERSON,
        "particulier": CounterpartyKind.PERSON,
        "pp": CounterpartyKind.PERSON,
        "individual": CounterpartyKind.PERSON,
        "personne morale": CounterpartyKind.COMPANY,
        "entreprise": CounterpartyKind.COMPANY,
        "société": CounterpartyKind.COMPANY,
        "pm": CounterpartyKind.COMPANY,
        "organisation": CounterpartyKind.COMPANY,
        "organization": CounterpartyKind.COMPANY,
    },
)
_YEAR = re.compile(r"\b(\d{4})\b")


class BirthDate(Date):
    """A date; one before 1900 or past the readable years is said to be an impossible birth date (not only
    "out of range")."""

    def __call__(self, value: Any) -> Any:
        try:
            return super().__call__(value)
        except InvalidValue:
            if isinstance(value, str) and (match := _YEAR.search(value)):
                if int(match.group(1)) < 1900:
                    raise InvalidValue(_("is an impossible birth date (before 1900)")) from None
                if int(match.group(1)) > timezone.localdate().year:
                    raise InvalidValue(_("is an impossible birth date (in the future)")) from None
            raise


@register
class CounterpartyImporter(Importer):
    """Counterparties by `reference`. An optional column absent from the file leaves its field as it is."""

    kind = "counterparties"
    model = Counterparty
    natural_key = ("reference",)
    columns = (
        Column(
            "reference",
            Text(max_length_of(Counterparty, "reference")),
            required=True,
            aliases=("référence", "réf", "identifiant", "n° tiers", "numéro de tiers", "code tiers", "id"),
        ),
        Column("kind", KIND, required=True, aliases=("type", "nature", "type de tiers", "type de personne")),
        Column(
            "name",
            Text(max_length_of(Counterparty, "name")),
            required=True,
            aliases=("nom", "raison sociale", "nom ou raison sociale", "dénomination", "nom complet"),
        ),
        Column("birth_date", BirthDate(), aliases=("date de naissance", "né le", "naissance", "date of birth")),
        Column("country", Text(max_length_of(Counterparty, "country")), aliases=("pays", "nationalité")),
        Column(
            "registration_number",
            Text(max_length_of(Counterparty, "registration_number")),
            aliases=("siren", "siret", "numéro d'immatriculation", "immatriculation", "n° rcs", "rcs"),
        ),
        entity_code_column(),
        Column(
            "relationship_ended_on",
            Date(),
            aliases=("ended_on", "fin de relation", "date de fin de relation", "relation terminée le"),
        ),
    )
    _plain = ("registration_number", "relationship_ended_on")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.entities = EntityCodes()
        self.lookups = (self.entities,)
        self.changed = 0

    def prepare(self) -> None:
        super().prepare()
        self.today = timezone.localdate()
        self.now = timezone.now()
        # What screening read of each counterparty: a row that leaves it as it is keeps its changed_at.
        # and the stored birth date, which a file without the column leaves as it is.
        self.stored: dict[str, tuple[str, Any]] = {
            reference: (screening_hash, birth_date)
            for reference, screening_hash, birth_date in Counterparty.objects.values_list(
                "reference", "screening_hash", "birth_date"
            )
        }

    def build(self, row: Row) -> dict[str, Any]:
        name = row["name"] or ""
        values: dict[str, Any] = {"reference": row["reference"], "kind": row["kind"], "name": name}
        stored_hash, birth_date = self.stored.get(row["reference"] or "", ("", None))
        if "birth_date" in row:
            birth_date = values["birth_date"] = row["birth_date"]
        if "country" in row:
            values["country"] = (row["country"] or "").upper()
        for field in self._plain:
            if field in row:
                values[field] = row[field]
        self.entities.put(row, values)
        if row["kind"] and row["name"]:
            problems = services.counterparty_problems(
                kind=row["kind"], name=name, birth_date=birth_date, today=self.today
            )
            for field, message in problems.items():
                row.error(field, message)
        if not row.errors:
            values.update(services.screening_values(kind=row["kind"], name=name, birth_date=birth_date))
            if stored_hash != values["screening_hash"]:
                values["changed_at"] = self.now
        return values

    def after_write(
        self,
        *,
        created: list[tuple[Row, models.Model]],
        updated: list[tuple[Row, dict[str, Any]]],
        unchanged: list[Row],
    ) -> None:
        new_ids = [obj.pk for _row, obj in created]
        new_names = [row.built["name"] for row, _obj in created if row.built is not None]
        moved = [
            (old["id"], row.built["name"])
            for row, old in updated
            if row.built is not None and row.built["screening_hash"] != old["screening_hash"]
        ]
        ended = [
            old["id"]
            for row, old in updated
            if row.built is not None
            and "relationship_ended_on" in row.built
            and row.built["relationship_ended_on"] != old.get("relationship_ended_on")
        ]
        if ended:  # the retention of their decided alerts starts at the end of the relationship
            alerts_follow_relationships(ended, actor=self.user, reason=self.change_reason)
        services.write_keys(new_ids, new_names, replace=False)
        services.write_keys([pk for pk, _name in moved], [name for _pk, name in moved], replace=True)
        count = len(new_ids) + len(moved)
        if count:
            self.note(_("counterparties to screen"), count)
            self.changed += count

    def finish(self) -> None:
        if self.changed:
            # Run only if the import commits (a dry run, a strict import rolled back queue nothing).
            transaction.on_commit(services.queue_screening)
