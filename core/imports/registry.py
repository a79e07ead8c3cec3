"""The registry of importers: each app declares its own in `<app>/importers.py` with `@register`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.utils.module_loading import autodiscover_modules

if TYPE_CHECKING:
    from .engine import Importer

_importers: dict[str, type[Importer]] = {}
_discovered = False
ImporterT = TypeVar("ImporterT", bound="type[Importer]")


def unique_natural_key(importer_class: type[Importer]) -> str | None:
    """Why re-importing a file with `importer_class` could duplicate records, None when it cannot.

    The engine matches rows to records on the importer's `natural_key` (attnames). A re-run (after an
    interrupted import, or of the same file) creates nothing twice only if the database itself holds the
    key unique: a unique field or an unconditional unique constraint made of key fields only.
    """
    model = importer_class.model
    names = tuple(getattr(importer_class, "natural_key", ()) or ())
    if not names:
        return f"{importer_class.__qualname__} declares no natural_key"
    fields = set()
    for name in names:
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            return f"{importer_class.__qualname__}: natural key field '{name}' is not a field of {model.__name__}"
        if getattr(field, "attname", None) != name or not field.concrete:
            return f"{importer_class.__qualname__}: natural key '{name}' must be a concrete field's attname"
        fields.add(field.name)
    unique_sets = [{field.name} for field in model._meta.concrete_fields if field.unique]
    unique_sets += [set(together) for together in model._meta.unique_together]
    unique_sets += [set(constraint.fields) for constraint in model._meta.total_unique_constraints]
    if any(unique <= fields for unique in unique_sets if unique):
        return None
    return (
        f"{importer_class.__qualname__}: no unique field or unconditional unique constraint of "
        f"{model.__name__} is made of the natural key ({', '.join(names)}) alone: a re-run could duplicate rows"
    )


def register(importer_class: ImporterT) -> ImporterT:
    """Class decorator: make `importer_class` reachable by its `kind` (command, admin, API). Refuses an
    importer whose natural key the database does not hold unique (see `unique_natural_key`)."""
    kind = importer_class.kind
    if (problem := unique_natural_key(importer_class)) is not None:
        raise ImproperlyConfigured(problem)
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


def visible_kinds(user: Any) -> list[str]:
    """The kinds whose records `user` may view, and whose import is not sealed from them: the runs of the
    other kinds (their rejected rows hold raw lines, a case's facts for instance) are not shown to them."""
    from core.roles import can_view, sealed_out

    result = []
    for kind, importer_class in importers().items():
        # A kind whose import is sealed (it writes a whistleblowing report's sealed content) is its seal's only.
        if can_view(user, importer_class.model) and not sealed_out(user, importer_class.add_permission()):
            result.append(kind)
    return result
