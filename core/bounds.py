"""The ranges of numbers Vigie accepts from people and files, and the strict reading of a whole number.

One definition for the imports (core/imports/parsers.py), the API filters (core/api/filters.py) and the
admin's list filters (core/admin_utils.py): a year outside 1900-2199 is a typing error in every one of
them, and an integer beyond 64 bits is one no database column holds (SQLite's driver overflows on it).
"""

from __future__ import annotations

MIN_YEAR, MAX_YEAR = 1900, 2199

#: What a database integer column (and SQLite's driver) holds.
MIN_INTEGER, MAX_INTEGER = -(2**63), 2**63 - 1


def whole_number(text: str, *, minimum: int = MIN_INTEGER, maximum: int = MAX_INTEGER) -> int:
    """`text` as an integer between `minimum` and `maximum`, or ValueError.

    Only ASCII digits, with an optional leading minus: `int()` also reads ' 1', '1_000' and '١٢'
    (Arabic-Indic digits), and `str.isdigit()` says True to '²', which `int()` refuses."""
    digits = text.removeprefix("-")
    if not (digits.isascii() and digits.isdecimal()) or len(digits) > 19:
        raise ValueError(f"{text!r} is not a whole number")
    number = int(text)
    if not minimum <= number <= maximum:
        raise ValueError(f"{number} is not between {minimum} and {maximum}")
    return number
