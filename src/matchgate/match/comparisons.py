"""The Fellegi-Sunter comparisons of matchgate's model, as Splink comparison dicts.

Each comparison is an ordered list of levels; the first level whose SQL condition holds
is the pair's level. Levels are written in DuckDB SQL over the columns built by
``matchgate.match.features``. The labels double as the stable evidence codes shown to
reviewers (``first_name:nickname``), so they must not be renamed lightly.

Disagreement levels are kept separate from "missing" levels on purpose: a missing date
of birth says nothing, a different one says a lot against the match (the Jr/Sr and
twins hazards).
"""

from __future__ import annotations

from typing import Any

__all__ = ["COMPARISONS", "comparison_labels"]


def _null(column: str) -> dict[str, Any]:
    return {
        "sql_condition": f"{column}_l IS NULL OR {column}_r IS NULL",
        "label_for_charts": "missing",
        "is_null_level": True,
    }


def _level(sql: str, label: str, **extra: Any) -> dict[str, Any]:
    return {"sql_condition": sql, "label_for_charts": label, **extra}


def _else() -> dict[str, Any]:
    return {"sql_condition": "ELSE", "label_for_charts": "different"}


# Starting values (m among true matches, u among random pairs) for every level. Training
# replaces them where the data shows the level; a level never observed in training (a TIN
# in a batch that gives none) keeps its prior instead of Splink's generic default.
_PRIORS: dict[str, dict[str, tuple[float, float]]] = {
    "first_name": {
        "exact": (0.85, 0.01),
        "nickname": (0.045, 0.002),
        "nickname_shared": (0.005, 0.001),
        "swapped": (0.01, 0.0001),
        "spelling": (0.04, 0.01),
        "close": (0.01, 0.0005),
        "swapped_close": (0.003, 0.00002),
        "initial": (0.02, 0.02),
        "different": (0.03, 0.9569),
    },
    "surname": {
        "exact": (0.80, 0.002),
        "same_parts": (0.04, 0.0002),
        "swapped": (0.01, 0.0001),
        "part": (0.09, 0.004),
        "part_spelling": (0.02, 0.0005),
        "spelling": (0.04, 0.005),
        "close": (0.01, 0.0005),
        "swapped_close": (0.003, 0.00002),
        "different": (0.03, 0.9888),
    },
    "middle_name": {
        "exact": (0.55, 0.02),
        "initial": (0.30, 0.06),
        "different": (0.15, 0.92),
    },
    "suffix": {"exact": (0.95, 0.5), "different": (0.05, 0.5)},
    "dob": {
        "exact": (0.90, 0.00004),
        "day_month_transposed": (0.02, 0.00001),
        "one_part_off": (0.04, 0.003),
        "year_only": (0.02, 0.015),
        "different": (0.02, 0.98196),
    },
    "address": {
        "unit_differs": (0.005, 0.000005),
        "in_history": (0.85, 0.00002),
        "street_spelling": (0.03, 0.000002),
        "written_differently": (0.04, 0.000004),
        "street_in_history": (0.03, 0.00002),
        "zip_in_history": (0.05, 0.001),
        "city_in_history": (0.03, 0.01),
        "different": (0.04, 0.98896),
    },
    "tin": {
        "exact": (0.97, 1e-8),
        "one_digit_off": (0.02, 1e-7),
        "different": (0.01, 0.99999989),
    },
}


def _with_priors(comparison: dict[str, Any]) -> dict[str, Any]:
    priors = _PRIORS[comparison["output_column_name"]]
    for level in comparison["comparison_levels"]:
        if level.get("is_null_level"):
            continue
        m, u = priors[level["label_for_charts"]]
        level["m_probability"] = m
        level["u_probability"] = u
    return comparison


# -- what a level costs (issue 12) ---------------------------------------------------------
#
# Inside a lambda DuckDB computes both sides of every AND and OR for every list element; only
# a CASE computes its THEN just for the elements (or rows) whose WHEN holds, and tests each
# WHEN only where the ones before it failed. (A level's own condition is a CASE's WHEN, where
# AND and OR do skip what is decided.) So conditions inside lambdas, and the costly ones
# anywhere, are written with ``_all`` / ``_any``: the cheap necessary conditions first (a
# form in common, lengths, a letter, the preconditions of a rarer reading), edit distances,
# regular expressions and inner lambdas last. Every such condition is read only as TRUE or
# not (a level's or a list_filter's condition, where NULL counts as FALSE), and there
# ``_all`` holds exactly where AND does and ``_any`` exactly where OR does
# (``matchgate.match.comparisons_before`` keeps the plain AND/OR text the rewritten levels had;
# tests/match/test_address_level_rewrite.py and test_name_level_rewrite.py show that both give
# the same levels).


