"""The register as XLSX for the CNIL (Art. 30(4)): overview sheet, one fiche per activity, valid sheet names."""

from __future__ import annotations

import datetime as dt
import re
from io import BytesIO

import openpyxl
import pytest

from gdpr.choices import ProcessingRole
from gdpr.exports.register import (
    OVERVIEW_COLUMNS,
    OVERVIEW_TITLE,
    build_register_workbook,
    register_on,
    register_xlsx,
    sheet_title,
)
from tests.factories import LegalEntityFactory
from tests.gdpr.factories import ProcessingActivityFactory
from tests.spreadsheet_checks import assert_prints

pytestmark = pytest.mark.django_db
ON = dt.date(2023, 12, 31)


def load(activities, on=ON) -> openpyxl.Workbook:
    return openpyxl.load_workbook(BytesIO(register_xlsx(activities, on=on)))


def labels_and_values(sheet) -> dict[str, object]:
    return {row[0]: row[1] for row in sheet.iter_rows(min_row=5, max_col=2, values_only=True) if row[0] and row[1]}


def test_the_overview_has_one_row_per_activity_with_french_headers_frozen_and_filtered():
    ProcessingActivityFactory(reference="PA-2", name="Recrutement", sensitive_data=True)
    ProcessingActivityFactory(
        reference="PA-1", name="Paie", role=ProcessingRole.PROCESSOR, controllers_served="Filiale A"
    )
    workbook = load(register_on(ON))
    overview = workbook[OVERVIEW_TITLE]
    assert workbook.sheetnames[0] == OVERVIEW_TITLE
    rows = list(overview.iter_rows(values_only=True))
    header = rows[0]
    assert header[:5] == ("Référence", "Nom du traitement", "Rôle", "Finalités", "Base légale")
    assert "Transferts hors UE" in header and "Durée de conservation" in header and "Statut" in header
    assert [row[:3] for row in rows[1:]] == [
        ("PA-1", "Paie", "Sous-traitant"),
        ("PA-2", "Recrutement", "Responsable de traitement"),
    ]
    assert rows[2][header.index("Données sensibles")] == "Oui"
    assert rows[1][header.index("Date d'entrée au registre")] == dt.datetime(2020, 1, 1)
    assert overview.freeze_panes == "C2"
    assert overview.auto_filter.ref == f"A1:{openpyxl.utils.get_column_letter(len(header))}3"
    assert overview.column_dimensions["B"].width == 40


def test_there_is_one_fiche_per_activity_laid_out_with_the_cnil_model_labels():
    ProcessingActivityFactory(
        reference="PA-1",
        name="Paie",
        purposes="Verser les salaires",
        retention="5 ans",
        transfers_outside_eu=True,
        transfer_safeguards="USA – clauses contractuelles types",
    )
    workbook = load(register_on(ON))
    assert len(workbook.sheetnames) == 2
    fiche = workbook[workbook.sheetnames[1]]
    assert fiche["A1"].value == "Fiche de registre : PA-1 – Paie"
    assert "au 31/12/2023" in fiche["A2"].value
    sections = [row[0] for row in fiche.iter_rows(min_row=5, max_col=2, values_only=True) if row[0] and not row[1]]
    assert sections[:4] == [
        "Description du traitement",
        "Acteurs",
        "Finalité(s) du traitement effectué",
        "Catégories de données personnelles concernées",
    ]
    values = labels_and_values(fiche)
    assert values["Finalités"] == "Verser les salaires"
    assert values["Durées de conservation"] == "5 ans"
    assert values["Transferts hors UE"] == "Oui"
    assert values["Pays et garanties (art. 46 RGPD)"] == "USA – clauses contractuelles types"
    assert values["Destinataires des données"] == "Non renseigné"
    assert values["Statut"] == "Actif"


def test_a_processor_fiche_names_the_controllers_served():
    ProcessingActivityFactory(
        reference="PA-1", role=ProcessingRole.PROCESSOR, controllers_served="Filiale A, Filiale B"
    )
    fiche = load(register_on(ON)).worksheets[1]
    values = labels_and_values(fiche)
    assert values["Rôle de l'organisme"] == "Sous-traitant"
    assert (
        values["Responsables de traitement pour le compte desquels le traitement est effectué"]
        == "Filiale A, Filiale B"
    )


