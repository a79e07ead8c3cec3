"""Personal-data retention: each app declares, per record type, when a record's retention period starts
and what anonymising it means; `run()` anonymises the expired records, their history rows included.

An app lists its record types in `<app>/retention.py` (found like the alert rules and the indicators,
core/discovery.py):

    POLICIES = (Policy(code="gdpr.rights_request", model="gdpr.rightsrequest", start=("closed_at",), ...),)
    COPIES = (Copy("organization.employee", into="compliance.conflictofinterestcase", keep=...),)
    HOLDS = (Hold("gdpr.rightsrequest", holder="gdpr.cnilcase", keep=...),)
    FOLLOWERS = (Follower("notifications.alert", ...),)  # rows about any record (the alert ledger)

A record is anonymised on time, whatever records of other domains say about it: whether it waits would
tell whoever views it about records they may not view (the employees named in conflict-of-interest
cases, shown to a training manager as "left six years ago, still identified"). What such a record still
owes another app is copied there first: a copy (`Copy`) is called, in the anonymisation's transaction,
with the records about to lose their data, and writes what its app needs into its own records (a case
keeps the names of its reporter and of the people concerned, which only compliance officers read, and
which go with the case's own retention). A hold (`Hold`: the record waits while a holder not anonymised
refers to it) is left for records whose readers all read the holders too (a rights request and the CNIL
case about it); the system check refuses any other (core.E303).

A record expires when its start day (the first non-empty `start` field, a Paris calendar day) plus its
period (settings.VIGIE_RETENTION, else the policy's default) is on or before the reference day.
Anonymising it, in one transaction per batch:
- calls the copies declared for its model, while its data is still there;
- rewrites its personal-data `fields` (and those of its `related` rows, and of the `followers` rows
  pointing at them) in the live row AND in every history row (django-simple-history), so that a value
  that only an older version held goes too; the history's change reasons keep only their first words
  (the detail after a colon may quote a person);
- deletes its files (every version's), clears its `m2m` links to people;
- keeps what the indicators and the auditors need: dates, types, statuses, outcomes, counts, links to
  non-personal records, primary keys (the indicators' record ids);
- stamps `anonymised_on` (the marker: never processed twice) and writes one history row saying so;
- adds the references it processed to the run record (core.models.RetentionRun), never the data.
A reader of a run record sees the count and references of a record type only if they may view its
records (`as_seen_by`): the total they read counts those alone.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from dateutil.relativedelta import relativedelta
from django.apps import apps
from django.conf import settings
from django.core import checks
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db import models, transaction
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Cast, Coalesce, Concat
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_lazy, ngettext

from .discovery import app_modules
from .roles import ROLES, can_view, role_views, seal_of

logger = logging.getLogger(__name__)

SETTING = "VIGIE_RETENTION"
#: Records anonymised per transaction: a killed run leaves whole batches, and the run record says which.
BATCH_SIZE = 200
#: Personal values shorter than this are not looked for in change reasons (initials would match anything).
MIN_SEARCHED_LENGTH = 3
PERIOD_UNITS = ("years", "months", "days")


# --- what a personal-data field becomes --------------------------------------------------------------------


class Redact:
    """A text that held something becomes the placeholder ("[anonymisé]"); an empty one stays empty (so
    that constraints such as "an extension has its reasons" still hold, and a blank stays blank)."""

    def __repr__(self) -> str:
        return "REDACT"


REDACT = Redact()


@dataclass(frozen=True)
class Token:
    """A unique text made of `prefix` and the record's primary key (a unique identifier such as an
    employee ID cannot be blanked)."""

    prefix: str

    def value(self, pk: Any) -> str:
        return f"{self.prefix}{pk}"


def placeholder() -> str:
    """The text that replaces a redacted value, in the installation's language (settings.LANGUAGE_CODE):
    stored data, whoever reads it later."""
    with translation.override(settings.LANGUAGE_CODE):
        return gettext("[anonymised]")


def change_reason(code: str) -> str:
    """The change reason of the history row an anonymisation writes, in the installation's language."""
    with translation.override(settings.LANGUAGE_CODE):
        return gettext("anonymised (retention: %(code)s)") % {"code": code}


def copied_reason(code: str) -> str:
    """The change reason of the history row a copy writes into its own records, in the installation's
    language (no colon: the case's own anonymisation later keeps it whole)."""
    with translation.override(settings.LANGUAGE_CODE):
        return gettext("kept before the anonymisation of %(code)s") % {"code": code}


