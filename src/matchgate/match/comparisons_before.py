"""The levels as they were before they were rewritten to cost less (issue 12), word for word:
``address:unit_differs`` and ``address:written_differently`` (built by the functions below, as
they were), and the name levels with an edit distance (``NAME_LEVELS_BEFORE``).

Kept only so that tests/match/test_address_level_rewrite.py, test_name_level_rewrite.py and
benchmarks/bench_comparison_guard.py can show that the rewritten levels in
``matchgate.match.comparisons`` give the same gamma on every pair; the model never reads them.
"""

# ruff: noqa: E501

from __future__ import annotations

__all__ = ["NAME_LEVELS_BEFORE", "UNIT_DIFFERS_BEFORE", "WRITTEN_DIFFERENTLY_BEFORE"]


def _names_close(a: str, b: str) -> str:
    # Two edits also for names of 5-7 letters whose first letter agrees (NUORRH / NORTH,
    # HAIEZ / HAYES, STPND / STONE: two slips in one word, issue 11's noisy mix); the house
    # number and the ZIP or city agree too, and the digits of the names must be the same.
    return (
        f"({a} = {b} OR (regexp_replace({a}, '[^0-9]', '', 'g') = "
        f"regexp_replace({b}, '[^0-9]', '', 'g') "
        f"AND least(length({a}), length({b})) >= 4 "
        f"AND damerau_levenshtein({a}, {b}) <= "
        f"CASE WHEN least(length({a}), length({b})) >= 8 THEN 2 "
        f"WHEN least(length({a}), length({b})) >= 5 AND left({a}, 1) = left({b}, 1) THEN 2 "
        f"ELSE 1 END))"
    )


def _forms_agree(a: str, b: str) -> str:
    close = _names_close("x", "y")
    return (
        f"len(list_filter({a}.forms, x -> len(list_filter({b}.forms, y -> x = y OR "
        f"(NOT coalesce({a}.lettered, FALSE) AND NOT coalesce({b}.lettered, FALSE) "
        f"AND {close}))) > 0)) > 0"
    )


def _type_misspelt(word: str, spelling: str, words: str) -> str:
    """SQL: ``word`` (not itself a street type: ``words`` are a place's type words) is a
    misspelling of the street type ``spelling``: one edit in a word of 3+ letters (LAHE,
    DRR), or two in a type word of 5+ letters written with its first letter right (SOTRETE,
    BOOULEAVRD for STREET, BOULEVARD: issue 11, the noisy mix's street type misspelt and then
    mistyped). Only for the last word of a street without a type (``_misspelt_type``): the
    house number, the ZIP or city and the name before it agree too, and no type of its own
    follows (OAK STREAM CT is not OAK ST)."""
    return (
        f"(NOT list_contains(coalesce({words}, []), {word}) AND length({word}) >= 3 "
        f"AND (damerau_levenshtein({spelling}, {word}) <= 1 OR (length({spelling}) >= 5 "
        f"AND length({word}) >= 5 AND left({spelling}, 1) = left({word}, 1) "
        f"AND damerau_levenshtein({spelling}, {word}) <= 2)))"
    )


def _extra_words(short: str, long: str) -> str:
    """``long``'s words are ``short``'s name (one typo allowed), a word that is ``short``'s
    street type (as spelt in Pub. 28, or one typo from a type word of 5+ letters, itself no
    type: XRESCENT), then more words (OAK ST SUNSET MANOR, HAWTHORNE XRESCENT SUNSET MANOR)."""
    head = f"array_to_string({long}.words[1:k - 1], '')"
    name = f"replace({short}.name, ' ', '')"
    word = f"{long}.words[k]"
    is_type = (
        f"(list_contains({short}.type_forms, {word}) OR len(list_filter("
        f"{short}.type_forms, t -> length(t) >= 5 AND damerau_levenshtein(t, {word}) <= 1 "
        f"AND NOT list_contains(coalesce({long}.type_words, []), {word}))) > 0)"
    )
    return (
        f"({short}.type_forms IS NOT NULL AND len(list_filter(range(2, len({long}.words)), "
        f"k -> {is_type} AND {_names_close(head, name)})) > 0)"
    )


