"""The AML/CFT deadline rules (notifications/registry.py), for the members of the LCB-FT role (the domain
"aml": no entity names an AML contact, so the role's holders answer; notifications/recipients.py keeps
only who passes the seal, core/roles.py `sealed_out`), AML_EMAILS as extras.

- vigilance alert analysis: 3 days before its analysis due date (raised day + VIGIE_AML_ANALYSIS_DAYS), on
  that day, and overdue (the day after it, sent at once), until decided; with its analyst;
- screening hit review: on its review due date (raised day + VIGIE_AML_HIT_REVIEW_DAYS) and overdue, until
  reviewed;
- a vigilance alert opened by a confirmed screening hit (an asset freeze applies without delay): at once,
  the day it was raised, swept every hour (the hourly sweep, then the immediate sending).

No tipping off (CMF L.561-18): mailboxes are delegated and mail relays are read by IT, so an email says the
alert's reference (or the hit's number) and the kind of deadline, never a counterparty's name, a list, an
amount or a reason. No AML rule feeds the personal calendars (`calendar = False`): a phone syncs its
calendar to servers outside the company.

Thresholds are settings (VIGIE_ALERT_THRESHOLDS, notifications/thresholds.py); the lists below are the
defaults.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.dates import format_date
from notifications.registry import Item, Rule, Threshold
from notifications.thresholds import day_thresholds


def _start_of(day: dt.date) -> dt.datetime:
    """A due day as an instant: its first moment, Paris time (day thresholds count from it)."""
    return dt.datetime.combine(day, dt.time(0), tzinfo=timezone.get_default_timezone())


def _path(url_name: str) -> str:
    """The admin path of record "%d" (reversed once per sweep, not once per record)."""
    return reverse(url_name, args=[0]).replace("/0/", "/%d/")


class AmlRule(Rule):
    recipients_setting = "AML_EMAILS"
    domain = "aml"  # DOMAIN_ROLES["aml"]: the LCB-FT role's members
    schedule = "daily"
    calendar = False  # never in a calendar feed (see the module docstring)
    default_days: tuple[int, ...] = ()
    #: Whether every threshold is sent at once (not in the day's digest).
    immediate: bool | None = None

    @property
    def thresholds(self) -> tuple[Threshold, ...]:  # type: ignore[override]  # computed from the settings
        return day_thresholds(self.code, self.default_days, immediate=self.immediate)


class AlertAnalysisDue(AmlRule):
    code = "aml.alert.analysis"
    model = "aml.alert"
    default_days = (3, 0, -1)
    due_field = "analysis_due_on"

    def label(self) -> str:
        return _("Vigilance alert: analysis target")

    def records(self, now: dt.datetime):
        from .models import Alert

        return Alert.objects.open().order_by("pk")

    def describe(self, records) -> Iterable[Item]:
        rows = records.values_list("pk", "reference", "analysis_due_on", "analyst__email", "entity_id")
        path = _path("admin:aml_alert_change")
        for pk, reference, day, analyst_email, entity_id in rows:
            due = format_date(day)
            yield Item(
                object_id=pk,
                label=reference,
                due_at=_start_of(day),
                title=_("Vigilance alert %(reference)s: decision due on %(day)s")
                % {"reference": reference, "day": due},
                explanation=_("The analysis target ends on %(day)s: close it, examine it further or report it.")
                % {"day": due},
                admin_path=path % pk,
                recipients=(analyst_email,) if analyst_email else (),
                entity_id=entity_id,
            )


class HitReviewDue(AmlRule):
    code = "aml.hit.review"
    model = "aml.hit"
    default_days = (0, -1)
    due_field = "review_due_on"

    def label(self) -> str:
        return _("Screening hit: review")

    def records(self, now: dt.datetime):
        from .models import Hit

        return Hit.objects.pending().order_by("pk")

    def describe(self, records) -> Iterable[Item]:
        rows = records.values_list("pk", "review_due_on", "counterparty__entity_id")
        path = _path("admin:aml_hit_change")
        for pk, day, entity_id in rows:
            label = _("Screening hit %(number)d") % {"number": pk}
            yield Item(
                object_id=pk,
                label=label,
                due_at=_start_of(day),
                title=_("%(hit)s: review due on %(day)s") % {"hit": label, "day": format_date(day)},
                explanation=_("A potential match of the asset-freeze screening waits for its review."),
                admin_path=path % pk,
                entity_id=entity_id,
            )


class ConfirmedHitAlert(AmlRule):
    """The alert a confirmed hit opened (aml.services.screening.hit_review → alert_raise with the hit):
    an email at once, the day it is raised, while the alert is open."""

    code = "aml.alert.confirmed_hit"
    model = "aml.alert"
    schedule = "hourly"
    default_days = (0,)
    immediate = True
    due_field = "raised_at"

    def label(self) -> str:
        return _("Vigilance alert: confirmed asset-freeze hit")

    def records(self, now: dt.datetime):
        from .models import Alert

        return Alert.objects.open().filter(hit__isnull=False).order_by("pk")

    def describe(self, records) -> Iterable[Item]:
        rows = records.values_list("pk", "reference", "raised_at", "analyst__email", "entity_id")
        path = _path("admin:aml_alert_change")
        for pk, reference, raised_at, analyst_email, entity_id in rows:
            yield Item(
                object_id=pk,
                label=reference,
                due_at=raised_at,
                title=_("Vigilance alert %(reference)s: a screening hit was confirmed, act without delay")
                % {"reference": reference},
                explanation=_("An asset freeze applies without delay: see the alert."),
                admin_path=path % pk,
                recipients=(analyst_email,) if analyst_email else (),
                entity_id=entity_id,
            )


RULES = (AlertAnalysisDue(), HitReviewDue(), ConfirmedHitAlert())
