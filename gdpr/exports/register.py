"""The Art. 30 register as an XLSX workbook, the form in which it is produced to the CNIL (Art. 30(4)).

Sheet 1 ("Registre") is a table, one row per activity, with a frozen header and an autofilter; its
headers are accepted by `import_processing_activities`, so an exported register imports back. Then
one sheet per activity, laid out as the CNIL's model "fiche de registre" (label / value rows grouped
in its sections). The labels are French whatever the reader's language: the document is for the CNIL.
The content is each record as it stands now; the date chooses which records are in the register.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from django.http import HttpResponse
from django.utils import timezone
from django.utils.text import slugify
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.worksheet import Worksheet

from core.spreadsheets import (
    XLSX_CONTENT_TYPE,
    DataWorkbook,
    new_workbook,
    print_layout,
    split_text,
    workbook_bytes,
    xml_safe,
)
from organization.models import LegalEntity

from ..choices import ProcessingRole
from ..models import ProcessingActivity

CONTENT_TYPE = XLSX_CONTENT_TYPE
OVERVIEW_TITLE = "Registre"
DATE_FORMAT = "DD/MM/YYYY"
NOT_FILLED = "Non renseigné"
#: Excel's limit: 31 characters per sheet name.
MAX_SHEET_TITLE = 31
_INVALID_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
ROLE_LABELS: dict[str, str] = {
    ProcessingRole.CONTROLLER: "Responsable de traitement",
    ProcessingRole.PROCESSOR: "Sous-traitant",
}

_HEADER_FONT = Font(name="Calibri", bold=True, color="FFFFFF")
_HEADER_FILL = PatternFill("solid", fgColor="1F3864")
_SECTION_FONT = Font(name="Calibri", bold=True, color="1F3864", size=12)
_SECTION_FILL = PatternFill("solid", fgColor="D9E1F2")
_WRAP_TOP = Alignment(wrap_text=True, vertical="top")


def yes_no(value: bool) -> str:
    return "Oui" if value else "Non"


def role_label(activity: ProcessingActivity) -> str:
    return ROLE_LABELS.get(activity.role, activity.role)


def status_label(activity: ProcessingActivity, on: dt.date) -> str:
    if activity.in_register_on(on):
        if activity.retired_on is not None:
            return f"Actif (retrait prévu le {activity.retired_on:%d/%m/%Y})"
        return "Actif"
    if activity.retired_on is not None and activity.retired_on <= on:
        return f"Retiré le {activity.retired_on:%d/%m/%Y}"
    return f"Inscrit le {activity.registered_on:%d/%m/%Y}"


@dataclass(frozen=True)
class OverviewColumn:
    header: str
    value: Callable[[ProcessingActivity], Any]
    width: int


def _attr(name: str) -> Callable[[ProcessingActivity], Any]:
    return lambda activity: getattr(activity, name)


def entity_code(activity: ProcessingActivity) -> str:
    """The code of the activity's legal entity (the import's `entity_code`), "" when it names none."""
    return activity.entity.code if activity.entity is not None else ""


def entity_name(activity: ProcessingActivity) -> str:
    return activity.entity.name if activity.entity is not None else ""


# Headers are aliases of the importer's columns (gdpr/importers/register.py): keep them in step.
OVERVIEW_COLUMNS: tuple[OverviewColumn, ...] = (
    OverviewColumn("Référence", _attr("reference"), 14),
    OverviewColumn("Nom du traitement", _attr("name"), 40),
    OverviewColumn("Rôle", role_label, 24),
    OverviewColumn("Finalités", _attr("purposes"), 50),
    OverviewColumn("Base légale", _attr("legal_basis"), 26),
    OverviewColumn("Catégories de personnes concernées", _attr("data_subject_categories"), 36),
    OverviewColumn("Catégories de données", _attr("data_categories"), 40),
    OverviewColumn("Données sensibles", lambda a: yes_no(a.sensitive_data), 11),
    OverviewColumn("Destinataires", _attr("recipients"), 36),
    OverviewColumn("Transferts hors UE", lambda a: yes_no(a.transfers_outside_eu), 11),
    OverviewColumn("Garanties des transferts", _attr("transfer_safeguards"), 32),
    OverviewColumn("Durée de conservation", _attr("retention"), 32),
    OverviewColumn("Mesures de sécurité", _attr("security_measures"), 40),
    OverviewColumn("Responsables de traitement servis", _attr("controllers_served"), 30),
    OverviewColumn("AIPD requise", lambda a: yes_no(a.dpia_required), 10),
    OverviewColumn("AIPD réalisée le", _attr("dpia_done_on"), 13),
    OverviewColumn("Date d'entrée au registre", _attr("registered_on"), 13),
    OverviewColumn("Date de dernière mise à jour", _attr("last_reviewed_on"), 13),
    OverviewColumn("Date de retrait", _attr("retired_on"), 13),
    OverviewColumn("Code entité", entity_code, 12),
)
STATUS_HEADER = "Statut"
#: The overview's columns printed: the register's index (`_write_overview`).
PRINTED_OVERVIEW_COLUMNS = 5
SHEET_HEADER = "Fiche"


def _cell(sheet: Worksheet, row: int, column: int) -> Cell:
    """A cell of a sheet written here: none is merged, so each is a plain cell."""
    return cast(Cell, sheet.cell(row=row, column=column))


def _set(cell: Cell, value: Any) -> None:
    """Write a value (the workbook writes it as data, core/spreadsheets.py), dates in the French format."""
    cell.value = value
    if isinstance(value, dt.date):
        cell.number_format = DATE_FORMAT


def sheet_title(text: str, used: set[str]) -> str:
    """A valid sheet name from `text`, unique among `used` (compared as Excel does, ignoring case),
    which it is added to: at most 31 characters, none of []:*?/\\, not starting or ending with an
    apostrophe, never empty; a clash gets " (2)", " (3)"... inside the 31 characters."""
    base = _INVALID_SHEET_CHARS.sub("-", xml_safe(text))
    base = " ".join(base.split()).strip("'").strip() or "Fiche"
    candidate = base[:MAX_SHEET_TITLE].rstrip("' ")
    number = 1
    taken = {title.casefold() for title in used}
    # "History" is reserved by Excel.
    while not candidate or candidate.casefold() in taken or candidate.casefold() == "history":
        number += 1
        suffix = f" ({number})"
        candidate = base[: MAX_SHEET_TITLE - len(suffix)].rstrip("' ") + suffix
    used.add(candidate)
    return candidate


def _location(title: str) -> str:
    return "'{}'!A1".format(title.replace("'", "''"))


def _link(cell: Cell, title: str, text: str) -> None:
    _set(cell, text)
    cell.hyperlink = Hyperlink(ref=cell.coordinate, location=_location(title), display=text)
    cell.font = Font(name="Calibri", color="0563C1", underline="single")


def _write_overview(
    sheet: Worksheet, activities: Sequence[ProcessingActivity], titles: list[str], on: dt.date, heading: str
) -> None:
    headers = [column.header for column in OVERVIEW_COLUMNS] + [STATUS_HEADER, SHEET_HEADER]
    widths = [column.width for column in OVERVIEW_COLUMNS] + [24, 28]
    for index, header in enumerate(headers, start=1):
        cell = _cell(sheet, 1, index)
        _set(cell, header)
        cell.font, cell.fill = _HEADER_FONT, _HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for row, (activity, title) in enumerate(zip(activities, titles, strict=True), start=2):
        for index, column in enumerate(OVERVIEW_COLUMNS, start=1):
            cell = _cell(sheet, row, index)
            value = column.value(activity)
            _set(cell, None if value == "" else value)  # empty, not "", so filters offer "(Vides)"
            cell.alignment = _WRAP_TOP
        _set(_cell(sheet, row, len(OVERVIEW_COLUMNS) + 1), status_label(activity, on))
        _link(_cell(sheet, row, len(OVERVIEW_COLUMNS) + 2), title, title)
    last_column = get_column_letter(len(headers))
    sheet.auto_filter.ref = f"A1:{last_column}{max(len(activities) + 1, 1)}"
    # 21 columns are a table for the screen (filters) and for importing back, not for paper: one page wide
    # they printed at 2 pt. The overview prints as the register's index, the columns that say which activity
    # and why (reference, name, role, purposes, legal basis) at a readable size, landscape; every column it
    # holds prints in full in the activity's fiche, the sheets after it, each on its own pages.
    print_layout(
        sheet,
        heading,
        header_rows=1,
        frozen_columns=2,  # the header and the reference/name stay in view
        widths=dict(enumerate(widths, start=1)),
        print_columns=PRINTED_OVERVIEW_COLUMNS,
    )


def fiche_sections(activity: ProcessingActivity, on: dt.date) -> list[tuple[str, list[tuple[str, Any]]]]:
    """The CNIL's model "fiche de registre": (section, [(label, value)]) in its order."""
    processor = activity.role == ProcessingRole.PROCESSOR
    description = [
        ("Nom / sigle", activity.name),
        ("N° / Référence", activity.reference),
        ("Rôle de l'organisme", role_label(activity)),
        ("Entité juridique", entity_name(activity)),
        ("Code entité", entity_code(activity)),
        ("Date de création de la fiche (entrée au registre)", activity.registered_on),
        ("Date de dernière mise à jour", activity.last_reviewed_on),
        ("Statut", status_label(activity, on)),
    ]
    if activity.retired_on is not None:
        description += [("Date de retrait", activity.retired_on), ("Motif du retrait", activity.retired_reason)]
    actors = [
        (
            "Sous-traitant, représentant et DPO (coordonnées)"
            if processor
            else "Responsable du traitement, représentant et DPO (coordonnées)",
            activity.controller_contact,
        ),
    ]
    if processor:
        actors += [
            (
                "Responsables de traitement pour le compte desquels le traitement est effectué",
                activity.controllers_served,
            ),
            ("Catégories de traitements effectués", activity.processing_categories),
        ]
    else:
        actors.append(("Responsable(s) conjoint(s)", activity.joint_controllers))
    return [
        ("Description du traitement", description),
        ("Acteurs", actors),
        (
            "Finalité(s) du traitement effectué",
            [("Finalités", activity.purposes), ("Base légale (art. 6 RGPD)", activity.legal_basis)],
        ),
        (
            "Catégories de données personnelles concernées",
            [
                ("Catégories de données", activity.data_categories),
                ("Données sensibles (art. 9-10 RGPD)", yes_no(activity.sensitive_data)),
                (
                    "Données sensibles : lesquelles et sur quel fondement",
                    activity.sensitive_data_details if activity.sensitive_data else None,
                ),
            ],
        ),
        (
            "Catégories de personnes concernées",
            [("Catégories de personnes concernées", activity.data_subject_categories)],
        ),
        ("Destinataires", [("Destinataires des données", activity.recipients)]),
        (
            "Transferts des données hors UE",
            [
                ("Transferts hors UE", yes_no(activity.transfers_outside_eu)),
                (
                    "Pays et garanties (art. 46 RGPD)",
                    activity.transfer_safeguards if activity.transfers_outside_eu else None,
                ),
            ],
        ),
        ("Durées de conservation", [("Durées de conservation", activity.retention)]),
        (
            "Mesures de sécurité",
            [("Mesures de sécurité techniques et organisationnelles (art. 32 RGPD)", activity.security_measures)],
        ),
        (
            "Analyse d'impact (AIPD, art. 35 RGPD)",
            [
                ("AIPD requise", yes_no(activity.dpia_required)),
                ("AIPD réalisée le", activity.dpia_done_on),
            ],
        ),
    ]


