"""The reporting part of the demo (core/demo.py runs it last):

- the functions at risk of corruption (ESRS G1-3): the managers, who hold delegations to grant loans
  and subsidies, flagged on their employee record (with history);
- the DPEF's manual indicators for 2022 and 2023 as the company published them, entered with their
  owner and, as source, the page of the published statement;
- 2022 computed and frozen by the compliance officer (the verified year: the 2023 export takes its
  previous values from it), 2023 computed and left open.

Idempotent: what exists is left as it is.
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth import get_user_model
from simple_history.utils import bulk_update_with_history

from organization.models import Employee

from . import services
from .models import ManualValue, ReportingYear

SOURCE = "DPEF 2023 d'Action Logement Services, publiée en 2024"
#: code → (owner, page of the DPEF 2023, value 2023, value 2022 or None)
MANUAL = {
    "E5_GHG_SCOPE_1_2": ("Direction RSE", "p.27-35", Decimal("3011.9"), None),
    "E6_COMPLAINTS_RECEIVED": ("Direction de la relation clients", "p.36-40", Decimal("9343"), Decimal("10417")),
    "E6_COMPLAINTS_PROCESSED_RATE": ("Direction de la relation clients", "p.36-40", Decimal("97"), Decimal("96")),
    "E7_AGREEMENT_ACCEPTANCE_RATE": ("Direction des ressources humaines", "p.41-43", Decimal("100"), Decimal("75")),
    "E9_DISABILITY_EMPLOYMENT_RATE": ("Mission handicap", "p.50-54", Decimal("6.12"), Decimal("5.06")),
    "E10_GENDER_EQUALITY_INDEX": ("Direction des ressources humaines", "p.55-59", Decimal("89"), Decimal("88")),
}
REASON = "demo: managers hold functions at risk (ESRS G1-3)"


def flag_functions_at_risk() -> int:
    employees = list(Employee.objects.filter(is_manager=True, function_at_risk=False))
    for employee in employees:
        employee.function_at_risk = True
    if employees:
        bulk_update_with_history(
            employees, Employee, ["function_at_risk"], batch_size=500, default_change_reason=REASON
        )
    return len(employees)


def enter_manual_values(actor) -> int:
    entered = 0
    for code, (owner, page, value_2023, value_2022) in MANUAL.items():
        for year, value in ((2023, value_2023), (2022, value_2022)):
            if value is None or ManualValue.objects.filter(year=year, code=code).exists():
                continue
            services.manual_value_save(
                year=year, code=code, value=value, owner=owner, actor=actor, source_reference=f"{SOURCE}, {page}"
            )
            entered += 1
    return entered


def load(user) -> str:
    officer = get_user_model().objects.filter(username="conformite").first() or user
    flagged = flag_functions_at_risk()
    entered = enter_manual_values(officer)
    done = []
    for year, freeze in ((2022, True), (2023, False)):
        reporting_year = ReportingYear.objects.filter(year=year).first()
        if reporting_year is not None and (reporting_year.frozen or not freeze):
            continue
        services.year_compute(year, actor=officer)
        if freeze:
            services.year_freeze(year, officer)
        done.append(f"{year} {'computed and frozen' if freeze else 'computed'}")
    return f"reporting: {flagged} managers flagged at risk, {entered} manual values entered" + (
        f", {', '.join(done)}" if done else ""
    )