# --- declarations -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    years: int = 0
    months: int = 0
    days: int = 0

    def cutoff(self, today: dt.date) -> dt.date:
        """Records whose start day is on or before this day have expired on `today`: the last start day whose
        end (start + the period, clamped to the month's end as `relativedelta` counts it) is on or before today.
        Counting back from today is not the same at a month's end: two months before 28 February is 28
        December, yet a record of 31 December ends on 28 February too, and must go then, not on 1 March."""
        cutoff = today - relativedelta(years=self.years, months=self.months, days=self.days)
        while self.ends_on(cutoff + dt.timedelta(days=1)) <= today:  # at most 3 days: a month's clamped end
            cutoff += dt.timedelta(days=1)
        return cutoff

    def ends_on(self, start: dt.date) -> dt.date:
        """The day the period that started on `start` ends (a month's end when it has no such day)."""
        return start + relativedelta(years=self.years, months=self.months, days=self.days)

    def as_dict(self) -> dict[str, int]:
        return {unit: getattr(self, unit) for unit in PERIOD_UNITS if getattr(self, unit)}

    def __str__(self) -> str:
        parts = [
            ngettext("%(n)d year", "%(n)d years", self.years) % {"n": self.years} if self.years else "",
            ngettext("%(n)d month", "%(n)d months", self.months) % {"n": self.months} if self.months else "",
            ngettext("%(n)d day", "%(n)d days", self.days) % {"n": self.days}
            if self.days or not self.as_dict()
            else "",
        ]
        return " ".join(part for part in parts if part)

    @classmethod
    def parse(cls, value: Any, *, where: str) -> Period | None:
        """A settings value: {"years": 5}, {"months": 2}, {"years": 1, "months": 6}...; None disables."""
        if value is None:
            return None
        if not isinstance(value, Mapping) or not value:
            raise ImproperlyConfigured(
                f"{where}: expected a dict of {', '.join(PERIOD_UNITS)} (e.g. {{'years': 5}}) or None, not {value!r}"
            )
        unknown = sorted(str(key) for key in value if key not in PERIOD_UNITS)
        if unknown:
            raise ImproperlyConfigured(
                f"{where}: unknown unit {', '.join(map(repr, unknown))}; use {', '.join(PERIOD_UNITS)}"
            )
        for unit, number in value.items():
            if isinstance(number, bool) or not isinstance(number, int) or number < 0:
                raise ImproperlyConfigured(f"{where}: {unit!r} must be a whole number of 0 or more, not {number!r}")
        return cls(**value)


@dataclass(frozen=True)
class Related:
    """Rows that belong to the record through a foreign key (`fk`): their personal data goes with it."""

    model: str
    fk: str
    fields: Mapping[str, Any] = field(default_factory=dict)
    files: tuple[str, ...] = ()
    #: The rows themselves go too, once their fields, files and history rows are cleaned (a credential, an
    #: attachment: nothing of them is kept for the statistics).
    delete: bool = False
    #: Which of those rows (a Q on fields that never change, read on the live and the history rows alike); None:
    #: all of them. The others wait for another policy (a whistleblowing report's letters to its author).
    only: Any = None


@dataclass(frozen=True)
class Policy:
    #: The record type's code, the key of settings.VIGIE_RETENTION ("gdpr.rights_request").
    code: str
    #: "app_label.model_name".
    model: str
    label: Any
    #: The fields whose first non-empty value starts the period (all dates, or all datetimes).
    start: tuple[str, ...]
    #: What starts the period, as the report says it ("closure").
    start_label: Any
    default: Period
    #: The legal basis of the default, for the documentation and the report.
    basis: str
    #: Personal-data field → what it becomes: "" / a constant / None / REDACT / Token(prefix).
    fields: Mapping[str, Any]
    files: tuple[str, ...] = ()
    #: Many-to-many links to people, cleared.
    m2m: tuple[str, ...] = ()
    related: tuple[Related, ...] = ()
    #: Which records of the model the policy is about (a Q or an expression usable in `filter`).
    only: Any = None
    #: The field marking an anonymised record; None when the policy's own `only` excludes processed ones.
    marker: str | None = "anonymised_on"
    #: The non-personal column the run record lists ("pk" when the record has no such reference).
    reference: str = "reference"

    def model_class(self) -> type[models.Model]:
        return apps.get_model(self.model)


@dataclass(frozen=True)
class Copy:
    """What records of `into` (the declaring app's) still need of records of `model` once those are
    anonymised: `keep(records, actor=, reason=)` is called with the records about to be anonymised (a
    queryset, their data still there), inside the anonymisation's transaction, and writes it into the
    `into` records through the app's services (history rows by `actor`, with `reason`). The records of
    `model` never wait for it."""

    model: str
    into: str
    keep: Callable[..., Any]
    reason: str = ""


@dataclass(frozen=True)
class Hold:
    """Records of `model` that records of `holder` still need while not anonymised (the rights request a
    CNIL case is about): `keep(holders)` selects them, given the holders' queryset (an expression usable
    in `filter`, e.g. an Exists over it); they wait until no holder is left. Only where every role that
    views `model` views `holder` too (`hold_problems`, core.E303); otherwise declare a `Copy`."""

    model: str
    holder: str
    keep: Callable[[models.QuerySet], Any]
    reason: str = ""

    def holders(self, pending: Mapping[str, set[Any]] | None = None) -> models.QuerySet:
        """The holder records not anonymised, less those a dry run already counts as anonymised."""
        model = apps.get_model(self.holder)
        markers = {policy.marker for policy in policies().values() if policy.model == self.holder and policy.marker}
        queryset = model._default_manager.filter(**{f"{marker}__isnull": True for marker in markers})
        done = (pending or {}).get(model._meta.label_lower)
        return queryset.exclude(pk__in=done) if done else queryset


@dataclass(frozen=True)
class Follower:
    """Rows about any record, by content type and id (the alert ledger): anonymised with the record."""

    model: str
    content_type_field: str
    object_id_field: str
    fields: Mapping[str, Any]