#: A fiche's columns: the labels, the values (a portrait A4 page).
FICHE_LABEL_WIDTH, FICHE_VALUE_WIDTH = 30, 56


def _write_fiche(sheet: Worksheet, activity: ProcessingActivity, on: dt.date, heading: str) -> None:
    title = _cell(sheet, 1, 1)
    _set(title, f"Fiche de registre : {activity.reference} – {activity.name}")
    title.font = Font(name="Calibri", bold=True, size=14)
    _set(_cell(sheet, 2, 1), heading)
    _cell(sheet, 2, 1).font = Font(name="Calibri", italic=True, color="595959")
    _link(_cell(sheet, 3, 1), OVERVIEW_TITLE, "← Retour au registre")
    row = 5
    for section, lines in fiche_sections(activity, on):
        for column in (1, 2):
            _cell(sheet, row, column).fill = _SECTION_FILL
        _set(_cell(sheet, row, 1), section)
        _cell(sheet, row, 1).font = _SECTION_FONT
        row += 1
        for label, value in lines:
            # A value too long for one row goes on in the rows below ("(suite)"): never cut by a row's height.
            pieces = split_text(value, FICHE_VALUE_WIDTH) if isinstance(value, str) and value else [value]
            for number, piece in enumerate(pieces):
                label_cell, value_cell = _cell(sheet, row, 1), _cell(sheet, row, 2)
                if number == 0:
                    _set(label_cell, label)
                    label_cell.font = Font(name="Calibri", bold=True)
                else:
                    _set(label_cell, "(suite)")
                    label_cell.font = Font(name="Calibri", italic=True, color="595959")
                label_cell.alignment = _WRAP_TOP
                _set(value_cell, piece if piece not in (None, "") else NOT_FILLED)
                value_cell.alignment = Alignment(wrap_text=True, vertical="top", horizontal="left")
                if piece in (None, ""):
                    value_cell.font = Font(name="Calibri", italic=True, color="808080")
                row += 1
        row += 1
    # A fiche is a document of its own: portrait A4, its title repeated on top of each page.
    print_layout(sheet, heading, header_rows=1, widths={1: FICHE_LABEL_WIDTH, 2: FICHE_VALUE_WIDTH})


