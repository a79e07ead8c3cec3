"""Vigilance alerts: the only writers of their status, analyst, decision and files.

An alert is raised by an operational system (import, API) or by a confirmed screening hit, assigned to an
analyst of the AML/CFT function, and decided: closed with reasons, enhanced examination (a written report,
kept 5 years, CMF L.561-10-2) whose outcome is a second decision (closed, or reported), or a suspicious
transaction report to TRACFIN (its date, reference and file). Every write locks the row, checks
`ALERT_TRANSITIONS` / `DECISION_FOLLOWS`, validates its dates and writes a history row naming who and why.
Errors are `ValidationError`s keyed by the argument at fault (the API answers 400 with them, the admin
shows them); `alert_problems` holds the rules of the data itself, shared with the importer.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from simple_history.utils import bulk_update_with_history

from core.bounds import MIN_YEAR
from core.dates import format_date
from core.roles import sealed_out
from core.services import insert_with_reference, save_with_history

from ..choices import ALERT_TRANSITIONS, DECISION_FOLLOWS, OPEN_ALERT_STATUSES, AlertSource, AlertStatus, Decision
from ..models import Alert

__all__ = [
    "ACTIONS",
    "alert_allowed_actions",
    "alert_analysis_due_on",
    "alert_assign",
    "alert_decide",
    "alert_problems",
    "alert_raise",
    "alert_records_kept_from",
    "alert_report_tracfin",
    "alert_write_enhanced_report",
    "may_analyse",
]

#: The service verbs, for the admin's buttons and the API's documentation.
ACTIONS = ("assign", "decide", "enhanced_report", "tracfin_report")
REFERENCE_WIDTH = 4


def _prefix(year: int) -> str:
    return f"LCB-{year}-"


def alert_analysis_due_on(raised_at: dt.datetime) -> dt.date:
    """The end of the analysis period: the raised day (Paris) + VIGIE_AML_ANALYSIS_DAYS calendar days."""
    return timezone.localdate(raised_at) + dt.timedelta(days=settings.VIGIE_AML_ANALYSIS_DAYS)


def alert_records_kept_from(
    decided_on: dt.date, relationship_ended_on: dt.date | None, *, has_counterparty: bool = False
) -> dt.date | None:
    """The 5-year retention (CMF L.561-12) starts at the later of the decision and the end of the relationship:
    None (not started) while the relationship of the alert's counterparty lasts; `alerts_follow_relationships`
    sets it when the relationship ends."""
    if relationship_ended_on is None:
        return None if has_counterparty else decided_on
    return max(decided_on, relationship_ended_on)


def alerts_follow_relationships(counterparty_ids: list[int], *, actor: Any, reason: str) -> int:
    """Recompute the retention start of the decided alerts of these counterparties, whose relationship's end was
    recorded or moved (an alert decided years before the customer leaves is kept 5 years after that)."""
    changed = []
    for alert in Alert.objects.filter(counterparty_id__in=counterparty_ids, decided_on__isnull=False).select_related(
        "counterparty"
    ):
        assert alert.decided_on is not None and alert.counterparty is not None
        start = alert_records_kept_from(
            alert.decided_on, alert.counterparty.relationship_ended_on, has_counterparty=True
        )
        if start != alert.records_kept_from:
            alert.records_kept_from = start
            changed.append(alert)
    if changed:
        bulk_update_with_history(
            changed, Alert, ["records_kept_from"], default_user=actor, default_change_reason=reason[:100]
        )
    return len(changed)


def _not_one_of(value: str, choices: Any) -> str:
    return gettext("'%(value)s' is not one of %(choices)s.") % {"value": value, "choices": ", ".join(choices.values)}


def alert_problems(
    *,
    raised_at: dt.datetime | None,
    source: str | None = AlertSource.OTHER,
    reason: str | None = "-",
    amount_eur: Decimal | None = None,
    decision: str = "",
    decided_on: dt.date | None = None,
    tracfin_reported_on: dt.date | None = None,
    tracfin_reference: str = "",
    today: dt.date | None = None,
) -> dict[str, str]:
    """The contradictions of an alert's data, one message per field (empty when it holds together).

    Shared by the services, the importer, the admin and the API, so all say the same thing.
    """
    today = today or timezone.localdate()
    problems: dict[str, str] = {}
    raised_day = None
    if raised_at is None:
        problems["raised_at"] = gettext("The date the alert was raised is required.")
    else:
        raised_day = timezone.localdate(raised_at)
        if raised_day.year < MIN_YEAR:
            problems["raised_at"] = gettext("This date (%(day)s) is not plausible.") % {"day": format_date(raised_day)}
        elif raised_day > today:
            problems["raised_at"] = gettext("The alert cannot be raised in the future (%(day)s).") % {
                "day": format_date(raised_day)
            }
    if not source:
        problems["source"] = gettext("The source of the alert is required.")
    elif source not in AlertSource.values:
        problems["source"] = _not_one_of(source, AlertSource)
    if not (reason or "").strip():
        problems["reason"] = gettext("The reason of the alert is required.")
    if amount_eur is not None and amount_eur < 0:
        problems["amount_eur"] = gettext("The amount cannot be negative.")
    if decision and decision not in Decision.values:
        problems["decision"] = _not_one_of(decision, Decision)
    elif decision and decided_on is None:
        problems["decided_on"] = gettext("A decision needs its date.")
    elif decided_on is not None and not decision:
        problems["decision"] = gettext("A decision date was given without a decision.")
    for name, day in (("decided_on", decided_on), ("tracfin_reported_on", tracfin_reported_on)):
        if day is None or name in problems:
            continue
        if raised_day is not None and day < raised_day:
            problems[name] = gettext("This date (%(day)s) is before the alert was raised (%(raised)s).") % {
                "day": format_date(day),
                "raised": format_date(raised_day),
            }
        elif day > today:
            problems[name] = gettext("This date (%(day)s) is in the future.") % {"day": format_date(day)}
    if decision == Decision.TRACFIN_REPORT:
        if tracfin_reported_on is None:
            problems["tracfin_reported_on"] = gettext(
                "A decision to report to TRACFIN needs the date the report was sent to TRACFIN."
            )
        elif decided_on is not None and "tracfin_reported_on" not in problems and tracfin_reported_on < decided_on:
            problems["tracfin_reported_on"] = gettext(
                "The report (%(reported)s) cannot be sent before the decision to report (%(decided)s)."
            ) % {"reported": format_date(tracfin_reported_on), "decided": format_date(decided_on)}
    elif "decision" not in problems:
        if tracfin_reported_on is not None:
            problems["tracfin_reported_on"] = gettext(
                "A TRACFIN date is only given with the decision to report to TRACFIN."
            )
        if (tracfin_reference or "").strip():
            problems["tracfin_reference"] = gettext(
                "A TRACFIN reference is only given with the decision to report to TRACFIN."
            )
    return problems


def _check(problems: dict[str, str]) -> None:
    if problems:
        raise ValidationError(problems)


def _locked(alert: Alert) -> Alert:
    return Alert.objects.select_for_update().get(pk=alert.pk)


def _refresh(alert: Alert, locked: Alert) -> Alert:
    # The caller's instance (the admin's, the API's) shows what was written.
    for field in locked._meta.concrete_fields:
        setattr(alert, field.attname, getattr(locked, field.attname))
    return locked


def may_analyse(user: Any) -> bool:
    """Whether `user` belongs to the AML/CFT function (the role LCB-FT, or a superuser when the setting lets
    superusers see AML): nobody else may be assigned an alert (no tipping off)."""
    return user is not None and not sealed_out(user, Alert)


def alert_allowed_actions(alert: Alert) -> list[str]:
    """The actions the services accept from the alert's state."""
    actions = []
    if alert.status in OPEN_ALERT_STATUSES:
        actions += ["assign", "decide", "tracfin_report"]
    elif alert.decision and DECISION_FOLLOWS.get(alert.decision):
        actions.append("decide")
        if Decision.TRACFIN_REPORT in DECISION_FOLLOWS[alert.decision]:
            actions.append("tracfin_report")
    if alert.decision == Decision.ENHANCED_EXAMINATION:
        actions.append("enhanced_report")
    return actions