def test_the_register_on_a_date_counts_the_entry_day_and_leaves_out_the_retirement_day():
    ProcessingActivityFactory(reference="IN", registered_on=ON)
    ProcessingActivityFactory(reference="OUT", registered_on=dt.date(2020, 1, 1), retired_on=ON)
    ProcessingActivityFactory(reference="LATER", registered_on=dt.date(2024, 1, 1))
    ProcessingActivityFactory(reference="LEAVING", registered_on=dt.date(2020, 1, 1), retired_on=dt.date(2024, 1, 1))
    overview = load(register_on(ON))[OVERVIEW_TITLE]
    references = [row[0] for row in overview.iter_rows(min_row=2, values_only=True)]
    assert references == ["IN", "LEAVING"]
    header = [cell.value for cell in overview[1]]
    assert overview.cell(row=3, column=header.index("Statut") + 1).value == "Actif (retrait prévu le 01/01/2024)"


def test_sheet_names_are_valid_and_unique_even_for_long_duplicate_and_odd_names():
    names = [
        ("PA-1", "Gestion des demandes d'exercice des droits [clients]: accès/rectification?*"),
        ("PA-1-bis", "x" * 80),
        ("pa-1", "Gestion des demandes d'exercice des droits [clients]: accès/rectification?*"),
        ("PA-2", "'quoted'"),
        ("Registre", ""),
        ("History", ""),
    ]
    for reference, name in names:
        ProcessingActivityFactory(reference=reference, name=name or reference)
    workbook = load(register_on(ON))
    titles = workbook.sheetnames
    assert len(titles) == len(names) + 1
    assert len({title.casefold() for title in titles}) == len(titles)
    for title in titles:
        assert 0 < len(title) <= 31
        assert not re.search(r"[\[\]:*?/\\]", title)
        assert not title.startswith("'") and not title.endswith("'")
        assert title.casefold() != "history"


def test_sheet_title_adds_a_number_inside_31_characters_on_a_clash():
    used = {"Registre"}
    first = sheet_title("PA-0001 " + "Traitement " * 5, used)
    second = sheet_title("PA-0001 " + "Traitement " * 5, used)
    assert len(first) == len(second) == 31
    assert second.endswith(" (2)")
    assert sheet_title("registre", used) == "registre (2)"
    assert sheet_title("a/b:c", used) == "a-b-c"


def test_each_overview_row_links_to_its_fiche():
    ProcessingActivityFactory(reference="PA-1", name="Paie")
    overview = load(register_on(ON))[OVERVIEW_TITLE]
    link = overview.cell(row=2, column=overview.max_column)
    assert link.value == "PA-1 Paie"
    assert link.hyperlink.location == "'PA-1 Paie'!A1"


def test_text_that_looks_like_a_formula_stays_text():
    ProcessingActivityFactory(reference="PA-1", purposes='=HYPERLINK("http://evil")', retention="\x07bell")
    overview = load(register_on(ON))[OVERVIEW_TITLE]
    header = [cell.value for cell in overview[1]]
    cell = overview.cell(row=2, column=header.index("Finalités") + 1)
    assert (cell.value, cell.data_type) == ('=HYPERLINK("http://evil")', "s")
    assert overview.cell(row=2, column=header.index("Durée de conservation") + 1).value == "bell"


def test_an_empty_register_still_gives_a_workbook_with_its_header():
    workbook = load([])
    assert workbook.sheetnames == [OVERVIEW_TITLE]
    assert workbook[OVERVIEW_TITLE]["A1"].value == "Référence"


def test_the_workbook_properties_name_the_register_and_its_date():
    workbook = build_register_workbook([], on=ON)
    assert workbook.properties.title == "Registre des activités de traitement (art. 30 RGPD) au 31/12/2023"


