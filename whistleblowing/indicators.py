"""The whistleblowing indicators (reporting/registry.py; the G1_WB_* codes of reporting/catalogue.py), the records
an auditor sees behind them (reporting/records.py) and what the app puts on "Mon bureau" (reporting/desk.py).

Everything here reads the report's PUBLIC part only (whistleblowing/models/reports.py: reference, dates,
category, status, deadlines), which the compliance function and the auditors may view: never the sealed
content (author, facts, entity...). Hence no figure per legal entity: the entity of a report is sealed, and a
small number of reports in a small subsidiary could point at their author.

- G1_WB_RECEIVED, G1_WB_RECEIVED_<CATEGORY>: reports received in Y (Paris day of `received_at`);
- G1_WB_ADMISSIBLE: admissibility decided in Y (`admissibility_decided_on`), admissible;
- G1_WB_ACK_RATE: of the reports whose acknowledgment was due in Y (`acknowledgment_due_on`) that are
  acknowledged or past that date, those acknowledged on or before it;
- G1_WB_FEEDBACK_RATE: of the reports not inadmissible whose feedback was due in Y (`feedback_due_on`) that are
  given feedback or past that date, those given feedback on or before it.
Each report counts in the year of its due date only: a late act recorded in Y+1 leaves Y's figure as it was
(late stays late), and a report received late in Y whose acknowledgment falls due in Y+1 is judged in Y+1. A
letter that closes the report without an acknowledgment or a feedback of its own is them, on its day
(services/reports.py), so a closed report never counts as an act still owed.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.figures import Figure
from reporting.desk import DUE_SOON, DUE_THIS_WEEK, Desk, DeskItem, list_url
from reporting.records import paris_day
from reporting.registry import Computation, shared

from .choices import OPEN_STATUSES, Admissibility, Category
from .models import Report

MODELS = ("whistleblowing.report",)

#: Why no whistleblowing figure is computed per legal entity.
WHOLE_COMPANY = _(
    "Whistleblowing figures are reported for the whole company only: a report's legal entity is confidential, "
    "and per entity a small number of reports could point at their author."
)


def _today() -> dt.date:
    return timezone.localdate()


def received(year: int, category: str | None = None) -> Figure:
    queryset = Report.objects.received_in(year)
    if category is not None:
        queryset = queryset.filter(category=category)
    return Figure.count(queryset)


def admissible(year: int) -> Figure:
    return Figure.count(
        Report.objects.filter(admissibility=Admissibility.ADMISSIBLE, admissibility_decided_on__year=year)
    )


def acknowledged_on_time(year: int, *, today: dt.date | None = None) -> Figure:
    today = today or _today()
    judged = Report.objects.filter(acknowledgment_due_on__year=year).filter(
        Q(acknowledged_on__isnull=False) | Q(acknowledgment_due_on__lt=today)
    )
    on_time = judged.filter(acknowledged_on__lte=F("acknowledgment_due_on")).count()
    return Figure.rate(on_time, judged.count(), judged)


def feedback_judged(year: int, *, today: dt.date | None = None) -> QuerySet[Report]:
    """The reports the feedback rate of Y counts: those whose feedback was due in Y, given or past that date."""
    today = today or _today()
    return (
        Report.objects.filter(feedback_due_on__year=year)
        .exclude(admissibility=Admissibility.INADMISSIBLE)
        .filter(Q(feedback_on__isnull=False) | Q(feedback_due_on__lt=today))
    )


def feedback_on_time(year: int, *, today: dt.date | None = None) -> Figure:
    judged = feedback_judged(year, today=today)
    on_time = judged.filter(feedback_on__lte=F("feedback_due_on")).count()
    return Figure.rate(on_time, judged.count(), judged)


def has_data(year: int) -> bool:
    """Whether the channel holds anything for Y: a report received, an admissibility decided or feedback given
    in Y. A year with data and no admissible report has 0 (computed), not "no data"."""
    return shared(("whistleblowing.has_data", year), lambda: _has_data(year))


def _has_data(year: int) -> bool:
    return (
        Report.objects.received_in(year).exists()
        or Report.objects.filter(
            Q(admissibility_decided_on__year=year)
            | Q(acknowledgment_due_on__year=year)
            | Q(feedback_on__year=year)
            | Q(feedback_due_on__year=year)
        ).exists()
    )


def _c(code: str, compute) -> Computation:
    return Computation(code, compute, has_data=has_data, models=MODELS, whole_company_only=WHOLE_COMPANY)


def _by_category(category: str):
    return lambda year: received(year, category)


#: Catalogue code suffix of each category (reporting/catalogue.py WHISTLEBLOWING_CATEGORIES).
CATEGORY_CODES = {category.value: f"G1_WB_RECEIVED_{category.name}" for category in Category}

INDICATORS = (
    _c("G1_WB_RECEIVED", received),
    *(_c(code, _by_category(category)) for category, code in CATEGORY_CODES.items()),
    _c("G1_WB_ADMISSIBLE", admissible),
    _c("G1_WB_ACK_RATE", acknowledged_on_time),
    _c("G1_WB_FEEDBACK_RATE", feedback_on_time),
)


# -- Records for the auditor pack (reporting/records.py) ----------------------------------------------------
#: The report's public part only: nothing here identifies the author or says what the report says.
RECORD_COLUMNS = {
    "whistleblowing.report": (
        ("reference", "reference"),
        ("received_on", paris_day("received_at")),
        ("category", "category"),
        ("status", "status"),
        ("acknowledgment_due_on", "acknowledgment_due_on"),
        ("acknowledged_on", "acknowledged_on"),
        ("admissibility", "admissibility"),
        ("admissibility_decided_on", "admissibility_decided_on"),
        ("feedback_due_on", "feedback_due_on"),
        ("feedback_on", "feedback_on"),
        ("closed_on", "closed_on"),
    ),
}


# -- "Mon bureau" (reporting/desk.py): the referents' --------------------------------------------------------
# Each link is the report list filtered by lookups on the report's own public fields (the admin accepts them),
# selecting exactly the rows its queryset counts: tests/whistleblowing/test_indicators.py checks each pair.
# With per-entity referents (VIGIE_WHISTLEBLOWING_REFERENTS_PER_ENTITY) a referent counts, and the link lists,
# only the reports they may read (selectors.content_condition; the list's "readable" filter, admin/reports.py):
# the other entities' reports are not their work, and their number is not theirs to know.
_REPORTS = "admin:whistleblowing_report_changelist"
#: The desk is the referents' (they alone act on a report): its items ask for the view permission on the sealed
#: content, which nobody else passes (core/roles.py `sealed_out`, superusers included). What they count and
#: link to is the reports' public part.
REFERENTS = "whistleblowing.reportcontent"
_OPEN = {"status__in": list(OPEN_STATUSES)}
#: Feedback "due soon": within this many days (the feedback alert's first threshold, whistleblowing/alerts.py).
FEEDBACK_SOON_DAYS = 15
WEEK_DAYS = 7
#: The report list's filter "the reports I may read" (whistleblowing/admin/reports.py `ReadableFilter`).
READABLE = "readable"


def _per_entity() -> bool:
    return bool(settings.VIGIE_WHISTLEBLOWING_REFERENTS_PER_ENTITY)


def _open(moment) -> QuerySet[Report]:
    reports = Report.objects.filter(status__in=OPEN_STATUSES)
    if _per_entity():
        from .selectors import content_condition

        reports = reports.filter(content_condition(moment.user))
    return reports


def _to_acknowledge(moment) -> QuerySet[Report]:
    return _open(moment).filter(acknowledged_on__isnull=True, acknowledgment_due_on__isnull=False)


def _acknowledgments_overdue(moment) -> QuerySet[Report]:
    return _open(moment).filter(acknowledged_on__isnull=True, acknowledgment_due_on__lt=moment.day)


def _acknowledgments_this_week(moment) -> QuerySet[Report]:
    last = moment.day + dt.timedelta(days=WEEK_DAYS)
    return _open(moment).filter(acknowledged_on__isnull=True, acknowledgment_due_on__range=(moment.day, last))


def _feedback_overdue(moment) -> QuerySet[Report]:
    return _open(moment).filter(feedback_on__isnull=True, feedback_due_on__lt=moment.day)


def _feedback_soon(moment) -> QuerySet[Report]:
    last = moment.day + dt.timedelta(days=FEEDBACK_SOON_DAYS)
    return _open(moment).filter(feedback_on__isnull=True, feedback_due_on__range=(moment.day, last))


def _meetings_pending(moment) -> QuerySet[Report]:
    return _open(moment).filter(meeting_due_on__isnull=False, meeting_held_on__isnull=True)


def _url(**lookups):
    def url(moment) -> str:
        readable = {READABLE: "1"} if _per_entity() else {}
        return list_url(
            _REPORTS, **_OPEN, **readable, **{k: v(moment) if callable(v) else v for k, v in lookups.items()}
        )

    return url


def _day_after(days: int):
    return lambda moment: moment.day + dt.timedelta(days=days)


def _today_of(moment) -> dt.date:
    return moment.day


DESK = Desk(
    title=_("Whistleblowing"),
    order=37,
    items=(
        DeskItem(
            "wb_to_acknowledge",
            _("Whistleblowing reports received, not acknowledged yet"),
            REFERENTS,
            records=_to_acknowledge,
            url=_url(acknowledged_on__isnull="True", acknowledgment_due_on__isnull="False"),
            # Whatever its due date: a report received today is on the desk today (the referents learn of a
            # web report by an immediate email too, whistleblowing/alerts.py NewReport).
            kind=DUE_SOON,
        ),
        DeskItem(
            "wb_acknowledgments",
            _("Whistleblowing reports not acknowledged past their due date"),
            REFERENTS,
            records=_acknowledgments_overdue,
            url=_url(acknowledged_on__isnull="True", acknowledgment_due_on__lt=_today_of),
        ),
        DeskItem(
            "wb_feedback",
            _("Whistleblowing reports without feedback past its due date"),
            REFERENTS,
            records=_feedback_overdue,
            url=_url(feedback_on__isnull="True", feedback_due_on__lt=_today_of),
        ),
        DeskItem(
            "wb_acknowledgments_week",
            _("Whistleblowing reports whose acknowledgment is due"),
            REFERENTS,
            records=_acknowledgments_this_week,
            url=_url(
                acknowledged_on__isnull="True",
                acknowledgment_due_on__gte=_today_of,
                acknowledgment_due_on__lte=_day_after(WEEK_DAYS),
            ),
            kind=DUE_THIS_WEEK,
        ),
        DeskItem(
            "wb_feedback_soon",
            _("Whistleblowing reports whose feedback is due within 15 days"),
            REFERENTS,
            records=_feedback_soon,
            url=_url(
                feedback_on__isnull="True",
                feedback_due_on__gte=_today_of,
                feedback_due_on__lte=_day_after(FEEDBACK_SOON_DAYS),
            ),
            kind=DUE_SOON,
        ),
        DeskItem(
            "wb_meetings",
            _("Whistleblowing reports whose author asked for a meeting not held yet"),
            REFERENTS,
            records=_meetings_pending,
            url=_url(meeting_due_on__isnull="False", meeting_held_on__isnull="True"),
            kind=DUE_SOON,
        ),
    ),
)