def _all(*conditions: str) -> str:
    """SQL: ``c1 AND c2 AND ...``, each tested only where those before it hold. Only for a
    condition read as TRUE or not (NULL then counts as FALSE), never under NOT."""
    result = conditions[-1]
    for condition in reversed(conditions[:-1]):
        result = f"(CASE WHEN {condition} THEN {result} ELSE FALSE END)"
    return result


def _any(*conditions: str) -> str:
    """SQL: ``c1 OR c2 OR ...``, each tested only where those before it fail. Only for a
    condition read as TRUE or not (NULL then counts as FALSE), never under NOT."""
    whens = " ".join(f"WHEN {condition} THEN TRUE" for condition in conditions[:-1])
    return f"(CASE {whens} ELSE {conditions[-1]} END)"


def _one_edit(a: str, b: str) -> str:
    """SQL: ``damerau_levenshtein(a, b) <= 1`` for words of 3+ letters each (the caller asks
    for the lengths first), the distance computed only where its necessary conditions hold:
    lengths at most one apart, and the first or the last letter the same (one substitution,
    insertion, deletion or transposition in a word of 3+ letters keeps one of them)."""
    return _all(
        f"abs(length({a}) - length({b})) <= 1 "
        f"AND (left({a}, 1) = left({b}, 1) OR right({a}, 1) = right({b}, 1))",
        f"damerau_levenshtein({a}, {b}) <= 1",
    )


# A compound surname written as one word that starts or ends with a whole surname part
# (SMITHPACHECO / SMITH, MEDINAANTONIO / MEDINA). The standardizer splits joined surnames
# it knows; this catches the ones it cannot (a part that is not in its table). At least 4
# letters must agree and 3 be left over, so LEE / LEES is no match.
_WORD_JOINS_PART = (
    "length({part}) >= 4 AND length({word}) >= length({part}) + 3 "
    "AND (starts_with({word}, {part}) OR ends_with({word}, {part}))"
)
# ... for some part on list {a} and some word on list {b}
_JOINED_PART = (
    "len(list_filter({a}, x -> len(list_filter({b}, y -> "
    + _WORD_JOINS_PART.format(part="x", word="y")
    + ")) > 0)) > 0"
)

# First and last name written the other way round (PORTILLO CHEVEZ, MICHAEL). Either the
# request's first name is one of the taxpayer's surname parts, or starts or ends with one
# when a compound is written as one word (FLORESFUENTES, ISIAH for ISIAH FLORES); and the
# taxpayer's first name is in the request's surname field, also as a nickname (TURNER,
# MATT for MATTHEW TURNER; only the request side, the right, has surname_first_forms).
# One side may instead carry a one-letter typo when the other agrees exactly: the surname
# (STUTON, WILLIAM for WILLIAM SUTTON), or the first name when the misspelt word is
# nobody's first name (LOTT, PTRICK for PATRICK LOTT; not LOTT, PATRICE).
_REQUEST_FIRST_IS_SURNAME = (
    "(list_contains(surname_parts_any_l, first_name_r) "
    "OR len(list_filter(surname_parts_any_l, x -> "
    + _WORD_JOINS_PART.format(part="x", word="first_name_r")
    + ")) > 0)"
)
_REQUEST_FIRST_IS_SURNAME_TYPO = (
    "len(list_filter(surname_parts_any_l, x -> "
    + _all("least(length(x), length(first_name_r)) >= 4", _one_edit("x", "first_name_r"))
    + ")) > 0"
)
_REQUEST_SURNAME_IS_FIRST = "list_contains(surname_parts_any_r, first_name_l)"
_REQUEST_SURNAME_IS_NICKNAME = "list_has_any(first_forms_l, surname_first_forms_r)"
_REQUEST_SURNAME_IS_FIRST_TYPO = (
    "surname_unrecognised_r AND least(length(first_name_l), length(surname_joined_r)) >= 4 "
    "AND " + _one_edit("first_name_l", "surname_joined_r")
)
_SWAPPED = (
    f"({_REQUEST_FIRST_IS_SURNAME} AND ({_REQUEST_SURNAME_IS_FIRST} "
    f"OR {_REQUEST_SURNAME_IS_NICKNAME} OR ({_REQUEST_SURNAME_IS_FIRST_TYPO}))) "
    f"OR ({_REQUEST_FIRST_IS_SURNAME_TYPO} AND {_REQUEST_SURNAME_IS_FIRST})"
)

