"""Importers of the compliance app (found by core.imports autodiscovery)."""

from . import cases  # noqa: F401 - registers the importers
