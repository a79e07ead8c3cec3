"""The pack's texts: methods.md (each indicator's definition, method, value and records) and README.txt
(readme.txt, the layout, filled with translated texts).
"""

from __future__ import annotations

from importlib import resources
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from core.spreadsheets import FRENCH, MACHINE, CsvDialect

from .. import catalogue, visibility
from .cells import cell

if TYPE_CHECKING:
    from ..models import ReportingYear
    from .pack import IndicatorFiles

_README = resources.files(__package__).joinpath("readme.txt").read_text(encoding="utf-8")


def _number(value: Any) -> str:
    return "—" if value is None else str(value)


def methods(data: dict[str, Any], files: dict[str, IndicatorFiles], withheld: list[str]) -> str:
    year = data["year"]
    lines = [_("Indicators of %(year)d: definitions, methods and values") % {"year": year}, "=" * 72, ""]
    lines.append(
        _("Generated at %(when)s. Year frozen: %(frozen)s.")
        % {"when": data["generated_at"], "frozen": _("yes") if data["frozen"] else _("no")}
    )
    lines.append("")
    statuses = {
        "computed": _("computed"),
        "entered": _("entered by its owner"),
        "no_data": _("no data"),
        "error": _("error"),
        "missing": _("missing (not entered)"),
        visibility.WITHHELD: _("not published yet"),
    }
    for item in data["indicators"] + data["esrs"]:
        code = item["code"]
        definition = catalogue.BY_CODE.get(code)
        unit = str(catalogue.UNITS.get(item["unit"], item["unit"]))
        lines.append(f"## {code} — {item['label']}")
        if definition is not None and definition.enjeu_label:
            lines.append(
                _("Issue: %(number)d. %(label)s") % {"number": definition.enjeu, "label": definition.enjeu_label}
            )
        lines.append(
            _("Framework: %(framework)s")
            % {"framework": "ESRS G1" if definition and definition.framework == catalogue.ESRS else "DPEF"}
        )
        lines.append(_("Unit: %(unit)s") % {"unit": unit})
        lines.append(_("Value %(year)d: %(value)s") % {"year": year, "value": _number(item["value"])})
        lines.append(_("Value %(year)d: %(value)s") % {"year": year - 1, "value": _number(item["previous_value"])})
        lines.append(
            _("Numerator: %(numerator)s; denominator: %(denominator)s")
            % {"numerator": _number(item["numerator"]), "denominator": _number(item["denominator"])}
        )
        lines.append(
            _("Source: %(source)s; status: %(status)s")
            % {
                "source": _("computed from the records") if item["source"] == "computed" else _("manual entry"),
                "status": statuses.get(item["status"], item["status"]),
            }
        )
        if item["note"]:
            lines.append(_("Note: %(note)s") % {"note": item["note"]})
        lines.append(_("Method: %(method)s") % {"method": item["method"]})
        indicator = files.get(code)
        if code in withheld:
            lines.append(
                _(
                    "Records behind the value: not in this pack (the role it was made for may not view "
                    "the records they come from)."
                )
            )
        if indicator is not None:
            origin = (
                _("the snapshot stored on %(when)s") % {"when": cell(indicator.computed_at, MACHINE)}
                if indicator.origin == "snapshot"
                else _("a computation at the pack's generation")
            )
            lines.append(
                _(
                    "Records behind the value: %(count)d (records/%(code)s.csv), from %(origin)s; sample "
                    "for tests of detail: %(sample)d (sample/%(code)s.csv)."
                )
                % {"count": indicator.records_count, "code": code, "origin": origin, "sample": indicator.sample_count}
            )
            lines.append(
                _("SHA-256 of the list of records (model and ids): %(digest)s") % {"digest": indicator.records_sha256}
            )
            if indicator.missing:
                shown = ", ".join(f"{model} {pk}" for model, pk in indicator.missing[:50])
                if len(indicator.missing) > 50:
                    shown += " …"
                lines.append(
                    _("Records deleted since the snapshot (rows with only their model and id): %(count)d: %(list)s")
                    % {"count": len(indicator.missing), "list": shown}
                )
        lines.append("")
    return "\n".join(lines)


