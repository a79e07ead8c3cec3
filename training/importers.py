"""Importers of the training app: LMS completions (`import_completions`) and workshop attendance sheets
(`import_attendances`) (docs/interfaces.md, "Imports").

Completions are matched on employee + module + `completed_at`. The headers of a French LMS export are
accepted (Matricule, Code module, Date de réalisation / Date de fin / Date d'achèvement, Durée (min),
Score / Note...). A completion gets what `training.services.completion_record` would give it: its Paris
day (`completion_day`) and its flag (`completion_anomaly`, with one "now" for the whole file): a
completion dated in the future or before the module's deployment is kept but flagged, so it is not
counted, and the summary says how many rows of the file are flagged. A re-import recomputes the flag
(a completion dated in the future at the first import is counted once that day has come).

A completion of a workshop or virtual-class module (a module with sessions) is accepted: LMSs also
record who followed a workshop, and the completion rate counts it like a qualifying attendance
(`training.kpis.trained_q` reads completions of any module).

Attendance lines are matched on session (by its reference) + employee. Minutes beyond the session's
duration are accepted (a session that overran, or a sheet typed by hand) and counted in the summary.

Both record the import run that last wrote them (`import_run`), without counting that as a change:
re-importing the same file writes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from itertools import chain
from typing import Any

from django.db import connection
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from core.dates import format_datetime
from core.imports import Column, Importer, Lookup, Row, register
from core.imports.parsers import Choice, DateTime, DecimalNumber, Integer, InvalidValue, Text
from core.imports.text import fold_code, fold_name
from organization.models import Employee

from .choices import AttendanceRole, CompletionAnomaly
from .models import Attendance, Completion, Module, Session
from .services import completion_anomaly

#: The largest value of a PositiveIntegerField on every database.
MAX_MINUTES = 2_147_483_647
_DURATION = re.compile(r"(\d{1,5})[:h](\d{2})(?::(\d{2}))?")
_PERCENT = re.compile(r"\s*%$")

EMPLOYEE_ALIASES = (
    "matricule",
    "n° matricule",
    "numéro de matricule",
    "matricule salarié",
    "matricule apprenant",
    "id salarié",
    "identifiant salarié",
    "identifiant apprenant",
    "employee number",
    "emp id",
    "learner id",
)


def _employee_ids() -> dict[int, str]:
    """pk → employee_id, to name the employee of a duplicate line (loaded on the first duplicate only)."""
    return dict(Employee.objects.values_list("pk", "employee_id"))


class Minutes(Integer):
    """Whole minutes, at least 0: a number ("45"), a duration as LMSs show it ("1:30", "1h30", "01:30:00"
    = 90; seconds are dropped), or a workbook time or duration cell."""

    def __init__(self) -> None:
        super().__init__(min_value=0, max_value=MAX_MINUTES)
        self.expected = _("a number of minutes, or a duration H:MM")

    def __call__(self, value: Any) -> int:
        if isinstance(value, dt.timedelta):
            value = int(value.total_seconds() // 60)
        elif isinstance(value, dt.time):
            value = value.hour * 60 + value.minute
        elif type(value) is str and (match := _DURATION.fullmatch(value)):
            if int(match.group(2)) > 59 or int(match.group(3) or 0) > 59:
                raise InvalidValue(_("is not a valid duration (expected minutes or H:MM)"))
            value = int(match.group(1)) * 60 + int(match.group(2))
        return super().__call__(value)


class Score(DecimalNumber):
    """A score of at least 0, with a decimal point or comma; a trailing "%" is allowed ("85 %")."""

    def __init__(self) -> None:
        super().__init__(decimal_places=2, min_value=0, max_value=Decimal("9999.99"))
        self.expected = _("a number (a score of at least 0)")

    def __call__(self, value: Any) -> Decimal:
        if type(value) is str:
            value = _PERCENT.sub("", value)
        return super().__call__(value)


@register
class CompletionImporter(Importer):
    """LMS completions by employee + module + completion time (see the module docstring)."""

    kind = "completions"
    model = Completion
    natural_key = ("employee_id", "module_id", "completed_at")
    not_compared = frozenset({"import_run_id"})
    columns = (
        Column(
            "employee_id",
            Text(Employee._meta.get_field("employee_id").max_length),
            required=True,
            aliases=EMPLOYEE_ALIASES,
        ),
        Column(
            "module_code",
            Text(Module._meta.get_field("code").max_length),
            required=True,
            aliases=(
                "code module",
                "code du module",
                "module",
                "code formation",
                "code de la formation",
                "code cours",
                "course code",
                "course id",
                "id module",
                "identifiant module",
            ),
        ),
        Column(
            "completed_at",
            DateTime(),
            required=True,
            aliases=(
                "date de réalisation",
                "date de fin",
                "date d'achèvement",
                "date de complétion",
                "date de validation",
                "date de fin de formation",
                "date de réussite",
                "terminé le",
                "achevé le",
                "completion date",
                "completed on",
                "completion time",
                "date",
            ),
        ),
        Column(
            "duration_minutes",
            Minutes(),
            aliases=(
                "durée (min)",
                "durée (minutes)",
                "durée en minutes",
                "durée",
                "temps passé",
                "temps passé (min)",
                "temps de formation",
                "duration",
                "duration (min)",
                "time spent",
                "minutes",
            ),
        ),
        Column("score", Score(), aliases=("note", "note finale", "score final", "score (%)", "résultat", "result")),
    )

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.employees = Lookup(Employee, "employee_id", normalize=fold_code, label=_("employees"))
        self.lookups = (self.employees,)
        self.employee_ids: dict[int, str] | None = None

    def prepare(self) -> None:
        super().prepare()
        # A module is named by its code, or by its title when the export has no code column.
        self.modules: dict[str, Module] = {}
        modules = list(Module.objects.all())
        for module in modules:
            self.modules[fold_code(module.code)] = module
        for module in modules:
            self.modules.setdefault(fold_name(module.title), module)
        self.codes = {module.pk: module.code for module in modules}
        self.module_of: dict[str, Module | None] = {}  # per code as written in the file
        #: One "now" for the whole file: a row is not flagged "future" depending on when it was read.
        self.now = timezone.now()
        # `completion_day(at)` is `at.astimezone(<the Paris zone>).date()`: the zone is read once here,
        # as reading it costs more than the rest of a row. Likewise `completion_anomaly` only depends on
        # the module, the day and whether the time is past, so it runs once per such triple.
        self.zone = timezone.get_default_timezone()
        self.anomalies: dict[tuple[int, dt.date, bool], str] = {}
        self.run_id = self.run.pk if self.run is not None else None
        self.flag_labels = {
            CompletionAnomaly.FUTURE: _("completions flagged, not counted (dated in the future)"),
            CompletionAnomaly.BEFORE_DEPLOYMENT: _(
                "completions flagged, not counted (dated before the module's deployment)"
            ),
        }

    def build(self, row: Row) -> dict[str, Any] | None:
        employee = row["employee_id"]
        employee_id = self.employees.get(employee) if employee else None
        if employee and employee_id is None:
            row.error("employee_id", _("unknown employee '%s'") % employee)
        code = row["module_code"]
        try:
            module = self.module_of[code]
        except KeyError:
            module = self.module_of[code] = (
                self.modules.get(fold_code(code)) or self.modules.get(fold_name(code)) if code else None
            )
        if code and module is None:
            row.error("module_code", _("unknown module '%s' (neither a code nor a title)") % code)
        if row.errors:
            return None
        assert module is not None  # module_code is a required column: without one, the row has an error
        # In UTC, as the database returns it: a Paris time in the autumn's repeated hour never equals
        # a time of another zone (PEP 495), so the stored record would not be found again.
        completed_at = row["completed_at"].astimezone(dt.UTC)
        completed_on = completed_at.astimezone(self.zone).date()
        case = (module.pk, completed_on, completed_at > self.now)
        anomaly = self.anomalies.get(case)
        if anomaly is None:
            anomaly = self.anomalies[case] = completion_anomaly(module, completed_at, now=self.now)
        values = {
            "employee_id": employee_id,
            "module_id": module.pk,
            "completed_at": completed_at,
            "completed_on": completed_on,
            "anomaly": anomaly,
            "import_run_id": self.run_id,
        }
        if "duration_minutes" in row:
            values["duration_minutes"] = row["duration_minutes"]
        if "score" in row:
            values["score"] = row["score"]
        return values

    def describe_key(self, key: tuple) -> str:
        """A duplicate line named by the file's values, not by ids."""
        if self.employee_ids is None:
            self.employee_ids = _employee_ids()
        employee_id, module_id, completed_at = key
        return (
            f"employee_id '{self.employee_ids.get(employee_id, employee_id)}', "
            f"module_code '{self.codes.get(module_id, module_id)}', "
            f"completed_at '{format_datetime(completed_at)}'"
        )

    def fetch_existing(self, keys: list[tuple]) -> dict[tuple, dict[str, Any]]:
        """The stored completions of a batch, narrowed in SQL on its employees and on its times.

        The engine narrows a composite key on its first part only, which here would load every
        completion of the batch's employees (one per module and year: tens of times the batch).
        """
        if connection.vendor not in ("postgresql", "sqlite"):
            return super().fetch_existing(keys)
        employees = list({key[0] for key in keys})
        times = list({key[2] for key in keys})
        if connection.vendor == "postgresql":
            employee_in = RawSQL("SELECT unnest(%s::integer[])", (employees,))
            time_in = RawSQL("SELECT unnest(%s::timestamptz[])", (times,))
        else:  # one JSON parameter each; times in their stored text form
            adapt = connection.ops.adapt_datetimefield_value
            employee_in = RawSQL("SELECT value FROM json_each(%s)", (json.dumps(employees),))
            time_in = RawSQL("SELECT value FROM json_each(%s)", (json.dumps([adapt(t) for t in times]),))
        attnames = [f.attname for f in Completion._meta.concrete_fields]
        queryset = Completion._base_manager.filter(employee_id__in=employee_in, completed_at__in=time_in)
        return {
            (values["employee_id"], values["module_id"], values["completed_at"]): values
            for values in queryset.order_by().values(*attnames)
        }

    def after_write(self, *, created: list, updated: list, unchanged: list[Row]) -> None:
        for row in chain((row for row, _obj in created), (row for row, _old in updated), unchanged):
            anomaly = row.built["anomaly"]
            if anomaly:
                self.note(self.flag_labels[anomaly])


