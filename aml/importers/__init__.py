"""Importers of the AML/CFT app (found by core.imports autodiscovery)."""

from . import alerts  # noqa: F401 - registers the importers
