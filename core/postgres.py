"""PostgreSQL-only indexes: the trigram indexes that serve the lists' `icontains` search (issue 17).

Django's admin searches with `icontains`, which PostgreSQL runs as `UPPER(column::text) LIKE UPPER('%…%')`:
no B-tree serves it, a GIN index of the trigrams of `UPPER(column)` does (pg_trgm, a trusted extension the
database's owner may create). SQLite, the embedded default, has no such index and does not need one at its
sizes: `AddPostgresIndex` creates the index on PostgreSQL only and leaves the models' state alone, so no
later migration ever asks SQLite to rebuild a GIN index.
"""

from __future__ import annotations

from typing import Any

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.operations import TrigramExtension
from django.db.migrations.operations.base import Operation
from django.db.models.functions import Upper


def trigram_index(field: str, name: str) -> GinIndex:
    """A GIN index of the trigrams of UPPER(field): serves `field__icontains` (and `istartswith`)."""
    return GinIndex(OpClass(Upper(field), name="gin_trgm_ops"), name=name)


class SharedTrigramExtension(TrigramExtension):
    """CREATE EXTENSION pg_trgm on PostgreSQL (nothing elsewhere), kept when one app's migration is undone:
    several apps' indexes use it."""

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        pass


class AddPostgresIndex(Operation):
    """Create `index` on `model_name`'s table on PostgreSQL; nothing on another database, nor in the state."""

    reduces_to_sql = False
    reversible = True

    def __init__(self, model_name: str, index: Any) -> None:
        self.model_name = model_name
        self.index = index

    def state_forwards(self, app_label: str, state: Any) -> None:
        pass  # not a model option: the state (and SQLite's table rebuilds) never see it

    def database_forwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            model = to_state.apps.get_model(app_label, self.model_name)
            schema_editor.add_index(model, self.index)

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            model = from_state.apps.get_model(app_label, self.model_name)
            schema_editor.remove_index(model, self.index)

    def describe(self) -> str:
        return f"Create index {self.index.name} on {self.model_name} (PostgreSQL only)"

    @property
    def migration_name_fragment(self) -> str:
        return f"{self.model_name.lower()}_{self.index.name.lower()}"