# Written the other way round with one of the two names two typos off (``close``: 5+
# letters, the first letter right, Levenshtein <= 2, the misspelt word nobody's name), the
# other agreeing exactly: CHAUDHRY, BEMADETTE for BERNADETTE CHAUDHRY; LNGHQM, JOSHUA for
# JOSHUA LANGHAM (issue 11, the noisy mix). Accepted by the rules only with the date of birth
# agreeing exactly, like ``close``.
_CLOSE_WORDS = (
    "left({a}, 1) = left({b}, 1) AND least(length({a}), length({b})) >= 5 "
    "AND levenshtein({a}, {b}) <= 2"
)
_SWAPPED_CLOSE = (
    f"({_REQUEST_FIRST_IS_SURNAME} AND surname_unrecognised_r AND "
    + _CLOSE_WORDS.format(a="first_name_l", b="surname_joined_r")
    + ") OR ("
    + _REQUEST_SURNAME_IS_FIRST
    + " AND first_name_unrecognised_r AND len(list_filter(surname_parts_any_l, x -> "
    + _CLOSE_WORDS.format(a="x", b="first_name_r")
    + ")) > 0)"
)

# The request's first name a spelling of the taxpayer's own (``first_name_l``), not only of
# one of its nicknames: the ``spelling`` level's first reading. ``candidates_sql`` reads it
# too, so a misspelt nickname (CHRSI through CHRIS for CHRISTIAN) is never taken for a
# misspelling of the taxpayer's name (``first_name_misspelt``).
FIRST_NAME_OWN_SPELLING = (
    "jaro_winkler_similarity(first_name_l, first_name_r) >= 0.92 OR ("
    "least(length(first_name_l), length(first_name_r)) >= 4 AND "
    + _one_edit("first_name_l", "first_name_r")
    + ")"
)

FIRST_NAME = {
    "output_column_name": "first_name",
    "comparison_description": "First name: exact, nickname/hypocorism, spelling, initial",
    "comparison_levels": [
        _null("first_name"),
        _level(
            "first_name_l = first_name_r",
            "exact",
            tf_adjustment_column="first_name",
            tf_adjustment_weight=1.0,
        ),
        # The request gives a nickname of the taxpayer's own first name (BILL for WILLIAM).
        _level("list_contains(first_forms_r, first_name_l)", "nickname"),
        # Any other shared form: two forms of one name, neither the other's (ROB and BOBBY,
        # CAROL asked about at CARRIE's home) - often two people, so weaker.
        _level("list_has_any(first_forms_l, first_forms_r)", "nickname_shared"),
        _level(_SWAPPED, "swapped"),
        _level(
            FIRST_NAME_OWN_SPELLING + " OR ("
            # a misspelt nickname (MACT for MATT, GRREG for GREG): only when the request's
            # first name is nobody's name, so TIM never reaches THOMAS through TOM
            "first_name_unrecognised_r AND len(list_filter(first_nicknames_l, x -> "
            + _all("least(length(x), length(first_name_r)) >= 3", _one_edit("x", "first_name_r"))
            + ")) > 0)",
            "spelling",
        ),
        # Two typos (two slips, an OCR RN for M, PH for F: issue 11, the noisy mix; plain
        # Levenshtein, which the Spark engine translates too) in a name of 4+ letters with
        # the first letter right, only when the request's first name is nobody's name
        # (BRENDAN is not BRANDON's misspelling). The
        # rules accept it only with the date of birth agreeing (``_names_agree``).
        _level(
            # (4+ letters since the noisy mix's LAYR, CZOD, RWAU for LARRY, CODY, RYAN: with the
            # date of birth, the surname and the address agreeing, and a name nobody holds)
            # ... or one typo in a name of 3 letters (RPY for ROY, KMI for KIM, JQY for JAY),
            # the first letter right: too short for ``spelling``, which a name of 3 letters
            # one typo from another (ROY, RAY) would reach without a date of birth
            "first_name_unrecognised_r AND left(first_name_l, 1) = left(first_name_r, 1) "
            "AND ((least(length(first_name_l), length(first_name_r)) >= 4 "
            "AND levenshtein(first_name_l, first_name_r) <= 2) "
            "OR (least(length(first_name_l), length(first_name_r)) >= 3 "
            "AND damerau_levenshtein(first_name_l, first_name_r) <= 1))",
            "close",
        ),
        _level(_SWAPPED_CLOSE, "swapped_close"),
        _level(
            "(length(first_name_l) = 1 OR length(first_name_r) = 1) "
            "AND left(first_name_l, 1) = left(first_name_r, 1)",
            "initial",
        ),
        _else(),
    ],
}

