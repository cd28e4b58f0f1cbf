"""First-name nicknames and hypocorisms: which formal names a given first name may stand for.

Two sources are merged:

* English nicknames from the ``nicknames`` package (``BILL`` -> ``WILLIAM``). Its table lists
  some pairs in both directions (``bill has_nickname william`` *and* ``william has_nickname
  bill``); for such a pair the longer name is taken as the formal one, so ``WILLIAM`` does
  not turn into a nickname of ``BILL``. Pairs known to be wrong are dropped
  (``_ENGLISH_EXCLUSIONS``), and a common formal given name (``data/formal_given_names.txt``:
  ``WILLIAM``, ``JOHN``, ``MARY``, ...) never gains English forms, because the package also
  lists ``WILLIAM`` under ``WILMA`` and ``JOHN`` under ``JONATHAN``: a father and son or two
  spouses must not agree on first name through such a link.
* Our own table of Spanish, Portuguese, Filipino and Italian hypocorisms,
  ``data/hypocorisms.csv`` (``PEPE`` -> ``JOSE``, ``BETO`` -> ``ALBERTO``/``ROBERTO``/...).

Only nickname -> formal links are followed, one step: a formal name is not expanded to its
nicknames, and cross-language *translations* (``JOSE``/``JOSEPH``) are deliberately not
equated; they are different names on official records.
"""

from __future__ import annotations

from functools import cache, lru_cache

from nicknames import name_triplets

from matchgate.standardize._data import census_given_names, formal_given_names, hypocorisms
from matchgate.standardize._text import clean_name_text

__all__ = ["first_name_forms", "known_given_names", "nicknames_of"]

# (nickname, formal) pairs in the nicknames package that link clearly different names and
# would let two different people's first names agree.
_ENGLISH_EXCLUSIONS = frozenset(
    {
        ("FRED", "BILL"),
        ("BILL", "FRED"),
        ("JOHN", "IAN"),
        ("IAN", "JOHN"),
        ("JACK", "JACQUELINE"),
        ("TONY", "CLIFTON"),
        ("TONY", "SHELTON"),
        ("BOB", "BERT"),
        ("JUNE", "JUNIOR"),
        ("MICAH", "MICHAEL"),
        ("POLLY", "PAUL"),
        ("SALLY", "SALVADOR"),
    }
)


# Links between names with different first letters are mostly archaic or genealogical in
# the package (BOBBY -> ROGER, BILL -> ROBERT, RICKY -> ERIC, RON -> VERONICA, POLLY ->
# PAUL): each joins two common legal names, so a person named BOBBY at ROGER's home would
# agree on first name. Only these well-known ones are kept (nickname -> formal names).
_CROSS_INITIAL_CLASSICS: dict[str, frozenset[str]] = {
    nickname: frozenset(formals.split())
    for nickname, formals in {
        "BILL": "WILLIAM",
        "BILLY": "WILLIAM",
        "BILLIE": "WILLIAM",
        "BOB": "ROBERT",
        "BOBBY": "ROBERT",
        "BOBBIE": "ROBERT ROBERTA",
        "DICK": "RICHARD",
        "DICKIE": "RICHARD",
        "JACK": "JOHN",
        "TED": "EDWARD EDMUND",
        "TEDDY": "EDWARD",
        "NED": "EDWARD EDMUND EDWIN",
        "TONY": "ANTHONY ANTONIO ANTONIA ANTOINETTE",
        "BETH": "ELIZABETH",
        "BETTY": "ELIZABETH",
        "BETSY": "ELIZABETH",
        "BESS": "ELIZABETH",
        "BESSIE": "ELIZABETH",
        "LIBBY": "ELIZABETH",
        "LIZ": "ELIZABETH",
        "LIZA": "ELIZABETH",
        "LIZZIE": "ELIZABETH",
        "PEG": "MARGARET",
        "PEGGY": "MARGARET MARGUERITE",
        "DAISY": "MARGARET",
        "RITA": "MARGARET MARGARITA",
        "GRETA": "MARGARET MARGARITA",
        "POLLY": "MARY",
        "MOLLY": "MARY",
        "SALLY": "SARAH",
        "SADIE": "SARAH",
        "HANK": "HENRY",
        "HARRY": "HENRY",
        "TRISH": "PATRICIA",
        "TRISHA": "PATRICIA",
        "TRICIA": "PATRICIA",
        "TINA": "CHRISTINA CHRISTINE KRISTINE CHRISTIANA MARTINA",
        "SANDY": "ALEXANDER ALEXANDRA CASSANDRA",
        "SANDRA": "ALEXANDRA CASSANDRA",
        "XANDER": "ALEXANDER",
        "LEXI": "ALEXIS ALEXANDRA",
        "DREW": "ANDREW",
        "GUS": "AUGUST AUGUSTUS AUGUSTINE",
        "BERT": "ALBERT GILBERT HERBERT HUBERT NORBERT DELBERT ELBERT",
        "BECKY": "REBECCA",
        "GINGER": "VIRGINIA",
        "GINNY": "VIRGINIA",
        "MANDY": "AMANDA",
        "WENDY": "GWENDOLYN",
        "NELL": "ELEANOR HELEN ELLEN",
        "NELLIE": "ELEANOR HELEN ELLEN",
        "NELLY": "ELEANOR HELEN ELLEN",
        "BELLA": "ISABEL ISABELLA ISABELLE ARABELLA",
        "GAIL": "ABIGAIL",
        "ZEKE": "EZEKIEL",
        "TORI": "VICTORIA",
        "TASHA": "NATASHA",
        "NITA": "JUANITA",
        "TRUDY": "GERTRUDE",
        "LOTTIE": "CHARLOTTE",
        "MANNY": "EMANUEL",
    }.items()
}


