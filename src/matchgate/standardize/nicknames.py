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

from matchgate.standardize._data import formal_given_names, hypocorisms
from matchgate.standardize._text import clean_name_text

__all__ = ["first_name_forms"]

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
    }
)


@cache
def _english_formals() -> dict[str, frozenset[str]]:
    pairs: set[tuple[str, str]] = set()
    for triplet in name_triplets():
        if triplet.relationship != "has_nickname":
            continue
        formal = clean_name_text(triplet.name1)
        nickname = clean_name_text(triplet.name2)
        if formal and nickname and formal != nickname:
            pairs.add((formal, nickname))
    table: dict[str, set[str]] = {}
    for formal, nickname in pairs:
        if (nickname, formal) in pairs and len(nickname) > len(formal):
            continue
        if (nickname, formal) in _ENGLISH_EXCLUSIONS:
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
