"""Services of the risk maps (Sapin II art. 17, AFA method): the only writers of maps, risks, interviews
and macro-processes.

A map version is a dated record: once approved it is frozen (its risks cannot change) and the next
change is a new version, which starts as a copy of the previous one. Scores are computed here from the
configured scales (compliance.scoring), never typed in. Errors are ValidationErrors keyed by the
argument at fault.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.dates import format_date
from core.services import save_with_history

from ..choices import ControlEffectiveness, FunctionType, RiskMapKind
from ..models import MacroProcess, Risk, RiskInterview, RiskMap
from ..scoring import OutOfScale, Scales, scales_from_settings, score

__all__ = [
    "RISK_FIELDS",
    "macro_process_create",
    "risk_problems",
    "macro_process_update",
    "risk_add",
    "risk_interview_record",
    "risk_map_approve",
    "risk_map_create",
    "risk_map_update",
    "risk_update",
]

#: What describes a risk; the scores are computed from the four levels.
RISK_FIELDS = (
    "code",
    "title",
    "macro_process",
    "scenario",
    "gross_likelihood",
    "gross_impact",
    "existing_controls",
    "control_effectiveness",
    "net_likelihood",
    "net_impact",
    "owner",
)
_LEVELS = {
    "gross_likelihood": "likelihood",
    "gross_impact": "impact",
    "net_likelihood": "likelihood",
    "net_impact": "impact",
}


# --- macro-processes ---------------------------------------------------------------------------------------


def _check_kind(kind: str) -> None:
    if kind not in RiskMapKind.values:
        raise ValidationError({"kind": _("Unknown map kind “%(kind)s”.") % {"kind": kind}})


@transaction.atomic
def macro_process_create(*, actor: Any, kind: str, code: str, name: str, description: str = "") -> MacroProcess:
    _check_kind(kind)
    code = (code or "").strip()
    if not code or not (name or "").strip():
        raise ValidationError(
            {
                key: _("This field is required.")
                for key, value in (("code", code), ("name", name))
                if not (value or "").strip()
            }
        )
    if MacroProcess.objects.filter(kind=kind, code=code).exists():
        raise ValidationError(
            {"code": _("A macro-process with code “%(code)s” already exists for this kind of map.") % {"code": code}}
        )
    process = MacroProcess(kind=kind, code=code, name=name.strip(), description=description)
    save_with_history(process, actor=actor, reason=_("Macro-process created"))
    return process


@transaction.atomic
def macro_process_update(*, actor: Any, macro_process: MacroProcess, **changes: Any) -> MacroProcess:
    unknown = set(changes) - {"kind", "code", "name", "description"}
    if unknown:
        raise ValidationError({name: _("This field cannot be changed here.") for name in sorted(unknown)})
    process = MacroProcess.objects.select_for_update().get(pk=macro_process.pk)
    if "kind" in changes and changes["kind"] != process.kind:
        _check_kind(changes["kind"])
        if process.risks.exists() or process.interviews.exists():
            raise ValidationError(
                {
                    "kind": _(
                        "This macro-process is used by risks or interviews of a %(kind)s map: its kind cannot change."
                    )
                    % {"kind": process.get_kind_display()}
                }
            )
    for name, value in changes.items():
        setattr(process, name, value.strip() if name in ("code", "name") else value)
    if MacroProcess.objects.filter(kind=process.kind, code=process.code).exclude(pk=process.pk).exists():
        raise ValidationError(
            {
                "code": _("A macro-process with code “%(code)s” already exists for this kind of map.")
                % {"code": process.code}
            }
        )
    save_with_history(process, actor=actor, reason=_("Macro-process updated"))
    return process


# --- map versions ------------------------------------------------------------------------------------------


@transaction.atomic
def risk_map_create(
    *, actor: Any, kind: str, title: str = "", notes: str = "", based_on: RiskMap | None = None
) -> RiskMap:
    """Version = last version of that kind + 1, a copy of `based_on` (default: the last version) with
    its risks; interviews are not copied (they belong to the version they were held for)."""
    _check_kind(kind)
    # Serialize the versions of one kind: the lock on the existing maps of that kind makes two
    # concurrent creations wait for each other (the unique constraint is the last guard).
    last = RiskMap.objects.select_for_update().filter(kind=kind).order_by("-version").first()
    if based_on is not None and based_on.kind != kind:
        raise ValidationError(
            {
                "based_on": _("A %(kind)s map cannot be copied into a map of another kind.")
                % {"kind": based_on.get_kind_display()}
            }
        )
    source = based_on if based_on is not None else last
    version = (last.version if last else 0) + 1
    risk_map = RiskMap(
        kind=kind, version=version, title=title or (source.title if source else ""), notes=notes, based_on=source
    )
    save_with_history(
        risk_map,
        actor=actor,
        reason=_("Version %(version)d created") % {"version": version}
        if source is None
        else _("Version %(version)d copied from version %(source)d") % {"version": version, "source": source.version},
    )
    if source is not None:
        for risk in source.risks.order_by("pk"):
            copy = Risk(
                map=risk_map,
                **{name: getattr(risk, name) for name in RISK_FIELDS},
                gross_score=risk.gross_score,
                net_score=risk.net_score,
            )
            save_with_history(
                copy, actor=actor, reason=_("Copied from version %(source)d") % {"source": source.version}
            )
    return risk_map


def _frozen_message(risk_map: RiskMap) -> str:
    return _("%(map)s was approved on %(date)s: it is frozen. Create a new version to change it.") % {
        "map": risk_map,
        "date": format_date(risk_map.approved_on),
    }


def _ensure_not_approved(risk_map: RiskMap) -> None:
    if risk_map.approved_on is not None:
        raise ValidationError(_frozen_message(risk_map))


@transaction.atomic
def risk_map_update(*, actor: Any, risk_map: RiskMap, **changes: Any) -> RiskMap:
    unknown = set(changes) - {"title", "notes"}
    if unknown:
        raise ValidationError({name: _("This field cannot be changed here.") for name in sorted(unknown)})
    locked = RiskMap.objects.select_for_update().get(pk=risk_map.pk)
    _ensure_not_approved(locked)
    for name, value in changes.items():
        setattr(locked, name, value)
    save_with_history(locked, actor=actor, reason=_("Map updated"))
    return locked


@transaction.atomic
def risk_map_approve(*, actor: Any, risk_map: RiskMap, approved_on: dt.date) -> RiskMap:
    """Approved by `actor` on `approved_on`; from then on the version is frozen."""
    locked = RiskMap.objects.select_for_update().get(pk=risk_map.pk)
    if locked.approved_on is not None:
        raise ValidationError(
            {
                "approved_on": _("%(map)s is already approved (on %(date)s).")
                % {"map": locked, "date": format_date(locked.approved_on)}
            }
        )
    if approved_on is None:
        raise ValidationError({"approved_on": _("This field is required.")})
    if approved_on > timezone.localdate():
        raise ValidationError({"approved_on": _("An approval date cannot be in the future.")})
    if not locked.risks.exists():
        raise ValidationError({"approved_on": _("A map without risks cannot be approved.")})
    locked.approved_on, locked.approved_by = approved_on, actor
    save_with_history(locked, actor=actor, reason=_("Approved on %(date)s") % {"date": format_date(approved_on)})
    return locked


# --- risks -------------------------------------------------------------------------------------------------


def risk_problems(risk: Risk, *, scales: Scales | None = None) -> dict[str, list[str]]:
    """Every problem of an unsaved risk at once, keyed by field (the admin form shows them on its fields)."""
    scales = scales or scales_from_settings()
    errors: dict[str, list[str]] = {}
    if risk.map.approved_on is not None:
        errors["map"] = [_frozen_message(risk.map)]
    for name in ("code", "title"):
        if not (getattr(risk, name) or "").strip():
            errors.setdefault(name, []).append(_("This field is required."))
    for name, axis in _LEVELS.items():
        value = getattr(risk, name)
        if value is None:
            errors.setdefault(name, []).append(_("This field is required."))
            continue
        try:
            score(value, 1, scales=scales) if axis == "likelihood" else score(1, value, scales=scales)
        except OutOfScale as exc:
            errors.setdefault(name, []).append(str(exc))
    if risk.control_effectiveness not in ControlEffectiveness.values:
        errors.setdefault("control_effectiveness", []).append(_("Unknown control effectiveness."))
    process = risk.macro_process if risk.macro_process_id else None
    if process is None:
        errors.setdefault("macro_process", []).append(_("This field is required."))
    elif process.kind != risk.map.kind:
        errors.setdefault("macro_process", []).append(
            _("The macro-process “%(process)s” belongs to the %(other)s maps, not to this %(kind)s map.")
            % {"process": process, "other": process.get_kind_display(), "kind": risk.map.get_kind_display()}
        )
    if risk.code and Risk.objects.filter(map=risk.map, code=risk.code.strip()).exclude(pk=risk.pk).exists():
        errors.setdefault("code", []).append(
            _("Risk code “%(code)s” is already used in %(map)s.") % {"code": risk.code, "map": risk.map}
        )
    return errors


def _validate_risk(risk: Risk, *, scales: Scales) -> None:
    """Refused with every problem keyed by field; otherwise the scores are computed from the levels."""
    errors = risk_problems(risk, scales=scales)
    if errors:
        raise ValidationError(errors)
    risk.code = risk.code.strip()
    risk.gross_score = risk.gross_likelihood * risk.gross_impact
    risk.net_score = risk.net_likelihood * risk.net_impact


@transaction.atomic
def risk_add(
    *,
    actor: Any,
    risk_map: RiskMap,
    code: str,
    title: str,
    macro_process: MacroProcess,
    gross_likelihood: int,
    gross_impact: int,
    net_likelihood: int,
    net_impact: int,
    scenario: str = "",
    existing_controls: str = "",
    control_effectiveness: str = ControlEffectiveness.NONE,
    owner: str = "",
    scales: Scales | None = None,
) -> Risk:
    locked = RiskMap.objects.select_for_update().get(pk=risk_map.pk)
    _ensure_not_approved(locked)
    risk = Risk(
        map=locked,
        code=code or "",
        title=title or "",
        macro_process=macro_process,
        scenario=scenario,
        gross_likelihood=gross_likelihood,
        gross_impact=gross_impact,
        existing_controls=existing_controls,
        control_effectiveness=control_effectiveness,
        net_likelihood=net_likelihood,
        net_impact=net_impact,
        owner=owner,
    )
    _validate_risk(risk, scales=scales or scales_from_settings())
    save_with_history(risk, actor=actor, reason=_("Risk added"))
    return risk


@transaction.atomic
def risk_update(*, actor: Any, risk: Risk, scales: Scales | None = None, **changes: Any) -> Risk:
    unknown = set(changes) - set(RISK_FIELDS)
    if unknown:
        raise ValidationError({name: _("This field cannot be changed here.") for name in sorted(unknown)})
    locked = Risk.objects.select_for_update().select_related("map", "macro_process").get(pk=risk.pk)
    _ensure_not_approved(locked.map)
    for name, value in changes.items():
        setattr(locked, name, value)
    _validate_risk(locked, scales=scales or scales_from_settings())
    save_with_history(
        locked, actor=actor, reason=_("Risk updated: %(fields)s") % {"fields": ", ".join(sorted(changes))}
    )
    return locked


# --- interviews --------------------------------------------------------------------------------------------


@transaction.atomic
def risk_interview_record(
    *,
    actor: Any,
    risk_map: RiskMap,
    held_on: dt.date,
    function: str,
    function_type: str,
    macro_process: MacroProcess | None = None,
    notes: str = "",
) -> RiskInterview:
    errors: dict[str, str] = {}
    if held_on is None:
        errors["held_on"] = _("This field is required.")
    elif held_on > timezone.localdate():
        errors["held_on"] = _("An interview cannot be recorded before it is held.")
    if not (function or "").strip():
        errors["function"] = _("This field is required.")
    if function_type not in FunctionType.values:
        errors["function_type"] = _("Choose business or support function.")
    if macro_process is not None and macro_process.kind != risk_map.kind:
        errors["macro_process"] = _(
            "The macro-process “%(process)s” belongs to the %(other)s maps, not to this %(kind)s map."
        ) % {"process": macro_process, "other": macro_process.get_kind_display(), "kind": risk_map.get_kind_display()}
    if errors:
        raise ValidationError(errors)
    interview = RiskInterview(
        map=risk_map,
        held_on=held_on,
        function=function.strip(),
        function_type=function_type,
        macro_process=macro_process,
        notes=notes,
    )
    save_with_history(interview, actor=actor, reason=_("Interview recorded"))
    return interview
