"""Importers of the HR roster: `import_entities` and `import_roster` (docs/interfaces.md, "Imports").

The headers accepted include those of a French HR export (Matricule, Nom, Prénom, Courriel, Code
entité, Service, Date d'entrée, Date de sortie, Sexe, Cadre...); see the `aliases` of each column.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.utils.translation import gettext as _

from core.dates import format_date
from core.imports import Column, Importer, Lookup, Row, register
from core.imports.parsers import Boolean, Choice, Date, Email, Text, max_length_of
from core.imports.text import fold_code

from .choices import Gender
from .models import Department, Employee, LegalEntity

#: The headers of an entity column in the records' imports (a French tracker's "Entité", "Société"...).
ENTITY_CODE_ALIASES = ("entité", "code entité", "société", "entity")


def entity_code_column() -> Column:
    """The optional `entity_code` column of an import whose records belong to a legal entity."""
    return Column("entity_code", Text(), aliases=ENTITY_CODE_ALIASES)


class EntityCodes(Lookup):
    """`entity_code` → legal entity id, for the importers of records that belong to an entity.

    With `parent_by_default` (the controller of a GDPR record), an empty cell gives the parent company, and
    so does the absence of the column for the records the import creates (`defaults`, for the importer's
    `create_defaults`); without it, an empty cell leaves the record without entity. An unknown code rejects
    the row, naming the column and the value.
    """

    def __init__(self, *, parent_by_default: bool = False) -> None:
        super().__init__(LegalEntity, "code", normalize=fold_code, label=_("entities"))
        self.parent_by_default = parent_by_default
        self.parent_id: int | None = None

    def load(self) -> None:
        super().load()
        if self.parent_by_default:
            parent = LegalEntity.objects.parent_company()
            self.parent_id = parent.pk if parent is not None else None

    @property
    def defaults(self) -> dict[str, Any]:
        """What a record created without the column gets (nothing without `parent_by_default`)."""
        return {"entity_id": self.parent_id} if self.parent_by_default else {}

    def put(self, row: Row, values: dict[str, Any]) -> None:
        """Set `values["entity_id"]` from the row's `entity_code`, when the file has the column."""
        if "entity_code" not in row:
            return
        code = row["entity_code"]
        if not code:
            values["entity_id"] = self.parent_id
            return
        values["entity_id"] = self.get(code)
        if values["entity_id"] is None:
            row.error("entity_code", _("unknown entity '%s'") % code)


@register
class LegalEntityImporter(Importer):
    """Entities by code; `parent_code` may name an entity that appears later in the same file.

    The whole file is one batch (an entity list is short): parents are written before their
    subsidiaries, and a parent chain that would loop is rejected.
    """

    kind = "entities"
    model = LegalEntity
    natural_key = ("code",)
    batch_size = None
    columns = (
        Column(
            "code",
            Text(max_length_of(LegalEntity, "code")),
            required=True,
            aliases=("code entité", "code société", "entity code", "code entreprise"),
        ),
        Column(
            "name",
            Text(max_length_of(LegalEntity, "name")),
            required=True,
            aliases=("nom", "raison sociale", "dénomination", "libellé", "entity name", "nom entité", "nom société"),
        ),
        Column(
            "parent_code",
            Text(max_length_of(LegalEntity, "code")),
            aliases=(
                "parent",
                "code parent",
                "code société mère",
                "société mère",
                "entité mère",
                "maison mère",
                "parent company",
                "parent entity",
            ),
        ),
    )

    def prepare(self) -> None:
        super().prepare()
        # code → (pk, parent code): enough to resolve parents and to detect a loop in the result.
        self.known: dict[str, int] = {}
        self.parent_of: dict[str, str | None] = {}
        codes = dict(LegalEntity.objects.values_list("pk", "code"))
        for pk, code, parent_id in LegalEntity.objects.values_list("pk", "code", "parent_id"):
            self.known[fold_code(code)] = pk
            self.parent_of[fold_code(code)] = fold_code(codes[parent_id]) if parent_id else None
        self.lines: dict[str, int] = {}

    def build(self, row: Row) -> dict[str, Any]:
        code, parent = row["code"], row.get("parent_code")
        if code:
            self.lines.setdefault(fold_code(code), row.line)
            if parent and fold_code(parent) == fold_code(code):
                row.error("parent_code", _("an entity cannot be its own parent"))
        return {"code": code, "name": row["name"]}

    def stages(self, rows: list[Row]) -> Iterator[list[Row]]:
        if not any("parent_code" in row for row in rows):
            yield rows
            return
        in_file = {fold_code(row["code"]): row for row in rows}
        parent_after = dict(self.parent_of)
        parent_after.update({code: fold_code(row["parent_code"]) or None for code, row in in_file.items()})
        waiting: list[Row] = []
        for code, row in in_file.items():
            parent = parent_after[code]
            if parent is None or parent in self.known or parent in in_file:
                if self._loops(code, parent_after):
                    row.error(
                        "parent_code",
                        _("'%(parent)s' would make a loop of parent companies") % {"parent": row["parent_code"]},
                    )
                else:
                    waiting.append(row)
            elif parent in self.lines:
                row.error(
                    "parent_code",
                    _("parent '%(parent)s' is on line %(line)d, which was rejected")
                    % {"parent": row["parent_code"], "line": self.lines[parent]},
                )
            else:
                row.error(
                    "parent_code",
                    _("unknown entity '%s' (neither in the database nor in the file)") % row["parent_code"],
                )
        # Parents first: each round writes the rows whose parent already exists.
        while waiting:
            ready = [
                row
                for row in waiting
                if not parent_after[fold_code(row["code"])] or parent_after[fold_code(row["code"])] in self.known
            ]
            if not ready:  # only a parent row rejected by the database can leave rows here
                for row in waiting:
                    row.error("parent_code", _("parent '%s' could not be written") % row["parent_code"])
                return
            for row in ready:
                parent = parent_after[fold_code(row["code"])]
                assert row.built is not None
                row.built["parent_id"] = self.known[parent] if parent else None
            yield ready
            written = [row.built["code"] for row in ready if not row.errors and row.built]
            for pk, code in LegalEntity.objects.filter(code__in=written).values_list("pk", "code"):
                self.known[fold_code(code)] = pk
            done = {id(row) for row in ready}
            waiting = [row for row in waiting if id(row) not in done]

    @staticmethod
    def _loops(code: str, parent_of: dict[str, str | None]) -> bool:
        seen = {code}
        parent = parent_of.get(code)
        while parent is not None:
            if parent in seen:
                return True
            seen.add(parent)
            parent = parent_of.get(parent)
        return False


