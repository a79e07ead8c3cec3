"""Cell parsers shared by every importer: an importer only says which parser each column uses.

A parser receives a non-empty value, either a stripped string (CSV, or text cells of a workbook) or a
typed workbook cell (datetime, date, int, float, bool), and returns the Python value or raises
`InvalidValue` whose message completes the sentence "<column>: '<value>' ...", for example
"is not a valid date (expected YYYY-MM-DD or DD/MM/YYYY)". Empty cells never reach a parser: the engine
gives them the column's empty value (`parser.empty` unless the column sets its own default).

Parsers whose result only depends on a small set of distinct inputs (dates, booleans, choices) are
`cacheable`: the engine memoises them per column, which makes a 100,000-row file cheap to parse.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import models
from django.utils import translation
from django.utils.translation import gettext as _, ngettext
from openpyxl.utils.datetime import from_excel

from core.bounds import MAX_YEAR, MIN_YEAR
from core.dates import PARIS

from .text import fold

# Excel serial day numbers of 1900-01-01 and 2199-12-31: a bare number in a date column is one.
_EXCEL_SERIAL_RANGE = (1, 109573)

DATE_FORMATS = "YYYY-MM-DD or DD/MM/YYYY"
DATETIME_FORMATS = "YYYY-MM-DD[THH:MM[:SS][+HH:MM]] or DD/MM/YYYY [HH:MM[:SS]]"


class InvalidValue(ValueError):
    """A cell that cannot be read; the message completes "<column>: '<value>' ..."."""


def to_text(value: Any) -> str:
    """A cell as the text a person would have typed: 1234.0 from Excel is "1234", a date is ISO."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)


class Parser:
    """Base of the parsers: `empty` is what an empty cell becomes, `expected` documents the format."""

    cacheable: ClassVar[bool] = False
    do_not_call_in_templates: ClassVar[bool] = True  # the upload page shows `expected`
    empty: Any = None
    expected: str = ""

    def __call__(self, value: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def accepted(self) -> str:
        """What the upload page lists for the column, in the reader's language: labels, not codes
        (`expected`, in the rejection messages, is fixed when the importer is declared)."""
        return self.expected


def max_length_of(model: type[models.Model], name: str) -> int:
    """The `max_length` of a model's character field: the limit of the `Text` column that fills it."""
    field = model._meta.get_field(name)
    assert isinstance(field, models.CharField) and field.max_length is not None
    return field.max_length


class Text(Parser):
    empty = ""

    def __init__(self, max_length: int | None = None) -> None:
        self.max_length = max_length
        self.expected = self.accepted

    @property
    def accepted(self) -> str:
        if self.max_length is None:
            return _("text")
        return ngettext("text, at most %d character", "text, at most %d characters", self.max_length) % self.max_length

    def __call__(self, value: Any) -> str:
        text = value if type(value) is str else to_text(value).strip()
        if self.max_length is not None and len(text) > self.max_length:
            raise InvalidValue(_("is longer than %(max)d characters") % {"max": self.max_length})
        return text


# A strict subset of what Django's EmailValidator accepts (dot-atom user, ASCII domain): most
# addresses of a roster match it, and only the others pay for the full (slower) validator.
_PLAIN_EMAIL = re.compile(
    r"[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)


class Email(Text):
    _validator = EmailValidator()

    def __init__(self, max_length: int = 254) -> None:
        super().__init__(max_length)
        self.expected = _("an email address")

    @property
    def accepted(self) -> str:
        return _("an email address")

    def __call__(self, value: Any) -> str:
        text = super().__call__(value)
        if _PLAIN_EMAIL.fullmatch(text):
            return text
        try:
            self._validator(text)
        except ValidationError:
            raise InvalidValue(_("is not a valid email address")) from None
        return text


_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00(?:\.0+)?)?)?")
_FR_DATE = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?: 00:00(?::00)?)?")


def _checked_date(year: int, month: int, day: int) -> dt.date:
    try:
        day_value = dt.date(year, month, day)
    except ValueError:
        raise InvalidValue(_("is not a valid date (no such day)")) from None
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise InvalidValue(_("is out of range (year %(min)d to %(max)d)") % {"min": MIN_YEAR, "max": MAX_YEAR})
    return day_value