def _declared(name: str) -> Iterator[tuple[str, Any]]:
    for config, module in app_modules("retention"):
        for item in getattr(module, name, ()):
            yield config.name, item


def policies() -> dict[str, Policy]:
    """Every declared record type, by code (declaration order: app order, then the module's)."""
    result: dict[str, Policy] = {}
    for origin, policy in _declared("POLICIES"):
        if policy.code in result:
            raise ImproperlyConfigured(f"{origin}.retention: the record type {policy.code} is declared twice")
        result[policy.code] = policy
    return result


def all_holds() -> list[Hold]:
    return [hold for _origin, hold in _declared("HOLDS")]


def holds(model: str) -> list[Hold]:
    return [hold for hold in all_holds() if hold.model == model]


def copies(model: str) -> list[Copy]:
    return [copy for _origin, copy in _declared("COPIES") if copy.model.lower() == model.lower()]


def followers() -> list[Follower]:
    return [follower for _origin, follower in _declared("FOLLOWERS")]


def periods() -> dict[str, Period | None]:
    """The period of every record type: settings.VIGIE_RETENTION, else the policy's default (None: the
    record type is not anonymised). Read at each call; an unknown code or a bad value raises
    ImproperlyConfigured saying which."""
    known = policies()
    configured = getattr(settings, SETTING, None)
    if configured is None:
        configured = {}
    if not isinstance(configured, Mapping):
        raise ImproperlyConfigured(f"settings.{SETTING} must be a dict (record type → period), not {configured!r}")
    unknown = sorted(str(code) for code in configured if code not in known)
    if unknown:
        raise ImproperlyConfigured(
            f"settings.{SETTING}: unknown record type {', '.join(map(repr, unknown))}; "
            f"the record types are: {', '.join(known)}"
        )
    result: dict[str, Period | None] = {code: policy.default for code, policy in known.items()}
    for code, value in configured.items():
        result[code] = Period.parse(value, where=f"settings.{SETTING}[{code!r}]")
    return result


# --- checks -------------------------------------------------------------------------------------------------


def _history_model(model: type[models.Model]) -> type[models.Model] | None:
    manager = getattr(model, "history", None)
    return getattr(manager, "model", None) if manager is not None else None


def _field_problems(
    model: type[models.Model], replacements: Mapping[str, Any], files: Iterable[str], where: str, text: str
) -> list[str]:
    problems = []
    for name, replacement in replacements.items():
        try:
            model_field = model._meta.get_field(name)
        except FieldDoesNotExist:
            problems.append(f"{where}: {model._meta.label} has no field {name!r}")
            continue
        max_length = getattr(model_field, "max_length", None)
        if isinstance(replacement, Redact) and max_length and len(text) > max_length:
            problems.append(f"{where}: the placeholder {text!r} does not fit {model._meta.label}.{name}")
        if replacement is None and not model_field.null:
            problems.append(f"{where}: {model._meta.label}.{name} cannot be None")
    for name in files:
        try:
            if not isinstance(model._meta.get_field(name), models.FileField):
                problems.append(f"{where}: {model._meta.label}.{name} is not a file field")
        except FieldDoesNotExist:
            problems.append(f"{where}: {model._meta.label} has no field {name!r}")
    return problems


def policy_problems(policy: Policy) -> list[str]:
    """What is wrong with a declaration (unknown model or field, mixed start types...), one line each."""
    where = f"retention policy {policy.code}"
    try:
        model = policy.model_class()
    except (LookupError, ValueError):
        return [f"{where}: unknown model {policy.model!r}"]
    text = placeholder()
    problems = _field_problems(model, policy.fields, policy.files, where, text)
    kinds = set()
    for name in (*policy.start, *((policy.marker,) if policy.marker else ())):
        try:
            model._meta.get_field(name)
        except FieldDoesNotExist:
            problems.append(f"{where}: {model._meta.label} has no field {name!r}")
    for name in policy.start:
        with_time = isinstance(_get_field(model, name), models.DateTimeField)
        kinds.add(with_time)
    if len(kinds) > 1:
        problems.append(f"{where}: the start fields mix dates and datetimes")
    if not policy.start:
        problems.append(f"{where}: no start field")
    history = _history_model(model)
    for name in policy.m2m:
        m2m = _get_field(model, name)
        if not isinstance(m2m, models.ManyToManyField):
            problems.append(f"{where}: {model._meta.label}.{name} is not a many-to-many field")
        elif history is not None and name in {f.name for f in getattr(history, "_history_m2m_fields", [])}:
            problems.append(f"{where}: {model._meta.label}.{name} has a history of its links, not handled yet")
    for related in policy.related:
        try:
            child = apps.get_model(related.model)
        except (LookupError, ValueError):
            problems.append(f"{where}: unknown related model {related.model!r}")
            continue
        fk = _get_field(child, related.fk)
        if not isinstance(fk, models.ForeignKey) or fk.related_model is not model:
            problems.append(f"{where}: {child._meta.label}.{related.fk} is not a foreign key to {model._meta.label}")
        problems += _field_problems(child, related.fields, related.files, where, text)
    return problems


