"""Importers of the whistleblowing app (found by core.imports autodiscovery), one module per record type."""

from . import reports  # noqa: F401 - registers the importers
