"""Helpers of the screening tests: counterparties and entries as the importers leave them (hashes, keys)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from aml.fingerprints import counterparty_hash, entry_hash
from aml.matching import normalise
from aml.models import Counterparty, ListEntry, ScreeningList
from aml.screening import write_counterparty_keys
from tests.aml.factories import CounterpartyFactory, ListEntryFactory, ScreeningListFactory


def counterparty(name: str, *, kind: str = "person", birth_date: dt.date | None = None, **fields) -> Counterparty:
    """A counterparty with its screening hash and blocking keys, as `import_counterparties` writes it."""
    record = CounterpartyFactory(
        name=name, kind=kind, birth_date=birth_date, screening_hash=counterparty_hash(kind, name, birth_date), **fields
    )
    write_counterparty_keys([record])
    return record


def entry(
    name: str,
    *,
    screening_list: ScreeningList | None = None,
    aliases: tuple[str, ...] = (),
    birth_dates: str = "",
    kind: str = "person",
    **fields,
) -> ListEntry:
    """A listed entry with its content hash, as `import_screening_list` writes it."""
    return ListEntryFactory(
        screening_list=screening_list or ScreeningListFactory(code="FR-GELS"),
        name=name,
        kind=kind,
        aliases="\n".join(aliases),
        birth_dates=birth_dates,
        content_hash=entry_hash(kind, name, aliases, birth_dates),
        **fields,
    )


def change_entry(record: ListEntry, **fields) -> ListEntry:
    """A new version of the entry, as a list import leaves it (hash and changed_at)."""
    for name, value in fields.items():
        setattr(record, name, value)
    record.content_hash = entry_hash(record.kind, record.name, record.alias_list(), record.birth_dates)
    record.changed_at = timezone.now()
    record.save()
    return record


def rename(record: Counterparty, name: str) -> Counterparty:
    """The counterparty renamed, as the importer leaves it (hash, changed_at, keys)."""
    record.name = name
    record.name_normalised = normalise(name)
    record.screening_hash = counterparty_hash(record.kind, name, record.birth_date)
    record.changed_at = timezone.now()
    record.save()
    write_counterparty_keys([record])
    return record