def register_heading(on: dt.date, *, selection: bool = False, entity: LegalEntity | None = None) -> str:
    if selection:
        return f"Extrait du registre des activités de traitement (fiches sélectionnées), état au {on:%d/%m/%Y}"
    of = f" – {entity.name}" if entity is not None else ""
    return f"Registre des activités de traitement{of} (art. 30 RGPD) au {on:%d/%m/%Y}"


def build_register_workbook(
    activities: Iterable[ProcessingActivity],
    *,
    on: dt.date,
    selection: bool = False,
    entity: LegalEntity | None = None,
    generated_at: dt.datetime | None = None,
) -> DataWorkbook:
    """The workbook: the overview sheet, then one fiche per activity in the order given."""
    activities = list(activities)
    generated_at = timezone.localtime(generated_at or timezone.now())
    heading = f"{register_heading(on, selection=selection, entity=entity)} – généré le {generated_at:%d/%m/%Y à %H:%M}"
    workbook = new_workbook()
    overview = workbook.active
    assert isinstance(overview, Worksheet)  # new_workbook() makes one worksheet, the active one
    overview.title = OVERVIEW_TITLE
    used = {OVERVIEW_TITLE}
    titles = [sheet_title(f"{activity.reference} {activity.name}", used) for activity in activities]
    _write_overview(overview, activities, titles, on, heading)
    for activity, title in zip(activities, titles, strict=True):
        _write_fiche(workbook.create_sheet(title), activity, on, heading)
    workbook.properties.title = register_heading(on, selection=selection, entity=entity)
    workbook.properties.creator = "Vigie"
    workbook.properties.language = "fr-FR"
    return workbook


