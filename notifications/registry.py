"""The deadline rules that domain apps declare (docs/architecture.md: small explicit registries, no signals).

A domain app lists its rules in `<app>/alerts.py` (`RULES = (MyRule(), ...)`); NotificationsConfig.ready
imports those modules, so notifications/ never imports a domain's models at module level.

A rule says which open records have a deadline, and at which thresholds before or after it an alert is
due (`thresholds`). Most deadlines are a column (`due_field`): the rule gives its open records
(`records`) and how to word an alert (`describe`), and the sweep asks the database only for the records
with a crossed threshold that are not in the ledger yet (notifications/sweep.py), so a sweep reads what
it writes, not every open record. A deadline worked out in Python (a training renewal) overrides
`items` instead. Day thresholds count Paris calendar days before a deadline day (they fire at
midnight, Paris time, whatever the clock change); hour thresholds count exact hours (the 72-hour breach
clock is in UTC).

Who sees an alert follows what it reveals, not only the record it links to: a rule declares in `reveals`
the other kinds of record its wording tells about (the training renewal names an employee, and the
training they did and when), and a user sees its alerts (the ledger, an alert's page, the preview, the
counts) only when they may view the rule's model and each of those (`Rule.visible_to`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.apps import apps
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _, ngettext

from core.discovery import app_modules
from core.roles import AML_OFFICER, COMPLIANCE_OFFICER, DPO, TRAINING_MANAGER, WHISTLEBLOWING_REFERENT, can_view

#: The domain of a rule that names only its settings list (Rule.recipients_setting).
SETTING_DOMAINS: dict[str, str] = {
    "DPO_EMAILS": "dpo",
    "COMPLIANCE_EMAILS": "compliance",
    "TRAINING_EMAILS": "training",
    "AML_EMAILS": "aml",
}
#: The role (core/roles.py) that answers for a domain when an entity has no contact for it.
DOMAIN_ROLES: dict[str, str] = {
    "dpo": DPO,
    "compliance": COMPLIANCE_OFFICER,
    "training": TRAINING_MANAGER,
    "aml": AML_OFFICER,
    # No entity names a whistleblowing contact: the referents answer (whistleblowing/alerts.py).
    "whistleblowing": WHISTLEBLOWING_REFERENT,
}


@dataclass(frozen=True)
class Threshold:
    """When, relative to the deadline, an alert is due. Exactly one of `days_before` (calendar days before
    the deadline's Paris day; negative: after it, e.g. -1 = "overdue" the next day) and `after_deadline`
    (an exact duration after the deadline instant; negative: before it)."""

    code: str
    urgency: str
    days_before: int | None = None
    after_deadline: dt.timedelta | None = None
    immediate: bool = False

    def fires_at(self, due_at: dt.datetime) -> dt.datetime:
        if self.days_before is not None:
            day = timezone.localtime(due_at, timezone.get_default_timezone()).date()
            day -= dt.timedelta(days=self.days_before)
            return dt.datetime.combine(day, dt.time(0), tzinfo=timezone.get_default_timezone())
        assert self.after_deadline is not None
        return due_at.astimezone(dt.UTC) + self.after_deadline  # exact hours: in UTC


@dataclass(frozen=True)
class Item:
    """One open record with a deadline, as a rule sees it."""

    object_id: int
    label: str
    due_at: dt.datetime
    title: str
    explanation: str = ""
    admin_path: str = ""
    #: The handler or owner of the record (their email): recipients first (notifications/recipients.py).
    recipients: tuple[str, ...] = field(default=())
    #: The legal entity the record belongs to (organization.LegalEntity id; None: the parent company): its
    #: contacts for the rule's domain are recipients too (notifications/recipients.py).
    entity_id: int | None = None
    #: Who alone may receive the alert, when the rule's model is not enough to say it (a whistleblowing report
    #: is read by the referents of its entity only): the addresses that may receive it, the deputies and the
    #: fallback to the role's holders included (notifications/recipients.py). None: whoever may view the
    #: rule's records.
    audience: tuple[str, ...] | None = None
    #: What tells apart two deadlines of one record under one rule (e.g. the module of a training
    #: renewal): added to the threshold code in the ledger ("d-30:RGPD").
    variant: str = ""

    def threshold_code(self, threshold: Threshold) -> str:
        if not self.variant:
            return threshold.code
        return f"{threshold.code}:{self.variant}"[:32]


class Rule:
    """Base of every deadline rule. Subclasses set the class attributes and implement `items`."""

    code: ClassVar[str]
    #: "app_label.model" of the records (the alert's content type).
    model: ClassVar[str]
    #: "app_label.model" of the other kinds of record an alert of this rule tells about (in its title or
    #: explanation): only who may view each of them, and `model`, sees its alerts.
    reveals: ClassVar[tuple[str, ...]] = ()
    #: The setting listing the group's addresses (DPO_EMAILS, COMPLIANCE_EMAILS, TRAINING_EMAILS): extra
    #: recipients of every alert of the rule.
    recipients_setting: ClassVar[str]
    #: Who answers for the rule's records (organization.choices.ContactDomain value: "dpo", "compliance",
    #: "training"): the contacts of the record's entity for that domain, else the holders of its role, get
    #: the alerts (notifications/recipients.py). None: derived from `recipients_setting` (DOMAINS).
    domain: ClassVar[str | None] = None
    #: The setting holding this rule's thresholds when they are configured (optional).
    thresholds: ClassVar[tuple[Threshold, ...]]

    def label(self) -> str:
        """What the rule watches, in words for people (translated): every rule declares one; its `code`
        is for the ledger, the settings and the filters, never shown (tests/notifications/test_words.py)."""
        raise NotImplementedError(f"the rule {self.code} declares no label")  # pragma: no cover - abstract

    #: The column holding the deadline of `records()`: a DateField (the deadline day, Paris time: the
    #: alert's `due_at` is its first moment) or a DateTimeField (an instant). None: the rule implements
    #: `items` itself.
    due_field: ClassVar[str | None] = None

    def records(self, now: dt.datetime):
        """The open records at `now`, whatever their deadline (rules with a `due_field`)."""
        raise NotImplementedError  # pragma: no cover - abstract

    def describe(self, records) -> Iterable[Item]:
        """`records` as alert items: the wording, the explanation, the link (rules with a `due_field`)."""
        raise NotImplementedError  # pragma: no cover - abstract

    def items(self, now: dt.datetime) -> Iterable[Item]:
        """The open records with a threshold crossed at `now` (alerted or not). With a `due_field`: the
        records whose deadline is at or before the bound of the earliest threshold."""
        if self.due_field is None:  # pragma: no cover - abstract
            raise NotImplementedError
        records = self.records(now)
        latest = max(
            bounds(self.thresholds, now, by_day=is_day_field(records.model, self.due_field)),
            key=lambda b: (b[1], b[0] == "lte"),
        )
        return self.describe(records.filter(**{f"{self.due_field}__{latest[0]}": latest[1]}))

    def group(self) -> list[str]:
        return list(getattr(settings, self.recipients_setting, []))

    def contact_domain(self) -> str | None:
        """The domain whose contacts and role holders get this rule's alerts (None: only the handler and
        the settings' addresses)."""
        if self.domain is not None:
            return self.domain
        return SETTING_DOMAINS.get(getattr(self, "recipients_setting", ""))

    def role(self) -> str | None:
        """The role (core/roles.py group name) whose active holders get the alerts when the record's entity
        has no contact for the domain."""
        domain = self.contact_domain()
        return DOMAIN_ROLES.get(domain) if domain else None

    def crossed(self, due_at: dt.datetime, now: dt.datetime) -> Threshold | None:
        """The most advanced threshold already crossed at `now` (None: none yet). A sweep that missed
        some thresholds alerts once, at the latest one."""
        passed = [t for t in self.thresholds if t.fires_at(due_at) <= now]
        return max(passed, key=lambda t: t.fires_at(due_at), default=None)

    def model_class(self):
        return apps.get_model(self.model)

    def viewed_models(self) -> tuple[str, ...]:
        """The models whose view permission this rule's alerts need: its own and what they reveal."""
        return tuple(dict.fromkeys((self.model, *self.reveals)))

    def visible_to(self, user: Any) -> bool:
        return all(can_view(user, label) for label in self.viewed_models())


def is_day_field(model, name: str) -> bool:
    """Whether `model.name` holds a day (a DateField) rather than an instant (a DateTimeField)."""
    from django.db import models

    field = model._meta.get_field(name)
    return isinstance(field, models.DateField) and not isinstance(field, models.DateTimeField)


def bounds(thresholds: Iterable[Threshold], now: dt.datetime, *, by_day: bool) -> list[tuple[str, dt.date, Threshold]]:
    """For each threshold, the deadlines for which it is crossed at `now`, as a lookup on the deadline
    column ("lte" or "lt") and its bound: a day when the column holds days (`by_day`), else an instant (a
    datetime, typed as the date it subclasses).
    (A day deadline stands for its first moment, Paris time, as the rules' items do.)

    - days before the deadline day: crossed when the deadline's day is at most today + N;
    - an exact duration after the deadline: crossed when the deadline is at most now − duration.
    """
    paris = timezone.get_default_timezone()
    today = timezone.localtime(now, paris).date()
    result: list[tuple[str, dt.date, Threshold]] = []
    for threshold in thresholds:
        if threshold.days_before is not None:
            last_day = today + dt.timedelta(days=threshold.days_before)
            if by_day:
                result.append(("lte", last_day, threshold))
            else:
                next_midnight = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(0), tzinfo=paris)
                result.append(("lt", next_midnight, threshold))
        else:
            assert threshold.after_deadline is not None
            # In UTC: aware arithmetic in Paris time would add wall-clock hours across a clock change.
            latest = now.astimezone(dt.UTC) - threshold.after_deadline
            result.append(("lte", timezone.localtime(latest, paris).date() if by_day else latest, threshold))
    return result


