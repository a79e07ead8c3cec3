"""Finding what the domain apps declare (ARCHITECTURE.md: small explicit registries, no signals)."""
from __future__ import annotations

from collections.abc import Iterator
from importlib import import_module
from types import ModuleType

from django.apps import AppConfig, apps


def app_modules(name: str) -> Iterator[tuple[AppConfig, ModuleType]]:
    """`<app>.<name>` of every installed app that has one (an ImportError inside such a module is raised,
    not taken for "no module")."""
    for config in apps.get_app_configs():
        try:
            module = import_module(f"{config.name}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.{name}":
                raise
            continue
        yield config, module