class Date(Parser):
    """`YYYY-MM-DD`, `DD/MM/YYYY` (also `D/M/YYYY`, `.` or `-` separators), a workbook date cell, or
    an Excel serial day number. A time of day other than midnight is refused: a date was expected."""

    cacheable = True

    def __init__(self) -> None:
        self.expected = DATE_FORMATS

    @property
    def accepted(self) -> str:
        return _("YYYY-MM-DD or DD/MM/YYYY")

    def __call__(self, value: Any) -> dt.date:
        if type(value) is str:
            if match := _ISO_DATE.fullmatch(value):
                year, month, day = match.groups()
            elif match := _FR_DATE.fullmatch(value):
                day, month, year = match.groups()
            else:
                raise InvalidValue(_("is not a valid date (expected %s)") % DATE_FORMATS)
            return _checked_date(int(year), int(month), int(day))
        if isinstance(value, dt.datetime):
            if value.time() != dt.time(0):
                raise InvalidValue(_("has a time of day, a date was expected"))
            return self(value.date())
        if isinstance(value, dt.date):
            return _checked_date(value.year, value.month, value.day)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if _EXCEL_SERIAL_RANGE[0] <= value <= _EXCEL_SERIAL_RANGE[1] and float(value).is_integer():
                return from_excel(value).date()
        raise InvalidValue(_("is not a valid date (expected %s)") % DATE_FORMATS)


_FR_DATETIME = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T](\d{1,2})[:h](\d{2})(?::(\d{2}))?)?")


class DateTime(Parser):
    """ISO 8601 or `DD/MM/YYYY HH:MM[:SS]`; without an offset the time is Paris local time, a date
    alone is 00:00 Paris time that day. Always returns an aware datetime."""

    def __init__(self) -> None:
        self.expected = DATETIME_FORMATS

    @property
    def accepted(self) -> str:
        return _("DD/MM/YYYY HH:MM or YYYY-MM-DD HH:MM (Paris time unless an offset is given), or a date alone")

    def __call__(self, value: Any) -> dt.datetime:
        if type(value) is str:
            value = self._parse_text(value)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            if not _EXCEL_SERIAL_RANGE[0] <= value <= _EXCEL_SERIAL_RANGE[1] + 1:
                raise InvalidValue(_("is not a valid date and time (expected %s)") % DATETIME_FORMATS)
            value = from_excel(value)
        elif isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            value = dt.datetime.combine(value, dt.time(0))
        elif not isinstance(value, dt.datetime):
            raise InvalidValue(_("is not a valid date and time (expected %s)") % DATETIME_FORMATS)
        if not MIN_YEAR <= value.year <= MAX_YEAR:
            raise InvalidValue(_("is out of range (year %(min)d to %(max)d)") % {"min": MIN_YEAR, "max": MAX_YEAR})
        if value.tzinfo is None or value.utcoffset() is None:
            # docs/interfaces.md: naive times in a file are Paris time, whatever the server's settings say.
            value = value.replace(tzinfo=PARIS)
        return value

    @staticmethod
    def _parse_text(text: str) -> dt.datetime:
        if match := _FR_DATETIME.fullmatch(text):
            day, month, year, hour, minute, second = (int(g) if g else 0 for g in match.groups())
            try:
                return dt.datetime(year, month, day, hour, minute, second)
            except ValueError:
                raise InvalidValue(_("is not a valid date and time (no such day or time)")) from None
        try:
            return dt.datetime.fromisoformat(text)
        except ValueError:
            raise InvalidValue(_("is not a valid date and time (expected %s)") % DATETIME_FORMATS) from None


TRUE_WORDS = frozenset({"1", "oui", "o", "true", "vrai", "yes", "y", "x"})
FALSE_WORDS = frozenset({"0", "non", "n", "false", "faux", "no"})


class Boolean(Parser):
    """`1/0`, `oui/non`, `true/false`, `yes/no`, `vrai/faux`, `x` (an empty cell is the column's
    default, False unless it says otherwise); `true`/`false` add words of one column ("cadre")."""

    cacheable = True
    empty = False

    def __init__(self, true: Iterable[str] = (), false: Iterable[str] = ()) -> None:
        self.true = TRUE_WORDS | {fold(w) for w in true}
        self.false = FALSE_WORDS | {fold(w) for w in false}
        extra = [*true, *false]
        self.expected = "1/0, oui/non, true/false, yes/no, vrai/faux, x" + (f", {', '.join(extra)}" if extra else "")

    def __call__(self, value: Any) -> bool:
        if isinstance(value, bool):
            return value
        word = fold(to_text(value))
        if word in self.true:
            return True
        if word in self.false:
            return False
        raise InvalidValue(_("is not a yes/no value (expected %s)") % self.expected)