SURNAME = {
    "output_column_name": "surname",
    "comparison_description": "Surname parts compared as a set (compound Hispanic surnames)",
    "comparison_levels": [
        _null("surname_joined"),
        _level(
            "surname_joined_l = surname_joined_r",
            "exact",
            tf_adjustment_column="surname_joined",
            tf_adjustment_weight=1.0,
        ),
        _level(
            "list_sort(surname_parts_l) = list_sort(surname_parts_r)",
            "same_parts",
        ),
        _level(_SWAPPED, "swapped"),
        _level(
            "list_has_any(surname_parts_any_l, surname_parts_any_r) OR "
            + _JOINED_PART.format(a="surname_parts_any_l", b="surname_parts_any_r")
            + " OR "
            + _JOINED_PART.format(a="surname_parts_any_r", b="surname_parts_any_l"),
            "part",
        ),
        # One part of a compound surname agrees but for a typo (RAYMIREZ / RAMIREZ MAGANA).
        _level(
            "len(list_filter(surname_parts_any_l, a -> len(list_filter(surname_parts_any_r, b -> "
            + _all(
                "least(length(a), length(b)) >= 5",
                _any("jaro_winkler_similarity(a, b) >= 0.92", _one_edit("a", "b")),
            )
            + ")) > 0)) > 0",
            "part_spelling",
        ),
        _level(
            "jaro_winkler_similarity(surname_joined_l, surname_joined_r) >= 0.92 OR ("
            "least(length(surname_joined_l), length(surname_joined_r)) >= 4 AND "
            + _one_edit("surname_joined_l", "surname_joined_r")
            + ")",
            "spelling",
        ),
        # Two typos in a surname of 5+ letters, the first letter right (WZREN is not 5, but
        # WARRAN / WARREN, TRERNPER / TREMPER are): accepted by the rules only with the date
        # of birth agreeing (``_names_agree``), never alone.
        # ... or one typo in a surname of 2-3 letters, the first letter right (LIJ, HR, COR
        # for LIU, HUR, CHO: issue 11, the noisy mix), too short for ``spelling``, which LI /
        # LIU would reach without a date of birth.
        _level(
            "left(surname_joined_l, 1) = left(surname_joined_r, 1) "
            "AND ((least(length(surname_joined_l), length(surname_joined_r)) >= 5 "
            "AND levenshtein(surname_joined_l, surname_joined_r) <= 2) "
            "OR (least(length(surname_joined_l), length(surname_joined_r)) >= 2 "
            "AND damerau_levenshtein(surname_joined_l, surname_joined_r) <= 1))",
            "close",
        ),
        _level(_SWAPPED_CLOSE, "swapped_close"),
        _else(),
    ],
}

MIDDLE_NAME = {
    "output_column_name": "middle_name",
    "comparison_description": "Middle name or initial",
    "comparison_levels": [
        _null("middle_initial"),
        _level("middle_name_l = middle_name_r AND length(middle_name_l) > 1", "exact"),
        _level("middle_initial_l = middle_initial_r", "initial"),
        _else(),
    ],
}

SUFFIX = {
    "output_column_name": "suffix",
    "comparison_description": "Generational suffix; a JR/SR conflict is evidence against",
    "comparison_levels": [
        _null("suffix"),
        _level("suffix_l = suffix_r", "exact"),
        _else(),
    ],
}

DOB = {
    "output_column_name": "dob",
    "comparison_description": "Date of birth: exact, day/month transposed, one part off",
    "comparison_levels": [
        _null("dob"),
        _level("dob_l = dob_r", "exact"),
        _level(
            "substr(dob_l, 1, 4) = substr(dob_r, 1, 4) "
            "AND substr(dob_l, 6, 2) = substr(dob_r, 9, 2) "
            "AND substr(dob_l, 9, 2) = substr(dob_r, 6, 2)",
            "day_month_transposed",
        ),
        # A typo in one part: same year and month or same year and day, or the same
        # birthday one or two years apart. A father and son born on the same day of the
        # year decades apart must not look like a typo.
        _level(
            "(substr(dob_l, 1, 4) = substr(dob_r, 1, 4) AND (substr(dob_l, 6, 2) = "
            "substr(dob_r, 6, 2) OR substr(dob_l, 9, 2) = substr(dob_r, 9, 2))) OR "
            "(substr(dob_l, 6, 5) = substr(dob_r, 6, 5) AND abs(try_cast(substr(dob_l, 1, 4) "
            "AS INTEGER) - try_cast(substr(dob_r, 1, 4) AS INTEGER)) <= 2)",
            "one_part_off",
        ),
        _level("substr(dob_l, 1, 4) = substr(dob_r, 1, 4)", "year_only"),
        _else(),
    ],
}

