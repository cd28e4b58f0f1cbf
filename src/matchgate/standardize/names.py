"""Standardized personal names: given names, surname parts, particles and generational suffix.

``standardize_name`` takes the four name fields of a request or master-file row as written
and returns a ``StandardName`` whose fields the matcher compares. Every field is upper-case
ASCII. Nothing here raises on any text.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from matchgate.standardize._text import clean_name_text
from matchgate.standardize.nicknames import first_name_forms
from matchgate.standardize.surnames import PARTICLES, split_surname, surname_overlap

__all__ = [
    "StandardName",
    "clean_name_text",
    "first_name_forms",
    "names_swapped",
    "standardize_name",
    "surname_part_overlap",
]

# Generational suffixes and how they are written. Father and son share name and address,
# so this one field often decides who is meant.
_SUFFIXES = {
    "JR": "JR",
    "JNR": "JR",
    "JUNIOR": "JR",
    "SR": "SR",
    "SNR": "SR",
    "SENIOR": "SR",
    "II": "II",
    "2ND": "II",
    "III": "III",
    "3RD": "III",
    "IV": "IV",
    "4TH": "IV",
    "V": "V",
    "5TH": "V",
}
# Only in a field of its own is a bare number a suffix ("2" -> II).
_SUFFIX_FIELD_ONLY = {"1": "", "2": "II", "3": "III", "4": "IV", "5": "V", "I": ""}
# In given-name fields "V" is far more often a middle initial than "the fifth".
_NOT_SUFFIX_IN_GIVEN = frozenset({"V"})
# Dropped from the front of the first-name field when a name follows. Not DON: it is also a
# given name (DON MICHAEL SMITH); not SR, which is a suffix.
_HONORIFICS_AT_START = frozenset({"MR", "MRS", "MS", "MISS", "DR", "SRA", "SRTA"})
# Dropped from the end of a field. Not DO (a Vietnamese surname) nor RN.
_CREDENTIALS = frozenset({"ESQ", "MD", "PHD", "DDS", "DVM", "CPA"})


@dataclass(frozen=True, slots=True)
class StandardName:
    """A person's name in the form the matcher compares.

    ``first`` is the first given name; ``first_canonical`` the sorted formal forms it may
    stand for, itself included (``BILL`` -> ``("BILL", "ROBERT", "WILL", "WILLIAM",
    "WILLIS")``, ``PEPE`` -> ``("JOSE", "PEPE")``). ``middle`` holds every further given
    name. ``surname_parts`` are the surname's parts in order without particles
    (``GARCIA-LOPEZ`` -> ``("GARCIA", "LOPEZ")``, ``de la Cruz`` -> ``("CRUZ",)``),
    ``surname_joined`` the parts written together, ``particles`` the particles dropped.
    ``suffix`` is one of ``"" JR SR II III IV V``.
    """

    first: str
    first_canonical: tuple[str, ...]
    middle: str
    middle_initial: str
    surname_parts: tuple[str, ...]
    surname_joined: str
    particles: tuple[str, ...]
    suffix: str


def _suffix_from_field(words: list[str]) -> str:
    for word in words:
        if word in _SUFFIXES:
            return _SUFFIXES[word]
        if word in _SUFFIX_FIELD_ONLY:
            return _SUFFIX_FIELD_ONLY[word]
    return ""


def _strip_trailing(words: list[str], *, allow_v: bool) -> tuple[list[str], str]:
    """Remove generational suffixes and credentials from the end of a name field."""
    found = ""
    while len(words) > 1:
        last = words[-1]
        if last in _SUFFIXES and (allow_v or last not in _NOT_SUFFIX_IN_GIVEN):
            found = found or _SUFFIXES[last]
        elif last not in _CREDENTIALS:
            break
        words = words[:-1]
    return words, found


def _take_suffixes_anywhere(words: list[str]) -> tuple[list[str], str]:
    """Remove unambiguous suffix words (not V) from anywhere in a middle-name field."""
    kept = [word for word in words if word not in _SUFFIXES or word in _NOT_SUFFIX_IN_GIVEN]
    found = next((_SUFFIXES[word] for word in words if word in _SUFFIXES and word not in kept), "")
    return kept, found


def _split_comma_name(text: str) -> tuple[str, str]:
    """``"SMITH, JOHN A"`` as the only name field -> surname, given names."""
    surname, _, given = text.partition(",")
    return surname, given


def _initial(words: list[str]) -> str:
    for word in words:
        if word not in PARTICLES:
            return word[0]
    return words[0][0] if words else ""


# At most 65,536 results are kept (about 27 MB at ~400 bytes each) however many rows pass.
@lru_cache(maxsize=65_536)
def standardize_name(first: str, middle: str, last: str, suffix: str = "") -> StandardName:
    """Standardize one person's name fields as written (any case, accents, punctuation)."""
    if not first.strip() and not middle.strip() and "," in last:
        last, first = _split_comma_name(last)
    elif not last.strip() and not middle.strip() and "," in first:
        last, first = _split_comma_name(first)
    first_words = clean_name_text(first).replace("-", " ").split()
    middle_words = clean_name_text(middle).replace("-", " ").split()
    last_words = clean_name_text(last).replace("-", " ").split()

    while len(first_words) > 1 and first_words[0] in _HONORIFICS_AT_START:
        first_words = first_words[1:]
    last_words, suffix_in_last = _strip_trailing(last_words, allow_v=True)
    first_words, suffix_in_first = _strip_trailing(first_words, allow_v=False)
    first_name = first_words[0] if first_words else ""
    # Every given name after the first is treated alike, wherever it was written.
    rest, suffix_in_given = _take_suffixes_anywhere(first_words[1:] + middle_words)
    found_suffix = (
        _suffix_from_field(clean_name_text(suffix).split())
        or suffix_in_last
        or suffix_in_given
        or suffix_in_first
    )
    parts, particles = split_surname(" ".join(last_words))
    return StandardName(
        first=first_name,
        first_canonical=first_name_forms(first_name) if first_name else (),
        middle=" ".join(rest),
        middle_initial=_initial(rest),
        surname_parts=parts,
        surname_joined="".join(parts),
        particles=particles,
        suffix=found_suffix,
    )


