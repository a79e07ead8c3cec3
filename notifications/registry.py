"""The deadline rules that domain apps declare (ARCHITECTURE.md: small explicit registries, no signals).

A domain app lists its rules in `<app>/alerts.py` (`RULES = (MyRule(), ...)`); NotificationsConfig.ready
imports those modules, so notifications/ never imports a domain's models at module level.

A rule says which open records have a deadline (`items`), and at which thresholds before or after it an
alert is due (`thresholds`). Day thresholds count Paris calendar days before a deadline day (they fire at
midnight, Paris time, whatever the clock change); hour thresholds count exact hours (the 72-hour breach
clock is in UTC).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import import_module
from typing import ClassVar

from django.apps import apps
from django.conf import settings
from django.utils import timezone


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
        return due_at + self.after_deadline


@dataclass(frozen=True)
class Item:
    """One open record with a deadline, as a rule sees it."""

    object_id: int
    label: str
    due_at: dt.datetime
    title: str
    explanation: str = ""
    admin_path: str = ""
    #: Recipients beyond the rule's group (the handler of the record).
    recipients: tuple[str, ...] = field(default=())
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
    #: The setting listing the group's addresses (DPO_EMAILS, COMPLIANCE_EMAILS, TRAINING_EMAILS).
    recipients_setting: ClassVar[str]
    #: The setting holding this rule's thresholds when they are configured (optional).
    thresholds: ClassVar[tuple[Threshold, ...]]

    def label(self) -> str:
        return self.code

    def items(self, until: dt.datetime) -> Iterable[Item]:  # pragma: no cover - abstract
        """The open records whose first threshold fires at or before `until`."""
        raise NotImplementedError

    def group(self) -> list[str]:
        return list(getattr(settings, self.recipients_setting, []))

    def lookahead(self) -> dt.timedelta:
        """How far before its deadline a record can need an alert (the earliest threshold)."""
        days = max((t.days_before for t in self.thresholds if t.days_before is not None), default=0)
        hours = max((-t.after_deadline for t in self.thresholds if t.after_deadline is not None),
                    default=dt.timedelta(0))
        return max(dt.timedelta(days=days + 1), hours)

    def crossed(self, due_at: dt.datetime, now: dt.datetime) -> Threshold | None:
        """The most advanced threshold already crossed at `now` (None: none yet). A sweep that missed
        some thresholds alerts once, at the latest one."""
        passed = [t for t in self.thresholds if t.fires_at(due_at) <= now]
        return max(passed, key=lambda t: t.fires_at(due_at), default=None)

    def model_class(self):  # noqa: ANN201 - a model class
        return apps.get_model(self.model)


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
    for config in apps.get_app_configs():
        try:
            module = import_module(f"{config.name}.alerts")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.alerts":
                raise
            continue
        for rule in getattr(module, "RULES", ()):
            register(rule)
