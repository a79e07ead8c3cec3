"""How long the HR roster keeps an employee's identity after their departure (core/retention.py).

CNIL référentiel on personnel management (délibération n° 2019-160 of 21 November 2019): the data are
kept during the employment, then archived for the legal limitation periods; five years after the last
day of contract (Code civil art. 2224; Code du travail L.1134-5 for discrimination claims) is the
default. What goes: the names, the email and the employee ID (replaced by "ANON-<id>": an ID that
the HR systems still map to the person is not anonymous). What stays is what the training indicators
need: entity, department, hiring and leaving dates, gender, manager and function-at-risk flags, and the
completions and attendances (they point at the anonymised row). An employee is anonymised on time
whatever other records say about them: those who read the roster without reading the cases must not
learn who a case names from who is still identified. A conflict-of-interest case not anonymised yet
keeps the identity of the employees it names, on the case (compliance/retention.py, a copy).

A roster file imported again later with the old employee ID would create a new employee: the old ID
is gone on purpose.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from core.retention import Period, Policy, Token

POLICIES = (
    Policy(
        code="organization.employee",
        model="organization.employee",
        label=_("employees who left"),
        start=("left_on",),
        start_label=_("the last day of contract"),
        default=Period(years=5),
        basis="CNIL référentiel gestion du personnel (délibération 2019-160); five years: Code civil art. 2224",
        fields={"employee_id": Token("ANON-"), "last_name": "", "first_name": "", "email": ""},
        reference="pk",
    ),
)
