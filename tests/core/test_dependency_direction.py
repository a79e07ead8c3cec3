"""Dependencies point one way (docs/architecture.md): domains → notifications, reporting → organization → core.

No module of the floor apps imports a domain app, anywhere: not at the top of a module, not inside a function,
not through `importlib.import_module("gdpr...")`, `import_string(...)`, `apps.get_model("gdpr", ...)` or a
dotted path naming a domain's module ("gdpr.demo.load"). A domain declares what it contributes (alerts.py,
indicators.py, retention.py, importers) and the floor reads the declarations, so that a new domain plugs in
without touching the floor. The domains are the project's installed apps that are not floor apps: a new one
is covered as soon as it is installed.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
FLOOR = ("core", "organization", "notifications", "reporting")

#: Calls whose first argument is a dotted path to import.
IMPORTING_CALLS = {"import_module", "import_string", "__import__"}
#: Calls whose first argument is an app label or "app_label.model".
APP_CALLS = {"get_model", "get_app_config", "get_models"}


def _domains() -> frozenset[str]:
    """The project's own installed apps (their package is in the repository) that are not floor apps."""
    # A virtual environment inside the checkout (.venv) holds installed apps too: the package must be a
    # top-level folder of the repository.
    tops = {config.name.partition(".")[0]: Path(config.path).resolve() for config in apps.get_app_configs()}
    return frozenset(
        top
        for top, path in tops.items()
        if path.is_relative_to((ROOT / top).resolve()) and (ROOT / top / "__init__.py").is_file() and top not in FLOOR
    )


def _floor_files() -> list[Path]:
    return sorted(path for app in FLOOR for path in (ROOT / app).rglob("*.py"))


def _is_module_path(dotted: str, domains: frozenset[str]) -> bool:
    """Whether `dotted` names a domain app or one of its modules, or an attribute of one ("gdpr.demo.load"),
    rather than a permission or a model label ("gdpr.view_breach", "gdpr.rightsrequest")."""
    parts = dotted.split(".")
    if len(parts) < 2 or parts[0] not in domains or not all(part.isidentifier() for part in parts):
        return False  # a bare app label ("gdpr") grants permissions (core/roles.py): no import
    base = ROOT.joinpath(*parts[:2])
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def _docstrings(tree: ast.AST) -> set[int]:
    """The ids of the string constants that are docstrings or bare string statements (prose, not code)."""
    return {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
    }


def _call_name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def domain_imports(path: Path, domains: frozenset[str]) -> Iterator[tuple[int, str]]:
    """(line, what is imported) for every reference of `path` to a domain app."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    prose = _docstrings(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names if alias.name.split(".")[0] in domains)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module and node.module.split(".")[0] in domains:
                yield node.lineno, node.module
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            first, name = node.args[0].value, _call_name(node)
            if not isinstance(first, str):
                continue
            if name in IMPORTING_CALLS and first.split(".")[0] in domains:
                yield node.lineno, first
            elif name in APP_CALLS and first.split(".")[0] in domains:
                yield node.lineno, f"{name}({first!r})"
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in prose
            and _is_module_path(node.value, domains)
        ):
            yield node.lineno, node.value


def _relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def test_the_domains_are_the_installed_apps_beyond_the_floor():
    domains = _domains()
    assert {"compliance", "gdpr", "training"} <= domains
    assert not domains & set(FLOOR)


def test_no_floor_module_imports_a_domain_app():
    domains = _domains()
    found = [
        f"{_relative(path)}:{line}: {imported}"
        for path in _floor_files()
        for line, imported in domain_imports(path, domains)
    ]
    assert not found, (
        'The floor apps must not import a domain app (docs/architecture.md, "Dependencies point '
        'one way"): declare it in the domain instead.\n' + "\n".join(found)
    )


@pytest.mark.parametrize(
    ("source", "imports"),
    [
        ("from gdpr.models import Breach", True),
        ("import training.kpis", True),
        ("def f():\n    from compliance import selectors", True),
        ("import importlib\nimportlib.import_module('gdpr.alerts')", True),
        ("from django.utils.module_loading import import_string\nimport_string('training.demo.load')", True),
        ("from django.apps import apps\napps.get_model('gdpr', 'Breach')", True),
        ("from django.apps import apps\napps.get_model('gdpr.breach')", True),
        ("LOADERS = ('gdpr.demo.load',)", True),
        ('"""Reads gdpr.selectors, training.kpis."""', False),
        ("PERMISSION = 'gdpr.view_breach'", False),
        ("GRANTS = {'gdpr': ('view',)}", False),
        ("LABEL = 'gdpr.rightsrequest'", False),
        ("from .models import Alert", False),
        ("from core.roles import can_view", False),
    ],
)
def test_the_scan_sees_every_way_of_importing_and_leaves_prose_permissions_and_labels_alone(tmp_path, source, imports):
    path = tmp_path / "module.py"
    path.write_text(source, encoding="utf-8")
    assert bool(list(domain_imports(path, frozenset({"compliance", "gdpr", "training"})))) is imports


#: A template tag that draws another template: `{% include "…" %}`, `{% extends "…" %}`.
TEMPLATE_USE = re.compile(r"""{%\s*(?:include|extends)\s+["']([^"']+)["']""")


def template_uses(path: Path, domains: frozenset[str]) -> list[str]:
    """The domains' templates `path` includes or extends (their templates live under admin/<app>/ or <app>/)."""
    used = TEMPLATE_USE.findall(path.read_text(encoding="utf-8"))
    return [
        name
        for name in used
        if name.split("/")[0] in domains or (name.startswith("admin/") and name.split("/")[1] in domains)
    ]


def test_no_floor_template_draws_a_domain_template():
    domains = _domains()
    found = [
        f"{_relative(path)}: {name}"
        for app in FLOOR
        for path in sorted((ROOT / app).rglob("*.html"))
        for name in template_uses(path, domains)
    ]
    assert not found, "A floor template must not include or extend a domain's template:\n" + "\n".join(found)


@pytest.mark.parametrize(
    ("source", "uses"),
    [
        ('{% include "admin/training/module/dashboard_style.html" %}', True),
        ("{% extends 'gdpr/letter.html' %}", True),
        ('{% include "admin/vigie/dashboard_style.html" %}', False),
        ('{% extends "admin/change_form.html" %}', False),
        ("{% include panel.template %}", False),
    ],
)
def test_the_template_scan_sees_includes_and_extends_of_a_domain(tmp_path, source, uses):
    path = tmp_path / "page.html"
    path.write_text(source, encoding="utf-8")
    assert bool(template_uses(path, frozenset({"compliance", "gdpr", "training"}))) is uses
