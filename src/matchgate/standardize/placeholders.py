"""Recognising street values that stand for "no address" ("FAILED TO PROVIDE", "NA NA").

The real system let exactly such values through because it only checked the ZIP field; the
list is data (``data/placeholders.txt``) so reviewers can extend it without code changes.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

from matchgate.standardize._data import placeholders, street_suffixes
from matchgate.standardize._pub28 import UNIT_DESIGNATORS
from matchgate.standardize._text import to_ascii_upper

__all__ = ["is_placeholder"]

_PUNCTUATION = re.compile(r"[^A-Z0-9 ]+")
_ONLY_FILLER_CHARS = re.compile(r"^(?:X+|0+|)$")
_STREET_LIKE = re.compile(r"^\d+[A-Z]? +([A-Z]{3,})\b")


@lru_cache(maxsize=65_536)
def is_placeholder(text: str) -> bool:
    """True when a street (or city) value stands for no address at all.

    ``"UNKNOWN"``, ``"Failed to Provide"``, ``"N/A"``, ``"NA NA"``, ``"000 NONE"``, ``"XXX"``,
    ``"-"``, ``"?"`` are; ``"123 MAIN ST"`` and ``""`` (empty is not a placeholder, it is
    empty) are not.
    """
    upper = to_ascii_upper(text).strip()
    if not upper:
        return False
    street_like = _STREET_LIKE.match(upper)
    if street_like and street_like.group(1) not in _vocabulary():
        return False  # the common case, "123 MAIN ST ...", decided without the full test
    words = _PUNCTUATION.sub("", upper.replace("/", "").replace(".", "")).split()
    joined = "".join(words)
    if _ONLY_FILLER_CHARS.match(joined):
        return True
    table = placeholders()
    spaced = _PUNCTUATION.sub(" ", upper).split()
    without_numbers = " ".join(word for word in spaced if not word.isdigit())
    if (
        " ".join(words) in table.phrases
        or " ".join(spaced) in table.phrases
        or without_numbers in table.phrases
        or joined in table.phrases
        or joined in table.words
    ):
        return True
    return _all_placeholder_words(tuple(words)) or _all_placeholder_words(tuple(spaced))


@cache
def _vocabulary() -> frozenset[str]:
    """Every word that can be part of a placeholder."""
    table = placeholders()
    phrase_words = {word for phrase in table.phrases for word in phrase.split()}
    return frozenset(phrase_words | table.words | table.fillers)


def _all_placeholder_words(words: tuple[str, ...]) -> bool:
    table = placeholders()
    suffixes = street_suffixes()
    strong = False
    for word in words:
        if word in table.words or _ONLY_FILLER_CHARS.match(word):
            strong = strong or word in table.words
        elif word in table.fillers or word in suffixes or word in UNIT_DESIGNATORS:
            continue
        elif word.isdigit():
            continue  # a house number with no street, as in "123 UNKNOWN"
        else:
            return False
    return strong