def _field(model: type[models.Model], name: str) -> Any:
    """The field `name` of `model`, of whatever class it is (a FileField, a many-to-many): django-stubs types
    get_field() as a plain field or a reverse relation."""
    return model._meta.get_field(name)


def _get_field(model: type[models.Model], name: str) -> Any:
    """`_field`, None if there is none."""
    try:
        return _field(model, name)
    except FieldDoesNotExist:
        return None


def hold_problems(hold: Hold) -> list[str]:
    """A hold makes a record wait while a holder refers to it: a role that views the record but not the
    holder would learn, from the wait, which records it may not view refer to it. One line per such
    role (core/roles.py ROLES), and for an unknown model."""
    where = f"retention hold on {hold.model} by {hold.holder}"
    try:
        held, holder = apps.get_model(hold.model), apps.get_model(hold.holder)
    except (LookupError, ValueError) as exc:
        return [f"{where}: {exc}"]
    return [
        f"{where}: the role {role.name!r} views {held._meta.label} but not {holder._meta.label}; whether a "
        f"record waits would tell it about records it may not view (declare a Copy instead)"
        for role in ROLES
        if role_views(role, held) and not role_views(role, holder)
    ]


def check_retention(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """System check: the setting (core.E301), the declarations (core.E302), holds that would tell a role
    about records it may not view (core.E303)."""
    errors: list[checks.CheckMessage] = []
    try:
        declared = policies()
        periods()
    except ImproperlyConfigured as exc:
        return [
            checks.Error(str(exc), id="core.E301", hint="See the VIGIE_RETENTION block of config/settings/base.py.")
        ]
    for policy in declared.values():
        errors += [checks.Error(problem, id="core.E302") for problem in policy_problems(policy)]
    for follower in followers():
        try:
            model = apps.get_model(follower.model)
        except (LookupError, ValueError):
            errors.append(checks.Error(f"retention follower: unknown model {follower.model!r}", id="core.E302"))
            continue
        errors += [
            checks.Error(p, id="core.E302")
            for p in _field_problems(model, follower.fields, (), "retention follower", placeholder())
        ]
    for hold in all_holds():
        errors += [checks.Error(p, id="core.E303") for p in hold_problems(hold)]
    for copy in (copy for _origin, copy in _declared("COPIES")):
        for name in (copy.model, copy.into):
            try:
                apps.get_model(name)
            except (LookupError, ValueError):
                errors.append(checks.Error(f"retention copy into {copy.into}: unknown model {name!r}", id="core.E302"))
    return errors


checks.register(check_retention)


# --- which records have expired ----------------------------------------------------------------------------


def _start_expression(policy: Policy) -> Any:
    return Coalesce(*policy.start) if len(policy.start) > 1 else F(policy.start[0])


def expired(
    policy: Policy, period: Period, today: dt.date, *, pending: Mapping[str, set[Any]] | None = None
) -> models.QuerySet:
    """The records of `policy` whose period ended on or before `today`, not anonymised yet, not held.
    `pending` ("app_label.model" → ids): records a dry run counts as anonymised already (their holds go)."""
    model = policy.model_class()
    cutoff = period.cutoff(today)
    queryset = model._default_manager.all()
    if isinstance(_get_field(model, policy.start[0]), models.DateTimeField):
        # The start is a Paris calendar day: expired when that day is on or before the cut-off.
        paris = timezone.get_default_timezone()
        bound = dt.datetime.combine(cutoff + dt.timedelta(days=1), dt.time(0), tzinfo=paris)
        queryset = queryset.alias(retention_start=_start_expression(policy)).filter(retention_start__lt=bound)
    else:
        queryset = queryset.alias(retention_start=_start_expression(policy)).filter(retention_start__lte=cutoff)
    if policy.only is not None:
        queryset = queryset.filter(policy.only)
    if policy.marker:
        queryset = queryset.filter(**{f"{policy.marker}__isnull": True})
    for hold in holds(policy.model):
        queryset = queryset.exclude(hold.keep(hold.holders(pending)))
    return queryset.order_by("pk")


# --- anonymising -------------------------------------------------------------------------------------------


def _is_text(model_field: models.Field | None) -> bool:
    return isinstance(model_field, (models.CharField, models.TextField))


def _expression(model: type[models.Model], name: str, replacement: Any, text: str, pk_name: str) -> Any:
    """The replacement as a database expression, for an UPDATE of many rows of `model` (a history model
    too: `pk_name` is the record's primary key column, which history rows keep)."""
    if isinstance(replacement, Redact):
        return Case(
            When(Q(**{name: ""}) | Q(**{f"{name}__isnull": True}), then=F(name)),
            default=Value(text),
            output_field=_field(model, name),
        )
    if isinstance(replacement, Token):
        return Concat(Value(replacement.prefix), Cast(pk_name, output_field=models.CharField()))
    return replacement


def _python_value(obj: models.Model, name: str, replacement: Any, text: str) -> Any:
    """The replacement for one loaded record (the live row)."""
    if isinstance(replacement, Redact):
        current = getattr(obj, name)
        return text if current else current
    if isinstance(replacement, Token):
        return replacement.value(obj.pk)
    return replacement


def clean_reason(reason: str | None, personal: Sequence[str], text: str) -> str | None:
    """A change reason without what may quote a person: its words before a colon (the action, as the
    services write them: "extended", "reopened: <free text>"); the whole of it when it contains one of
    the record's personal values."""
    if not reason:
        return reason
    head, colon, tail = reason.partition(":")
    lowered = head.lower()
    if any(value in lowered for value in personal):
        return text
    if colon and tail.strip():
        return f"{head.strip()}: {text}"[:100]
    return reason


@dataclass
class _Outcome:
    history_rows: int = 0
    files: int = 0
    related: dict[str, int] = field(default_factory=dict)
    #: Rows sealed from the record's readers were anonymised or deleted too (not counted: `anonymise`).
    sealed_related: bool = False


class _Anonymiser:
    """Anonymises one batch of locked records of one policy (inside the caller's transaction)."""

    def __init__(self, *, today: dt.date, actor: Any, text: str, reason: str) -> None:
        self.today = today
        self.actor = actor
        self.text = text
        self.reason = reason
        self.outcome = _Outcome()
        self.personal: set[str] = set()

    # Personal values (before they go), to find them again in free-form change reasons.
    def _collect(self, model: type[models.Model], queryset: models.QuerySet, names: Iterable[str]) -> None:
        texts = [name for name in names if _is_text(_get_field(model, name))]
        if not texts:
            return
        for row in queryset.values_list(*texts):
            self.personal.update(str(v).lower() for v in row if v and len(str(v)) >= MIN_SEARCHED_LENGTH)

    def _delete_files(
        self, model: type[models.Model], querysets: Iterable[models.QuerySet], names: Iterable[str]
    ) -> None:
        for name in names:
            storage = _field(model, name).storage
            found = {value for queryset in querysets for value in queryset.values_list(name, flat=True) if value}
            for file_name in sorted(found):
                if storage.exists(file_name):
                    storage.delete(file_name)
                    self.outcome.files += 1

    def _rewrite_history(
        self,
        model: type[models.Model],
        ids: list[Any],
        replacements: Mapping[str, Any],
        files: Iterable[str],
        marker: str | None,
    ) -> None:
        """Every history row of these records: the personal fields, the files, the change reasons."""
        history = _history_model(model)
        if history is None:
            return
        pk_name = model._meta.pk.name
        rows = history._default_manager.filter(**{f"{pk_name}__in": ids})
        updates = {name: _expression(history, name, value, self.text, pk_name) for name, value in replacements.items()}
        updates.update(dict.fromkeys(files, ""))
        if marker:
            updates[marker] = self.today
        personal = sorted(self.personal)
        changed = []
        for history_id, reason in rows.values_list("history_id", "history_change_reason"):
            cleaned = clean_reason(reason, personal, self.text)
            if cleaned != reason:
                changed.append(history(history_id=history_id, history_change_reason=cleaned))
        if changed:
            history._default_manager.bulk_update(changed, ["history_change_reason"], batch_size=500)
        if updates:
            self.outcome.history_rows += rows.update(**updates)

    def _rows_of(
        self, model: type[models.Model], lookup: dict[str, Any]
    ) -> tuple[models.QuerySet, models.QuerySet | None]:
        live = model._default_manager.filter(**lookup)
        history = _history_model(model)
        past = None
        if history is not None:
            # History rows keep the foreign key's column under the field's name.
            past = history._default_manager.filter(**lookup)
        return live, past

    def _anonymise_rows(
        self,
        model: type[models.Model],
        live: models.QuerySet,
        past: models.QuerySet | None,
        replacements: Mapping[str, Any],
        files: tuple[str, ...],
        delete: bool = False,
    ) -> list[Any]:
        """Rows that are not the record itself (related rows, followers): updated in place, with their
        history rows, so that their latest version still equals the live row; or, with `delete`, deleted and
        then their history rows rewritten, the deletion's own included (a link's foreign keys can only be
        cleared once the row, which must point somewhere, is gone)."""
        ids = list(live.values_list("pk", flat=True))
        history_ids = list(past.values_list(model._meta.pk.name, flat=True).distinct()) if past is not None else []
        all_ids = sorted(set(ids) | set(history_ids))
        if not all_ids:
            return []
        self._collect(model, live, replacements)
        if past is not None:
            self._collect(model, past, replacements)
        self._delete_files(model, [q for q in (live, past) if q is not None], files)
        if delete:
            live.delete()
            self._rewrite_history(model, all_ids, replacements, files, None)
            return all_ids
        self._rewrite_history(model, all_ids, replacements, files, None)
        pk_name = model._meta.pk.name
        updates = {name: _expression(model, name, value, self.text, pk_name) for name, value in replacements.items()}
        updates.update(dict.fromkeys(files, ""))
        if updates and ids:
            model._default_manager.filter(pk__in=ids).update(**updates)
        return all_ids

    def anonymise(self, policy: Policy, ids: list[Any]) -> None:
        model = policy.model_class()
        # 1. Personal values of every version, then the rows that belong to the records.
        live = model._default_manager.filter(pk__in=ids)
        history = _history_model(model)
        past = history._default_manager.filter(**{f"{model._meta.pk.name}__in": ids}) if history else None
        self._collect(model, live, policy.fields)
        if past is not None:
            self._collect(model, past, policy.fields)
        touched: list[tuple[type[models.Model], list[Any]]] = [(model, ids)]
        for related in policy.related:
            child = apps.get_model(related.model)
            child_live, child_past = self._rows_of(child, {f"{related.fk}__in": ids})
            if related.only is not None:
                child_live = child_live.filter(related.only)
                child_past = child_past.filter(related.only) if child_past is not None else None
            counted = (self.outcome.history_rows, self.outcome.files)
            child_ids = self._anonymise_rows(
                child, child_live, child_past, related.fields, related.files, delete=related.delete
            )
            if seal_of(child) is not None and seal_of(child) != seal_of(model):
                # Rows sealed from the record's own readers (a whistleblowing report's messages and files): how
                # many there were is theirs alone, so the run record does not count them, and says so.
                self.outcome.history_rows, self.outcome.files = counted
                self.outcome.sealed_related = self.outcome.sealed_related or bool(child_ids)
            else:
                label = child._meta.label_lower
                self.outcome.related[label] = self.outcome.related.get(label, 0) + len(child_ids)
            touched.append((child, child_ids))
        for name in policy.m2m:
            through = _field(model, name).remote_field.through
            source = _field(model, name).m2m_field_name()
            deleted, _ = through._default_manager.filter(**{f"{source}__in": ids}).delete()
            label = f"{model._meta.label_lower}.{name}"
            self.outcome.related[label] = self.outcome.related.get(label, 0) + deleted
        self._followers(touched)
        # 2. The files of every version, the history rows, then the live rows with one history row each.
        self._delete_files(model, [q for q in (live, past) if q is not None], policy.files)
        self._rewrite_history(model, ids, policy.fields, policy.files, policy.marker)
        objects = list(live)
        for obj in objects:
            for name, replacement in policy.fields.items():
                setattr(obj, name, _python_value(obj, name, replacement, self.text))
            for name in policy.files:
                setattr(obj, name, "")
            if policy.marker:
                setattr(obj, policy.marker, self.today)
        names = [*policy.fields, *policy.files, *((policy.marker,) if policy.marker else ())]
        if history is not None:
            from simple_history.utils import bulk_update_with_history

            bulk_update_with_history(
                objects,
                model,
                names,
                default_user=self.actor,
                default_change_reason=self.reason,
                default_date=timezone.now(),
            )
        elif names:
            model._default_manager.bulk_update(objects, names)

    def _followers(self, touched: list[tuple[type[models.Model], list[Any]]]) -> None:
        from django.contrib.contenttypes.models import ContentType

        for follower in followers():
            model = apps.get_model(follower.model)
            for target, ids in touched:
                if not ids:
                    continue
                content_type = ContentType.objects.get_for_model(target, for_concrete_model=False)
                lookup = {follower.content_type_field: content_type, f"{follower.object_id_field}__in": ids}
                live, past = self._rows_of(model, lookup)
                done = self._anonymise_rows(model, live, past, follower.fields, ())
                if done:
                    label = model._meta.label_lower
                    self.outcome.related[label] = self.outcome.related.get(label, 0) + len(done)


# --- runs -----------------------------------------------------------------------------------------------------


def select(only: Iterable[str] | None = None) -> list[Policy]:
    """The declared policies, or those of `only` (an unknown code raises ValueError, saying which)."""
    known = policies()
    if not only:
        return list(known.values())
    unknown = sorted(set(only) - set(known))
    if unknown:
        raise ValueError(
            gettext("Unknown record type %(codes)s; the record types are: %(known)s.")
            % {"codes": ", ".join(unknown), "known": ", ".join(known)}
        )
    return [policy for code, policy in known.items() if code in set(only)]


def _references(policy: Policy, rows: list[tuple[Any, Any]]) -> list[str]:
    """The references a run report keeps of the records it anonymised: none for a sealed app's records (no
    tipping off, core/roles.py `seal_of`), so that searching the reports by reference reveals nothing of
    them; their history still says when and why each was anonymised."""
    if seal_of(policy.model_class()) is not None:
        return []
    return [str(ref) for _pk, ref in rows]


def _entry(policy: Policy, period: Period | None, today: dt.date) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "code": policy.code,
        "label": str(policy.label),
        "model": policy.model,
        "start": str(policy.start_label),
        "count": 0,
        "references": [],
    }
    if period is None:
        entry.update(disabled=True, period=None, period_text=gettext("never (disabled)"), cutoff=None)
    else:
        entry.update(
            disabled=False, period=period.as_dict(), period_text=str(period), cutoff=period.cutoff(today).isoformat()
        )
    return entry


