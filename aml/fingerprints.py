"""What screening reads of a record, as a hash, and a counterparty's blocking keys.

A counterparty's `screening_hash` (kind, normalised name, birth date) and a list entry's `content_hash` (kind,
normalised name and aliases, birth dates) tell whether a record changed in a way that matters to screening: a
hit is raised again for a reviewed pair only when the entry's hash changed (docs/rules.md)."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable

from .matching import blocking_keys, normalise


def _digest(*parts: str) -> str:
    return hashlib.blake2b("\x1f".join(parts).encode(), digest_size=16).hexdigest()


def counterparty_hash(kind: str, name: str, birth_date: dt.date | None) -> str:
    return _digest(kind, normalise(name), birth_date.isoformat() if birth_date else "")


def entry_hash(kind: str, name: str, aliases: Iterable[str], birth_dates: str) -> str:
    names = sorted({normalise(a) for a in aliases if a.strip()} - {normalise(name)})
    return _digest(kind, normalise(name), "|".join(names), birth_dates)


def counterparty_keys(name: str) -> set[str]:
    """The blocking keys stored in CounterpartyKey for this name (keys longer than the column are cut)."""
    return {key[:64] for key in blocking_keys(normalise(name))}
