"""The name levels with an edit distance were rewritten to cost less (issue 12: the distance
computed only where the lengths are at most one apart and the first or the last letter
agrees, inside a CASE where it runs in a lambda): a speed-up only. On names one edit away in
every way and place (a letter changed, added, dropped or two swapped, at the start, inside,
at the end), two edits away, and unrelated, at every length bound, each level holds where the
old one does, on pairs built to reach each reading of the level (a spelling, a misspelt
nickname, a part of a compound surname, first and last name swapped with a typo)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import duckdb
import pyarrow as pa
import pytest

from matchgate.match import comparisons as new
from matchgate.match.comparisons_before import NAME_LEVELS_BEFORE

BASES = ["LI", "ANA", "LEE", "JOSE", "ALEX", "MARIA", "SMITH", "MICHAEL", "RAMIREZ", "BERNADETTE"]


def _one_edit_variants(word: str) -> list[str]:
    """Every word one edit from ``word`` with the letters A and Z (and the word's own)."""
    letters = sorted({"A", "Z", *word})
    variants = set()
    for i in range(len(word)):
        variants.add(word[:i] + word[i + 1 :])  # dropped
        for letter in letters:
            variants.add(word[:i] + letter + word[i + 1 :])  # changed
    for i in range(len(word) + 1):
        for letter in letters:
            variants.add(word[:i] + letter + word[i:])  # added
    for i in range(len(word) - 1):
        variants.add(word[:i] + word[i + 1] + word[i] + word[i + 2 :])  # swapped
    variants.discard(word)
    return sorted(v for v in variants if v)


def _word_pairs() -> list[tuple[str, str]]:
    pairs = []
    for base in BASES:
        once = _one_edit_variants(base)
        twice = sorted({v for w in once[::7] for v in _one_edit_variants(w)[::5]} - {base})
        for other in [base, *once, *twice]:
            pairs += [(base, other), (other, base)]
    pairs += list(itertools.permutations(BASES, 2))
    return pairs


PAIRS = _word_pairs()

_TEXT, _LIST = pa.string(), pa.list_(pa.string())
_COLUMNS = {
    "first_name_l": _TEXT,
    "first_name_r": _TEXT,
    "first_nicknames_l": _LIST,
    "first_forms_l": _LIST,
    "first_name_unrecognised_r": pa.bool_(),
    "surname_joined_l": _TEXT,
    "surname_joined_r": _TEXT,
    "surname_parts_any_l": _LIST,
    "surname_parts_any_r": _LIST,
    "surname_first_forms_r": _LIST,
    "surname_unrecognised_r": pa.bool_(),
}


def _rows() -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for n, (x, y) in enumerate(PAIRS):
        odd = n % 2 == 1
        # the names themselves, and a misspelt nickname (the request's first name a typo of
        # one of the taxpayer's nicknames), a part of a compound surname
        rows.append(
            {
                "first_name_l": x,
                "first_name_r": y,
                "first_nicknames_l": [f"{x}IE", x] if odd else [y[:-1] + "Q", f"{y}Y"],
                "first_forms_l": [x],
                "first_name_unrecognised_r": odd,
                "surname_joined_l": x,
                "surname_joined_r": y,
                "surname_parts_any_l": [x, "LOPEZ"],
                "surname_parts_any_r": ["MORA", y],
                "surname_first_forms_r": None,
                "surname_unrecognised_r": not odd,
            }
        )
        # the request's first name a typo of the taxpayer's surname, its surname the
        # taxpayer's first name (or a typo of it)
        rows.append(
            {
                "first_name_l": "ROSA" if odd else x,
                "first_name_r": y,
                "first_nicknames_l": None,
                "first_forms_l": ["ROSA"],
                "first_name_unrecognised_r": True,
                "surname_joined_l": x,
                "surname_joined_r": "ROSA" if odd else y,
                "surname_parts_any_l": [x],
                "surname_parts_any_r": ["ROSA"] if odd else [y],
                "surname_first_forms_r": None,
                "surname_unrecognised_r": True,
            }
        )
        # the request's first name the taxpayer's surname, its surname a typo of the
        # taxpayer's first name
        rows.append(
            {
                "first_name_l": x,
                "first_name_r": "LOPEZ",
                "first_nicknames_l": None,
                "first_forms_l": [x],
                "first_name_unrecognised_r": False,
                "surname_joined_l": "LOPEZ",
                "surname_joined_r": y,
                "surname_parts_any_l": ["LOPEZ"],
                "surname_parts_any_r": [y],
                "surname_first_forms_r": None,
                "surname_unrecognised_r": odd,
            }
        )
    return rows


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    rows = _rows()
    table = pa.table(
        {name: [row[name] for row in rows] for name in _COLUMNS},
        schema=pa.schema(list(_COLUMNS.items())),
    )
    words = pa.table({"a": [x for x, _ in PAIRS], "b": [y for _, y in PAIRS]})
    connection = duckdb.connect()
    connection.register("pairs", table)
    connection.register("words", words)
    yield connection
    connection.close()


def _truth(con: duckdb.DuckDBPyConnection, table: str, condition: str) -> list[bool]:
    """Whether ``condition`` holds on each row (NULL, as in a level's CASE, does not)."""
    rows = con.execute(f"SELECT CASE WHEN {condition} THEN TRUE ELSE FALSE END FROM {table}")
    return [bool(row[0]) for row in rows.fetchall()]


def _current(key: str) -> str:
    name, label = key.split(":")
    for comparison in new.COMPARISONS:
        if comparison["output_column_name"] == name:
            for level in comparison["comparison_levels"]:
                if level["label_for_charts"] == label:
                    return str(level["sql_condition"])
    raise KeyError(key)


@pytest.mark.parametrize("key", sorted(NAME_LEVELS_BEFORE))
def test_the_rewritten_level_holds_where_the_old_one_does(
    con: duckdb.DuckDBPyConnection, key: str
) -> None:
    before, after = NAME_LEVELS_BEFORE[key], _current(key)
    assert before != after
    was, now = _truth(con, "pairs", before), _truth(con, "pairs", after)
    assert was == now
    assert any(now) and not all(now)


def test_one_edit_is_damerau_levenshtein_within_one_for_words_of_three_letters(
    con: duckdb.DuckDBPyConnection,
) -> None:
    three = "least(length(a), length(b)) >= 3"
    plain = _truth(con, "words", f"{three} AND damerau_levenshtein(a, b) <= 1")
    guarded = _truth(con, "words", f"{three} AND {new._one_edit('a', 'b')}")
    assert plain == guarded
    # the pairs reach both necessary conditions: one edit at the start (the first letters
    # differ), at the end (the last ones differ), lengths two apart
    first_differs = _truth(
        con, "words", f"{three} AND left(a, 1) <> left(b, 1) AND damerau_levenshtein(a, b) <= 1"
    )
    last_differs = _truth(
        con, "words", f"{three} AND right(a, 1) <> right(b, 1) AND damerau_levenshtein(a, b) <= 1"
    )
    two_apart = _truth(con, "words", f"{three} AND abs(length(a) - length(b)) = 2")
    assert any(first_differs) and any(last_differs) and any(two_apart)