# Two street names one typo apart; one letter off only for names of letters (12TH and
# 13TH are different streets), and never in a name with a one-letter word (AVENUE B and
# AVENUE C are different streets). The digits must be the same (COUNTY RD 12 is not COUNTY
# RD 13), and a box's name is never a typo: the standardizer writes it one way (``PO BOX``,
# ``PMB``, ``RR 2 BOX``, ``HC 1 BOX``), so RR 2 BOX / RR 3 BOX, RR 2A BOX / RR 2B BOX are
# other routes (issue 11).
_BOX_NAME_RE = "'^(PO BOX|PMB|(RR|HC|PSC|CMR|UNIT) [0-9]+[A-Z]? BOX)$'"
_STREET_NAME_TYPO = (
    "(NOT regexp_matches({a} || ' ' || {b}, '(^| )[A-Z]( |$)') "
    "AND regexp_replace({a}, '[^0-9]', '', 'g') = regexp_replace({b}, '[^0-9]', '', 'g') "
    f"AND NOT regexp_matches({{a}}, {_BOX_NAME_RE}) AND NOT regexp_matches({{b}}, {_BOX_NAME_RE}) "
    "AND (jaro_winkler_similarity({a}, {b}) >= 0.9 "
    "OR (least(length({a}), length({b})) >= 4 "
    "AND NOT regexp_matches({a} || {b}, '[0-9]') "
    "AND damerau_levenshtein({a}, {b}) <= 1)))"
)

# -- the tolerant reading of an address (issue 11: request files as messy as real ones) -----
#
# Over two ``places`` structs {a} (filed) and {b} (requested), see
# ``matchgate.match.features.place_feature``. One building: the same house number, the same
# ZIP or the same city and state (or, with a ZIP missing, the city one typo off in the same
# state), and street names that are one name written differently: some ways of writing
# both without spaces (MANOR HOUSE / MANORHOUSE, MAPLEAVE / MAPLE AVE, WQUEEN / W QUEEN)
# agree, or within 1 edit (4+ letters) or 2 (8+ letters), with the same digits (12TH is not
# 13TH) and exactly for a name with a one-letter word (AVENUE B is not AVENUE C); or the words
# of one are the other's name and street type, one typo allowed in the name, followed by
# extra building or locality words (OAK ST SUNSET MANOR); or one has an unreadable last word
# one typo from the other's street type (27TH LAHE / 27TH LN).
#
# These tests run inside lambdas over the places: written with ``_all`` / ``_any`` (see "what
# a level costs" above).


def _names_close(a: str, b: str) -> str:
    # Two edits also for names of 5-7 letters whose first letter agrees (NUORRH / NORTH,
    # HAIEZ / HAYES, STPND / STONE: two slips in one word, issue 11's noisy mix); the house
    # number and the ZIP or city agree too, and the digits of the names must be the same.
    # (At most 2 edits: never for lengths more than 2 apart.)
    shortest = f"least(length({a}), length({b}))"
    return _any(
        f"{a} = {b}",
        _all(
            f"{shortest} >= 4 AND abs(length({a}) - length({b})) <= 2",
            f"damerau_levenshtein({a}, {b}) <= "
            f"CASE WHEN {shortest} >= 8 THEN 2 "
            f"WHEN {shortest} >= 5 AND left({a}, 1) = left({b}, 1) THEN 2 "
            "ELSE 1 END",
            f"regexp_replace({a}, '[^0-9]', '', 'g') = regexp_replace({b}, '[^0-9]', '', 'g')",
        ),
    )


def _forms_agree(a: str, b: str) -> str:
    # a form in common first: a plain list test, no lambda
    return _any(
        f"list_has_any({a}.forms, {b}.forms)",
        _all(
            f"NOT coalesce({a}.lettered, FALSE) AND NOT coalesce({b}.lettered, FALSE)",
            f"len(list_filter({a}.forms, x -> len(list_filter({b}.forms, y -> "
            f"{_names_close('x', 'y')})) > 0)) > 0",
        ),
    )


