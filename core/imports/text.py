"""Text folding shared by header matching, choice matching and lookups: "Date d'entrée" ≈ "date_d_entree"."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_NOT_ALNUM = re.compile(r"[^0-9a-z]+")
_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=4096)
def fold(value: str) -> str:
    """Lower-case, drop accents and every character that is not a letter or a digit.

    Used for header names and choice values, where "E-mail", "e_mail" and "EMAIL" mean the same
    thing and "Prénom" is typed "Prenom" half of the time.
    """
    decomposed = unicodedata.normalize("NFKD", value)
    ascii_only = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return _NOT_ALNUM.sub("", ascii_only)


def fold_name(value: str) -> str:
    """Looser than the stored value, stricter than `fold`: case, accents and runs of spaces only.

    Used to match names (departments) so "Direction  financière" finds "DIRECTION FINANCIERE"
    while "R&D" and "RD" stay different.
    """
    decomposed = unicodedata.normalize("NFKD", value)
    ascii_only = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return _SPACES.sub(" ", ascii_only).strip()


def fold_code(value: str) -> str:
    """Codes (entity codes...) are matched ignoring case and surrounding spaces only: "sf" is "SF",
    but "SF-1" and "SF1" stay different."""
    return value.strip().casefold()