def surname_part_overlap(a: StandardName, b: StandardName) -> str:
    """How the surnames of ``a`` and ``b`` relate.

    ``"exact"`` same parts in the same order; ``"same_set"`` same parts in another order
    (``GARCIA LOPEZ`` / ``LOPEZ GARCIA``); ``"joined_equal"`` same letters once joined
    (``GARCIALOPEZ`` unsplit / ``GARCIA LOPEZ``); ``"subset"`` one surname is part of the
    other (``GARCIA`` / ``GARCIA LOPEZ``); ``"none"`` otherwise or when either is empty.
    """
    return surname_overlap(a.surname_parts, b.surname_parts)


def names_swapped(a: StandardName, b: StandardName) -> bool:
    """True when ``a``'s first name is ``b``'s surname and the other way round.

    ``JOSE GARCIA`` / ``GARCIA JOSE``; the name that moved to the surname field may be a
    nickname of the other's first name (``VALLEJO EDDIE`` / ``EDWARD VALLEJO``). Both first
    names must be present and differ (two records written the same way round are not
    "swapped").
    """
    if not a.first or not b.first or a.first == b.first:
        return False
    return _first_is_surname_of(a, b) and _first_is_surname_of(b, a)


def _first_is_surname_of(person: StandardName, other: StandardName) -> bool:
    """``person``'s given names read as ``other``'s surname (``DELACRUZ`` / ``CRUZ``,
    ``NICHOLS MARTINEZ`` / ``MARTINEZ``), or ``person.first`` is a nickname form of it."""
    if person.first in other.surname_parts or person.first == other.surname_joined:
        return True
    given = " ".join(word for word in (person.first, person.middle) if word)
    for reading in {person.first, given}:
        parts, _ = split_surname(reading)
        if surname_overlap(parts, other.surname_parts) != "none":
            return True
    surname_forms = set(first_name_forms(other.surname_joined)) if other.surname_joined else set()
    return bool(surname_forms & set(person.first_canonical))