def threshold_words(code: str) -> str:
    """A threshold code of the ledger in words, in the active language: "d-7" → "7 days before the
    deadline", "overdue", "overdue+2d" → "overdue by 3 days", "h+24" → "24 h after the clock started", and a
    variant after ":" kept as it is ("d-30:CYBER" → "30 days before the deadline — CYBER", the module)."""
    threshold, _sep, variant = code.partition(":")
    if threshold == "overdue":
        words = _("overdue")
    elif (found := re.fullmatch(r"overdue\+(\d+)d", threshold)) is not None:
        late = int(found[1]) + 1  # "overdue" is the day after the deadline day; +N d is N days after that
        words = ngettext("overdue by %(count)d day", "overdue by %(count)d days", late) % {"count": late}
    elif (found := re.fullmatch(r"d-(\d+)", threshold)) is not None:
        days = int(found[1])
        if days == 0:
            words = _("on the deadline day")
        else:
            words = ngettext("%(count)d day before the deadline", "%(count)d days before the deadline", days) % {
                "count": days
            }
    elif (found := re.fullmatch(r"h\+(\d+)", threshold)) is not None:
        words = _("%(count)d h after the clock started") % {"count": int(found[1])}
    else:  # a code of an older version: not shown as it is
        words = _("another threshold")
    if variant:
        return _("%(threshold)s — %(variant)s") % {"threshold": words, "variant": variant}
    return words


def rule_label(code: str) -> str:
    """The label of the rule named `code` in the ledger; a rule no longer registered (renamed) gets a
    generic label, never its code."""
    rule = _RULES.get(code)
    return rule.label() if rule is not None else _("Deadline alert")


_RULES: dict[str, Rule] = {}


def register(rule: Rule) -> Rule:
    if rule.code in _RULES and type(_RULES[rule.code]) is not type(rule):
        raise ValueError(f"two rules are named {rule.code}")
    _RULES[rule.code] = rule
    return rule


def get_rules() -> list[Rule]:
    return [_RULES[code] for code in sorted(_RULES)]


def get_rule(code: str) -> Rule:
    return _RULES[code]


def autodiscover() -> None:
    """Import `<app>.alerts` of every installed app that has one and register its RULES."""
    for _config, module in app_modules("alerts"):
        for rule in getattr(module, "RULES", ()):
            register(rule)
