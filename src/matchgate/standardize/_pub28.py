"""USPS Publication 28 abbreviations used to write street lines one way.

Street suffixes (Pub. 28 appendix C1) are read from ``data/street_suffixes.csv``;
directionals (appendix B) and secondary unit designators (appendix C2) are short and stable
enough to live here. Street *names* are also written one way for keys: spelled ordinals
become numbers (``FIFTH`` -> ``5TH``) and ``SAINT``/``MOUNT``/``FORT`` are abbreviated, so
``Fifth Avenue`` and ``5th Ave`` give the same key.
"""

from __future__ import annotations

from matchgate.standardize._data import street_suffixes

__all__ = [
    "DIRECTIONALS",
    "UNIT_DESIGNATORS",
    "UNIT_NEEDS_ID",
    "normalize_name_words",
    "normalize_words",
    "suffix_standard",
]

DIRECTIONALS = {
    "N": "N",
    "S": "S",
    "E": "E",
    "W": "W",
    "NE": "NE",
    "NW": "NW",
    "SE": "SE",
    "SW": "SW",
    "NORTH": "N",
    "SOUTH": "S",
    "EAST": "E",
    "WEST": "W",
    "NORTHEAST": "NE",
    "NORTHWEST": "NW",
    "SOUTHEAST": "SE",
    "SOUTHWEST": "SW",
}

UNIT_DESIGNATORS = {
    "APARTMENT": "APT",
    "APT": "APT",
    "APTO": "APT",
    "BASEMENT": "BSMT",
    "BSMT": "BSMT",
    "BUILDING": "BLDG",
    "BLDG": "BLDG",
    "DEPARTMENT": "DEPT",
    "DEPT": "DEPT",
    "FLOOR": "FL",
    "FLR": "FL",
    "FL": "FL",
    "FRONT": "FRNT",
    "FRNT": "FRNT",
    "HANGAR": "HNGR",
    "HANGER": "HNGR",
    "HNGR": "HNGR",
    "LOBBY": "LBBY",
    "LBBY": "LBBY",
    "LOT": "LOT",
    "LOWER": "LOWR",
    "LOWR": "LOWR",
    "OFFICE": "OFC",
    "OFC": "OFC",
    "PMB": "PMB",
    "PENTHOUSE": "PH",
    "PH": "PH",
    "REAR": "REAR",
    "ROOM": "RM",
    "RM": "RM",
    "SPACE": "SPC",
    "SPC": "SPC",
    "SUITE": "STE",
    "STE": "STE",
    "TRAILER": "TRLR",
    "TRLR": "TRLR",
    "UNIT": "UNIT",
    "UPPER": "UPPR",
    "UPPR": "UPPR",
    "#": "#",
}
# Designators that must be followed by an identifier ("APT 4"); the others stand alone.
UNIT_NEEDS_ID = frozenset(
    {"APT", "BLDG", "DEPT", "FL", "HNGR", "LOT", "PMB", "RM", "SPC", "STE", "TRLR", "UNIT", "#"}
)

_ORDINALS = {
    "FIRST": "1ST",
    "SECOND": "2ND",
    "THIRD": "3RD",
    "FOURTH": "4TH",
    "FIFTH": "5TH",
    "SIXTH": "6TH",
    "SEVENTH": "7TH",
    "EIGHTH": "8TH",
    "NINTH": "9TH",
    "TENTH": "10TH",
    "ELEVENTH": "11TH",
    "TWELFTH": "12TH",
    "THIRTEENTH": "13TH",
    "FOURTEENTH": "14TH",
    "FIFTEENTH": "15TH",
    "SIXTEENTH": "16TH",
    "SEVENTEENTH": "17TH",
    "EIGHTEENTH": "18TH",
    "NINETEENTH": "19TH",
    "TWENTIETH": "20TH",
}
_NAME_WORDS = {"SAINT": "ST", "MOUNT": "MT", "FORT": "FT"} | _ORDINALS


def normalize_words(text: str) -> str:
    """Spelled ordinals and SAINT/MOUNT/FORT written one way in a whole street line, before
    any parser sees it, so ``FIFTH AVE`` and ``5TH AVE`` reach the parsers as the same text."""
    return " ".join(_NAME_WORDS.get(word, word) for word in text.split())


def suffix_standard(word: str) -> str:
    """Pub. 28 abbreviation of a street suffix word, or ``""`` if it is not one."""
    return street_suffixes().get(word, "")


def normalize_name_words(words: list[str] | tuple[str, ...]) -> list[str]:
    """Write street-name words one way: ordinals as numbers, ``SAINT`` -> ``ST``, and a suffix
    word before a number or a single letter abbreviated (``HIGHWAY 12`` -> ``HWY 12``,
    ``AVENUE B`` -> ``AVE B``), as scourgify writes them."""
    out: list[str] = []
    for index, word in enumerate(words):
        following = words[index + 1] if index + 1 < len(words) else ""
        abbreviated = suffix_standard(word)
        if abbreviated and (following.isdigit() or (len(following) == 1 and following.isalpha())):
            out.append(abbreviated)
        else:
            out.append(_NAME_WORDS.get(word, word))
    return out
