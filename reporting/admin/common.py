"""What the reporting pages share: an indicator's value written with its unit, the status badges, the
file responses of the downloads and the lists of records behind a value."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.apps import apps
from django.contrib import admin
from django.http import HttpResponse
from django.urls import NoReverseMatch, reverse
from django.utils.formats import number_format
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from core.admin_utils import badge
from core.roles import can_view

from .. import catalogue, exports, visibility
from ..models import ValueStatus
from ..records import COLUMNS

#: Up to this many ids, a model's records open as its admin list filtered to them (`?id__in=`); beyond,
#: the URL gets too long for some proxies and browsers: the ids are downloaded as CSV instead.
MAX_IDS_IN_LINK = 200


def _places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def value_text(value: Any, unit: str) -> str:
    """A figure as the page shows it: "89,3 %", "18", "12,4 jours"; "–" when there is none."""
    if value is None:
        return "–"
    value = Decimal(value)
    if unit in ("percent", "days"):
        text = number_format(value.quantize(Decimal("0.1")), 1, force_grouping=True)
    else:
        text = number_format(value, _places(value), force_grouping=True)
    if unit == "percent":
        return f"{text}\u00a0%"
    if unit == "count":
        return text
    return f"{text}\u00a0{catalogue.UNITS.get(unit, unit)}"


def change_text(change: Decimal | None, unit: str) -> str:
    """N − (N−1) with its sign; a rate's change is in percentage points."""
    if change is None:
        return "–"
    change = Decimal(change)
    places = 1 if unit in ("percent", "days") else _places(change)
    text = number_format(abs(change).quantize(Decimal(1).scaleb(-places)), places, force_grouping=True)
    sign = "+" if change > 0 else "\u2212" if change < 0 else ""
    suffix = "\u00a0" + _("pts") if unit == "percent" else ""
    return f"{sign}{text}{suffix}"


def status_badge(status: str, *, manual: bool = False) -> str:
    """The state of a figure: computed (or entered, for a manual one), no data, error, not entered, not
    published yet (withheld from its reader: reporting/visibility.py)."""
    if status == ValueStatus.OK:
        return badge(_("entered") if manual else _("computed"), "green")
    if status == ValueStatus.NO_DATA:
        return badge(_("no data"), "grey")
    if status == ValueStatus.ERROR:
        return badge(_("error"), "red")
    if status == exports.MISSING:
        return badge(_("not entered"), "amber")
    if status == visibility.WITHHELD:
        return badge(_("not published yet"), "grey")
    return badge(status, "grey")


def file_response(content: bytes | str, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{get_valid_filename(filename)}"'
    return response


def record_models() -> list[str]:
    """Every model ("app_label.model") an indicator's records can be of: those whose apps declare what the
    auditor pack shows of them (reporting/records.py)."""
    return list(COLUMNS)


def shown_records(records: list[dict], user: Any) -> list[dict]:
    """The record sets of `records` whose model `user` may view: the ids of the others are not theirs."""
    return [entry for entry in records if can_view(user, entry.get("model", ""))]


def records_table(records: list[dict], user: Any, value_url: str) -> list[dict[str, Any]]:
    """One line per model of `records` ({"model": "app.model", "ids": [...]}): its name, how many records,
    the link to its admin list filtered to them (short lists, for who may see that list) and the link to
    the CSV of its ids. A model `user` may not view gets its name only (`hidden`): no count, no ids."""
    lines = []
    shown = {id(entry) for entry in shown_records(records, user)}
    for entry in records:
        label, ids = entry.get("model", ""), entry.get("ids", [])
        try:
            model = apps.get_model(label)
        except (LookupError, ValueError):
            model = None
        name = str(model._meta.verbose_name_plural) if model else label
        if id(entry) not in shown:
            lines.append({"model": label, "name": name, "count": None, "link": "", "csv": "", "hidden": True})
            continue
        link = ""
        if model is not None and ids and len(ids) <= MAX_IDS_IN_LINK and admin.site.is_registered(model):
            opts = model._meta
            try:
                changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
            except NoReverseMatch:
                changelist = ""
            if changelist:
                link = f"{changelist}?{opts.pk.name}__in={','.join(str(i) for i in ids)}"
        lines.append(
            {
                "model": label,
                "name": name,
                "count": len(ids),
                "link": link,
                "csv": f"{value_url}records.csv?model={label}",
            }
        )
    return lines