def test_the_register_of_313_activities_is_built_in_one_query(django_assert_num_queries):
    ProcessingActivityFactory.create_batch(313)
    with django_assert_num_queries(1):
        activities = register_on(ON)
    assert len(load(activities).sheetnames) == 314


def full_processor(**fields):
    fields.setdefault("security_measures", "Chiffrement, habilitations")
    return ProcessingActivityFactory(
        role=ProcessingRole.PROCESSOR,
        purposes="Verser les salaires des collaborateurs des filiales, déclarer les cotisations sociales. " * 3,
        data_subject_categories="Salariés",
        data_categories="Identité, coordonnées bancaires",
        sensitive_data=True,
        sensitive_data_details="Arrêts maladie (art. 9.2.b)",
        recipients="Organismes sociaux",
        transfers_outside_eu=True,
        transfer_safeguards="USA – clauses contractuelles types",
        retention="5 ans",
        controllers_served="Filiale A",
        dpia_required=True,
        dpia_done_on=dt.date(2021, 3, 4),
        last_reviewed_on=dt.date(2023, 6, 1),
        **fields,
    )


def test_the_overview_prints_as_the_register_s_index_readable_and_every_fiche_on_its_own_pages():
    for number in range(30):
        full_processor(reference=f"PA-{number:02d}", name=f"Paie des filiales, lot {number}")
    content = register_xlsx(register_on(ON), on=ON)
    overview = assert_prints(content, OVERVIEW_TITLE, orientation="landscape", title_rows="$1:$1", freeze="C2")
    # 21 columns one page wide printed at 2 pt: the index prints the five that say which activity and why,
    # every row of the table kept (filters, import) and every column printed in the fiches (22 with the
    # entity's code).
    assert overview.print_area == f"'{OVERVIEW_TITLE}'!$A$1:$E$31"
    assert overview.max_column == 22
    assert overview.oddHeader.center.text.startswith("Registre des activités de traitement (art. 30 RGPD)")
    fiche = assert_prints(
        content, load(register_on(ON)).sheetnames[1], orientation="portrait", title_rows="$1:$1", freeze="A2"
    )
    dates = [cell for row in fiche.iter_rows() for cell in row if isinstance(cell.value, dt.datetime)]
    assert len(dates) == 3 and {cell.number_format for cell in dates} == {"DD/MM/YYYY"}


def test_what_the_overview_holds_prints_in_the_fiche():
    activity = full_processor(
        reference="PA-1", name="Paie", retired_on=dt.date(2024, 6, 30), entity=LegalEntityFactory(code="AL")
    )
    workbook = load(register_on(ON))
    overview, fiche = workbook[OVERVIEW_TITLE], workbook.worksheets[1]
    printed = {value for row in fiche.iter_rows(min_row=5, values_only=True) for value in row if value is not None}
    row = [cell.value for cell in overview[2]][: len(OVERVIEW_COLUMNS)]
    assert row[0] == activity.reference and None not in row
    assert [value for value in row if value not in printed] == []


def test_a_long_text_prints_whole_in_the_fiche_across_rows_never_cut():
    """Security measures of several pages: the fiche writes them in rows of at most a row's height, the
    next ones labelled "(suite)", every word kept; the overview's row (an index) stays one line tall."""
    measures = " ".join(f"mesure{n:04d}" for n in range(900))
    full_processor(reference="PA-1", name="Paie", security_measures=measures)
    content = register_xlsx(register_on(ON), on=ON)
    fiche = assert_prints(
        content, load(register_on(ON)).sheetnames[1], orientation="portrait", title_rows="$1:$1", freeze="A2"
    )
    rows = list(fiche.iter_rows(min_row=5, values_only=True))
    start = next(
        i for i, row in enumerate(rows) if row[1] == measures.split()[0] or str(row[1]).startswith("mesure0000")
    )
    pieces = [rows[start][1]] + [value for label, value in rows[start + 1 :] if label == "(suite)"]
    assert len(pieces) > 1 and " ".join(pieces).split() == measures.split()
    overview = load(register_on(ON))[OVERVIEW_TITLE]
    assert (overview.row_dimensions[2].height or 15) < 409
