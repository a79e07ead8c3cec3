"""Name matching for asset-freeze screening: pure functions and dataclasses, no database, no settings.

The pipeline, per issue 20 item 4:

1. `normalise(name)`: accents removed (NFKD), case folded, every non-alphanumeric character (punctuation,
   hyphens, apostrophes) made a space, spaces collapsed. Particles (de, van, al, bin...) are kept: dropping
   them would merge distinct names. Initials stay as one-letter tokens ("J.-P. Dupont" → "j p dupont") and
   are reconciled with full given names at scoring time.
2. `blocking_keys(normalised)`: each token of 3 letters or more, plus, for tokens of 4 letters or more,
   its one-deletion neighbourhood ("dupont" → "upont", "dpont", ...); a name of short tokens only is keyed
   by its tokens. Two tokens one edit apart
   (substitution, insertion, deletion, adjacent transposition) always share a key, so a typo in one token
   never hides a pair; token order is irrelevant since keys are per token.
3. `ScreeningIndex`: built once over the entries (each alias a separate name), a dict key → name ids.
   A counterparty is scored only against the names that share a key of its two rarest tokens, or of any
   other token whose blocks are small (`ScreeningIndex.candidates`): a common given name alone does not
   bring in thousands of names. Then rapidfuzz's C loops drop the candidates that cannot reach the
   threshold (a character-multiset bound, token_set_ratio) before `score` runs in Python.
4. `score(a, b)`: 0-100, symmetric, a name scores 100 against itself: the best of rapidfuzz's
   token_sort_ratio (typos, order), ratio with the tokens of one aligned on the other's (a typo in a first
   letter breaks token_sort's order), ratio without spaces (joined or split tokens), the same after aligning initials with the given
   names they abbreviate (lowered by 5), and token_set_ratio lowered by 5 when two tokens or more are shared (a missing
   middle name). WRatio is not used: it is not symmetric and its partial ratio raises a short name inside
   any longer one.
5. `birth_signal`: both birth dates known → same (or same year where one side has a year only) supports
   (+5, at most 100); different beyond the year tolerance excludes the pair; otherwise neutral.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

__all__ = [
    "BirthDate",
    "Counterparty",
    "Hit",
    "ListEntry",
    "ScreeningIndex",
    "birth_signal",
    "blocking_keys",
    "normalise",
    "parse_birth",
    "score",
    "screen",
]

#: Letters that NFKD does not decompose into a base letter and a mark.
_FOLD = str.maketrans({"ø": "o", "đ": "d", "ð": "d", "ł": "l", "ħ": "h", "ı": "i", "þ": "th", "æ": "ae", "œ": "oe"})
_NOT_ALNUM = re.compile(r"[\W_]+", re.UNICODE)

#: Score added when the birth dates agree; the result is capped at 100.
BIRTH_BONUS = 5.0
#: Taken off a score reached only by reading initials as the given names they abbreviate.
INITIALS_PENALTY = 5.0
#: Taken off token_set_ratio (one name's tokens within the other's: a missing middle name).
SUBSET_PENALTY = 5.0
#: Birth years this far apart (full dates on both sides) are neutral, not excluding: a transcription slip.
YEAR_TOLERANCE = 1
#: A token whose keys' blocks hold more names than this in all is not used, beyond the MIN_TOKENS rarest.
MAX_BLOCK = 500
#: How many of a name's rarest tokens found in the index are used whatever their blocks' size.
MIN_TOKENS = 1
#: The smallest token that is a key on its own.
MIN_KEY_TOKEN = 3
#: The smallest token whose one-deletion neighbourhood is indexed.
MIN_DELETION_TOKEN = 4


def _once(name: str) -> str:
    text = unicodedata.normalize("NFKD", name.casefold())
    text = "".join(char for char in text if not unicodedata.combining(char)).translate(_FOLD)
    return " ".join(_NOT_ALNUM.sub(" ", text).split())


def normalise(name: str) -> str:
    """The comparable form of a name: lower case, no accents, alphanumeric tokens separated by one space."""
    text = _once(name)
    for _ in range(3):  # a few characters decompose or fold into others only on a second pass
        again = _once(text)
        if again == text:
            break
        text = again
    return text


def _token_keys(token: str) -> set[str]:
    keys = {token} if len(token) >= MIN_KEY_TOKEN else set()
    if len(token) >= MIN_DELETION_TOKEN:
        keys.update(token[:i] + token[i + 1 :] for i in range(len(token)))
    return keys


def _keys_by_token(normalised: str) -> list[set[str]]:
    tokens = normalised.split()
    keyed = [keys for keys in map(_token_keys, tokens) if keys]
    return keyed or [{token} for token in tokens]  # a name of short tokens only ("Li Na", "Wu") is keyed by them


def blocking_keys(normalised: str) -> set[str]:
    """The keys under which a normalised name is indexed (see the module's docstring)."""
    return set().union(*_keys_by_token(normalised))


def _expand_initials(tokens: list[str], other: list[str]) -> list[str]:
    """`tokens` with each one-letter token replaced by an unused token of `other` that starts with it."""
    available = [token for token in other if len(token) > 1 and token not in tokens]
    expanded = []
    for token in tokens:
        if len(token) == 1:
            for index, candidate in enumerate(available):
                if candidate[0] == token:
                    token = available.pop(index)
                    break
        expanded.append(token)
    return expanded


def _align(tokens: list[str], reference: list[str]) -> str:
    """`tokens` reordered to follow `reference`: each reference token takes the most similar token left
    (ties to the first), the tokens matched to none follow in their own order."""
    left = list(tokens)
    ordered = []
    for wanted in reference:
        if not left:
            break
        best = max(range(len(left)), key=lambda i: fuzz.ratio(wanted, left[i]))
        ordered.append(left.pop(best))
    return " ".join(ordered + left)


def score(a: str, b: str, *, normalised: bool = False) -> float:
    """Similarity of two names, 0-100, symmetric; a name (not empty once normalised) scores 100 with itself."""
    if not normalised:
        a, b = normalise(a), normalise(b)
    if not a or not b:
        return 0.0
    if a == b:
        return 100.0
    best = fuzz.token_sort_ratio(a, b)
    tokens_a, tokens_b = a.split(), b.split()
    if any(len(t) == 1 for t in tokens_a) or any(len(t) == 1 for t in tokens_b):
        expanded = max(
            fuzz.token_sort_ratio(" ".join(_expand_initials(tokens_a, tokens_b)), b),
            fuzz.token_sort_ratio(a, " ".join(_expand_initials(tokens_b, tokens_a))),
        )
        best = max(best, expanded - INITIALS_PENALTY)
    if best < 100:
        best = max(
            best,
            fuzz.ratio(a.replace(" ", ""), b.replace(" ", "")),  # joined or split tokens, same order
            fuzz.ratio(a, _align(tokens_b, tokens_a)),  # a typo that moves a token in sorted order
            fuzz.ratio(b, _align(tokens_a, tokens_b)),
        )
    if len(set(tokens_a) & set(tokens_b)) >= 2:
        best = max(best, fuzz.token_set_ratio(a, b) - SUBSET_PENALTY)
    return float(best)


@dataclass(frozen=True)
class BirthDate:
    """A birth date as a list gives it: a full date, or a year alone (`day` is None)."""

    year: int
    day: dt.date | None = None


def parse_birth(value: object) -> BirthDate | None:
    """`date`, a year (int or "1970"), "1970-05" (year only kept) or "1970-05-17"; None when unknown."""
    if value is None or value == "":
        return None
    if isinstance(value, BirthDate):
        return value
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return BirthDate(value.year, value)
    if isinstance(value, int):
        return BirthDate(value)
    text = str(value).strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        day = dt.date.fromisoformat(text)
        return BirthDate(day.year, day)
    if re.fullmatch(r"\d{4}(-\d{2})?", text):
        return BirthDate(int(text[:4]))
    raise ValueError(f"not a birth date or year: {value!r}")


def birth_signal(a: BirthDate | None, b: BirthDate | None, *, year_tolerance: int = YEAR_TOLERANCE) -> int:
    """+1 the dates support the match, -1 they exclude it, 0 neutral (one unknown, or within tolerance)."""
    if a is None or b is None:
        return 0
    if a.day is not None and b.day is not None:
        if a.day == b.day:
            return 1
        return 0 if abs(a.year - b.year) <= year_tolerance else -1
    if a.year == b.year:  # one side (or both) gives the year only
        return 1
    return 0 if abs(a.year - b.year) <= year_tolerance else -1


@dataclass(frozen=True)
class Counterparty:
    id: object
    name: str
    birth: BirthDate | None = None
    kind: str | None = None  # "person" / "company"; None when unknown


@dataclass(frozen=True)
class ListEntry:
    id: object
    names: tuple[str, ...]  # the listed name first, then its aliases
    birth: BirthDate | None = None
    kind: str | None = None


@dataclass(frozen=True)
class Hit:
    counterparty_id: object
    entry_id: object
    matched_name: str  # the entry's name or alias that scored best, as listed
    score: float  # name score adjusted by the birth-date signal
    name_score: float
    birth_signal: int


@dataclass
class ScreeningIndex:
    """The entries' names (aliases separate) and the blocking index over them, built once."""

    entries: list[ListEntry]
    names: list[tuple[int, str, str]] = field(default_factory=list)  # (entry position, listed, normalised)
    blocks: dict[str, list[int]] = field(default_factory=dict)  # key → positions in `names`
    bags: list[str] = field(default_factory=list)  # per name: its characters sorted (`_bag`)
    bare_bags: list[str] = field(default_factory=list)  # the same without the spaces
    initials: set[int] = field(default_factory=set)  # names with a one-letter token

    @classmethod
    def build(cls, entries: Iterable[ListEntry]) -> ScreeningIndex:
        index = cls(list(entries))
        blocks: defaultdict[str, list[int]] = defaultdict(list)
        seen: set[tuple[int, str]] = set()
        for position, entry in enumerate(index.entries):
            for listed in entry.names:
                norm = normalise(listed)
                if not norm or (position, norm) in seen:
                    continue
                seen.add((position, norm))
                name_id = len(index.names)
                index.names.append((position, listed, norm))
                index.bags.append(_bag(norm))
                index.bare_bags.append(index.bags[-1].replace(" ", ""))
                if any(len(token) == 1 for token in norm.split()):
                    index.initials.add(name_id)
                for key in blocking_keys(norm):
                    blocks[key].append(name_id)
        index.blocks = dict(blocks)
        return index

    def candidates(self, normalised: str, *, max_block: int = MAX_BLOCK) -> set[int]:
        """Positions in `names` sharing a key with the name, through its rare tokens: a token is used when
        its keys' blocks hold `max_block` names or fewer in all, and the rarest token found in the index is
        used whatever its size (a token of the name found nowhere, such as a middle name the list lacks,
        does not count). A one-edit typo in a used token still shares one of its keys.
        Not covered: a pair whose only shared tokens are all common while the name has another token that
        is rare in the index but absent from the listed name."""
        per_token = []
        for keys in _keys_by_token(normalised):
            blocks = [self.blocks[key] for key in keys if key in self.blocks]
            per_token.append((sum(map(len, blocks)), blocks))
        per_token.sort(key=lambda item: item[0])
        found: set[int] = set()
        used = 0  # tokens used that are in some block
        for cost, blocks in per_token:
            if used >= MIN_TOKENS and cost > max_block:
                break
            used += cost > 0
            for block in blocks:
                found.update(block)
        return found


def _bag(normalised: str) -> str:
    """The name's characters, spaces included, sorted: the Indel ratio of two bags is the Dice coefficient of
    their character multisets, an upper bound of the ratio of any reordering of the two names' tokens."""
    return "".join(sorted(normalised))


def _worth_scoring(index: ScreeningIndex, normalised: str, candidates: Iterable[int], cutoff: float) -> list[int]:
    """The candidates whose `score` may reach `cutoff`, found with rapidfuzz's C loops: the character bound
    (token_sort, aligned and space-free ratios cannot exceed it; spaces are 1 character in 5 or so, so the
    bag is compared with and without them), token_set_ratio (its lowered form), and every name with initials
    on either side (their expansion changes the characters)."""
    ids = list(candidates)
    if not ids:
        return []
    if any(len(token) == 1 for token in normalised.split()):
        return ids
    bag = _bag(normalised)
    bags = [index.bags[name_id] for name_id in ids]
    keep = {i for _, _, i in process.extract(bag, bags, scorer=fuzz.ratio, score_cutoff=cutoff, limit=None)}
    bare = bag.replace(" ", "")
    bare_bags = [index.bare_bags[name_id] for name_id in ids]
    keep.update(i for _, _, i in process.extract(bare, bare_bags, scorer=fuzz.ratio, score_cutoff=cutoff, limit=None))
    norms = [index.names[name_id][2] for name_id in ids]
    keep.update(
        i
        for _, _, i in process.extract(
            normalised, norms, scorer=fuzz.token_set_ratio, score_cutoff=cutoff + SUBSET_PENALTY, limit=None
        )
    )
    keep.update(i for i, name_id in enumerate(ids) if name_id in index.initials)
    return [ids[i] for i in sorted(keep)]


def screen(
    counterparties: Iterable[Counterparty],
    entries: Sequence[ListEntry] | ScreeningIndex,
    threshold: float,
    *,
    max_block: int = MAX_BLOCK,
    year_tolerance: int = YEAR_TOLERANCE,
    workers: int = 1,
) -> list[Hit]:
    """The best-scoring name of each (counterparty, entry) pair at or above `threshold`, in input order.

    `workers` > 1 splits the counterparties over that many forked processes (the index is inherited, not
    copied): the screen is CPU-bound and the GIL keeps one process on one core."""
    index = entries if isinstance(entries, ScreeningIndex) else ScreeningIndex.build(entries)
    if workers <= 1:
        return _screen(list(counterparties), index, threshold, max_block, year_tolerance)
    import multiprocessing

    people = list(counterparties)
    size = -(-len(people) // workers)
    global _FORKED
    _FORKED = (index, threshold, max_block, year_tolerance)
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            parts = pool.map(_screen_forked, [people[i : i + size] for i in range(0, len(people), size)])
    finally:
        _FORKED = None
    return [hit for part in parts for hit in part]


_FORKED: tuple[ScreeningIndex, float, int, int] | None = None


def _screen_forked(people: list[Counterparty]) -> list[Hit]:
    assert _FORKED is not None
    return _screen(people, *_FORKED)


def _screen(
    counterparties: list[Counterparty], index: ScreeningIndex, threshold: float, max_block: int, year_tolerance: int
) -> list[Hit]:
    hits: list[Hit] = []
    for counterparty in counterparties:
        norm = normalise(counterparty.name)
        if not norm:
            continue
        best: dict[int, tuple[float, float, int, str]] = {}
        for name_id in _worth_scoring(
            index, norm, index.candidates(norm, max_block=max_block), threshold - BIRTH_BONUS
        ):
            position, listed, entry_norm = index.names[name_id]
            entry = index.entries[position]
            if counterparty.kind and entry.kind and counterparty.kind != entry.kind:
                continue
            name_score = score(norm, entry_norm, normalised=True)
            if name_score + BIRTH_BONUS < threshold:
                continue
            signal = birth_signal(counterparty.birth, entry.birth, year_tolerance=year_tolerance)
            if signal < 0:
                continue
            total = min(100.0, name_score + BIRTH_BONUS) if signal > 0 else name_score
            if total >= threshold and (position not in best or total > best[position][0]):
                best[position] = (total, name_score, signal, listed)
        for position, (total, name_score, signal, listed) in sorted(best.items()):
            hits.append(Hit(counterparty.id, index.entries[position].id, listed, total, name_score, signal))
    return hits


def exact_join(counterparties: Iterable[Counterparty], entries: Sequence[ListEntry]) -> list[tuple[object, object]]:
    """The baseline: (counterparty id, entry id) pairs whose normalised names are equal (aliases included)."""
    by_name: defaultdict[str, set[int]] = defaultdict(set)
    for position, entry in enumerate(entries):
        for listed in entry.names:
            by_name[normalise(listed)].add(position)
    pairs = []
    for counterparty in counterparties:
        for position in sorted(by_name.get(normalise(counterparty.name), ())):
            pairs.append((counterparty.id, entries[position].id))
    return pairs