def _type_misspelt(word: str, spelling: str, words: str) -> str:
    """SQL: ``word`` (not itself a street type: ``words`` are a place's type words) is a
    misspelling of the street type ``spelling``: one edit in a word of 3+ letters (LAHE,
    DRR), or two in a type word of 5+ letters written with its first letter right (SOTRETE,
    BOOULEAVRD for STREET, BOULEVARD: issue 11, the noisy mix's street type misspelt and then
    mistyped). Only for the last word of a street without a type (``_misspelt_type``): the
    house number, the ZIP or city and the name before it agree too, and no type of its own
    follows (OAK STREAM CT is not OAK ST)."""
    return _all(
        f"length({word}) >= 3 AND abs(length({spelling}) - length({word})) <= 2 "
        f"AND NOT list_contains(coalesce({words}, []), {word})",
        f"damerau_levenshtein({spelling}, {word}) <= CASE WHEN length({spelling}) >= 5 "
        f"AND length({word}) >= 5 AND left({spelling}, 1) = left({word}, 1) THEN 2 ELSE 1 END",
    )


def _extra_words(short: str, long: str) -> str:
    """``long``'s words are ``short``'s name (one typo allowed), a word that is ``short``'s
    street type (as spelt in Pub. 28, or one typo from a type word of 5+ letters, itself no
    type: XRESCENT), then more words (OAK ST SUNSET MANOR, HAWTHORNE XRESCENT SUNSET MANOR)."""
    head = f"array_to_string({long}.words[1:k - 1], '')"
    name = f"replace({short}.name, ' ', '')"
    word = f"{long}.words[k]"
    is_type = _any(
        f"list_contains({short}.type_forms, {word})",
        f"len(list_filter({short}.type_forms, t -> "
        + _all(
            f"length(t) >= 5 AND abs(length(t) - length({word})) <= 1 "
            f"AND NOT list_contains(coalesce({long}.type_words, []), {word})",
            f"damerau_levenshtein(t, {word}) <= 1",
        )
        + ")) > 0",
    )
    return _all(
        f"{short}.type_forms IS NOT NULL AND len({long}.words) >= 3",
        f"len(list_filter(range(2, len({long}.words)), k -> "
        + _all(is_type, _names_close(head, name))
        + ")) > 0",
    )


def _misspelt_type(untyped: str, typed: str) -> str:
    """``untyped`` ends in a word that is ``typed``'s street type misspelt
    (``_type_misspelt``: 27TH LAHE, SUNRISE SOTRETE) or cut short (2ND R, HAYES C, 18TH WA
    for 2ND RD, HAYES CT, 18TH WAY: the type's first letters, itself no type); the rest
    agrees."""
    name = f"replace({typed}.name, ' ', '')"
    tail = f"{untyped}.tail"
    cut_short = _all(
        f"length(t) > length({tail}) AND starts_with(t, {tail})",
        f"NOT list_contains(coalesce({untyped}.type_words, []), {tail})",
    )
    return _all(
        f"{tail} IS NOT NULL AND {typed}.type_forms IS NOT NULL "
        f"AND NOT coalesce({typed}.lettered, FALSE)",
        _names_close(f"{untyped}.head", name),
        f"len(list_filter({typed}.type_forms, t -> "
        + _any(_type_misspelt(tail, "t", f"{untyped}.type_words"), cut_short)
        + ")) > 0",
    )


def _joined_misspelt_type(untyped: str, typed: str) -> str:
    """``untyped`` is one word: ``typed``'s name exactly, then its street type misspelt
    (``_type_misspelt``) and joined on (VISTAXIRCLE, ELMCOOURT, RIVERCUOURT for VISTA CIR,
    ELM CT, RIVER CT; joined and spelt right, the standardizer reads the type itself)."""
    name = f"replace({typed}.name, ' ', '')"
    rest = f"substr({untyped}.name, length({name}) + 1)"
    return _all(
        f"NOT {untyped}.typed AND len({untyped}.words) = 1 AND {typed}.type_forms IS NOT NULL "
        f"AND NOT coalesce({typed}.lettered, FALSE) AND length({name}) >= 3 "
        f"AND starts_with({untyped}.name, {name})",
        f"len(list_filter({typed}.type_forms, t -> "
        + _type_misspelt(rest, "t", f"{untyped}.type_words")
        + ")) > 0",
    )


