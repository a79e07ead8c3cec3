"""aml.matching: normalisation, blocking, scoring, the birth-date signal and the screen (no database)."""

import datetime as dt

import pytest
from hypothesis import given, settings, strategies as st

from aml.matching import (
    BirthDate,
    Counterparty,
    ListEntry,
    ScreeningIndex,
    birth_signal,
    blocking_keys,
    exact_join,
    normalise,
    parse_birth,
    score,
    screen,
)

THRESHOLD = 85

ENTRIES = [
    ListEntry("FR-1", ("Jean-Pierre Lefèvre",), parse_birth("1961-03-14"), "person"),
    ListEntry("FR-2", ("Ahmad Khalil Al-Rashîd", "Abou Khalil", "Ahmed Al Rashid"), parse_birth("1975"), "person"),
    ListEntry("EU-3", ("Oleksandr Kovalenko",), None, "person"),
    ListEntry("UN-4", ("Zhōu Mínghuá",), parse_birth("1958-11-02"), "person"),
    ListEntry("EU-5", ("Société Générale d'Import-Export Nord",), None, "company"),
    ListEntry("FR-6", ("Marie-Hélène d'Ornano",), parse_birth("1949-07-30"), "person"),
]

#: (counterparty name, birth date, the entry it must hit, the variant)
PLANTED = [
    ("Jean-Pierre Lefevre", None, "FR-1", "accents removed"),
    ("JEAN PIERRE LEFEVRE", "1961-03-14", "FR-1", "hyphen as space, upper case"),
    ("Jeanpierre Lefèvre", None, "FR-1", "hyphen removed"),
    ("Lefèvre Jean-Pierre", None, "FR-1", "token order"),
    ("J.-P. Lefèvre", None, "FR-1", "initials"),
    ("J. P. LEFEVRE", "1961", "FR-1", "initials, year only"),
    ("Jean-Pierre Lefèbvre", None, "FR-1", "typo (insertion)"),
    ("Jean-Pierre Lfèvre", None, "FR-1", "typo (deletion)"),
    ("Jean-Peirre Lefèvre", None, "FR-1", "typo (transposition)"),
    ("Abou Khalil", None, "FR-2", "alias"),
    ("Khalil Abou", "1975-05-01", "FR-2", "alias reordered, same year"),
    ("Ahmed Al-Rashid", None, "FR-2", "alias, hyphen"),
    ("Ahmad Khalil Al Rashid", None, "FR-2", "accents and hyphen"),
    ("Oleksandr Kowalenko", None, "EU-3", "typo (substitution)"),
    ("Kovalenko Oleksandr", None, "EU-3", "token order"),
    ("ZHOU Minghua", "1958-11-02", "UN-4", "accents removed, same birth date"),
    ("Minghua Zhou", None, "UN-4", "token order"),
    ("Ste Generale d Import Export Nord", None, "EU-5", "company, abbreviation and punctuation"),
    ("Marie Helene d Ornano", None, "FR-6", "particle and apostrophe"),
    ("Marie-Hélène Dornano", "1949-07-30", "FR-6", "particle joined"),
]

UNRELATED = [
    "Jean Dupont",
    "Pierre Lefort",
    "Marie Curie",
    "Ahmad Shah Massoud",
    "Olga Kovalevskaïa",
    "Zhang Wei",
    "Générale de Transports Sud",
    "Hélène Ornstein",
]


def _counterparties(rows):
    return [Counterparty(f"C{n}", name, parse_birth(birth)) for n, (name, birth, *_rest) in enumerate(rows)]


@pytest.mark.parametrize(("name", "birth", "entry_id", "variant"), PLANTED, ids=[row[3] for row in PLANTED])
def test_planted_variant_is_found(name, birth, entry_id, variant):
    hits = screen([Counterparty("C", name, parse_birth(birth))], ENTRIES, THRESHOLD)
    assert entry_id in {hit.entry_id for hit in hits}, (variant, [(h.entry_id, h.score) for h in hits])


def test_recall_is_complete_in_one_screen():
    counterparties = _counterparties(PLANTED)
    found = {(hit.counterparty_id, hit.entry_id) for hit in screen(counterparties, ENTRIES, THRESHOLD)}
    expected = {(c.id, row[2]) for c, row in zip(counterparties, PLANTED, strict=True)}
    assert expected <= found


def test_exact_join_baseline_misses_what_the_screen_finds():
    counterparties = _counterparties(PLANTED)
    baseline = set(exact_join(counterparties, ENTRIES))
    assert len(baseline) < len(PLANTED)  # typos, order and initials escape an exact join
    assert ("C0", "FR-1") in baseline  # accents removed: equal once normalised


@pytest.mark.parametrize("name", UNRELATED)
def test_unrelated_name_is_not_raised(name):
    assert screen([Counterparty("C", name)], ENTRIES, THRESHOLD) == []


