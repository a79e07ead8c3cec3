"""An independent check of the indicators export (docs/interfaces.md, "Indicators export").

Varied, seeded random records are written with the ORM, the factories and (for the rights requests and
the breaches, whose deadline columns only the services write) the domain services. Then every computed
indicator of the catalogue is computed again here, in plain Python, from the records themselves
(`Model.objects.all()` and loops), straight from docs/rules.md ("Training", "Indicator methods"): no selector,
no kpis function, no queryset helper, no stored helper column (`Completion.completed_on`,
`RightsRequest.due_on`...) of the product is used. The two must agree on value, numerator and denominator
of year Y, and on `previous_value` (Y-1).

Where docs/rules.md leaves a choice open, this reference follows the product's documented choice (catalogue
method texts, selector and kpis docstrings); each such place is marked "choice:" below.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from dateutil.easter import easter
from dateutil.relativedelta import relativedelta

from compliance.choices import (
    OUTCOMES_WITH_FINE,
    CaseStatus,
    CorruptionNature,
    Defendant,
    FunctionType,
    MeasureKind,
    ProceedingOutcome,
    Qualification,
    RiskMapKind,
)
from compliance.models import (
    CaseMeasure,
    ConflictOfInterestCase,
    CorruptionIncident,
    LegalProceeding,
    Risk,
    RiskInterview,
    RiskMap,
)
from gdpr.choices import CnilCaseKind, NotificationPhase, Outcome, ProcessingRole, RefusalGround, Right
from gdpr.models import Breach, BreachNotification, CnilCase, ProcessingActivity, RightsRequest, RightsRequestPause
from gdpr.services import breaches as breach_services, rights as rights_services
from organization.models import Employee
from reporting import catalogue, exports
from tests.compliance.factories import (
    CaseFactory,
    CaseMeasureFactory,
    CorruptionIncidentFactory,
    LegalProceedingFactory,
    MacroProcessFactory,
    RiskFactory,
    RiskInterviewFactory,
    RiskMapFactory,
)
from tests.factories import DepartmentFactory, EmployeeFactory, LegalEntityFactory
from tests.gdpr.factories import CnilCaseFactory, ProcessingActivityFactory
from tests.training.factories import (
    AttendanceFactory,
    CompletionFactory,
    ModuleFactory,
    PhishingCampaignFactory,
    SessionFactory,
)
from training.choices import AttendanceRole, Audience, CompletionAnomaly, ModuleKind
from training.models import Attendance, Completion, Module, PhishingCampaign, Session

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
UTC = dt.UTC
DAY = dt.timedelta(days=1)

#: The completion-rate indicators and their module (docs/interfaces.md).
RATE_MODULES = {
    "E1_AML_ELEARNING_RATE": "LCBFT",
    "E1_ETHICS_ELEARNING_RATE": "DEONTO",
    "E2_GDPR_ELEARNING_RATE": "RGPD",
    "E2_CYBER_ELEARNING_RATE": "CYBER",
    "E5_CSR_ELEARNING_RATE": "RSE",
    "E9_DISABILITY_ELEARNING_RATE": "HANDICAP",
}
WORKSHOPS = {
    "E1_ETHICS_WORKSHOP_TRAINED": "ATELIER-DEONTO",
    "E1_FRAUD_WORKSHOP_TRAINED": "ATELIER-FRAUDE",
    "E9_MANAGERS_TRAINED_DISABILITY": "ATELIER-HANDICAP",
}
HOURS = {
    "E8_TRAINING_HOURS": None,
    "E8_TRAINING_HOURS_ELEARNING": ModuleKind.E_LEARNING,
    "E8_TRAINING_HOURS_VIRTUAL": ModuleKind.VIRTUAL,
    "E8_TRAINING_HOURS_IN_PERSON": ModuleKind.IN_PERSON,
}


# -- plain date arithmetic, from the spec ---------------------------------------------------------------
def paris(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=PARIS)


def utc(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def paris_day(moment: dt.datetime) -> dt.date:
    """docs/rules.md: a timestamp is converted to Paris time before its date is taken."""
    return moment.astimezone(PARIS).date()


def percent(numerator: int, denominator: int) -> Decimal | None:
    """docs/interfaces.md: the percentage rounded half-up to one decimal."""
    if denominator == 0:
        return None
    return (Decimal(100 * numerator) / Decimal(denominator)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def french_holidays(year: int) -> set[dt.date]:
    """Code du travail L.3133-1, as docs/rules.md lists them (calendar "FR", the default)."""
    sunday = easter(year)
    return {
        dt.date(year, 1, 1),
        sunday + dt.timedelta(days=1),
        dt.date(year, 5, 1),
        dt.date(year, 5, 8),
        sunday + dt.timedelta(days=39),
        sunday + dt.timedelta(days=50),
        dt.date(year, 7, 14),
        dt.date(year, 8, 15),
        dt.date(year, 11, 1),
        dt.date(year, 11, 11),
        dt.date(year, 12, 25),
    }


def roll(day: dt.date) -> dt.date:
    """A Saturday, Sunday or public holiday moves to the next working day."""
    while day.weekday() >= 5 or day in french_holidays(day.year):
        day += DAY
    return day


def paused_days(pauses: list[tuple[dt.date, dt.date]]) -> int:
    """Calendar days between each request for information and its answer (overlaps counted once)."""
    total, covered_until = 0, None
    for asked, answered in sorted(pauses):
        start = asked if covered_until is None else max(asked, covered_until)
        if answered > start:
            total += (answered - start).days
        covered_until = answered if covered_until is None else max(covered_until, answered)
    return total


def request_deadline(received_on: dt.date, months: int, pauses: list[tuple[dt.date, dt.date]]) -> dt.date:
    """Receipt + months (same day number, else the month's last day) + paused days, then rolled once."""
    return roll(received_on + relativedelta(months=months) + dt.timedelta(days=paused_days(pauses)))


def reply_due(case: CnilCase) -> dt.date:
    """The reply date of a case that has one: a referral (the database refuses one without), a complaint
    judged on time or late."""
    assert case.due_on is not None
    return case.due_on


def later(moment: dt.datetime, delta: dt.timedelta) -> dt.datetime:
    """`delta` of elapsed time after `moment` (in UTC: adding to a Paris datetime adds wall-clock time)."""
    return moment.astimezone(UTC) + delta


def elapsed(start: dt.datetime, end: dt.datetime) -> dt.timedelta:
    return end.astimezone(UTC) - start.astimezone(UTC)


def last_sunday(year: int, month: int) -> dt.date:
    day = dt.date(year, month + 1, 1) - DAY
    return day - dt.timedelta(days=(day.weekday() + 1) % 7)


# -- the data ---------------------------------------------------------------------------------------------
@dataclass
class World:
    """Seeded random records around the year boundaries of Y; `tags` says which situations were made."""

    seed: int
    year: int
    now: dt.datetime
    rng: random.Random = field(init=False)
    tags: Counter = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    @property
    def today(self) -> dt.date:
        return paris_day(self.now)

    def day_in(self, year: int) -> dt.date:
        return dt.date(year, 1, 1) + dt.timedelta(days=self.rng.randrange(365))

    def moment_between(self, start: dt.date, end: dt.date) -> dt.datetime:
        day = start + dt.timedelta(days=self.rng.randrange(max((end - start).days, 1)))
        return paris(day, self.rng.randrange(24), self.rng.randrange(60))

    def build(self) -> None:
        self.roster()
        self.modules()
        self.completions()
        self.sessions()
        self.campaigns()
        self.rights_requests()
        self.cnil_cases()
        self.breaches()
        self.register()
        self.coi_cases()
        self.corruption()
        self.risk_maps()

    # roster
    def roster(self) -> None:
        y, rng = self.year, self.rng
        parent = LegalEntityFactory(code="ALS", name="Action Logement Services")
        self.entities = [
            parent,
            LegalEntityFactory(code="SUB1", parent=parent),
            LegalEntityFactory(code="SUB2", parent=parent),
        ]
        self.departments = [
            DepartmentFactory(name="Lending", function_at_risk=True),
            DepartmentFactory(name="Human resources"),
            DepartmentFactory(name="IT"),
        ]
        hires = [
            dt.date(y - 4, 3, 1),
            dt.date(y - 2, 6, 15),
            dt.date(y - 1, 12, 31),
            dt.date(y - 1, 1, 1),
            dt.date(y, 1, 1),
            dt.date(y, 12, 31),
            dt.date(y + 1, 1, 1),
            None,
            None,
        ]
        ends: list[dt.date | str | None] = [
            *[None] * 5,
            dt.date(y - 1, 12, 30),
            dt.date(y - 1, 12, 31),
            dt.date(y, 1, 1),
            dt.date(y, 12, 30),
            dt.date(y, 12, 31),
            dt.date(y + 1, 1, 1),
            "random",
            "same",
        ]
        self.employees = []
        for _ in range(110):
            hired = rng.choice(hires) or self.day_in(rng.choice((y - 1, y)))
            end = rng.choice(ends)
            left: dt.date | None
            if isinstance(end, str):  # "random" or "same"
                left = self.day_in(rng.choice((y - 1, y))) if end == "random" else hired
            else:
                left = end
            if left is not None and left < hired:
                left = None
            employee = EmployeeFactory(
                entity=rng.choice(self.entities),
                department=rng.choice(self.departments + [None]),
                hired_on=hired,
                left_on=left,
                gender=rng.choice(["F"] * 5 + ["M"] * 4 + ["X", ""]),
                is_manager=rng.random() < 0.25,
                function_at_risk=rng.random() < 0.12,
            )
            self.employees.append(employee)
            self.tags["hired on 31/12"] += hired == dt.date(y, 12, 31)
            self.tags["left on 31/12"] += left == dt.date(y, 12, 31)
            self.tags["gender unknown"] += employee.gender == ""

    # modules and their audiences
    def modules(self) -> None:
        rng, y = self.rng, self.year
        self.module = {m.code: m for m in Module.objects.all()}
        codes = list(RATE_MODULES.values())
        limited_by_entity = {rng.choice(codes)} | {c for c in codes if rng.random() < 0.25}
        for code in codes:
            module = self.module[code]
            if code in limited_by_entity:
                module.audience_entities.set(rng.sample(self.entities, rng.choice((1, 2))))
                self.tags["audience limited by entity"] += 1
            if rng.random() < 0.2:
                module.audience_departments.set(rng.sample(self.departments, rng.choice((1, 2))))
                self.tags["audience limited by department"] += 1
            if rng.random() < 0.15:
                module.audience = Audience.MANAGERS
                module.save()
                self.tags["audience managers"] += 1
        self.module["T-EL"] = ModuleFactory(
            code="T-EL", kind=ModuleKind.E_LEARNING, expected_minutes=50, deployed_on=dt.date(y - 1, 6, 1)
        )
        self.module["T-VC"] = ModuleFactory(
            code="T-VC",
            kind=ModuleKind.VIRTUAL,
            min_attendance_minutes=30,
            expected_minutes=60,
            deployed_on=dt.date(y - 1, 9, 1),
            mandatory=False,
        )

    def completion_times(self, module: Module) -> list[dt.datetime]:
        y, deployed = self.year, module.deployed_on
        times = [
            paris(deployed - DAY, 23, 30),
            paris(deployed, 0, 15),
            utc(deployed - DAY, 23, 30),
            paris(deployed),
            paris(dt.date(y, 12, 31), 23, 30),
            paris(dt.date(y + 1, 1, 1), 0, 30),
            utc(dt.date(y, 12, 31), 23, 30),
            paris(dt.date(y - 1, 12, 31), 23, 45),
            paris(dt.date(y, 1, 1), 0, 5),
        ]
        if module.renewal_months:
            for end in (dt.date(y, 12, 31), dt.date(y - 1, 12, 31)):
                cutoff = end - relativedelta(months=module.renewal_months)
                times += [
                    paris(cutoff),
                    paris(cutoff, 23, 30),
                    paris(cutoff + DAY, 0, 30),
                    utc(cutoff, 23, 30),
                    paris(cutoff - DAY, 12),
                ]
        times += [self.moment_between(deployed - dt.timedelta(days=60), dt.date(y + 1, 2, 1)) for _ in range(12)]
        return times

    def completions(self) -> None:
        rng = self.rng
        codes = list(RATE_MODULES.values()) + ["T-EL"]
        for employee in self.employees:
            for code in codes:
                module = self.module[code]
                if rng.random() > (0.3 if code == "T-EL" else 0.6):
                    continue
                seen = set()
                for _ in range(1 if rng.random() < 0.8 else 2):
                    moment = rng.choice(self.completion_times(module))
                    if moment > self.now or moment in seen:
                        continue
                    seen.add(moment)
                    anomaly = ""
                    if rng.random() < 0.08:
                        anomaly = rng.choice([CompletionAnomaly.FUTURE, CompletionAnomaly.BEFORE_DEPLOYMENT])
                        self.tags["flagged completion"] += 1
                    CompletionFactory(
                        employee=employee,
                        module=module,
                        completed_at=moment,
                        anomaly=anomaly,
                        duration_minutes=rng.choice([None, None, 0, 12, 30, 45, 59, 61, 95]),
                    )

    def sessions(self) -> None:
        rng, y = self.rng, self.year
        days = [dt.date(y - 1, 12, 31), dt.date(y, 1, 1), dt.date(y, 12, 31), dt.date(y + 1, 1, 1)]
        for code in ("ATELIER-DEONTO", "ATELIER-FRAUDE", "ATELIER-HANDICAP", "T-VC"):
            for _ in range(rng.randint(4, 7)):
                held = rng.choice(days + [self.day_in(y), self.day_in(y), self.day_in(y - 1)])
                if held > self.today:
                    continue
                session = SessionFactory(
                    module=self.module[code], held_on=held, duration_minutes=rng.choice([60, 90, 120, 210])
                )
                at_risk = [
                    e for e in self.employees if e.function_at_risk or (e.department and e.department.function_at_risk)
                ]
                people = set(rng.sample(self.employees, rng.randint(3, 10)))
                if code == "ATELIER-DEONTO":
                    people |= set(rng.sample(at_risk, min(3, len(at_risk))))
                for employee in people:
                    minutes = rng.choice([0, 1, 29, 30, 44, 45, 46, 90, 120, 209, 210])
                    AttendanceFactory(
                        session=session,
                        employee=employee,
                        minutes_attended=minutes,
                        role=rng.choice(AttendanceRole.values),
                    )
                    self.tags["attendance 44 min"] += minutes == 44
                    self.tags["attendance 45 min"] += minutes == 45
                    self.tags["attendance 46 min"] += minutes == 46

    def campaigns(self) -> None:
        y = self.year
        days = [
            dt.date(y - 1, 12, 31),
            dt.date(y, 1, 1),
            dt.date(y, 12, 31),
            dt.date(y + 1, 1, 1),
            self.day_in(y),
            self.day_in(y - 1),
        ]
        for day in self.rng.sample(days, self.rng.randint(3, 6)):
            if day <= self.today:
                PhishingCampaignFactory(sent_on=day)

    # rights requests (through the services: they alone write the deadline columns)
    def rights_requests(self) -> None:
        y = self.year
        moments = [
            paris(dt.date(y, 12, 31), 23, 30),
            paris(dt.date(y + 1, 1, 1), 0, 30),
            paris(dt.date(y, 1, 1), 0, 30),
            paris(dt.date(y - 1, 12, 31), 23, 30),
            paris(dt.date(y, 1, 31)),
            paris(dt.date(y, 4, 8)),
            paris(dt.date(y, 10, 11)),
            paris(dt.date(y, 11, 25)),
            paris(dt.date(y, 12, 1), 9),
            paris(dt.date(y, 3, 5)),
            paris(dt.date(y, 12, 20)),
            paris(dt.date(y - 1, 12, 15)),
        ]
        moments += [self.moment_between(dt.date(y - 1, 1, 1), dt.date(y + 1, 1, 1)) for _ in range(30)]
        plans = [(moment, None) for moment in moments] + [
            # month ends: receipt + 3 months is clamped once (never the rolled one-month date + 2 months)
            (paris(dt.date(y, 1, 31)), "extend"),
            (paris(dt.date(y, 11, 30)), "extend"),
            (paris(dt.date(y, 8, 31)), "extend_refuse"),
            (paris(dt.date(y - 1, 5, 31)), "extend_refuse"),
        ]
        for moment, scenario in plans:
            if moment <= self.now - dt.timedelta(hours=1):
                self.rights_request(moment, scenario)

    def rights_request(self, received_at: dt.datetime, scenario: str | None = None) -> None:
        rng, now = self.rng, self.now
        request = rights_services.rights_request_create(
            actor=None, received_at=received_at, right=rng.choice(Right.values)
        )
        received_on = paris_day(received_at)
        scenario = scenario or rng.choice(
            [
                "answer",
                "answer",
                "answer",
                "refuse",
                "extend",
                "pause",
                "pause_extend",
                "extend_in_pause",
                "withdraw",
                "pause_withdraw",
                "open",
                "pause_open",
                "extend_refuse",
            ]
        )
        self.tags[f"request {scenario}"] += 1
        pauses: list[tuple[dt.date, dt.date]] = []
        if scenario.startswith("pause") or scenario == "extend_in_pause":
            first = request_deadline(received_on, 1, pauses)
            asked = received_on + dt.timedelta(days=rng.randint(0, (first - received_on).days))
            if asked > self.today:
                return
            request = rights_services.rights_request_pause(request=request, actor=None, asked_on=asked)
            if scenario == "extend_in_pause":
                notified = paris(asked, 18)
                if notified <= now:
                    request = rights_services.rights_request_extend(
                        request=request, actor=None, notified_at=notified, reason="Many records to gather"
                    )
            if scenario in ("pause_open", "pause_withdraw"):
                if scenario == "pause_withdraw":
                    withdrawn = paris(asked + dt.timedelta(days=rng.randint(0, 20)), 11)
                    if withdrawn <= now:
                        rights_services.rights_request_withdraw(request=request, actor=None, withdrawn_at=withdrawn)
                return
            answered = asked + dt.timedelta(days=rng.choice([0, 1, 3, 10, 25]))
            if answered > self.today:
                return
            request = rights_services.rights_request_resume(request=request, actor=None, answered_on=answered)
            pauses.append((asked, answered))
        extended = scenario == "extend_in_pause" and request.extension_notified_at is not None
        if scenario in ("extend", "pause_extend", "extend_refuse"):
            first = request_deadline(received_on, 1, pauses)
            start = max([received_on] + [answered for _asked, answered in pauses])
            day = rng.choice([first, start + dt.timedelta(days=rng.randint(0, max((first - start).days, 0)))])
            notified = paris(day, 20) if day > received_on else received_at + dt.timedelta(minutes=5)
            if notified > now:
                return
            request = rights_services.rights_request_extend(
                request=request, actor=None, notified_at=notified, reason="Complex request"
            )
            extended = True
        if scenario == "open":
            if rng.random() < 0.5:
                rights_services.rights_request_start(request=request, actor=None)
            return
        due = request_deadline(received_on, 3 if extended else 1, pauses)
        end_day = rng.choice(
            [
                due,
                due,
                due + DAY,
                received_on,
                received_on + dt.timedelta(days=rng.randint(0, (due - received_on).days)),
                due + dt.timedelta(days=rng.randint(1, 40)),
            ]
        )
        if end_day == received_on:
            ended = received_at + dt.timedelta(minutes=10)
        elif end_day == due:
            ended = paris(due, 23, 30)  # the deadline ends at 24:00 Paris time
        elif end_day == due + DAY:
            ended = paris(end_day, 0, 30)
        else:
            ended = paris(end_day, 15)
        if ended > now:
            return
        if scenario == "withdraw":
            rights_services.rights_request_withdraw(request=request, actor=None, withdrawn_at=ended)
        elif scenario in ("refuse", "extend_refuse"):
            rights_services.rights_request_refuse(
                request=request,
                actor=None,
                answered_at=ended,
                ground=rng.choice(RefusalGround.values),
                complaint_right_notified=True,
            )
        else:
            request = rights_services.rights_request_answer(
                request=request,
                actor=None,
                answered_at=ended,
                channel="email",
                outcome=rng.choice([Outcome.GRANTED, Outcome.PARTIALLY_GRANTED, Outcome.NO_DATA]),
            )
            if rng.random() < 0.3:
                rights_services.rights_request_close(request=request, actor=None, closed_at=ended)
        self.tags["request ended on its deadline day 23:30"] += end_day == due
        self.tags["request ended the day after its deadline 00:30"] += end_day == due + DAY

    def cnil_cases(self) -> None:
        y, rng = self.year, self.rng
        days = [dt.date(y - 1, 12, 31), dt.date(y, 1, 1), dt.date(y, 12, 31), dt.date(y + 1, 1, 1)]
        days += [self.day_in(y) for _ in range(8)] + [self.day_in(y - 1) for _ in range(4)]
        for received in days:
            if received > self.today:
                continue
            referral = rng.random() < 0.7
            if not referral:
                # A complaint has a reply date only when a CNIL letter set one (then it is judged like a referral):
                # two complaints in three, the first one included.
                dated = self.tags["complaint"] % 3 != 2
                self.tags["complaint"] += 1
                due = (
                    rng.choice([received + dt.timedelta(days=10), self.today + dt.timedelta(days=2)]) if dated else None
                )
                answered = rng.choice([None, received, received + dt.timedelta(days=rng.choice([9, 10, 11]))])
                if answered is not None and answered > self.today:
                    answered = None
                CnilCaseFactory(
                    kind=CnilCaseKind.COMPLAINT_WITHOUT_REFERRAL, received_on=received, due_on=due, answered_on=answered
                )
                self.tags["complaint with a reply date"] += due is not None
                continue
            due = rng.choice(
                [
                    received + dt.timedelta(days=rng.choice([5, 10, 15, 30])),
                    max(self.today, received),
                    self.today + dt.timedelta(days=3),
                ]
            )
            answered = rng.choice([None, due, due + DAY, due - dt.timedelta(days=2), received])
            if answered is not None and (answered < received or answered > self.today):
                answered = None
            CnilCaseFactory(kind=CnilCaseKind.REFERRAL, received_on=received, due_on=due, answered_on=answered)
            self.tags["referral open, due today"] += answered is None and due == self.today

    # breaches (through the services: the 72-hour clock and the initial notification)
    def breaches(self) -> None:
        y, rng = self.year, self.rng
        march, october = last_sunday(y, 3), last_sunday(y, 10)
        h72 = dt.timedelta(hours=72)
        plans: list[tuple[dt.datetime, Callable[[dt.datetime], dt.datetime] | None]] = [
            (paris(march - dt.timedelta(days=2)), lambda a: later(a, h72)),  # exactly 72 h
            (paris(march - dt.timedelta(days=2)), lambda a: later(a, h72 + dt.timedelta(minutes=1))),
            (paris(march - dt.timedelta(days=2)), lambda a: paris(march + DAY, 10, 30)),  # 71.5 h across DST
            (paris(october - dt.timedelta(days=2)), lambda a: paris(october + DAY, 9, 30)),  # 72.5 h across DST
            (paris(dt.date(y, 12, 29)), lambda a: paris(dt.date(y, 12, 31), 23, 30)),
            (paris(dt.date(y, 12, 29)), lambda a: paris(dt.date(y + 1, 1, 1), 0, 30)),
            (paris(dt.date(y - 1, 12, 30), 12), lambda a: paris(dt.date(y, 1, 1), 0, 30)),
            (paris(dt.date(y - 1, 12, 20), 12), lambda a: paris(dt.date(y, 1, 2), 9)),  # late, notified in Y
        ]
        for _ in range(8):
            aware = self.moment_between(dt.date(y - 1, 1, 1), dt.date(y, 12, 31))
            plans.append(
                (
                    aware,
                    lambda a: later(
                        a,
                        rng.choice(
                            [
                                dt.timedelta(hours=1),
                                dt.timedelta(hours=30),
                                dt.timedelta(hours=71, minutes=59),
                                dt.timedelta(hours=80),
                                dt.timedelta(days=10),
                            ]
                        ),
                    ),
                )
            )
        for _ in range(3):
            plans.append((self.moment_between(dt.date(y - 1, 1, 1), dt.date(y, 12, 31)), None))
        for aware, notify in plans:
            if aware > self.now:
                continue
            breach = breach_services.breach_create(actor=None, aware_at=aware, title="Misdirected email")
            if notify is None:
                if rng.random() < 0.5:
                    breach_services.breach_decide(
                        actor=None, breach=breach, notification_required=False, reasoning="Encrypted data, no risk"
                    )
                continue
            sent = notify(aware)
            if sent > self.now:
                continue
            late = elapsed(aware, sent) > h72
            breach_services.breach_notify(
                actor=None, breach=breach, sent_at=sent, delay_reasons="Investigation needed" if late else ""
            )
            self.tags["breach notified late"] += late
            complementary = later(sent, dt.timedelta(days=rng.choice([2, 40])))
            if rng.random() < 0.4 and complementary <= self.now:
                breach_services.breach_notify(
                    actor=None, breach=breach, sent_at=complementary, phase=NotificationPhase.COMPLEMENTARY
                )

    def register(self) -> None:
        y, rng = self.year, self.rng
        entries = [
            dt.date(y - 3, 5, 1),
            dt.date(y - 1, 12, 31),
            dt.date(y, 1, 1),
            dt.date(y, 12, 31),
            dt.date(y + 1, 1, 1),
            None,
        ]
        exits = [None] * 4 + [
            dt.date(y - 1, 12, 31),
            dt.date(y, 1, 1),
            dt.date(y, 12, 30),
            dt.date(y, 12, 31),
            dt.date(y + 1, 1, 1),
        ]
        for _ in range(30):
            registered = rng.choice(entries) or self.day_in(rng.choice((y - 1, y)))
            retired = rng.choice(exits)
            if retired is not None and retired < registered:
                retired = None
            role = rng.choice([ProcessingRole.CONTROLLER] * 3 + [ProcessingRole.PROCESSOR])
            ProcessingActivityFactory(
                role=role,
                registered_on=registered,
                retired_on=retired,
                controllers_served="Client A" if role == ProcessingRole.PROCESSOR else "",
            )
            self.tags["activity retired on 31/12"] += retired == dt.date(y, 12, 31)

    def coi_cases(self) -> None:
        y, rng = self.year, self.rng
        days = [dt.date(y - 1, 12, 31), dt.date(y, 1, 1), dt.date(y, 12, 31), dt.date(y + 1, 1, 1)]
        days += [self.day_in(y) for _ in range(14)] + [self.day_in(y - 1) for _ in range(8)]
        for reported in days:
            if reported > self.today:
                continue
            qualification = rng.choice(
                [
                    "",
                    "",
                    Qualification.UNFOUNDED,
                    Qualification.POTENTIAL,
                    Qualification.POTENTIAL,
                    Qualification.CONFIRMED,
                    Qualification.CONFIRMED,
                ]
            )
            fields = {"reported_on": reported, "qualification": qualification}
            if qualification:
                fields["qualified_on"] = min(reported + dt.timedelta(days=rng.randint(0, 40)), self.today)
                # "reopened": sent back to analysis, its qualification and measures kept on record
                fields["status"] = rng.choice([CaseStatus.QUALIFIED, CaseStatus.CLOSED, CaseStatus.UNDER_ANALYSIS])
                if fields["status"] == CaseStatus.CLOSED:
                    fields["closed_on"] = fields["qualified_on"]
                self.tags[f"case {qualification} {fields['status']}"] += 1
            else:
                fields["status"] = rng.choice([CaseStatus.RECEIVED, CaseStatus.UNDER_ANALYSIS])
            case = CaseFactory(**fields)
            if qualification:
                count = (
                    rng.choice([0, 1, 1, 2, 3]) if qualification != Qualification.UNFOUNDED else rng.choice([0, 0, 1])
                )
                for kind in rng.sample(MeasureKind.values, count):
                    CaseMeasureFactory(case=case, kind=kind, decided_on=fields["qualified_on"])

    def corruption(self) -> None:
        """ESRS G1-4: incidents of corruption (some from confirmed conflict-of-interest cases, most cases
        confirmed staying mere conflicts of interest) and legal cases decided around the year boundaries."""
        y, rng = self.year, self.rng
        days = [dt.date(y - 1, 12, 31), dt.date(y, 1, 1), dt.date(y, 12, 31), dt.date(y + 1, 1, 1)]
        confirmed_cases = list(ConflictOfInterestCase.objects.filter(qualification=Qualification.CONFIRMED))
        sources = rng.sample(confirmed_cases, len(confirmed_cases) // 3) + [None] * 6
        incidents = []
        for case in sources:
            confirmed_on = rng.choice(days + [self.day_in(y), self.day_in(y - 1)])
            if case is not None:
                assert case.qualified_on is not None  # a confirmed case has its qualification day
                confirmed_on = max(confirmed_on, case.qualified_on)
            if confirmed_on > self.today:
                continue
            incidents.append(
                CorruptionIncidentFactory(
                    coi_case=case,
                    confirmed_on=confirmed_on,
                    nature=rng.choice(CorruptionNature.values),
                    workers_disciplined=rng.random() < 0.5,
                    partner_contract_terminated=rng.random() < 0.3,
                )
            )
            self.tags["incident from a case"] += case is not None
        for _ in range(10):
            opened = self.day_in(rng.choice((y - 1, y)))
            if opened > self.today:
                continue
            outcome = rng.choice(["", *ProceedingOutcome.values, ProceedingOutcome.CONVICTION])
            decided = max(opened, rng.choice(days + [self.day_in(y)])) if outcome else None
            if decided is not None and decided > self.today:
                outcome, decided = "", None
            fine = None
            if outcome in OUTCOMES_WITH_FINE and rng.random() < 0.8:
                fine = Decimal(rng.randint(0, 5_000_000)) / 100
            LegalProceedingFactory(
                incident=rng.choice(incidents + [None]) if incidents else None,
                defendant=rng.choice(Defendant.values),
                opened_on=opened,
                outcome=outcome,
                decided_on=decided,
                fine_eur=fine,
            )
            self.tags["conviction"] += outcome == ProceedingOutcome.CONVICTION

    def risk_maps(self) -> None:
        y, rng = self.year, self.rng
        for kind in (RiskMapKind.CONFLICT_OF_INTEREST, RiskMapKind.CORRUPTION):
            pool = [MacroProcessFactory(kind=kind, code=f"{kind[:3].upper()}{i}") for i in range(6)]
            candidates = [
                rng.choice([dt.date(y - 1, 3, 1), dt.date(y - 1, 12, 31), dt.date(y, 1, 1), None]),
                rng.choice([dt.date(y, 6, 30), dt.date(y, 12, 31), dt.date(y + 1, 1, 1), None]),
                rng.choice([dt.date(y, 12, 31), dt.date(y + 1, 1, 1), None, None]),
            ]
            approved = iter(sorted(d for d in candidates if d is not None and d <= self.today))
            for version, candidate in enumerate(candidates, start=1):
                day = next(approved) if candidate is not None and candidate <= self.today else None
                risk_map = RiskMapFactory(kind=kind, version=version, approved_on=day)
                for _ in range(rng.randint(2, 9)):
                    RiskFactory(map=risk_map, macro_process=rng.choice(pool))
                for _ in range(rng.randint(0, 6)):
                    RiskInterviewFactory(
                        map=risk_map, held_on=day or dt.date(y, 6, 1), function_type=rng.choice(FunctionType.values)
                    )


# -- the reference computation -------------------------------------------------------------------------
Parts = tuple  # (value, numerator, denominator)
NO_DATA: Parts = (None, None, None)
#: The AML/CFT figures (aml/indicators.py).
AML_CODES = (
    "E1_AML_ALERTS",
    "E1_AML_ALERTS_DECIDED_ON_TIME",
    "E1_AML_TRACFIN_REPORTS",
    "E1_AML_SCREENING_COVERAGE",
    "E1_AML_HITS_REVIEWED_ON_TIME",
)


class Reference:
    """Every computed indicator of a year, in plain Python over every row of every table involved."""

    def __init__(self, today: dt.date, now: dt.datetime | None = None) -> None:
        self.today = today
        #: The moment of the computation (the export runs "now"): what is answered is answered by then.
        self.now = now or paris(today, 23, 59)
        self.employees = list(Employee.objects.select_related("department").all())
        self.modules = {m.pk: m for m in Module.objects.all()}
        self.module_by_code = {m.code: m for m in self.modules.values()}
        self.audience_entities = {pk: {e.pk for e in m.audience_entities.all()} for pk, m in self.modules.items()}
        self.audience_departments = {pk: {d.pk for d in m.audience_departments.all()} for pk, m in self.modules.items()}
        self.completions = list(Completion.objects.all())
        self.sessions = {s.pk: s for s in Session.objects.all()}
        self.attendances = list(Attendance.objects.all())
        self.campaigns = list(PhishingCampaign.objects.all())
        self.requests = list(RightsRequest.objects.all())
        self.pauses = defaultdict(list)
        for pause in RightsRequestPause.objects.all():
            self.pauses[pause.request_id].append(pause)
        self.cnil = list(CnilCase.objects.all())
        self.breaches = list(Breach.objects.all())
        self.initial_notification = {
            n.breach_id: n.sent_at for n in BreachNotification.objects.all() if n.phase == NotificationPhase.INITIAL
        }
        self.activities = list(ProcessingActivity.objects.all())
        self.cases = list(ConflictOfInterestCase.objects.all())
        self.measures = defaultdict(set)
        for measure in CaseMeasure.objects.all():
            self.measures[measure.case_id].add(measure.kind)
        self.incidents = list(CorruptionIncident.objects.all())
        self.proceedings = list(LegalProceeding.objects.all())
        self.maps = list(RiskMap.objects.all())
        self.risks = list(Risk.objects.all())
        self.interviews = list(RiskInterview.objects.all())

    # -- training ----------------------------------------------------------------------------------------
    @staticmethod
    def present(employee: Employee, day: dt.date) -> bool:
        """docs/rules.md: hired on or before D, and no contract end or a contract end on or after D."""
        return employee.hired_on <= day and (employee.left_on is None or employee.left_on >= day)

    def in_audience(self, employee: Employee, module: Module) -> bool:
        if module.audience == Audience.MANAGERS and not employee.is_manager:
            return False
        entities, departments = self.audience_entities[module.pk], self.audience_departments[module.pk]
        if entities and employee.entity_id not in entities:
            return False
        return not departments or employee.department_id in departments

    def completion_counts(self, completion: Completion, module: Module, day: dt.date) -> bool:
        """Completed between deployment and D (Paris days), less than the renewal period before D.
        choice: a completion flagged as an anomaly is kept but not counted (Completion.anomaly help text)."""
        if completion.module_id != module.pk or completion.anomaly:
            return False
        done = paris_day(completion.completed_at)
        if not module.deployed_on <= done <= day:
            return False
        return module.renewal_months is None or done > day - relativedelta(months=module.renewal_months)

    @staticmethod
    def attended_long_enough(attendance: Attendance, module: Module) -> bool:
        """docs/rules.md: trained when the person attended for MORE than the module's minimum duration (the
        2023 DPEF: "sur une durée supérieure à 45 minutes"); choice: a module without a minimum counts any
        attendance, i.e. more than zero minutes (Module.min_attendance_minutes help text)."""
        minimum = module.min_attendance_minutes if module.min_attendance_minutes is not None else 0
        return attendance.minutes_attended > minimum

    def attendance_counts(self, attendance: Attendance, module: Module, day: dt.date) -> bool:
        """A workshop attendance trains when longer than the module's minimum duration."""
        session = self.sessions[attendance.session_id]
        if session.module_id != module.pk or not self.attended_long_enough(attendance, module):
            return False
        if not module.deployed_on <= session.held_on <= day:
            return False
        return module.renewal_months is None or session.held_on > day - relativedelta(months=module.renewal_months)

    def trained_at(self, module: Module, day: dt.date) -> set[int]:
        people = {c.employee_id for c in self.completions if self.completion_counts(c, module, day)}
        if module.kind != ModuleKind.E_LEARNING:
            people |= {a.employee_id for a in self.attendances if self.attendance_counts(a, module, day)}
        return people

    def rate(self, module: Module, day: dt.date) -> Parts:
        population = [e for e in self.employees if self.present(e, day) and self.in_audience(e, module)]
        trained = self.trained_at(module, day)
        numerator = sum(1 for e in population if e.pk in trained)
        return percent(numerator, len(population)), numerator, len(population)

    def counted_completions_in(self, year: int) -> list[Completion]:
        """choice: as in the rates, a flagged completion or one before the module's deployment is not counted."""
        result = []
        for completion in self.completions:
            done = paris_day(completion.completed_at)
            module = self.modules[completion.module_id]
            if done.year == year and not completion.anomaly and done >= module.deployed_on:
                result.append(completion)
        return result

    def qualifying_attendances_in(self, year: int, module: Module | None = None) -> list[Attendance]:
        """choice: sessions before the module's deployment day do not count (kpis.workshop_trained)."""
        result = []
        for attendance in self.attendances:
            session = self.sessions[attendance.session_id]
            session_module = self.modules[session.module_id]
            if module is not None and session_module.pk != module.pk:
                continue
            if (
                session.held_on.year == year
                and session.held_on >= session_module.deployed_on
                and self.attended_long_enough(attendance, session_module)
            ):
                result.append(attendance)
        return result

    def trainees(self, year: int) -> set[int]:
        return {c.employee_id for c in self.counted_completions_in(year)} | {
            a.employee_id for a in self.qualifying_attendances_in(year)
        }

    def training_has_data(self, year: int) -> bool:
        end = dt.date(year, 12, 31)
        return (
            any(self.present(e, end) for e in self.employees)
            or any(paris_day(c.completed_at).year == year for c in self.completions)
            or any(self.sessions[a.session_id].held_on.year == year for a in self.attendances)
            or any(c.sent_on.year == year for c in self.campaigns)
        )

    def hours(self, year: int, kind: str | None) -> Parts:
        """Completion durations (choice: the module's expected minutes when the LMS gave none) and every
        minute attended at sessions held in Y, by module kind; hours rounded half-up to the unit."""
        minutes = 0
        for completion in self.counted_completions_in(year):
            module = self.modules[completion.module_id]
            if kind is None or module.kind == kind:
                duration = completion.duration_minutes
                minutes += duration if duration is not None else (module.expected_minutes or 0)
        for attendance in self.attendances:
            session = self.sessions[attendance.session_id]
            if session.held_on.year == year and (kind is None or self.modules[session.module_id].kind == kind):
                minutes += attendance.minutes_attended
        return (Decimal(minutes) / 60).quantize(Decimal("1"), rounding=ROUND_HALF_UP), None, None

    def training(self, year: int) -> dict[str, Parts]:
        end = dt.date(year, 12, 31)
        has_data = self.training_has_data(year)
        result: dict[str, Parts] = {}
        for code, module_code in RATE_MODULES.items():
            module = self.module_by_code[module_code]
            # choice: a year that ended before the deployment is "no data", not a 0 % rate
            result[code] = self.rate(module, end) if has_data and module.deployed_on <= end else NO_DATA
        disability = result["E9_DISABILITY_ELEARNING_RATE"]
        result["E9_DISABILITY_ELEARNING_TRAINED"] = (disability[1], None, None) if disability != NO_DATA else NO_DATA
        for code, module_code in WORKSHOPS.items():
            module = self.module_by_code[module_code]
            people = {a.employee_id for a in self.qualifying_attendances_in(year, module)}
            result[code] = (len(people), None, None) if has_data and module.deployed_on <= end else NO_DATA
        if not has_data:
            for code in [
                *HOURS,
                "E8_TRAINED_AT_LEAST_ONCE_RATE",
                "E10_WOMEN_SHARE_OF_TRAINEES",
                "E2_PHISHING_TESTS",
                "G1_3_AT_RISK_TRAINED_RATE",
            ]:
                result[code] = NO_DATA
            return result
        trainees = self.trainees(year)
        present = [e for e in self.employees if self.present(e, end)]
        trained = sum(1 for e in present if e.pk in trainees)
        result["E8_TRAINED_AT_LEAST_ONCE_RATE"] = (percent(trained, len(present)), trained, len(present))
        for code, kind in HOURS.items():
            result[code] = self.hours(year, kind)
        # choice: a trainee whose gender is not stated counts in the denominator only
        women = sum(1 for e in self.employees if e.pk in trainees and e.gender == "F")
        result["E10_WOMEN_SHARE_OF_TRAINEES"] = (percent(women, len(trainees)), women, len(trainees))
        result["E2_PHISHING_TESTS"] = (sum(1 for c in self.campaigns if c.sent_on.year == year), None, None)
        # ESRS G1-3: at risk by their own flag or their department's; trained at 31/12 in an anti-corruption
        # module by that module's own rule (completion, or workshop attendance of its minimum duration)
        covered = set()
        for module in self.modules.values():
            if module.anti_corruption and module.deployed_on <= end:
                covered |= self.trained_at(module, end)
        at_risk = [e for e in present if e.function_at_risk or (e.department and e.department.function_at_risk)]
        numerator = sum(1 for e in at_risk if e.pk in covered)
        result["G1_3_AT_RISK_TRAINED_RATE"] = (percent(numerator, len(at_risk)), numerator, len(at_risk))
        return result

    # -- gdpr --------------------------------------------------------------------------------------------
    def applicable_deadline(self, request: RightsRequest) -> dt.date | None:
        """None while a pause is open (the deadline is suspended); else the one-month deadline, or the
        extended one when the requester was told of the extension on or before the first deadline."""
        pauses = self.pauses[request.pk]
        spans = [(p.asked_on, p.answered_on) for p in pauses if p.answered_on is not None]
        if len(spans) < len(pauses):  # a pause still open
            return None
        received_on = paris_day(request.received_at)
        first = request_deadline(received_on, 1, spans)
        if request.outcome in (Outcome.REFUSED, Outcome.UNFOUNDED):
            return first  # docs/rules.md: a refusal is notified within the same month (Art. 12(4)), extension or not
        if request.extension_notified_at is not None:
            told = paris_day(request.extension_notified_at)
            if told <= request_deadline(received_on, 1, [s for s in spans if s[0] <= told]):
                return request_deadline(received_on, 3, spans)
        return first

    def gdpr_has_data(self, year: int) -> bool:
        """Something recorded for the year: a request, a CNIL case, a breach (aware or notified in Y), or
        a register at 31/12."""
        end = dt.date(year, 12, 31)
        return (
            any(paris_day(r.received_at).year == year for r in self.requests)
            or any(c.received_on.year == year for c in self.cnil)
            or any(paris_day(b.aware_at).year == year for b in self.breaches)
            or any(paris_day(sent).year == year for sent in self.initial_notification.values())
            or any(self.in_register(a, end) for a in self.activities)
        )

    @staticmethod
    def in_register(activity: ProcessingActivity, day: dt.date) -> bool:
        """choice: an activity retired on D is no longer in the register on D (gdpr/models/register.py)."""
        return activity.registered_on <= day and (activity.retired_on is None or activity.retired_on > day)

    def gdpr(self, year: int) -> dict[str, Parts]:
        codes = [
            "E2_RIGHTS_REQUESTS",
            "E2_RIGHTS_REQUESTS_ANSWERED",
            "E2_RIGHTS_REQUEST_MEAN_DAYS",
            "E2_RIGHTS_REQUESTS_ON_TIME_RATE",
            "E2_CNIL_REFERRALS",
            "E2_CNIL_REFERRALS_ON_TIME_RATE",
            "E2_CNIL_COMPLAINTS_WITHOUT_REFERRAL",
            "E2_CNIL_COMPLAINTS_ON_TIME_RATE",
            "E2_BREACH_NOTIFICATIONS",
            "E2_BREACH_NOTIFIED_WITHIN_72H_RATE",
            "E2_PROCESSING_ACTIVITIES",
            "E2_PROCESSING_AS_CONTROLLER",
            "E2_PROCESSING_AS_PROCESSOR",
        ]
        if not self.gdpr_has_data(year):
            return dict.fromkeys(codes, NO_DATA)
        result: dict[str, Parts] = {}
        received = [r for r in self.requests if paris_day(r.received_at).year == year]
        result["E2_RIGHTS_REQUESTS"] = (len(received), None, None)
        # "reçues et traitées": received in Y and answered by the time of the computation; a refusal is an
        # answer (Art. 12(4)); choice: a withdrawal is not (catalogue method text)
        result["E2_RIGHTS_REQUESTS_ANSWERED"] = (
            sum(
                1
                for r in received
                if r.answered_at is not None and r.answered_at <= self.now and r.outcome != Outcome.WITHDRAWN
            ),
            None,
            None,
        )
        # choice: a withdrawal is stored as the end date but is not an answer (catalogue method text)
        answer_days = [
            (paris_day(r.answered_at) - paris_day(r.received_at)).days
            for r in received
            if r.answered_at is not None and r.outcome != Outcome.WITHDRAWN
        ]
        days = sum(answer_days)
        mean = (
            (Decimal(days) / len(answer_days)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP) if answer_days else None
        )
        result["E2_RIGHTS_REQUEST_MEAN_DAYS"] = (mean, days, len(answer_days))
        judged = on_time = 0
        for request in received:
            if request.outcome == Outcome.WITHDRAWN:  # choice: neither on time nor late (gdpr/selectors.py)
                continue
            deadline = self.applicable_deadline(request)
            if request.answered_at is not None:
                judged += 1
                on_time += deadline is not None and paris_day(request.answered_at) <= deadline
            elif deadline is not None and deadline < self.today:
                judged += 1
        result["E2_RIGHTS_REQUESTS_ON_TIME_RATE"] = (percent(on_time, judged), on_time, judged)
        referrals = [c for c in self.cnil if c.kind == CnilCaseKind.REFERRAL and c.received_on.year == year]
        result["E2_CNIL_REFERRALS"] = (len(referrals), None, None)
        judged_referrals = [c for c in referrals if c.answered_on is not None or reply_due(c) < self.today]
        in_time = sum(1 for c in judged_referrals if c.answered_on is not None and c.answered_on <= reply_due(c))
        result["E2_CNIL_REFERRALS_ON_TIME_RATE"] = (
            percent(in_time, len(judged_referrals)),
            in_time,
            len(judged_referrals),
        )
        complaints = [
            c for c in self.cnil if c.kind == CnilCaseKind.COMPLAINT_WITHOUT_REFERRAL and c.received_on.year == year
        ]
        result["E2_CNIL_COMPLAINTS_WITHOUT_REFERRAL"] = (len(complaints), None, None)
        # Judged like a referral against the reply date a CNIL letter set; choice: one without a reply date
        # cannot be late and is left out (catalogue method text)
        judged_complaints = [
            c for c in complaints if c.due_on is not None and (c.answered_on is not None or c.due_on < self.today)
        ]
        complaints_in_time = sum(
            1 for c in judged_complaints if c.answered_on is not None and c.answered_on <= reply_due(c)
        )
        result["E2_CNIL_COMPLAINTS_ON_TIME_RATE"] = (
            percent(complaints_in_time, len(judged_complaints)),
            complaints_in_time,
            len(judged_complaints),
        )
        notified = [
            b
            for b in self.breaches
            if b.pk in self.initial_notification and paris_day(self.initial_notification[b.pk]).year == year
        ]
        result["E2_BREACH_NOTIFICATIONS"] = (len(notified), None, None)
        # 72 elapsed hours: both instants in UTC, so a daylight-saving change does not move them
        within = sum(
            1 for b in notified if elapsed(b.aware_at, self.initial_notification[b.pk]) <= dt.timedelta(hours=72)
        )
        result["E2_BREACH_NOTIFIED_WITHIN_72H_RATE"] = (percent(within, len(notified)), within, len(notified))
        register = [a for a in self.activities if self.in_register(a, dt.date(year, 12, 31))]
        result["E2_PROCESSING_ACTIVITIES"] = (len(register), None, None)
        result["E2_PROCESSING_AS_CONTROLLER"] = (
            sum(1 for a in register if a.role == ProcessingRole.CONTROLLER),
            None,
            None,
        )
        result["E2_PROCESSING_AS_PROCESSOR"] = (
            sum(1 for a in register if a.role == ProcessingRole.PROCESSOR),
            None,
            None,
        )
        return result

    # -- compliance ----------------------------------------------------------------------------------------
    def map_in_force(self, kind: str, year: int) -> RiskMap | None:
        """The latest version approved on or before Y-12-31 (choice: the latest approval, then the highest
        version)."""
        approved = [m for m in self.maps if m.kind == kind and m.approved_on and m.approved_on <= dt.date(year, 12, 31)]
        return max(approved, key=lambda m: (m.approved_on, m.version)) if approved else None

    def compliance(self, year: int) -> dict[str, Parts]:
        result: dict[str, Parts] = {}
        reported = [c for c in self.cases if c.reported_on.year == year]
        incidents = [i for i in self.incidents if i.confirmed_on.year == year]
        # choice: a legal case brought or decided in Y is compliance data of Y (compliance/indicators.py)
        has_data = (
            bool(reported)
            or bool(incidents)
            or any(p.opened_on.year == year or (p.decided_on and p.decided_on.year == year) for p in self.proceedings)
            or any(m.approved_on and m.approved_on <= dt.date(year, 12, 31) for m in self.maps)
        )
        # ESRS G1-4 §24(a): decisions of Y against the company (choice: not those against its workers; a
        # CJIP fines but does not convict)
        company_decisions = [
            p
            for p in self.proceedings
            if p.defendant == Defendant.UNDERTAKING and p.decided_on is not None and p.decided_on.year == year
        ]
        # choice: "qualified confirmed" is the recorded qualification, also on a case reopened for analysis
        confirmed = [c for c in reported if c.qualification == Qualification.CONFIRMED]
        counts = {
            "E1_COI_SUSPICIONS": len(reported),
            "E1_COI_CONFIRMED_REFUSAL_OR_SANCTION": sum(
                1 for c in confirmed if self.measures[c.pk] & {MeasureKind.DOSSIER_REFUSED, MeasureKind.SANCTION}
            ),
            "E1_COI_QUALIFIED_WITH_ACTION_PLAN": sum(
                1
                for c in reported
                if c.qualification in (Qualification.POTENTIAL, Qualification.CONFIRMED)
                and MeasureKind.ACTION_PLAN in self.measures[c.pk]
            ),
            # ESRS G1-4 §25: incidents of corruption confirmed in Y, not confirmed conflicts of interest
            "G1_4_CONFIRMED_INCIDENTS": len(incidents),
            "G1_4_DISCIPLINARY_ACTIONS": sum(1 for i in incidents if i.workers_disciplined),
            "G1_4_PARTNER_CONTRACTS_TERMINATED": sum(1 for i in incidents if i.partner_contract_terminated),
            "G1_4_CONVICTIONS": sum(1 for p in company_decisions if p.outcome == ProceedingOutcome.CONVICTION),
            "G1_4_FINES_EUR": sum(
                (
                    p.fine_eur or Decimal(0)
                    for p in company_decisions
                    if p.outcome in (ProceedingOutcome.CONVICTION, ProceedingOutcome.SETTLEMENT)
                ),
                Decimal(0),
            ),
        }
        for code, count in counts.items():
            result[code] = (count, None, None) if has_data else NO_DATA
        coi = self.map_in_force(RiskMapKind.CONFLICT_OF_INTEREST, year)
        coi_risks = [r for r in self.risks if coi is not None and r.map_id == coi.pk]
        result["E1_COI_RISK_MAP_RISKS"] = (len(coi_risks), None, None) if coi else NO_DATA
        result["E1_COI_RISK_MAP_MACRO_PROCESSES"] = (
            (len({r.macro_process_id for r in coi_risks}), None, None) if coi else NO_DATA
        )
        corruption = self.map_in_force(RiskMapKind.CORRUPTION, year)
        result["E1_CORRUPTION_RISK_MAP_RISKS"] = (
            (sum(1 for r in self.risks if r.map_id == corruption.pk), None, None) if corruption else NO_DATA
        )
        result["E1_CORRUPTION_RISK_MAP_INTERVIEWS"] = (
            (sum(1 for i in self.interviews if i.map_id == corruption.pk), None, None) if corruption else NO_DATA
        )
        return result

    def aml(self, year: int) -> dict[str, Parts]:
        """The world holds no AML/CFT record: "no data" (tests/aml/test_indicators.py checks the figures)."""
        return dict.fromkeys(AML_CODES, NO_DATA)

    def whistleblowing(self, year: int) -> dict[str, Parts]:
        """The world holds no whistleblowing report: "no data" (tests/whistleblowing/test_indicators.py checks
        the figures)."""
        return {d.code: NO_DATA for d in catalogue.DEFINITIONS if d.code.startswith("G1_WB_")}

    def year(self, year: int) -> dict[str, Parts]:
        return {
            **self.training(year),
            **self.gdpr(year),
            **self.compliance(year),
            **self.aml(year),
            **self.whistleblowing(year),
        }


# -- the comparison -------------------------------------------------------------------------------------
def as_decimal(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def exported(item: dict) -> Parts:
    return as_decimal(item["value"]), item["numerator"], item["denominator"]


def expected(parts: Parts) -> Parts:
    value, numerator, denominator = parts
    return (None if value is None else Decimal(value)), numerator, denominator


def disagreements(data: dict, current: dict[str, Parts], previous: dict[str, Parts]) -> list[str]:
    problems = []
    for item in data["indicators"] + data["esrs"]:
        code = item["code"]
        if item["source"] != "computed":
            continue
        if code not in current:
            problems.append(f"{code}: not computed by this reference")
            continue
        if exported(item) != expected(current[code]):
            problems.append(f"{code} {data['year']}: export {exported(item)} != reference {expected(current[code])}")
        if as_decimal(item["previous_value"]) != expected(previous[code])[0]:
            problems.append(
                f"{code} previous ({data['year'] - 1}): export {item['previous_value']} != reference "
                f"{expected(previous[code])[0]}"
            )
    return problems


def build_and_compare(seed: int, year: int, now: dt.datetime) -> tuple[World, dict, dict, dict, list[str]]:
    with time_machine.travel(now, tick=False):
        world = World(seed, year, now)
        world.build()
        data = exports.as_dict(year)
        reference = Reference(world.today, world.now)
        current, previous = reference.year(year), reference.year(year - 1)
    return world, data, current, previous, disagreements(data, current, previous)


CASES = [
    pytest.param(101, 2023, dt.datetime(2024, 1, 22, 11, tzinfo=UTC), id="seed101-2023"),
    pytest.param(202, 2024, dt.datetime(2025, 2, 3, 11, tzinfo=UTC), id="seed202-2024"),
    pytest.param(303, 2025, dt.datetime(2026, 1, 12, 11, tzinfo=UTC), id="seed303-2025"),
]


@pytest.mark.parametrize(("seed", "year", "now"), CASES)
def test_the_export_agrees_with_an_independent_computation(seed, year, now):
    world, data, current, previous, problems = build_and_compare(seed, year, now)
    # Every computed indicator of the catalogue is checked, the DPEF table under "indicators" and the
    # ESRS G1 disclosures under "esrs", each once.
    computed = {d.code for d in catalogue.DEFINITIONS if d.computed}
    assert computed == set(current) == set(previous)
    assert [i["code"] for i in data["indicators"]] == [d.code for d in catalogue.definitions(catalogue.DPEF)]
    assert [i["code"] for i in data["esrs"]] == [d.code for d in catalogue.definitions(catalogue.ESRS)]
    # The data did reach the boundaries the rules turn on (else the comparison would prove little).
    for tag in (
        "hired on 31/12",
        "left on 31/12",
        "gender unknown",
        "audience limited by entity",
        "flagged completion",
        "attendance 44 min",
        "attendance 45 min",
        "attendance 46 min",
        "request answer",
        "request extend",
        "request ended on its deadline day 23:30",
        "request ended the day after its deadline 00:30",
        "breach notified late",
        "activity retired on 31/12",
        "complaint with a reply date",
        "incident from a case",
        "conviction",
    ):
        assert world.tags[tag] > 0, tag
    assert current["E2_RIGHTS_REQUESTS"][0] > 0 and current["E1_COI_SUSPICIONS"][0] > 0
    assert 0 < current["E2_RIGHTS_REQUESTS_ON_TIME_RATE"][1] < current["E2_RIGHTS_REQUESTS_ON_TIME_RATE"][2]
    assert 0 < current["E2_BREACH_NOTIFIED_WITHIN_72H_RATE"][1] < current["E2_BREACH_NOTIFIED_WITHIN_72H_RATE"][2]
    assert problems == []


def test_a_breach_notified_in_y_but_known_in_y_minus_1_is_counted_in_y():
    now = dt.datetime(2024, 1, 20, 12, tzinfo=UTC)
    with time_machine.travel(now, tick=False):
        breach = breach_services.breach_create(
            actor=None, aware_at=paris(dt.date(2022, 12, 30), 12), title="Lost laptop"
        )
        breach_services.breach_notify(actor=None, breach=breach, sent_at=paris(dt.date(2023, 1, 1), 0, 30))
        data = exports.as_dict(2023)
        reference = Reference(paris_day(now), now).year(2023)
    items = {item["code"]: item for item in data["indicators"]}
    assert reference["E2_BREACH_NOTIFICATIONS"] == (1, None, None)
    assert reference["E2_BREACH_NOTIFIED_WITHIN_72H_RATE"] == (Decimal("100.0"), 1, 1)
    assert exported(items["E2_BREACH_NOTIFICATIONS"]) == expected(reference["E2_BREACH_NOTIFICATIONS"])
    assert exported(items["E2_BREACH_NOTIFIED_WITHIN_72H_RATE"]) == expected(
        reference["E2_BREACH_NOTIFIED_WITHIN_72H_RATE"]
    )