# --- writes ------------------------------------------------------------------------------------------------


@transaction.atomic
def alert_raise(
    *,
    actor: Any,
    source: str,
    reason: str,
    counterparty: Any = None,
    hit: Any = None,
    raised_at: dt.datetime | None = None,
    amount_eur: Decimal | None = None,
    entity: Any = None,
    reference: str | None = None,
) -> Alert:
    """Raise a vigilance alert. `reference` is generated (`LCB-YYYY-NNNN`, year of the raised day) when not
    given; the analysis due date is the raised day plus the analysis period. A screening hit's alert is
    about the hit's counterparty; the entity defaults to the counterparty's."""
    raised_at = raised_at or timezone.now()
    _check(alert_problems(raised_at=raised_at, source=source, reason=reason, amount_eur=amount_eur))
    if hit is not None:
        if counterparty is None:
            counterparty = hit.counterparty
        elif counterparty.pk != hit.counterparty_id:
            raise ValidationError({"counterparty": gettext("The alert of a hit is about the hit's counterparty.")})
        if Alert.objects.filter(hit=hit).exists():
            raise ValidationError({"hit": gettext("This screening hit has already raised an alert.")})
    # By id: the entity FKs of AML records have no constraint (aml/models/counterparties.py entity_field), so an
    # entity deleted since is a dangling id, kept as it is rather than read.
    entity_id = entity.pk if entity is not None else (counterparty.entity_id if counterparty is not None else None)
    given = (reference or "").strip()
    alert = Alert(
        raised_at=raised_at,
        source=source,
        reason=reason.strip(),
        counterparty=counterparty,
        hit=hit,
        amount_eur=amount_eur,
        entity_id=entity_id,
        analysis_due_on=alert_analysis_due_on(raised_at),
    )
    insert_with_reference(
        alert,
        actor=actor,
        reason=gettext("raised (%(source)s)") % {"source": AlertSource(source).label},
        prefix=_prefix(timezone.localdate(raised_at).year),
        width=REFERENCE_WIDTH,
        given=given,
        taken_message=gettext("An alert with the reference %(reference)s already exists.") % {"reference": given},
        failed_message=gettext("No free reference could be generated; try again."),
    )
    return alert