def run(
    *,
    today: dt.date | None = None,
    dry_run: bool = False,
    only: Iterable[str] | None = None,
    user: Any = None,
    trigger: str = "task",
) -> Any:
    """Anonymise (or, `dry_run`, only list) the expired records of every record type (or those of
    `only`) on `today` (default: today, Paris). Returns the run record (core.models.RetentionRun).

    Idempotent: anonymised records carry their marker and are not selected again; a run killed
    midway leaves whole batches done, recorded in its report, and the next run does the rest.
    """
    from .models import RetentionRun
    from .users import get_system_user

    today = today or timezone.localdate()
    # Records that others may hold (requests a CNIL case is about) or copy from (employees named in a case)
    # come last: a holder anonymised in this run releases them in the same run, and a case anonymised in
    # this run is not given identities only to lose them at once.
    chosen = sorted(select(only), key=lambda policy: bool(holds(policy.model) or copies(policy.model)))
    configured = periods()
    text = placeholder()
    record = RetentionRun.objects.create(reference_day=today, dry_run=dry_run, user=user, trigger=trigger, report=[])
    actor = None if dry_run else get_system_user()
    pending: dict[str, set[Any]] = {}  # a dry run's records "anonymised" so far, by model
    try:
        for policy in chosen:
            period = configured[policy.code]
            entry = _entry(policy, period, today)
            record.report.append(entry)
            if period is None:
                continue
            queryset = expired(policy, period, today, pending=pending)
            if dry_run:
                rows = list(queryset.values_list("pk", policy.reference))
                pending.setdefault(policy.model_class()._meta.label_lower, set()).update(pk for pk, _ref in rows)
                entry["references"] = _references(policy, rows)
                entry["count"] = len(rows)
                record.anonymised += entry["count"]
                continue
            entry.update(history_rows=0, files_deleted=0, related={})
            ids = list(queryset.values_list("pk", flat=True))
            for start in range(0, len(ids), BATCH_SIZE):
                _batch(record, entry, policy, period, today, ids[start : start + BATCH_SIZE], actor=actor, text=text)
        record.status = RetentionRun.Status.COMPLETED
    except Exception as exc:
        record.status = RetentionRun.Status.FAILED
        # The first line only: a database error's detail may quote the failing row, personal data included.
        first_line = (str(exc).splitlines() or [""])[0]
        record.message = f"{type(exc).__name__}: {first_line}"[:500]
        raise
    finally:
        record.finished_at = timezone.now()
        record.save()
        logger.info(
            "retention run %s (%s, reference day %s): %s, %d record(s)%s",
            record.pk,
            record.trigger,
            record.reference_day,
            record.status,
            # Ops read the logs: a sealed app's records (aml) are not counted there.
            sum(entry.get("count") or 0 for entry in record.report if seal_of(entry.get("model") or "") is None),
            " (dry run)" if dry_run else "",
        )
    return record


