"""XLSX export of one risk map version: the risks ranked by net score, the heat maps, the interviews.

Headers are written in French whatever the user's language, as fixed text rather than translations: the
workbook is the company's document for the AFA, the auditors and the board, and its layout must not
depend on the state of a catalogue.
"""

from __future__ import annotations

from django.utils import translation

from core.spreadsheets import new_workbook, print_layout, workbook_bytes

from .models import RiskMap
from .scoring import AMBER, GREEN, RED, Grid, Scales, band, grid, ranked, scales_from_settings

FILLS = {GREEN: "C6EFCE", AMBER: "FFEB9C", RED: "FFC7CE"}


def export_filename(risk_map: RiskMap) -> str:
    return f"risk-map-{risk_map.kind}-v{risk_map.version}.xlsx"


def risk_map_xlsx(risk_map: RiskMap, *, scales: Scales | None = None) -> bytes:
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.worksheet import Worksheet

    scales = scales or scales_from_settings()
    risks = ranked(risk_map.risks.select_related("macro_process"))
    interviews = risk_map.interviews.select_related("macro_process").order_by("held_on", "pk")
    bold = Font(name="Calibri", bold=True)

    with translation.override("fr"):  # the labels of choices (effectiveness, function type) in French too
        workbook = new_workbook()  # titles, scenarios, notes: written as data, never run as formulas
        sheet = workbook.active
        assert isinstance(sheet, Worksheet)  # a new workbook's one sheet, active (openpyxl types it loosely)
        sheet.title = "Risques"
        headers = [
            "Rang",
            "Code",
            "Intitulé",
            "Macro-processus",
            "Scénario",
            "Probabilité brute",
            "Impact brut",
            "Score brut",
            "Dispositifs de maîtrise existants",
            "Efficacité des contrôles",
            "Probabilité nette",
            "Impact net",
            "Score net",
            "Responsable",
        ]
        sheet.append(headers)
        for rank, risk in enumerate(risks, start=1):
            sheet.append(
                [
                    rank,
                    risk.code,
                    risk.title,
                    str(risk.macro_process),
                    risk.scenario,
                    risk.gross_likelihood,
                    risk.gross_impact,
                    risk.gross_score,
                    risk.existing_controls,
                    risk.get_control_effectiveness_display(),
                    risk.net_likelihood,
                    risk.net_impact,
                    risk.net_score,
                    risk.owner,
                ]
            )
        for row, risk in enumerate(risks, start=2):
            for column, value in ((8, risk.gross_score), (13, risk.net_score)):
                sheet.cell(row=row, column=column).fill = PatternFill(
                    "solid", fgColor=FILLS[band(value, scales=scales)]
                )
        heading = f"Cartographie des risques : {risk_map}"
        # The title, the scenario and the controls wrap; the scores are narrow: landscape A4 at about 70 %.
        print_layout(sheet, heading, header_rows=1, frozen_columns=3, widths={3: 24, 5: 30, 9: 26}, max_width=16)

        heat = workbook.create_sheet("Cartographie")
        # A date cell when approved (the workbook shows it JJ/MM/AAAA), else says so.
        heat.append([str(risk_map), "Approuvée le", risk_map.approved_on or "non approuvée"])
        row = 3
        for title, pairs in (
            ("Risque brut", [(r.gross_likelihood, r.gross_impact) for r in risks]),
            ("Risque net", [(r.net_likelihood, r.net_impact) for r in risks]),
        ):
            row = _write_grid(heat, row, title, grid(pairs, scales=scales), PatternFill, bold, Alignment) + 2
        print_layout(heat, heading, header_rows=1, widths={1: 24})

        sheet_interviews = workbook.create_sheet("Entretiens")
        sheet_interviews.append(["Date", "Fonction interrogée", "Type de fonction", "Macro-processus", "Notes"])
        for interview in interviews:
            sheet_interviews.append(
                [
                    interview.held_on,
                    interview.function,
                    interview.get_function_type_display(),
                    str(interview.macro_process) if interview.macro_process else "",
                    interview.notes,
                ]
            )
        print_layout(sheet_interviews, heading, header_rows=1, widths={5: 60}, max_width=30)

    return workbook_bytes(workbook)


def _write_grid(sheet, row: int, title: str, heat: Grid, fill_class, bold, alignment_class) -> int:
    """One grid: likelihood down the side (highest first), impact along the bottom; returns the last row."""
    sheet.cell(row=row, column=1, value=f"{title} ({'total'} : {heat.total})").font = bold
    row += 1
    for cells in heat.rows:
        sheet.cell(row=row, column=1, value=f"{'Probabilité'} {cells[0].likelihood}").font = bold
        for offset, cell in enumerate(cells, start=2):
            target = sheet.cell(row=row, column=offset, value=cell.count)
            target.fill = fill_class("solid", fgColor=FILLS[cell.band])
            target.alignment = alignment_class(horizontal="center")
        row += 1
    for offset, impact in enumerate(heat.impacts, start=2):
        sheet.cell(row=row, column=offset, value=f"{'Impact'} {impact}").font = bold
    return row