def readme(
    year: int,
    data: dict[str, Any],
    rate: float,
    seed: int | str,
    reporting_year: ReportingYear | None,
    files: dict[str, IndicatorFiles],
    withheld: list[str],
    dialect: CsvDialect = FRENCH,
) -> str:
    """README.txt: readme.txt's layout filled with its texts (translated here, where makemessages finds
    them); `withheld` is a whole section or nothing."""
    origins = {f.origin for f in files.values()}
    if reporting_year is not None and reporting_year.frozen:
        state = _("The year was frozen (verified) on %(when)s: its values no longer change.") % {
            "when": cell(reporting_year.frozen_at, MACHINE)
        }
    else:
        state = _("The year is not frozen: its values may still change.")
    if origins == {"snapshot"}:
        origin = _("The records behind each value are those of the year's frozen snapshot.")
    elif "snapshot" in origins:
        origin = _(
            "The records behind each value are those of the year's frozen snapshot; the indicators "
            "missing from it were computed at the pack's generation."
        )
    else:
        origin = _(
            "The year is not frozen: the values and their records were computed from the records at the pack's "
            "generation."
        )
    return _README.format(
        year=year,
        title=_("Vigie auditor pack — fiscal year %(year)d") % {"year": year},
        generated=_("Generated at %(when)s.") % {"when": data["generated_at"]},
        state=state,
        origin=origin,
        contents=_("Contents"),
        xlsx=_("the DPEF table and the ESRS G1 disclosures, with N-1 (as published)."),
        json=_("the same export as JSON."),
        methods=_(
            "for each indicator: label, unit, value, N-1, numerator and denominator, method, "
            "and the number of records behind it."
        ),
        records=_("for each computed indicator, one row per record behind its value."),
        sample=_("for each computed indicator, the records drawn for tests of detail."),
        manifests=_("the SHA-256 checksum of every file."),
        csv_title=_("CSV files"),
        csv_format=(
            _(
                "UTF-8 without byte order mark, fields separated by commas (,), numbers with a decimal point. "
                "Dates are ISO 8601 (YYYY-MM-DD); date-times are ISO 8601 in Paris time with their UTC offset "
                "(YYYY-MM-DDTHH:MM:SS+01:00, +02:00 in summer)."
            )
            if dialect.iso_dates
            else _(
                "UTF-8 with a byte order mark, fields separated by semicolons (;), numbers with a decimal "
                "comma: a spreadsheet in French reads the numbers and dates as such. Dates are DD/MM/YYYY; "
                "date-times are DD/MM/YYYY HH:MM:SS in Paris time."
            )
        )
        + " "
        + _(
            "Yes/no values are 1/0; several values in one field are separated by |. Coded values (right, "
            "outcome, kind...) are Vigie's codes, as in its imports and its API. A text that a spreadsheet "
            "would read as a formula starts with an apostrophe."
        ),
        csv_columns=_(
            "The first two columns are the model of the record and its id in Vigie (the admin and the "
            "API find it by that id). A row with only these two columns is a record deleted after the "
            "snapshot."
        ),
        csv_personal=_(
            "Personal data is kept to what tracing needs: no names, emails or postal addresses of "
            "requesters or employees; an employee is traced by their employee ID (employee_id, the HR "
            "roster's)."
        ),
        csv_training=_(
            "For the training rates, the records are the employees of the denominator; the columns "
            "after the employee's say whether they count in the numerator (trained on 31/12 of the "
            "year) and by which completion or attendance."
        ),
        sample_title=_("Sample"),
        sample_rate=_("Rate: %(rate)s (%(percent)s%% of the records of each indicator); seed: %(seed)s.")
        % {"rate": rate, "percent": f"{rate * 100:g}", "seed": seed},
        sample_recipe=_(
            "For each indicator, size = ceil(rate × number of records), at least 1 when there is a "
            "record. The records are sorted by model then id, and drawn with Python's random.Random "
            '(Mersenne Twister) seeded with the text "<seed>:<CODE>": random.Random("%(seed)s:'
            '<CODE>").sample(records, size). The same seed and the same records always give the '
            "same sample."
        )
        % {"seed": seed},
        withheld=_withheld_section(withheld),
        checking_title=_("Checking the files"),
        checking=_(
            "Unzip the pack, then in its folder run: sha256sum -c manifest.sha256 (macOS: shasum -a 256 "
            "-c manifest.sha256). Every line must say OK. manifest.json gives the same checksums with the "
            "size of each file, the year, the generation time, the rate and the seed."
        ),
    )


def _withheld_section(withheld: list[str]) -> str:
    if not withheld:
        return ""
    return "\n".join(
        [
            _("Records left out"),
            "-" * 8,
            _(
                "This pack was made for a role that may not view every kind of record: the records behind these "
                "indicators are not in it (their values, in the export and in methods.md, are): %(codes)s. An auditor "
                "or a compliance officer gets the whole pack."
            )
            % {"codes": ", ".join(withheld)},
            "",
            "",
        ]
    )