def _batch(
    record: Any,
    entry: dict[str, Any],
    policy: Policy,
    period: Period,
    today: dt.date,
    ids: list[Any],
    *,
    actor: Any,
    text: str,
) -> None:
    """One transaction: lock the batch's rows still expired (another run may have done them), anonymise
    them and add them to the run record."""
    with transaction.atomic():
        locked = list(
            expired(policy, period, today).filter(pk__in=ids).select_for_update().values_list("pk", policy.reference)
        )
        if not locked:
            return
        done = [pk for pk, _ref in locked]
        # What other apps keep of these records, while their data is still there (never in the report:
        # which records were copied somewhere is the business of that app's readers only).
        for copy in copies(policy.model):
            copy.keep(
                policy.model_class()._default_manager.filter(pk__in=done),
                actor=actor,
                reason=copied_reason(policy.code),
            )
        anonymiser = _Anonymiser(today=timezone.localdate(), actor=actor, text=text, reason=change_reason(policy.code))
        anonymiser.anonymise(policy, done)
        outcome = anonymiser.outcome
        entry["references"] += _references(policy, locked)
        entry["count"] += len(done)
        entry["history_rows"] += outcome.history_rows
        entry["files_deleted"] += outcome.files
        if outcome.sealed_related:
            entry["sealed_related"] = True
        for label, count in outcome.related.items():
            entry["related"][label] = entry["related"].get(label, 0) + count
        record.anonymised += len(done)
        record.save(update_fields=["report", "anonymised"])


