"""Importers of the gdpr app (found by core.imports' autodiscovery), one module per record type."""

from . import breaches, cnil, register, rights  # noqa: F401 - registers the importers