@transaction.atomic
def alert_assign(*, actor: Any, alert: Alert, analyst: Any) -> Alert:
    """Give the analysis to `analyst` (a member of the AML/CFT function); an open alert goes under analysis."""
    locked = _locked(alert)
    if locked.status not in OPEN_ALERT_STATUSES:
        raise ValidationError({"analyst": gettext("A decided alert is no longer assigned.")})
    if not may_analyse(analyst):
        raise ValidationError({"analyst": gettext("Only a member of the AML/CFT function can analyse an alert.")})
    if AlertStatus.ANALYSING in ALERT_TRANSITIONS[locked.status]:
        locked.status = AlertStatus.ANALYSING
    locked.analyst = analyst
    save_with_history(
        locked,
        actor=actor,
        reason=gettext("assigned to %(user)s") % {"user": analyst.get_username()},
        update_fields=["status", "analyst"],
    )
    return _refresh(alert, locked)


def _store_file(alert: Alert, field: str, upload: Any) -> None:
    if upload:
        getattr(alert, field).save(getattr(upload, "name", None) or "report", upload, save=False)


@transaction.atomic
def alert_decide(
    *,
    actor: Any,
    alert: Alert,
    decision: str,
    decided_on: dt.date,
    reason: str,
    tracfin_reported_on: dt.date | None = None,
    tracfin_reference: str = "",
    tracfin_file: Any = None,
) -> Alert:
    """Decide the alert: closed with reasons, enhanced examination, or report to TRACFIN (with the date the
    report was sent, its reference and file). An enhanced examination is followed by its outcome (closed
    or reported), once its written report is kept; closed and reported are final."""
    locked = _locked(alert)
    if decision not in Decision.values:
        raise ValidationError({"decision": _not_one_of(decision, Decision)})
    previous = locked.decision
    if locked.status == AlertStatus.DECIDED:
        if decision not in DECISION_FOLLOWS.get(previous, ()):
            raise ValidationError(
                {
                    "decision": gettext("This alert was decided “%(previous)s”: it cannot become “%(decision)s”.")
                    % {"previous": Decision(previous).label, "decision": Decision(decision).label}
                }
            )
        if previous == Decision.ENHANCED_EXAMINATION and not (locked.enhanced_report or locked.enhanced_report_file):
            raise ValidationError(
                {"decision": gettext("The enhanced examination's written report is kept before its outcome.")}
            )
    elif AlertStatus.DECIDED not in ALERT_TRANSITIONS[locked.status]:  # pragma: no cover - every open status may
        raise ValidationError({"decision": gettext("This alert cannot be decided.")})
    if not (reason or "").strip():
        raise ValidationError({"reason": gettext("The reasons for the decision are required.")})
    if not isinstance(decided_on, dt.date):
        raise ValidationError({"decided_on": gettext("A date is required.")})
    problems = alert_problems(
        raised_at=locked.raised_at,
        source=locked.source,
        reason=locked.reason,
        decision=decision,
        decided_on=decided_on,
        tracfin_reported_on=tracfin_reported_on,
        tracfin_reference=tracfin_reference,
    )
    if previous and locked.decided_on and "decided_on" not in problems and decided_on < locked.decided_on:
        problems["decided_on"] = gettext(
            "The outcome (%(day)s) cannot be before the decision it follows (%(previous)s)."
        ) % {"day": format_date(decided_on), "previous": format_date(locked.decided_on)}
    if tracfin_file and decision != Decision.TRACFIN_REPORT:
        problems["tracfin_file"] = gettext("A TRACFIN file is only kept with the decision to report to TRACFIN.")
    _check(problems)
    locked.status = AlertStatus.DECIDED
    locked.decision, locked.decided_on, locked.decided_by = decision, decided_on, actor
    locked.decision_reason = reason.strip()
    locked.tracfin_reported_on = tracfin_reported_on
    locked.tracfin_reference = (tracfin_reference or "").strip()
    _store_file(locked, "tracfin_file", tracfin_file)
    ended = locked.counterparty.relationship_ended_on if locked.counterparty is not None else None
    locked.records_kept_from = alert_records_kept_from(
        decided_on, ended, has_counterparty=locked.counterparty_id is not None
    )
    why = gettext("decided: %(decision)s on %(day)s") % {
        "decision": Decision(decision).label,
        "day": format_date(decided_on),
    }
    if previous:
        why = gettext("outcome of the enhanced examination: %(decision)s on %(day)s") % {
            "decision": Decision(decision).label,
            "day": format_date(decided_on),
        }
    save_with_history(locked, actor=actor, reason=why)
    return _refresh(alert, locked)