def register_xlsx(
    activities: Iterable[ProcessingActivity],
    *,
    on: dt.date,
    selection: bool = False,
    entity: LegalEntity | None = None,
) -> bytes:
    return workbook_bytes(build_register_workbook(activities, on=on, selection=selection, entity=entity))


def register_filename(on: dt.date, *, selection: bool = False, entity: LegalEntity | None = None) -> str:
    of = f"{slugify(entity.code)}-" if entity is not None and slugify(entity.code) else ""
    return f"registre-traitements-{of}{'extrait-' if selection else ''}{on:%Y-%m-%d}.xlsx"


def register_response(
    activities: Iterable[ProcessingActivity],
    *,
    on: dt.date,
    selection: bool = False,
    entity: LegalEntity | None = None,
) -> HttpResponse:
    """The workbook as a download, for the admin and the API alike; `entity`: the register of one entity."""
    content = register_xlsx(activities, on=on, selection=selection, entity=entity)
    response = HttpResponse(content, content_type=CONTENT_TYPE)
    filename = register_filename(on, selection=selection, entity=entity)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def register_on(on: dt.date, *, entity: LegalEntity | None = None) -> list[ProcessingActivity]:
    """The activities in the register on `on` (of one legal entity when `entity` is given), by reference
    (one query)."""
    activities = ProcessingActivity.objects.in_register_on(on).select_related("entity")
    if entity is not None:
        activities = activities.filter(entity=entity)
    return list(activities.order_by("reference"))