def _misspelt_type(untyped: str, typed: str) -> str:
    """``untyped`` ends in a word that is ``typed``'s street type misspelt
    (``_type_misspelt``: 27TH LAHE, SUNRISE SOTRETE) or cut short (2ND R, HAYES C, 18TH WA
    for 2ND RD, HAYES CT, 18TH WAY: the type's first letters, itself no type); the rest
    agrees."""
    name = f"replace({typed}.name, ' ', '')"
    tail = f"{untyped}.tail"
    cut_short = (
        f"(NOT list_contains(coalesce({untyped}.type_words, []), {tail}) "
        f"AND length(t) > length({tail}) AND starts_with(t, {tail}))"
    )
    return (
        f"({tail} IS NOT NULL AND {typed}.type_forms IS NOT NULL "
        f"AND len(list_filter({typed}.type_forms, t -> "
        + _type_misspelt(tail, "t", f"{untyped}.type_words")
        + f" OR {cut_short})) > 0 "
        f"AND NOT coalesce({typed}.lettered, FALSE) "
        f"AND {_names_close(f'{untyped}.head', name)})"
    )


def _joined_misspelt_type(untyped: str, typed: str) -> str:
    """``untyped`` is one word: ``typed``'s name exactly, then its street type misspelt
    (``_type_misspelt``) and joined on (VISTAXIRCLE, ELMCOOURT, RIVERCUOURT for VISTA CIR,
    ELM CT, RIVER CT; joined and spelt right, the standardizer reads the type itself)."""
    name = f"replace({typed}.name, ' ', '')"
    rest = f"substr({untyped}.name, length({name}) + 1)"
    return (
        f"(NOT {untyped}.typed AND len({untyped}.words) = 1 AND {typed}.type_forms IS NOT NULL "
        f"AND NOT coalesce({typed}.lettered, FALSE) AND length({name}) >= 3 "
        f"AND starts_with({untyped}.name, {name}) "
        f"AND len(list_filter({typed}.type_forms, t -> "
        + _type_misspelt(rest, "t", f"{untyped}.type_words")
        + ")) > 0)"
    )


def street_names_agree(a: str = "a", b: str = "b") -> str:
    """SQL: the street names of places ``a`` and ``b`` are one name written differently."""
    return (
        f"({_forms_agree(a, b)} OR {_extra_words(a, b)} OR {_extra_words(b, a)} "
        f"OR {_misspelt_type(a, b)} OR {_misspelt_type(b, a)} "
        f"OR {_joined_misspelt_type(a, b)} OR {_joined_misspelt_type(b, a)})"
    )


def _same_locality(a: str, b: str) -> str:
    city_a, city_b = f"split_part({a}.city, '|', 1)", f"split_part({b}.city, '|', 1)"
    return (
        f"({a}.zip = {b}.zip OR {a}.city = {b}.city OR (({a}.zip IS NULL OR {b}.zip IS NULL) "
        f"AND split_part({a}.city, '|', 2) = split_part({b}.city, '|', 2) "
        f"AND least(length({city_a}), length({city_b})) >= 5 "
        f"AND damerau_levenshtein({city_a}, {city_b}) <= 1))"
    )


def same_building(a: str = "a", b: str = "b") -> str:
    """SQL: places ``a`` and ``b`` are one building (number, ZIP or city, street name)."""
    return f"({a}.number = {b}.number AND {_same_locality(a, b)} AND {street_names_agree(a, b)})"


def _agree_if_both(a: str, b: str, part: str) -> str:
    return f"({a}.{part} IS NULL OR {b}.{part} IS NULL OR {a}.{part} = {b}.{part})"


_UNIT_PARTS = ("unit", "building", "position", "space")


def units_agree(a: str = "a", b: str = "b") -> str:
    """SQL: no unit identifier given on both sides differs (APT 4 / APT 5, BLDG 2 / BLDG 3,
    REAR / FRNT, LOT 22 / LOT 23). A unit on one side only is no contradiction: a filing or
    a request often leaves the apartment out; nor is an identifier of another kind (LOT 22
    against a filed APT 2C: a mobile home's space is not a flat's number)."""
    return " AND ".join(_agree_if_both(a, b, part) for part in _UNIT_PARTS)


def directions_agree(a: str = "a", b: str = "b") -> str:
    """SQL: no direction given on both sides differs (100 N MAIN / 100 S MAIN)."""
    return " AND ".join(_agree_if_both(a, b, part) for part in ("predir", "postdir"))


def _some_filed(request: str, condition: str) -> str:
    # The places filed from with the request's house number first (a plain comparison), and
    # the condition (which asks for the same number again) only over those: DuckDB computes
    # both sides of an AND inside a lambda for every element, so without the inner filter
    # every filed place of every pair ran the whole street-name test.
    return (
        f"len(list_filter(list_filter(places_l, a -> a.number = {request}.number), "
        f"a -> {condition.format(b=request)})) > 0"
    )


