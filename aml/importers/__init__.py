"""Importers of the aml app (found by core.imports autodiscovery), one module per record type."""

from . import alerts, counterparties, screening_list  # noqa: F401 - registers the importers