def test_different_birth_date_is_not_raised():
    entries = [ListEntry("FR-1", ("Jean-Pierre Lefèvre",), parse_birth("1961-03-14"))]
    assert screen([Counterparty("C", "Jean-Pierre Lefèvre", parse_birth("1990-03-14"))], entries, THRESHOLD) == []
    assert screen([Counterparty("C", "Jean-Pierre Lefèvre", parse_birth("1985"))], entries, THRESHOLD) == []
    # Unknown on one side: the name alone decides.
    assert len(screen([Counterparty("C", "Jean-Pierre Lefèvre")], entries, THRESHOLD)) == 1


def test_birth_date_supports_a_borderline_name():
    entries = [ListEntry("E", ("Oleksandr Kovalenko",), parse_birth("1970-01-01"))]
    name = "Aleksandr Kovalev"
    assert score(name, "Oleksandr Kovalenko") < THRESHOLD <= score(name, "Oleksandr Kovalenko") + 5
    assert screen([Counterparty("C", name)], entries, THRESHOLD) == []
    (hit,) = screen([Counterparty("C", name, parse_birth("1970-01-01"))], entries, THRESHOLD)
    assert hit.birth_signal == 1 and hit.score == hit.name_score + 5


def test_company_and_person_are_not_compared():
    entries = [ListEntry("E", ("Nord Trading",), None, "company")]
    assert screen([Counterparty("C", "Nord Trading", None, "person")], entries, THRESHOLD) == []
    assert len(screen([Counterparty("C", "Nord Trading", None, None)], entries, THRESHOLD)) == 1


def test_one_hit_per_pair_with_the_best_alias():
    (hit,) = screen([Counterparty("C", "Ahmed Al Rashid")], ENTRIES, THRESHOLD)
    assert (hit.entry_id, hit.matched_name, hit.score) == ("FR-2", "Ahmed Al Rashid", 100.0)


def test_normalise():
    assert normalise("  J.-P. D'Artagnan--Lefèvre ") == "j p d artagnan lefevre"
    assert normalise("Øyvind Łukasz Straße") == "oyvind lukasz strasse"
    assert normalise("Van der Berg") == "van der berg"  # particles kept
    assert normalise("...") == ""


def test_blocking_keys_survive_one_typo_and_skip_short_tokens():
    assert blocking_keys("j p dupont") & blocking_keys("jean pierre dupomt")
    assert blocking_keys("dupont") & blocking_keys("duopnt")  # adjacent transposition
    assert "al" not in blocking_keys("al rashid") and "abu" in blocking_keys("abu rashid")


def test_index_leaves_out_huge_blocks_when_a_rarer_key_exists():
    entries = [ListEntry(n, (f"Jean Name{n:05d}x",)) for n in range(50)] + [ListEntry("T", ("Jean Target",))]
    index = ScreeningIndex.build(entries)
    wanted = {i for i, name in enumerate(index.names) if name[1] == "Jean Target"}
    assert index.candidates("jean target", max_block=10) == wanted
    assert len(index.candidates("jean", max_block=10)) == 51  # nothing rarer: every block is used


def test_birth_signal_and_parse():
    day = parse_birth(dt.date(1970, 5, 17))
    assert day == BirthDate(1970, dt.date(1970, 5, 17)) == parse_birth("1970-05-17")
    assert parse_birth("1970-05") == BirthDate(1970) == parse_birth(1970)
    assert parse_birth("") is None and parse_birth(None) is None
    with pytest.raises(ValueError):
        parse_birth("17/05/1970")
    assert birth_signal(day, parse_birth("1970")) == 1
    assert birth_signal(day, day) == 1
    assert birth_signal(day, parse_birth("1970-05-18")) == 0  # same year, another day: a slip, neutral
    assert birth_signal(day, parse_birth("1971-05-17")) == 0  # within the one-year tolerance
    assert birth_signal(day, parse_birth("1972-05-17")) == -1
    assert birth_signal(parse_birth("1970"), parse_birth("1975")) == -1
    assert birth_signal(day, None) == 0


names = st.text(
    alphabet=st.characters(categories=["L", "M", "N", "P", "Zs"]) | st.sampled_from("éèçÉ-' .ßØæ"), max_size=40
)


@settings(max_examples=300)
@given(names)
def test_normalise_is_idempotent(name):
    once = normalise(name)
    assert normalise(once) == once


@settings(max_examples=300)
@given(names, names)
def test_score_is_symmetric_and_bounded(a, b):
    assert score(a, b) == score(b, a)
    assert 0 <= score(a, b) <= 100


@settings(max_examples=300)
@given(names)
def test_a_name_matches_itself(name):
    if normalise(name):
        assert score(name, name) == 100
        assert screen([Counterparty("C", name)], [ListEntry("E", (name,))], 100)


def test_screen_in_two_processes_gives_the_same_hits():
    counterparties = _counterparties(PLANTED) + [Counterparty(f"U{n}", name) for n, name in enumerate(UNRELATED)]
    assert screen(counterparties, ENTRIES, THRESHOLD, workers=2) == screen(counterparties, ENTRIES, THRESHOLD)