ROLE = Choice(
    AttendanceRole,
    aliases={
        "participant": AttendanceRole.PARTICIPANT,
        "participante": AttendanceRole.PARTICIPANT,
        "stagiaire": AttendanceRole.PARTICIPANT,
        "apprenant": AttendanceRole.PARTICIPANT,
        "apprenante": AttendanceRole.PARTICIPANT,
        "organisateur": AttendanceRole.ORGANISER,
        "organisatrice": AttendanceRole.ORGANISER,
        "organizer": AttendanceRole.ORGANISER,
        "animateur": AttendanceRole.FACILITATOR,
        "animatrice": AttendanceRole.FACILITATOR,
        "formateur": AttendanceRole.FACILITATOR,
        "formatrice": AttendanceRole.FACILITATOR,
        "intervenant": AttendanceRole.FACILITATOR,
        "intervenante": AttendanceRole.FACILITATOR,
        "trainer": AttendanceRole.FACILITATOR,
    },
)


@register
class AttendanceImporter(Importer):
    """Attendance sheets by session reference + employee (see the module docstring)."""

    kind = "attendances"
    model = Attendance
    natural_key = ("session_id", "employee_id")
    not_compared = frozenset({"import_run_id"})
    columns = (
        Column(
            "session_reference",
            Text(Session._meta.get_field("reference").max_length),
            required=True,
            aliases=(
                "référence session",
                "référence de la session",
                "réf. session",
                "réf session",
                "code session",
                "n° session",
                "numéro de session",
                "session",
                "session reference",
                "session id",
            ),
        ),
        Column(
            "employee_id",
            Text(Employee._meta.get_field("employee_id").max_length),
            required=True,
            aliases=EMPLOYEE_ALIASES,
        ),
        Column(
            "minutes_attended",
            Minutes(),
            required=True,
            aliases=(
                "minutes de présence",
                "durée de présence",
                "durée de présence (min)",
                "temps de présence",
                "temps de présence (min)",
                "présence (min)",
                "minutes",
                "attended minutes",
                "minutes attended",
            ),
        ),
        Column("role", ROLE, default=AttendanceRole.PARTICIPANT, aliases=("rôle", "qualité", "fonction")),
    )

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.employees = Lookup(Employee, "employee_id", normalize=fold_code, label=_("employees"))
        self.lookups = (self.employees,)
        self.employee_ids: dict[int, str] | None = None

    def prepare(self) -> None:
        super().prepare()
        self.sessions: dict[str, int] = {}
        self.references: dict[int, str] = {}
        self.durations: dict[int, int] = {}
        for pk, reference, duration in Session.objects.values_list("pk", "reference", "duration_minutes"):
            self.sessions[fold_code(reference)] = pk
            self.references[pk] = reference
            self.durations[pk] = duration
        self.run_id = self.run.pk if self.run is not None else None

    def build(self, row: Row) -> dict[str, Any] | None:
        reference = row["session_reference"]
        session_id = self.sessions.get(fold_code(reference)) if reference else None
        if reference and session_id is None:
            row.error("session_reference", _("unknown session '%s'") % reference)
        employee = row["employee_id"]
        employee_id = self.employees.get(employee) if employee else None
        if employee and employee_id is None:
            row.error("employee_id", _("unknown employee '%s'") % employee)
        if row.errors:
            return None
        values = {
            "session_id": session_id,
            "employee_id": employee_id,
            "minutes_attended": row["minutes_attended"],
            "import_run_id": self.run_id,
        }
        if "role" in row:
            values["role"] = row["role"]
        return values

    def describe_key(self, key: tuple) -> str:
        """A duplicate line named by the file's values, not by ids."""
        if self.employee_ids is None:
            self.employee_ids = _employee_ids()
        session_id, employee_id = key
        return (
            f"session_reference '{self.references.get(session_id, session_id)}', "
            f"employee_id '{self.employee_ids.get(employee_id, employee_id)}'"
        )

    def after_write(self, *, created: list, updated: list, unchanged: list[Row]) -> None:
        longer = sum(
            1
            for row in chain((row for row, _obj in created), (row for row, _old in updated), unchanged)
            if row.built["minutes_attended"] > self.durations[row.built["session_id"]]
        )
        if longer:
            self.note(_("attendances longer than their session"), longer)