def _same_initial(a: str, b: str) -> bool:
    initials = {a[:1], b[:1]}
    return len(initials) == 1 or initials == {"C", "K"}


@cache
def _english_pairs() -> frozenset[tuple[str, str]]:
    """Every (formal, nickname) pair of the ``nicknames`` package, cleaned."""
    pairs: set[tuple[str, str]] = set()
    for triplet in name_triplets():
        if triplet.relationship != "has_nickname":
            continue
        formal = clean_name_text(triplet.name1)
        nickname = clean_name_text(triplet.name2)
        if formal and nickname and formal != nickname:
            pairs.add((formal, nickname))
    return frozenset(pairs)


@cache
def _english_formals() -> dict[str, frozenset[str]]:
    pairs = _english_pairs()
    table: dict[str, set[str]] = {}
    for formal, nickname in pairs:
        if (nickname, formal) in pairs and len(nickname) > len(formal):
            continue
        if (nickname, formal) in _ENGLISH_EXCLUSIONS:
            continue
        if not _same_initial(nickname, formal) and formal not in _CROSS_INITIAL_CLASSICS.get(
            nickname, ()
        ):
            continue
        table.setdefault(nickname, set()).add(formal)
    return {key: frozenset(value) for key, value in table.items()}


@lru_cache(maxsize=131_072)
def first_name_forms(first: str) -> tuple[str, ...]:
    """Sorted formal forms ``first`` may stand for, including itself.

    ``BILL`` -> ``("BILL", "WILLIAM", ...)``; ``PEPE`` -> ``("JOSE", "PEPE")``;
    ``JOSE`` -> ``("JOSE",)``; ``""`` -> ``()``. The input is cleaned first, so
    ``"Toño"`` finds ``ANTONIO``.
    """
    name = clean_name_text(first)
    if not name:
        return ()
    forms = {name}
    if name not in formal_given_names():
        forms.update(_english_formals().get(name, ()))
    forms.update(hypocorisms().get(name, ()))
    return tuple(sorted(forms))


@cache
def known_given_names() -> frozenset[str]:
    """Every given name some table here knows: the census first-name list, the formal names,
    and every name on either side of a nickname or hypocorism link.

    The matcher reads a request's first name that is on none of these lists, and that no
    taxpayer in the master file holds either, as a likely misspelling rather than as the
    name of another person.
    """
    names = set(census_given_names()) | set(formal_given_names())
    for nickname, formals in hypocorisms().items():
        names.add(nickname)
        names.update(formals)
    for pair in _english_pairs():
        names.update(pair)
    return frozenset(n for n in names if n)


@cache
def legal_given_names() -> frozenset[str]:
    """Names people hold as their legal given name: the census first-name list and the
    formal names (not the nickname tables' forms: PACO, CHUY, BETO are nobody's)."""
    return frozenset(census_given_names()) | frozenset(formal_given_names())


@cache
def _nicknames_by_formal() -> dict[str, frozenset[str]]:
    table: dict[str, set[str]] = {}
    for nickname in set(_english_formals()) | set(hypocorisms()):
        for formal in first_name_forms(nickname):
            if formal != nickname:
                table.setdefault(formal, set()).add(nickname)
    return {key: frozenset(value) for key, value in table.items()}


def nicknames_of(first: str) -> tuple[str, ...]:
    """Sorted nicknames and hypocorisms that stand for ``first`` (the reverse of
    ``first_name_forms``): ``ELIZABETH`` -> ``("BESS", "BETH", "BETTY", ..., "LIZ", ...)``."""
    return tuple(sorted(_nicknames_by_formal().get(clean_name_text(first), ())))