class Choice(Parser):
    """One code of a `TextChoices`, matched case- and accent-insensitively against the codes, their
    English and French labels, and the `aliases` given (alias → code)."""

    cacheable = True
    empty = ""

    def __init__(
        self, choices: type[models.Choices] | Iterable[tuple[str, Any]], aliases: Mapping[str, str] | None = None
    ) -> None:
        self.choices = list(choices.choices if isinstance(choices, type) else choices)
        self.aliases = dict(aliases or {})
        self._table: dict[str, str] | None = None
        self.expected = ", ".join(code for code, _label in self.choices if code)

    @property
    def accepted(self) -> str:
        """The labels in the reader's language (codes and labels in English and French are read alike)."""
        return ", ".join(str(label) for code, label in self.choices if code)

    @property
    def table(self) -> dict[str, str]:
        # Built on first use, not at import time: labels are lazy translations.
        if self._table is None:
            table: dict[str, str] = {}
            for language in ("en", "fr"):
                with translation.override(language):
                    for code, label in self.choices:
                        table.setdefault(fold(str(label)), code)
            table.update({fold(alias): code for alias, code in self.aliases.items()})
            table.update({fold(str(code)): code for code, _label in self.choices if code})
            self._table = table
        return self._table

    def __call__(self, value: Any) -> str:
        try:
            return self.table[fold(to_text(value))]
        except KeyError:
            raise InvalidValue(_("is not one of %s") % self.expected) from None


class ChoiceList(Parser):
    """Zero or more codes of one `Choice`, separated by `sep` (`|` by default); duplicates dropped."""

    cacheable = True

    def __init__(self, choice: Choice, sep: str = "|") -> None:
        self.choice, self.sep = choice, sep
        self.expected = _("%(choices)s, separated by %(sep)s") % {"choices": choice.expected, "sep": sep}

    @property
    def accepted(self) -> str:
        return _("%(choices)s, separated by %(sep)s") % {"choices": self.choice.accepted, "sep": self.sep}

    @property
    def empty(self) -> list[str]:  # a fresh list each time
        return []

    def __call__(self, value: Any) -> list[str]:
        codes: list[str] = []
        for part in to_text(value).split(self.sep):
            if part.strip():
                try:
                    code = self.choice(part.strip())
                except InvalidValue:
                    raise InvalidValue(
                        _("contains '%(part)s', which is not one of %(choices)s")
                        % {"part": part.strip(), "choices": self.choice.expected}
                    ) from None
                if code not in codes:
                    codes.append(code)
        return codes


_THOUSANDS = re.compile(r"[\s\u00a0\u202f]")


class Integer(Parser):
    cacheable = True

    def __init__(self, min_value: int | None = None, max_value: int | None = None) -> None:
        self.min_value, self.max_value = min_value, max_value
        self.expected = _("a whole number")

    @property
    def accepted(self) -> str:
        return _("a whole number")

    def __call__(self, value: Any) -> int:
        if isinstance(value, bool):
            raise InvalidValue(_("is not a whole number"))
        if isinstance(value, int):
            number = value
        elif isinstance(value, float) and value.is_integer():
            number = int(value)
        else:
            try:
                number = int(_THOUSANDS.sub("", to_text(value)))
            except ValueError:
                raise InvalidValue(_("is not a whole number")) from None
        if self.min_value is not None and number < self.min_value:
            raise InvalidValue(_("is less than %d") % self.min_value)
        if self.max_value is not None and number > self.max_value:
            raise InvalidValue(_("is more than %d") % self.max_value)
        return number


class DecimalNumber(Parser):
    """A number with a decimal point or a French decimal comma ("12,5")."""

    cacheable = True

    def __init__(
        self,
        decimal_places: int | None = None,
        min_value: Decimal | int | None = None,
        max_value: Decimal | int | None = None,
    ) -> None:
        self.decimal_places, self.min_value, self.max_value = decimal_places, min_value, max_value
        self.expected = _("a number")

    @property
    def accepted(self) -> str:
        return _("a number")

    def __call__(self, value: Any) -> Decimal:
        if isinstance(value, bool):
            raise InvalidValue(_("is not a number"))
        text = repr(value) if isinstance(value, float) else _THOUSANDS.sub("", to_text(value)).replace(",", ".")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise InvalidValue(_("is not a number")) from None
        if not number.is_finite():
            raise InvalidValue(_("is not a number"))
        if self.decimal_places is not None:
            number = round(number, self.decimal_places)
        if self.min_value is not None and number < self.min_value:
            raise InvalidValue(_("is less than %s") % self.min_value)
        if self.max_value is not None and number > self.max_value:
            raise InvalidValue(_("is more than %s") % self.max_value)
        return number