# --- the report -------------------------------------------------------------------------------------------


def without_sealed(record: Any) -> Any:
    """The run record as the operator may read it (the command's output, the logs), changed in memory (never
    save it): an entry of a sealed app's record type (aml, core/roles.py `seal_of`) shows no count,
    references or details, and the total counts the others only (`as_seen_by` for people)."""
    total = 0
    for entry in record.report:
        if seal_of(entry.get("model") or "") is None:
            total += entry.get("count") or 0
        elif not entry.get("disabled"):
            entry.update(hidden=True, count=None, references=[], related={}, history_rows=0, files_deleted=0)
    record.anonymised = total
    return record


def as_seen_by(record: Any, user: Any) -> Any:
    """The run record as `user` may read it, changed in memory (never save it): an entry of a record type
    they may not view (or no longer declared) keeps its period and cut-off but shows no count,
    references or details, and the total counts the others only. So nothing they read depends on
    records they may not view: not which cases were anonymised, not how many."""
    known = policies()
    total = 0
    for entry in record.report:
        policy = known.get(entry.get("code"))
        if policy is not None and can_view(user, policy.model):
            total += entry.get("count") or 0
        elif not entry.get("disabled"):
            entry.update(hidden=True, count=None, references=[], related={}, history_rows=0, files_deleted=0)
    record.anonymised = total
    return record


