"""The registry of importers: each app declares its own in `<app>/importers.py` with `@register`."""
from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from django.utils.module_loading import autodiscover_modules

if TYPE_CHECKING:
    from .engine import Importer

_importers: dict[str, type[Importer]] = {}
_discovered = False
I = TypeVar("I", bound="type[Importer]")


def register(importer_class: I) -> I:
    """Class decorator: make `importer_class` reachable by its `kind` (command, admin, API)."""
    kind = importer_class.kind
    existing = _importers.get(kind)
    if existing is not None and existing is not importer_class:
        raise ValueError(f"two importers for kind '{kind}': {existing.__qualname__} and {importer_class.__qualname__}")
    _importers[kind] = importer_class
    return importer_class


def _discover() -> None:
    global _discovered
    if not _discovered:
        autodiscover_modules("importers")
        _discovered = True


def importers() -> dict[str, type[Importer]]:
    """Every registered importer, by kind, in alphabetical order."""
    _discover()
    return dict(sorted(_importers.items()))


def get_importer(kind: str) -> type[Importer]:
    """The importer of `kind`; KeyError (with the known kinds) when there is none."""
    _discover()
    try:
        return _importers[kind]
    except KeyError:
        raise KeyError(f"no importer for kind '{kind}' (known: {', '.join(sorted(_importers)) or 'none'})") from None
