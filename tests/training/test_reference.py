"""The reference modules of docs/interfaces.md exist in every installation (data migration), and come back
after `flush` (ensure_reference_modules)."""

import datetime as dt

import pytest

from training.models import Module
from training.reference import REFERENCE_MODULES, ensure_reference_modules

pytestmark = pytest.mark.django_db


def test_the_data_migration_created_every_reference_module_with_its_history():
    modules = {m.code: m for m in Module.objects.filter(is_reference=True)}
    assert set(modules) == {row[0] for row in REFERENCE_MODULES}
    assert modules["RGPD"].renewal_months == 24 and modules["CYBER"].renewal_months == 24
    assert modules["LCBFT"].deployed_on == dt.date(2022, 11, 22)
    assert modules["DEONTO"].deployed_on == dt.date(2022, 4, 11)
    assert modules["RSE"].deployed_on == dt.date(2023, 6, 1)
    assert modules["ATELIER-DEONTO"].min_attendance_minutes == 45
    assert modules["ATELIER-HANDICAP"].audience == "managers"
    assert all(Module.history.filter(code=code, history_type="+").exists() for code in modules)


def test_ensure_reference_modules_recreates_only_what_is_missing():
    Module.objects.filter(code="RSE").delete()
    changed = Module.objects.get(code="RGPD")
    changed.title = "RGPD (refonte 2025)"
    changed.save()
    assert ensure_reference_modules() == 1
    assert ensure_reference_modules() == 0
    assert Module.objects.get(code="RGPD").title == "RGPD (refonte 2025)"
    assert Module.objects.get(code="RSE").is_reference