# Both tolerant levels first ask for a house number in common, a plain list test, and run the
# lambdas only where it holds: a CASE computes its THEN branch only on the rows whose WHEN
# holds, which an AND does not promise (measured: with ``guard AND lambdas`` the lambdas ran
# for every one of Splink's 2,000,000 random pairs when it estimates u). Read as a level's
# condition, ``CASE WHEN g THEN x ELSE FALSE END`` holds exactly where ``g AND x`` does.
_NUMBER_IN_COMMON = "list_has_any(house_numbers_l, house_numbers_r)"


def _guarded(condition: str) -> str:
    return f"(CASE WHEN {_NUMBER_IN_COMMON} THEN ({condition}) ELSE FALSE END)"


# The request gives a unit, its building is in the filing history, and every filing from
# that building names another unit (APT 5 asked, APT 4 filed): another address.
_UNIT_DIFFERS = _guarded(
    "len(list_filter(places_r, b -> (b.unit IS NOT NULL OR b.building IS NOT NULL "
    "OR b.position IS NOT NULL OR b.space IS NOT NULL) AND "
    + _some_filed("b", same_building("a", "{b}"))
    + " AND NOT "
    + _some_filed("b", same_building("a", "{b}") + " AND " + units_agree("a", "{b}"))
    + ")) > 0"
)
# The same building and unit written differently: a typo, joined or split words, the type
# misspelt or joined on, an extra building or locality name, the ZIP left out or mistyped
# (with the city right).
_WRITTEN_DIFFERENTLY = _guarded(
    "len(list_filter(places_r, b -> "
    + _some_filed(
        "b",
        same_building("a", "{b}")
        + " AND "
        + directions_agree("a", "{b}")
        + " AND "
        + units_agree("a", "{b}"),
    )
    + ")) > 0"
)

UNIT_DIFFERS_BEFORE = _UNIT_DIFFERS
WRITTEN_DIFFERENTLY_BEFORE = _WRITTEN_DIFFERENTLY


# The name levels before the rewrite (first_name, surname), comparison:label -> condition.
NAME_LEVELS_BEFORE: dict[str, str] = {
    "first_name:swapped": "((list_contains(surname_parts_any_l, first_name_r) OR len(list_filter(surname_parts_any_l, x -> length(x) >= 4 AND length(first_name_r) >= length(x) + 3 AND (starts_with(first_name_r, x) OR ends_with(first_name_r, x)))) > 0) AND (list_contains(surname_parts_any_r, first_name_l) OR list_has_any(first_forms_l, surname_first_forms_r) OR (surname_unrecognised_r AND least(length(first_name_l), length(surname_joined_r)) >= 4 AND damerau_levenshtein(first_name_l, surname_joined_r) <= 1))) OR (len(list_filter(surname_parts_any_l, x -> least(length(x), length(first_name_r)) >= 4 AND damerau_levenshtein(x, first_name_r) <= 1)) > 0 AND list_contains(surname_parts_any_r, first_name_l))",
    "first_name:spelling": "jaro_winkler_similarity(first_name_l, first_name_r) >= 0.92 OR (least(length(first_name_l), length(first_name_r)) >= 4 AND damerau_levenshtein(first_name_l, first_name_r) <= 1) OR (first_name_unrecognised_r AND len(list_filter(first_nicknames_l, x -> least(length(x), length(first_name_r)) >= 3 AND damerau_levenshtein(x, first_name_r) <= 1)) > 0)",
    "surname:swapped": "((list_contains(surname_parts_any_l, first_name_r) OR len(list_filter(surname_parts_any_l, x -> length(x) >= 4 AND length(first_name_r) >= length(x) + 3 AND (starts_with(first_name_r, x) OR ends_with(first_name_r, x)))) > 0) AND (list_contains(surname_parts_any_r, first_name_l) OR list_has_any(first_forms_l, surname_first_forms_r) OR (surname_unrecognised_r AND least(length(first_name_l), length(surname_joined_r)) >= 4 AND damerau_levenshtein(first_name_l, surname_joined_r) <= 1))) OR (len(list_filter(surname_parts_any_l, x -> least(length(x), length(first_name_r)) >= 4 AND damerau_levenshtein(x, first_name_r) <= 1)) > 0 AND list_contains(surname_parts_any_r, first_name_l))",
    "surname:part_spelling": "len(list_filter(surname_parts_any_l, a -> len(list_filter(surname_parts_any_r, b -> least(length(a), length(b)) >= 5 AND (jaro_winkler_similarity(a, b) >= 0.92 OR damerau_levenshtein(a, b) <= 1))) > 0)) > 0",
    "surname:spelling": "jaro_winkler_similarity(surname_joined_l, surname_joined_r) >= 0.92 OR (least(length(surname_joined_l), length(surname_joined_r)) >= 4 AND damerau_levenshtein(surname_joined_l, surname_joined_r) <= 1)",
}