def displayed(record: Any) -> list[dict[str, Any]]:
    """The run's report entries, their labels in the reader's language when the record type still exists
    (as stored otherwise)."""
    known = policies()
    entries = []
    for stored in record.report:
        entry = dict(stored)
        policy = known.get(entry["code"])
        if policy is not None:
            entry.update(label=str(policy.label), start=str(policy.start_label))
            if not entry.get("disabled") and entry.get("period") is not None:
                entry["period_text"] = str(Period(**entry["period"]))
        entries.append(entry)
    return entries


def report_lines(record: Any, *, references: int | None = 10) -> list[str]:
    """The run as text (the command's output, the admin's report): per record type, the period, the
    cut-off, how many records were (would be) anonymised and their first `references` (None: all)."""
    if record.dry_run:
        title = gettext("Personal-data retention, dry run (nothing anonymised), reference day %(day)s") % {
            "day": record.reference_day.isoformat()
        }
    else:
        title = gettext("Personal-data retention, reference day %(day)s") % {"day": record.reference_day.isoformat()}
    lines = [title]
    for entry in displayed(record):
        if entry.get("disabled"):
            lines.append(gettext("- %(code)s (%(label)s): retention disabled, nothing anonymised") % entry)
            continue
        if entry.get("hidden"):
            lines.append(
                gettext(
                    "- %(code)s (%(label)s): %(period)s after %(start)s, cut-off %(cutoff)s: "
                    "not shown (records you may not view)"
                )
                % {**entry, "period": entry["period_text"]}
            )
            continue
        if record.dry_run:
            text = ngettext(
                "- %(code)s (%(label)s): %(period)s after %(start)s, cut-off %(cutoff)s: %(count)d record to anonymise",
                "- %(code)s (%(label)s): %(period)s after %(start)s, cut-off %(cutoff)s: %(count)d records to anonymise",
                entry["count"],
            )
        else:
            text = ngettext(
                "- %(code)s (%(label)s): %(period)s after %(start)s, cut-off %(cutoff)s: %(count)d record anonymised",
                "- %(code)s (%(label)s): %(period)s after %(start)s, cut-off %(cutoff)s: %(count)d records anonymised",
                entry["count"],
            )
        line = text % {**entry, "period": entry["period_text"]}
        shown = entry["references"] if references is None else entry["references"][:references]
        if shown:
            more = len(entry["references"]) - len(shown)
            line += " (" + ", ".join(shown) + (gettext(", and %(more)d more") % {"more": more} if more else "") + ")"
        lines.append(line)
        related = entry.get("related") or {}
        if related or entry.get("history_rows") or entry.get("files_deleted"):
            parts = [f"{label} {count}" for label, count in sorted(related.items())]
            lines.append(
                "    "
                + gettext("history rows rewritten: %(rows)d; files deleted: %(files)d; related rows: %(related)s")
                % {
                    "rows": entry.get("history_rows", 0),
                    "files": entry.get("files_deleted", 0),
                    "related": ", ".join(parts) or "0",
                }
            )
        if entry.get("sealed_related"):
            lines.append(
                "    "
                + gettext(
                    "and the sealed part (identity, content, messages, files, follow-up codes): anonymised or deleted, "
                    "not counted above (its readers only may know how much there was)"
                )
            )
    if record.dry_run:
        total = ngettext(
            "Total: %(count)d record to anonymise (run %(run)d).",
            "Total: %(count)d records to anonymise (run %(run)d).",
            record.anonymised,
        )
    else:
        total = ngettext(
            "Total: %(count)d record anonymised (run %(run)d).",
            "Total: %(count)d records anonymised (run %(run)d).",
            record.anonymised,
        )
    lines.append(total % {"count": record.anonymised, "run": record.pk})
    if record.message:
        lines.append(gettext("Failed: %(message)s") % {"message": record.message})
    return lines


# --- the core app's own record type -------------------------------------------------------------------------

#: The rejected rows of an import (core.models.ImportRun.rejects_file) are raw lines of the file, names
#: included: a working copy for whoever corrects the source file, deleted three months after the run
#: (no legal basis to keep them longer, GDPR Art. 5(1)(c) and (e)). The run record itself (who, when,
#: file name, checksum, counts) stays. A rejects CSV written beside a file imported from the command
#: line is on the operator's disk, not Vigie's.
POLICIES = (
    Policy(
        code="core.import_rejects",
        model="core.importrun",
        label=gettext_lazy("rejected rows of imports"),
        start=("started_at",),
        start_label=gettext_lazy("the import"),
        default=Period(months=3),
        basis="GDPR Art. 5(1)(c) and (e): a working file, no reason to keep it",
        fields={},
        files=("rejects_file",),
        only=~Q(rejects_file=""),
        marker=None,
        reference="pk",
    ),
)

#: Django's admin log (django.contrib.admin LogEntry) copies `str(record)` of every record saved in the
#: admin (an employee's name, an action's title) and the list of changed fields: an anonymised record's
#: log rows lose both; who acted, when and the kind of action stay.
FOLLOWERS = (
    Follower(
        "admin.logentry",
        content_type_field="content_type",
        object_id_field="object_id",
        fields={"object_repr": REDACT, "change_message": REDACT},
    ),
)