GENDER = Choice(
    Gender,
    aliases={
        "femme": Gender.FEMALE,
        "féminin": Gender.FEMALE,
        "mme": Gender.FEMALE,
        "madame": Gender.FEMALE,
        "homme": Gender.MALE,
        "h": Gender.MALE,
        "masculin": Gender.MALE,
        "monsieur": Gender.MALE,
        "mr": Gender.MALE,
        "autre": Gender.OTHER,
        "other": Gender.OTHER,
        "non binaire": Gender.OTHER,
    },
)


@register
class RosterImporter(Importer):
    """Employees by `employee_id`. An optional column that is absent from the file leaves its field
    as it is; an unknown department name creates the department (counted in the summary)."""

    kind = "roster"
    model = Employee
    natural_key = ("employee_id",)
    columns = (
        Column(
            "employee_id",
            Text(max_length_of(Employee, "employee_id")),
            required=True,
            aliases=(
                "matricule",
                "n° matricule",
                "numéro de matricule",
                "id salarié",
                "identifiant salarié",
                "employee number",
                "employee id",
                "emp id",
            ),
        ),
        Column(
            "last_name",
            Text(max_length_of(Employee, "last_name")),
            aliases=("nom", "nom de famille", "nom usuel", "surname", "family name"),
        ),
        Column("first_name", Text(max_length_of(Employee, "first_name")), aliases=("prénom", "given name")),
        Column("email", Email(), aliases=("courriel", "mail", "adresse e-mail", "adresse mail", "email professionnel")),
        Column(
            "entity_code",
            Text(max_length_of(LegalEntity, "code")),
            required=True,
            aliases=("code entité", "entité", "code société", "société", "entity", "legal entity"),
        ),
        Column(
            "department",
            Text(max_length_of(Department, "name")),
            aliases=("service", "direction", "département", "direction / service"),
        ),
        Column(
            "hired_on",
            Date(),
            required=True,
            aliases=(
                "date d'entrée",
                "date d'embauche",
                "date entrée",
                "date embauche",
                "hire date",
                "start date",
                "date de début de contrat",
            ),
        ),
        Column(
            "left_on",
            Date(),
            aliases=(
                "date de sortie",
                "date de fin de contrat",
                "date de départ",
                "date sortie",
                "end date",
                "leave date",
            ),
        ),
        Column("is_manager", Boolean(), aliases=("manager", "encadrant", "est manager")),
        Column("gender", GENDER, aliases=("sexe", "genre", "civilité")),
        Column(
            "is_executive",
            Boolean(true=("cadre",), false=("non cadre", "etam", "employé")),
            aliases=("cadre", "statut cadre", "statut", "catégorie", "executive"),
        ),
    )
    #: Optional columns copied as they are parsed.
    _plain = ("last_name", "first_name", "email", "left_on", "is_manager", "is_executive", "gender")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.entities = Lookup(LegalEntity, "code", normalize=fold_code)
        self.departments = Lookup(Department, "name", create_missing=True)
        self.lookups = (self.entities, self.departments)

    def build(self, row: Row) -> dict[str, Any]:
        values = {"employee_id": row["employee_id"], "hired_on": row["hired_on"]}
        code = row["entity_code"]
        if code:
            values["entity_id"] = entity_id = self.entities.get(code)
            if entity_id is None:
                row.error("entity_code", _("unknown entity '%s'") % code)
        for name in self._plain:
            if name in row:
                values[name] = row[name]
        if "department" in row:
            department = row["department"]
            values["department_id"] = self.departments.id_or_pending(department) if department else None
        hired_on, left_on = row["hired_on"], row.get("left_on")
        if hired_on and left_on and left_on < hired_on:
            row.error(
                "left_on",
                _("%(left)s is before the hiring date %(hired)s")
                % {"left": format_date(left_on), "hired": format_date(hired_on)},
            )
        return values
