"""What the apps declare for the auditor pack (reporting/records.py): the columns of their records, checked at
startup, and the pack itself, which knows no domain app."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.conf import settings

from reporting import records, registry
from reporting.records import Derived, RecordsExtra, paris_day

DOMAINS = {"compliance", "gdpr", "training", "whistleblowing"}


def errors() -> list[str]:
    return [message.msg for message in records.check_records() if message.id == "reporting.E004"]


def test_the_declared_columns_pass_the_check():
    assert errors() == []


def test_each_app_declares_only_its_own_models():
    assert {label.split(".")[0] for label in records.COLUMNS} == DOMAINS | {"organization"}


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        ((("due", "due_on_typo"),), "'due_on_typo' is not a field path"),
        ((("entity", "reference__code"),), "goes past a field that is not a relation"),
        ((("day", paris_day("nowhere")),), "'nowhere' is not a field path"),
        ((("reference", "reference"), ("reference", "aware_at")), "headers must differ"),
        ((("id", "reference"),), "headers must differ"),
    ],
)
def test_a_wrong_declaration_is_reported(monkeypatch, columns, message):
    monkeypatch.setitem(records.COLUMNS, "gdpr.breach", columns)
    assert any(message in error for error in errors()), errors()


def test_a_model_is_declared_by_its_own_app_and_once(monkeypatch):
    monkeypatch.setattr(records, "_PROBLEMS", [])
    records.register("compliance", {"gdpr.breach": (("reference", "reference"),)}, origin="compliance.indicators")
    records.register("gdpr", {"gdpr.breach": (("reference", "reference"),)}, origin="gdpr.indicators")
    assert any("gdpr.breach is not a model of compliance" in error for error in errors())
    assert any("the columns of gdpr.breach are declared twice" in error for error in errors())
    assert records.COLUMNS["gdpr.breach"][0] == ("reference", "reference")  # the app's own, kept


def test_an_extra_must_extend_a_declared_model_and_read_models(monkeypatch):
    computation = registry.computation("E8_TRAINED_AT_LEAST_ONCE_RATE")
    wrong = RecordsExtra(("x",), lambda year: dict, "auth.user", ("training.nothing",))
    monkeypatch.setitem(
        registry._COMPUTATIONS,
        computation.code,
        registry.Computation(computation.code, computation.compute, records_extra=wrong, models=computation.models),
    )
    found = errors()
    assert any("extends auth.user, which has no declared columns" in error for error in found), found
    assert any("reads 'training.nothing', which is not a model" in error for error in found), found


def test_a_derived_column_reads_its_paths():
    assert paris_day("received_at") == Derived(paris_day("received_at").function, ("received_at",), by_value=True)
    assert list(records.paths_of((("a", "x"), ("b", Derived(max, ("y", "z")))))) == ["x", "y", "z"]


def test_the_auditor_pack_and_the_declarations_import_no_domain_app():
    """Domains declare, reporting serves: a new domain adds its records without touching reporting/."""
    root = Path(settings.BASE_DIR) / "reporting"
    found = []
    for path in [root / "records.py", *sorted((root / "auditor_pack").glob("*.py"))]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom) and not node.level
                else []
            )
            found += [f"{path.name}:{node.lineno}: {name}" for name in names if name.split(".")[0] in DOMAINS]
    assert found == []
