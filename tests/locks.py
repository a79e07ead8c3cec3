"""Which models a piece of code locks (`select_for_update`): SQLite ignores the clause, so the tests of
a service's locks spy on the queryset method instead of reading the SQL."""

from __future__ import annotations

from django.db.models import QuerySet


def record_locks(monkeypatch) -> list[type]:
    """Patch `QuerySet.select_for_update` for the test; the returned list fills with the locked models."""
    locked: list[type] = []
    original = QuerySet.select_for_update

    def spy(self, *args, **kwargs):
        locked.append(self.model)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(QuerySet, "select_for_update", spy)
    return locked
