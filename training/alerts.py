"""The training deadline rule (notifications/registry.py), for the training managers of the employee's entity
(notifications/recipients.py), TRAINING_EMAILS as extras.

Renewals falling due: for every renewable module, the employees of today's headcount who are trained
today (training.kpis.renewals_due) and whose training stops counting within 30 days. The deadline is
the last day their training counts (training.kpis.valid_until); the alert is due 30 days before it
(VIGIE_ALERT_THRESHOLDS, notifications/thresholds.py). Swept monthly: a monthly sweep catches every
renewal of the next 30 days, and one whose window it missed the month before, while still due.

The alert's record is the employee; the threshold code names the module (the item's `variant`:
"d-30:RGPD"), so that one
employee due for two modules gets two alerts (the ledger is unique per record, rule, threshold and
deadline). A new training moves the deadline: the employee leaves the list, and the next renewal gets its
own alert.
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


class TrainingRenewalDue(Rule):
    code = "training.renewal.due"
    model = "organization.employee"
    # The alert says what the employee trained on and when (a completion, or a workshop attendance): the
    # DPO, who may view the roster, may not view training records.
    reveals = ("training.completion", "training.attendance")
    recipients_setting = "TRAINING_EMAILS"
    schedule = "monthly"
    #: Days before the last day a training counts.
    default_days: tuple[int, ...] = (30,)

    @property
    def thresholds(self) -> tuple[Threshold, ...]:  # type: ignore[override]  # a property over the base's class attribute: read from the settings
        return day_thresholds(self.code, self.default_days)

    def label(self) -> str:
        return _("Training: renewal falling due")

    def items(self, now: dt.datetime) -> Iterable[Item]:
        from . import kpis
        from .models import Module

        paris = timezone.get_default_timezone()
        # "Today" (the headcount, who is trained) is now's day. renewals_due(n) lists who is no longer
        # trained on today + n: the last day a training counts is at most today + the earliest threshold.
        today = timezone.localtime(now, paris).date()
        earliest = max((t.days_before for t in self.thresholds if t.days_before is not None), default=0)
        within = earliest + 1
        modules = Module.objects.filter(renewal_months__isnull=False).order_by("code")
        for module in modules:
            for employee in kpis.renewals_due(module, within, today):
                last = kpis.valid_until(module, employee.last_trained_on)
                assert last is not None  # renewals_due lists nobody for a module never to renew
                yield Item(
                    object_id=employee.pk,
                    label=str(employee),
                    due_at=dt.datetime.combine(last, dt.time(0), tzinfo=paris),
                    variant=module.code,
                    title=_("%(employee)s: %(module)s to renew, counts until %(day)s")
                    % {"employee": str(employee), "module": module.code, "day": format_date(last)},
                    explanation=_(
                        "Last trained on %(trained)s; %(module)s must be renewed every %(months)d months, "
                        "so this training counts until %(day)s."
                    )
                    % {
                        "trained": format_date(employee.last_trained_on),
                        "module": module.code,
                        "months": module.renewal_months,
                        "day": format_date(last),
                    },
                    admin_path=reverse("admin:organization_employee_change", args=[employee.pk]),
                    entity_id=employee.entity_id,
                )


RULES = (TrainingRenewalDue(),)