def street_names_agree(a: str = "a", b: str = "b") -> str:
    """SQL: the street names of places ``a`` and ``b`` are one name written differently."""
    return _any(
        _forms_agree(a, b),
        _extra_words(a, b),
        _extra_words(b, a),
        _misspelt_type(a, b),
        _misspelt_type(b, a),
        _joined_misspelt_type(a, b),
        _joined_misspelt_type(b, a),
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
    """SQL: places ``a`` and ``b`` are one building (number, ZIP or city, street name).
    (The number and locality as a CASE's WHEN, where DuckDB does skip what an AND or an OR
    has decided.)"""
    return _all(f"{a}.number = {b}.number AND {_same_locality(a, b)}", street_names_agree(a, b))


def _agree_if_both(a: str, b: str, part: str) -> str:
    return f"({a}.{part} IS NULL OR {b}.{part} IS NULL OR {a}.{part} = {b}.{part})"


_UNIT_PARTS = ("unit", "building", "position", "space")


def units_agree(a: str = "a", b: str = "b") -> str:
    """SQL: no unit identifier given on both sides differs (APT 4 / APT 5, BLDG 2 / BLDG 3,
    REAR / FRNT, LOT 22 / LOT 23). A unit on one side only is no contradiction: a filing or
    a request often leaves the apartment out; nor is an identifier of another kind (LOT 22
    against a filed APT 2C: a mobile home's space is not a flat's number). Never NULL."""
    return " AND ".join(_agree_if_both(a, b, part) for part in _UNIT_PARTS)


def directions_agree(a: str = "a", b: str = "b") -> str:
    """SQL: no direction given on both sides differs (100 N MAIN / 100 S MAIN)."""
    return " AND ".join(_agree_if_both(a, b, part) for part in ("predir", "postdir"))


def _filed_with_number(request: str) -> str:
    """The places filed from with the request's house number (a plain comparison: the
    tolerant tests, which ask for the same number again, run only over those)."""
    return f"list_filter(places_l, a -> a.number = {request}.number)"


def _some_filed(request: str, condition: str) -> str:
    return (
        f"len(list_filter({_filed_with_number(request)}, a -> {condition.format(b=request)})) > 0"
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
# that building names another unit (APT 5 asked, APT 4 filed): another address. The filings
# from the building are found once (the street-name test is the costly part) and their units
# read from that list: none agrees where the largest of ``units_agree`` as 0 or 1 is 0 (an
# empty list's largest is NULL: not the building).
_UNIT_DIFFERS = _guarded(
    "len(list_filter(places_r, b -> "
    + _all(
        "b.unit IS NOT NULL OR b.building IS NOT NULL "
        "OR b.position IS NOT NULL OR b.space IS NOT NULL",
        f"list_max(list_transform(list_filter({_filed_with_number('b')}, a -> "
        + same_building("a", "b")
        + "), a -> CASE WHEN "
        + units_agree("a", "b")
        + " THEN 1 ELSE 0 END)) = 0",
    )
    + ")) > 0"
)
# The same building and unit written differently: a typo, joined or split words, the type
# misspelt or joined on, an extra building or locality name, the ZIP left out or mistyped
# (with the city right). Directions and units first: plain comparisons, never NULL.
_WRITTEN_DIFFERENTLY = _guarded(
    "len(list_filter(places_r, b -> "
    + _some_filed(
        "b",
        _all(
            directions_agree("a", "{b}") + " AND " + units_agree("a", "{b}"),
            same_building("a", "{b}"),
        ),
    )
    + ")) > 0"
)


# Same number and ZIP, street name one typo away; or same number, city and state. Each half is
# the plain test as written below it, asked only of the pairs whose locators (or city
# locators) have a house number in common, which the half itself requires: the edit distances
# ran for every locator pair of every pair otherwise (a random pair never has the number, so
# the guard spares Splink's 2,000,000 random pairs nearly all of them). Not guarded by
# ``house_numbers``: a box (RR 2 BOX 15) has a locator but no place, so no house number.
# ``CASE WHEN g THEN x ELSE FALSE END`` holds exactly where ``g AND x`` does, and
# ``a.number = b.number`` for some pair of elements is ``list_has_any`` of the two numbers.
_STREET_SPELLING_BY_ZIP = (
    "len(list_filter(locators_l, a -> len(list_filter(locators_r, b -> "
    "a.number = b.number AND a.zip = b.zip AND "
    + _STREET_NAME_TYPO.format(a="a.name", b="b.name")
    + ")) > 0)) > 0"
)
_STREET_SPELLING_BY_CITY = (
    "len(list_filter(city_locator_keys_l, a -> len(list_filter(city_locator_keys_r, "
    "b -> split_part(a, '|', 1) = split_part(b, '|', 1) "
    "AND split_part(a, '|', 3) = split_part(b, '|', 3) "
    "AND split_part(a, '|', 4) = split_part(b, '|', 4) AND "
    + _STREET_NAME_TYPO.format(a="split_part(a, '|', 2)", b="split_part(b, '|', 2)")
    + ")) > 0)) > 0"
)
# The level before it was guarded (kept for the test and benchmark that prove them equal).
STREET_SPELLING_UNGUARDED = f"{_STREET_SPELLING_BY_ZIP} OR {_STREET_SPELLING_BY_CITY}"
_LOCATOR_NUMBER_IN_COMMON = (
    "list_has_any(list_transform(locators_l, a -> a.number), "
    "list_transform(locators_r, b -> b.number))"
)
_CITY_LOCATOR_NUMBER_IN_COMMON = (
    "list_has_any(list_transform(city_locator_keys_l, a -> split_part(a, '|', 1)), "
    "list_transform(city_locator_keys_r, b -> split_part(b, '|', 1)))"
)
_STREET_SPELLING = (
    f"(CASE WHEN {_LOCATOR_NUMBER_IN_COMMON} THEN ({_STREET_SPELLING_BY_ZIP}) ELSE FALSE END) "
    f"OR (CASE WHEN {_CITY_LOCATOR_NUMBER_IN_COMMON} THEN ({_STREET_SPELLING_BY_CITY}) "
    "ELSE FALSE END)"
)

ADDRESS = {
    "output_column_name": "address",
    "comparison_description": "The request's address against every address filed from",
    "comparison_levels": [
        {
            "sql_condition": "(address_keys_l IS NULL AND city_locator_keys_l IS NULL) "
            "OR (address_keys_r IS NULL AND city_locator_keys_r IS NULL)",
            "label_for_charts": "missing",
            "is_null_level": True,
        },
        # The request names a unit of a building the taxpayer filed from, and no filing from
        # that building gives the same unit: another dwelling (first, so no level below can
        # read it as the taxpayer's own address). At the requested address for the household
        # rule, never an address in the history.
        _level(_UNIT_DIFFERS, "unit_differs"),
        # Same number, street name and ZIP; or, when the request gives no ZIP, the same
        # number, street name, city and state.
        _level(
            "list_has_any(address_keys_l, address_keys_r) "
            "OR list_has_any(locator_keys_l, locator_keys_r) "
            "OR list_has_any(city_locator_keys_l, city_locator_keys_r)",
            "in_history",
        ),
        # Same number and ZIP, street name one typo away (HARISON / HARRISON); or, when the
        # request gives no ZIP, same number, city and state.
        _level(_STREET_SPELLING, "street_spelling"),
        _level(_WRITTEN_DIFFERENTLY, "written_differently"),
        _level("list_has_any(street_keys_l, street_keys_r)", "street_in_history"),
        _level("list_has_any(zips_l, zips_r)", "zip_in_history"),
        _level("list_has_any(city_states_l, city_states_r)", "city_in_history"),
        _else(),
    ],
}

TIN = {
    "output_column_name": "tin",
    "comparison_description": "Taxpayer identification number",
    "comparison_levels": [
        _null("tin"),
        _level("tin_l = tin_r", "exact"),
        _level("damerau_levenshtein(tin_l, tin_r) <= 1", "one_digit_off"),
        _else(),
    ],
}

COMPARISONS: list[dict[str, Any]] = [
    _with_priors(c) for c in (FIRST_NAME, SURNAME, MIDDLE_NAME, SUFFIX, DOB, ADDRESS, TIN)
]


def comparison_labels() -> dict[str, dict[int, str]]:
    """For each comparison, its gamma value -> label (Splink numbers non-null levels from
    the bottom: the ``ELSE`` level is 0, the null level is -1)."""
    labels: dict[str, dict[int, str]] = {}
    for comparison in COMPARISONS:
        levels = comparison["comparison_levels"]
        non_null = [level for level in levels if not level.get("is_null_level")]
        mapping = {-1: "missing"}
        for index, level in enumerate(non_null):
            mapping[len(non_null) - 1 - index] = level["label_for_charts"]
        labels[comparison["output_column_name"]] = mapping
    return labels
