"""Finding what the domain apps declare (docs/architecture.md: small explicit registries, no signals)."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from importlib import import_module
from types import ModuleType

from django.apps import AppConfig, apps


def app_modules(name: str) -> Iterator[tuple[AppConfig, ModuleType]]:
    """`<app>.<name>` of every installed app that has one (an ImportError inside such a module is raised,
    not taken for "no module"). Found once per name: the installed apps do not change once loaded, and a
    missing module would otherwise be searched on disk at every call."""
    yield from _app_modules(name)


@functools.cache
def _app_modules(name: str) -> tuple[tuple[AppConfig, ModuleType], ...]:
    found = []
    for config in apps.get_app_configs():
        try:
            module = import_module(f"{config.name}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.{name}":
                raise
            continue
        found.append((config, module))
    return tuple(found)
