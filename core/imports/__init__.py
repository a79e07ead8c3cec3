"""The import machinery shared by every `import_<kind>` (docs/interfaces.md, "Imports").

An app declares an `Importer` in its `importers.py` (columns, natural key, how a row becomes field
values) and registers it; the engine, the readers and the parsers here do the rest, identically for
the command line (`core.imports.command.ImportCommand`), the admin upload page and the API.
"""

from .engine import (
    Column,
    Importer,
    ImportReport,
    Lookup,
    Reject,
    Row,
    RowError,
    RowSkipped,
    rejects_path_for,
    run_import,
)
from .readers import Refused
from .registry import get_importer, importers, register

__all__ = [
    "Column",
    "ImportReport",
    "Importer",
    "Lookup",
    "Refused",
    "Reject",
    "Row",
    "RowError",
    "RowSkipped",
    "get_importer",
    "importers",
    "register",
    "rejects_path_for",
    "run_import",
]