def alert_report_tracfin(
    *,
    actor: Any,
    alert: Alert,
    decided_on: dt.date,
    reason: str,
    tracfin_reported_on: dt.date | None,
    tracfin_reference: str = "",
    tracfin_file: Any = None,
) -> Alert:
    """The decision to report to TRACFIN (`alert_decide` with that decision)."""
    return alert_decide(
        actor=actor,
        alert=alert,
        decision=Decision.TRACFIN_REPORT,
        decided_on=decided_on,
        reason=reason,
        tracfin_reported_on=tracfin_reported_on,
        tracfin_reference=tracfin_reference,
        tracfin_file=tracfin_file,
    )


@transaction.atomic
def alert_write_enhanced_report(
    *, actor: Any, alert: Alert, report: str, written_on: dt.date, file: Any = None
) -> Alert:
    """Keep the written report of an enhanced examination (CMF L.561-10-2), with its file; it may be
    rewritten until the examination's outcome is decided."""
    locked = _locked(alert)
    if locked.decision != Decision.ENHANCED_EXAMINATION:
        raise ValidationError(
            {"report": gettext("A report is written for an alert under enhanced examination, before its outcome.")}
        )
    if not (report or "").strip():
        raise ValidationError({"report": gettext("The report is required.")})
    if not isinstance(written_on, dt.date):
        raise ValidationError({"written_on": gettext("A date is required.")})
    assert locked.decided_on is not None  # a decision is dated (constraint aml_alert_decision_dated)
    if written_on < locked.decided_on:
        raise ValidationError(
            {
                "written_on": gettext("The report (%(day)s) cannot be before the enhanced examination (%(decided)s).")
                % {"day": format_date(written_on), "decided": format_date(locked.decided_on)}
            }
        )
    if written_on > timezone.localdate():
        raise ValidationError(
            {"written_on": gettext("This date (%(day)s) is in the future.") % {"day": format_date(written_on)}}
        )
    locked.enhanced_report = report.strip()
    locked.enhanced_report_on = written_on
    _store_file(locked, "enhanced_report_file", file)
    save_with_history(
        locked,
        actor=actor,
        reason=gettext("enhanced examination report of %(day)s") % {"day": format_date(written_on)},
    )
    return _refresh(alert, locked)
