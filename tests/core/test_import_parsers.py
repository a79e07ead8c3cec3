"""The cell parsers of core/imports: no database, one behaviour per test."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, strategies as st

from core.imports.parsers import (
    PARIS,
    Boolean,
    Choice,
    ChoiceList,
    Date,
    DateTime,
    DecimalNumber,
    Email,
    Integer,
    InvalidValue,
    Text,
    to_text,
)
from core.imports.text import fold
from organization.choices import Gender

pytestmark = [pytest.mark.usefixtures("english_messages")]


def test_header_folding_ignores_case_accents_spaces_underscores_hyphens_and_apostrophes():
    assert fold("Date d'entrée") == fold("date_d_entree") == fold("DATE D’ENTRÉE") == "datedentree"
    assert fold("E-mail") == fold("email") == fold("E_MAIL")
    assert fold("Prénom") == fold("prenom")


@pytest.mark.parametrize(
    ("cell", "text"),
    [
        (1234.0, "1234"),
        (1234, "1234"),
        (12.5, "12.5"),
        (True, "1"),
        (dt.datetime(2023, 1, 2), "2023-01-02"),
        (dt.date(2023, 1, 2), "2023-01-02"),
        (" E12 ", " E12 "),
    ],
)
def test_excel_cells_become_the_text_a_person_typed(cell, text):
    assert to_text(cell) == text


def test_text_from_an_excel_float_id_has_no_decimal_part():
    assert Text(64)(1234.0) == "1234"


def test_text_longer_than_its_field_is_refused():
    with pytest.raises(InvalidValue, match="longer than 3 characters"):
        Text(3)("ABCD")


@pytest.mark.parametrize("value", ["2023-02-28", "28/02/2023", "28/2/2023", "28.02.2023", "2023-02-28 00:00:00"])
def test_dates_are_read_in_iso_and_french_formats(value):
    assert Date()(value) == dt.date(2023, 2, 28)


def test_excel_date_cells_and_serial_numbers_are_dates():
    assert Date()(dt.datetime(2023, 2, 28)) == dt.date(2023, 2, 28)
    assert Date()(dt.date(2023, 2, 28)) == dt.date(2023, 2, 28)
    assert Date()(44985) == dt.date(2023, 2, 28)


def test_an_impossible_date_is_refused_with_a_reason():
    with pytest.raises(InvalidValue, match="not a valid date"):
        Date()("31/02/2023")


@pytest.mark.parametrize("value", ["02/28/2023", "28-02-23", "yesterday", "2023/02/28", "1850-01-01"])
def test_ambiguous_or_unreadable_dates_are_refused(value):
    with pytest.raises(InvalidValue):
        Date()(value)


def test_a_date_cell_with_a_time_of_day_is_refused():
    with pytest.raises(InvalidValue, match="time of day"):
        Date()(dt.datetime(2023, 2, 28, 15, 30))


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2199, 12, 31)))
def test_every_date_reads_back_from_both_formats(day):
    assert Date()(day.isoformat()) == day
    assert Date()(day.strftime("%d/%m/%Y")) == day


def test_naive_datetimes_are_paris_local_time_and_aware():
    winter = DateTime()("15/01/2023 10:30")
    summer = DateTime()("2023-07-15T10:30:00")
    assert winter == dt.datetime(2023, 1, 15, 10, 30, tzinfo=PARIS)
    assert winter.utcoffset() == dt.timedelta(hours=1)
    assert summer.utcoffset() == dt.timedelta(hours=2)


def test_a_date_alone_where_a_datetime_is_expected_is_midnight_in_paris():
    assert DateTime()("2023-07-15") == dt.datetime(2023, 7, 15, 0, 0, tzinfo=PARIS)
    assert DateTime()("15/07/2023") == dt.datetime(2023, 7, 15, 0, 0, tzinfo=PARIS)
    assert DateTime()(dt.date(2023, 7, 15)) == dt.datetime(2023, 7, 15, 0, 0, tzinfo=PARIS)


def test_an_explicit_offset_is_kept():
    value = DateTime()("2023-07-15T10:30:00+00:00")
    assert value.utcoffset() == dt.timedelta(0)
    assert DateTime()("2023-07-15T08:30:00Z") == dt.datetime(2023, 7, 15, 10, 30, tzinfo=PARIS)


def test_an_impossible_datetime_is_refused():
    with pytest.raises(InvalidValue):
        DateTime()("31/02/2023 10:00")
    with pytest.raises(InvalidValue):
        DateTime()("15/01/2023 25:00")


@pytest.mark.parametrize("value", ["1", "oui", "OUI", "true", "Vrai", "yes", "x", "X", 1, 1.0, True])
def test_yes_values(value):
    assert Boolean()(value) is True


@pytest.mark.parametrize("value", ["0", "non", "Non", "false", "FAUX", "no", 0, False])
def test_no_values(value):
    assert Boolean()(value) is False


def test_a_boolean_column_can_add_its_own_words():
    cadre = Boolean(true=("cadre",), false=("non cadre",))
    assert cadre("Cadre") is True
    assert cadre("Non cadre") is False
    assert cadre("non-cadre") is False


def test_an_unknown_boolean_is_refused_with_the_accepted_values():
    with pytest.raises(InvalidValue, match="oui/non"):
        Boolean()("peut-être")


def test_choices_match_codes_labels_in_english_and_french_and_aliases():
    gender = Choice(Gender, aliases={"femme": "F", "h": "M"})
    assert gender("f") == "F"
    assert gender("Female") == "F"
    assert gender("FEMME") == "F"
    assert gender("H") == "M"
    assert gender("other") == "X"


def test_an_unknown_choice_is_refused_naming_the_codes():
    with pytest.raises(InvalidValue, match="F, M, X"):
        Choice(Gender)("?")


def test_choice_lists_are_split_on_the_pipe_and_deduplicated():
    measures = ChoiceList(Choice([("action_plan", "Action plan"), ("sanction", "Sanction")]))
    assert measures("action_plan | Sanction|action_plan") == ["action_plan", "sanction"]
    with pytest.raises(InvalidValue, match="'fine'"):
        measures("action_plan|fine")


def test_numbers_accept_excel_floats_spaces_and_french_decimal_commas():
    assert Integer()("1 234") == 1234
    assert Integer()(45.0) == 45
    assert DecimalNumber()("12,5") == Decimal("12.5")
    with pytest.raises(InvalidValue):
        Integer()("12.5")
    with pytest.raises(InvalidValue):
        Integer(min_value=0)("-1")


def test_emails_are_validated():
    assert Email()("zoe.dubois@example.org") == "zoe.dubois@example.org"
    assert Email()("o'neil+rh@sub.example.fr") == "o'neil+rh@sub.example.fr"
    with pytest.raises(InvalidValue, match="not a valid email"):
        Email()("zoe.dubois@")
