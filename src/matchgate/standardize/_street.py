"""Breaking a street field into Pub. 28 components.

Three ways in, cheapest first, all ending in the same component parser so that one street
gives one key whichever way it came:

1. box lines (``PO BOX 12``, ``POB 12``, ``RR 2 BOX 40``, ``GENERAL DELIVERY``) by pattern;
2. a fast path for the common shape ``NUMBER [DIR] NAME SUFFIX [DIR] [UNIT ID]`` using only
   our tokenizer and the Pub. 28 tables (most rows; no parser call);
3. ``usaddress-scourgify`` for everything else (whole addresses with city, state and ZIP;
   units in front; odd numbers), falling back to ``usaddress.parse`` when scourgify raises, as
   it does on many inputs (``parse`` rather than ``tag``, which raises on repeated labels).
   No library exception leaves this module.

A reading from the parsers is kept only if it is a fixed point: reading the line it
produced must give the same components back. On odd input the statistical parsers disagree
with themselves, and such a reading would give one street two keys.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import cache

import usaddress
from scourgify import normalize_address_record

from matchgate.standardize._data import state_table, street_suffixes
from matchgate.standardize._pub28 import (
    DIRECTIONALS,
    UNIT_DESIGNATORS,
    UNIT_NEEDS_ID,
    normalize_name_words,
    normalize_words,
    suffix_standard,
)

__all__ = ["ParsedStreet", "clean_address_text", "parse_street", "unit_words"]

# A street line longer than this is not an address; it is not handed to the parsers.
MAX_STREET_CHARS = 300

_APOSTROPHES = re.compile(r"['`]")
_HASH = re.compile(r"#")
_NOT_ADDRESS_CHAR = re.compile(r"[^A-Z0-9#\-/ ]+")
_LOOSE_HYPHEN = re.compile(r"(?<![A-Z0-9])-|-(?![A-Z0-9])")
_LOOSE_SLASH = re.compile(r"(?<!\d)/|/(?!\d)")

_NUMBER = re.compile(r"^\d+[A-Z]?$|^\d+-\d+[A-Z]?$|^\d+-?[A-Z]$")
_FRACTION_WORD = re.compile(r"^[1-9]/[1-9]\d?$")
_ORDINAL = re.compile(r"^\d+(?:ST|ND|RD|TH)$")

_BOX = re.compile(
    r"^(?:P ?O ?BOX|P ?O ?BX|P ?O ?B|POST OFFICE BOX|POST BOX|PO|BOX|P ?O ?DRAWER|DRAWER|CALLER|"
    r"LOCK ?BOX|FIRM CALLER|BIN)\s*(?:NO |NUM |NUMBER )?#?\s*([A-Z0-9-]+)\b"
)
_PMB_ONLY = re.compile(r"^PMB\s*#?\s*([A-Z0-9-]+)$")
_BARE_BOX = re.compile(r"^(?:P ?O ?BOX|P ?O ?B|POST OFFICE BOX)$")
_ROUTE = (
    r"(RR|R ?R|RURAL ROUTE|RURAL RTE|RTE|RT|ROUTE|HCR|HC|H ?C|HIGHWAY CONTRACT|STAR ROUTE|PSC|"
    r"CMR|UNIT)\s*#?\s*(\d+[A-Z]?)"
)
# BX for BOX too (RR2 BX 15): read as a street, RR2 would be a house number and BX 15 a name.
_ROUTE_BOX = re.compile(rf"^{_ROUTE}\s+BO?X\s*#?\s*([A-Z0-9-]+)\b")
# The box before its route (BOX 15 RR 2): read as PO BOX 15, the route was lost and BOX 15 on
# route 2 was the same address as BOX 15 on route 3.
_BOX_ROUTE = re.compile(rf"^(?:P ?O ?)?BO?X\s*#?\s*([A-Z0-9-]*\d[A-Z0-9-]*)\s+{_ROUTE}$")
# A route with no box number: a box address that lacks its number.
_ROUTE_ONLY = re.compile(r"^(RR|R R|RURAL ROUTE|HCR|HC|HIGHWAY CONTRACT|STAR ROUTE)\s*(\d+[A-Z]?)$")
_ROUTE_NAMES = {
    "R R": "RR",
    "RURAL ROUTE": "RR",
    "RURAL RTE": "RR",
    "RTE": "RR",
    "RT": "RR",
    "ROUTE": "RR",
    "HCR": "HC",
    "H C": "HC",
    "HIGHWAY CONTRACT": "HC",
    "STAR ROUTE": "HC",
}


@dataclass(frozen=True, slots=True)
class ParsedStreet:
    """Components of one street line (all upper ASCII, Pub. 28 abbreviations)."""

    number: str = ""
    predirectional: str = ""
    street_name: str = ""
    street_suffix: str = ""
    postdirectional: str = ""
    unit: str = ""
    box: bool = False
    city: str = ""
    state: str = ""
    zip_code: str = ""
    parsed: bool = True


UNPARSED = ParsedStreet(parsed=False)


def clean_address_text(text: str) -> str:
    """Upper ASCII with punctuation reduced to what addresses use (``#``, ``-``, ``1/2``)."""
    text = _APOSTROPHES.sub("", text)
    text = _HASH.sub(" # ", text)
    text = _NOT_ADDRESS_CHAR.sub(" ", text)
    text = _LOOSE_SLASH.sub(" ", text)
    text = _LOOSE_HYPHEN.sub(" ", text)
    return " ".join(text.split())


def _box(text: str) -> ParsedStreet | None:
    if text == "GENERAL DELIVERY":
        return ParsedStreet(street_name="GENERAL DELIVERY", box=True)
    if _BARE_BOX.match(text):
        return ParsedStreet(street_name="PO BOX", box=True)
    match = _ROUTE_ONLY.match(text)
    if match:
        route = _ROUTE_NAMES.get(match.group(1), match.group(1))
        return ParsedStreet(street_name=f"{route} {match.group(2)} BOX", box=True)
    match = _ROUTE_BOX.match(text)
    if match:
        route = _ROUTE_NAMES.get(match.group(1), match.group(1))
        return ParsedStreet(
            street_name=f"{route} {match.group(2)} BOX", number=match.group(3), box=True
        )
    match = _BOX_ROUTE.match(text)
    if match:
        route = _ROUTE_NAMES.get(match.group(2), match.group(2))
        return ParsedStreet(
            street_name=f"{route} {match.group(3)} BOX", number=match.group(1), box=True
        )
    match = _BOX.match(text)
    if match and any(char.isdigit() for char in match.group(1)):
        return ParsedStreet(street_name="PO BOX", number=match.group(1), box=True)
    match = _PMB_ONLY.match(text)
    if match:
        return ParsedStreet(street_name="PMB", number=match.group(1), box=True)
    return None


_STRONG_DESIGNATORS = frozenset({"APT", "STE", "UNIT", "PMB", "#"})


def unit_words(words: list[str]) -> str | None:
    """``["APT", "#", "4"]`` -> ``"APT 4"``; several units in a row are kept in order
    (``STE 100 PMB 456``); a lone identifier is a ``#`` unit; None if anything is left over."""
    units: list[str] = []
    index = 0
    while index < len(words):
        designator = UNIT_DESIGNATORS.get(words[index])
        if designator is None:
            if index == 0 and len(words) == 1 and words[0] != "#":
                return f"# {words[0]}"
            return None
        index += 1
        while designator != "#" and index < len(words) and words[index] == "#":
            index += 1
        if designator in UNIT_NEEDS_ID:
            if index >= len(words) and not units:
                return ""  # "123 MAIN ST APT": the unit is not known, the building is
            if index >= len(words) or words[index] in UNIT_DESIGNATORS:
                return None
            if suffix_standard(words[index]) or words[index] in DIRECTIONALS:
                return None
            units.append(f"{designator} {words[index]}")
            index += 1
        else:
            units.append(designator)
    return " ".join(units)


def _split_unit(words: list[str]) -> tuple[list[str], str] | None:
    """Split trailing units (``APT 4``, ``# 4``, ``REAR``) off; None if the tail is malformed.

    A designator must leave a number and a name before it; a weak one (``LOT``, ``REAR``,
    ``FLOOR``, which also occur in street names) must follow a suffix, a directional or
    another unit.
    """
    for index in range(2, len(words)):
        designator = UNIT_DESIGNATORS.get(words[index])
        if designator is None:
            continue
        before = words[index - 1]
        weak_ok = suffix_standard(before) or before in DIRECTIONALS
        if designator not in _STRONG_DESIGNATORS and not weak_ok:
            continue
        unit = unit_words(words[index:])
        if unit is None:
            return None
        return words[:index], unit
    return words, ""


def _components(words: list[str], unit: str, *, strict: bool) -> ParsedStreet | None:
    """NUMBER [PREDIR] NAME [SUFFIX] [POSTDIR] -> components (strict: suffix required)."""
    if not words:
        return None
    number = words[0]
    rest = words[1:]
    number_ok = bool(_NUMBER.match(number)) if strict else any(c.isdigit() for c in number)
    number_ok = number_ok and any(c in "123456789" for c in number)  # "000" is no house
    if not number_ok:
        if strict:
            return None
        number, rest = "", words
    if number[:1] == "0" and number.lstrip("0")[:1].isdigit():
        number = number.lstrip("0")
    if rest and _FRACTION_WORD.match(rest[0]) and number:
        number, rest = f"{number} {rest[0]}", rest[1:]
    postdir = predir = suffix = ""
    if len(rest) >= 2 and rest[-1] in DIRECTIONALS:
        postdir, rest = DIRECTIONALS[rest[-1]], rest[:-1]
    if len(rest) >= 2 and suffix_standard(rest[-1]):
        suffix, rest = suffix_standard(rest[-1]), rest[:-1]
    if len(rest) >= 2 and rest[0] in DIRECTIONALS:
        predir, rest = DIRECTIONALS[rest[0]], rest[1:]
    if strict and _lettered_route(rest):
        pass  # AVENUE B, ROUTE 66, COUNTY ROAD 5
    elif strict and not all(word.isalpha() or _ORDINAL.match(word) for word in rest):
        return None
    elif strict and not suffix and not _plain_name_without_suffix(rest):
        return None
    if not rest:
        return None
    if len(rest) == 1 and rest[0] in DIRECTIONALS:  # NORTH ST and N ST are one street
        rest = [DIRECTIONALS[rest[0]]]
    name_words = normalize_name_words(rest)
    return ParsedStreet(
        number=number,
        predirectional=predir,
        street_name=" ".join(name_words),
        street_suffix=suffix,
        postdirectional=postdir,
        unit=unit,
    )


def _lettered_route(words: list[str]) -> bool:
    """``AVENUE B``, ``ROUTE 66``, ``COUNTY ROAD 5``: a suffix word then a letter or number."""
    if not 2 <= len(words) <= 3 or not suffix_standard(words[-2]):
        return False
    last = words[-1]
    return (last.isdigit() or (len(last) == 1 and last.isalpha())) and all(
        word.isalpha() for word in words[:-1]
    )


def _plain_name_without_suffix(words: list[str]) -> bool:
    """``4164 QUENE``, ``9636 E BROADWAY``: short, no suffix word anywhere, and nothing that
    could be a city or state (those lines go to the parsers, which can find a city)."""
    us_states, _ = state_table()
    return 1 <= len(words) <= 2 and not any(
        suffix_standard(word) or word in us_states for word in words
    )


def _fast(text: str) -> ParsedStreet | None:
    split = _split_unit(text.split())
    if split is None:
        return None
    words, unit = split
    return _components(words, unit, strict=True)


def _mark_private_mailbox(parsed: ParsedStreet) -> ParsedStreet:
    """``123 MAIN ST PMB 456`` is a commercial mail receiving agency, not a residence."""
    if "PMB" not in parsed.unit.split():
        return parsed
    return replace(parsed, box=True)


def _lenient_line(line_1: str, line_2: str) -> ParsedStreet | None:
    words = clean_address_text(line_1).split()
    split = _split_unit(words)
    if split is None:
        return None
    words, unit = split
    if line_2.strip():
        extra = unit_words(clean_address_text(line_2).split())
        if extra is None:
            return None
        unit = f"{unit} {extra}" if unit else extra
    return _components(words, unit, strict=False)


def _with_place(
    parsed: ParsedStreet | None, city: str, state: str, zip_code: str
) -> ParsedStreet | None:
    if parsed is None:
        return None
    name, suffix, city = parsed.street_name, parsed.street_suffix, clean_address_text(city)
    if city and not suffix:
        name, suffix, city = _return_city_words(name, city)
    return replace(
        parsed,
        street_name=name,
        street_suffix=suffix,
        city=city,
        state=clean_address_text(state),
        zip_code=clean_address_text(zip_code),
    )


def _return_city_words(name: str, city: str) -> tuple[str, str, str]:
    """``1674 BAYVIEW WAY EL PASO TX``: the parsers read ``BAYVIEW WAY EL`` and ``PASO``; a
    suffix word followed by one or two words, with a city found, gives those words back."""
    words = name.split()
    for index in range(len(words) - 2, 0, -1):
        standard = suffix_standard(words[index])
        if standard and 1 <= len(words) - index - 1 <= 2:
            city_words = words[index + 1 :]
            return " ".join(words[:index]), standard, " ".join([*city_words, city])
    return name, "", city


def _via_scourgify(text: str) -> ParsedStreet | None:
    try:
        record = normalize_address_record(text)
    except Exception:  # scourgify raises many types; fall back to usaddress
        return None
    parsed = _lenient_line(record.get("address_line_1") or "", record.get("address_line_2") or "")
    return _with_place(
        parsed, record.get("city") or "", record.get("state") or "", record.get("postal_code") or ""
    )


_NUMBER_LABELS = ("AddressNumberPrefix", "AddressNumber", "AddressNumberSuffix")
_NAME_LABELS = ("StreetNamePreModifier", "StreetNamePreType", "StreetName")
_UNIT_LABELS = ("OccupancyType", "OccupancyIdentifier", "SubaddressType", "SubaddressIdentifier")


def _via_usaddress(text: str) -> ParsedStreet | None:
    try:
        parts: dict[str, str] = {}
        for value, label in usaddress.parse(text):
            parts[label] = f"{parts[label]} {value}" if label in parts else value
    except Exception:  # the CRF tagger may raise on odd input
        return None
    if "USPSBoxID" in parts or "USPSBoxType" in parts:
        return None  # real boxes were recognised by pattern before any parser ran
    line_1 = " ".join(
        parts.get(label, "")
        for label in (
            *_NUMBER_LABELS,
            "StreetNamePreDirectional",
            *_NAME_LABELS,
            "StreetNamePostType",
            "StreetNamePostDirectional",
        )
    )
    line_2 = " ".join(parts.get(label, "") for label in _UNIT_LABELS)
    parsed = _lenient_line(line_1, line_2)
    return _with_place(
        parsed, parts.get("PlaceName", ""), parts.get("StateName", ""), parts.get("ZipCode", "")
    )


def _damerau_one(a: str, b: str) -> bool:
    """``a`` and ``b`` differ by at most one insertion, deletion, substitution or
    transposition of adjacent letters."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        return (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and (a[diff[1]] == b[diff[0]])
        )
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


# Full street-type words long enough that one typo cannot make another word of a street
# line (SETREET, XRESCENT, AVENEU): CRESCENT, STREET, AVENUE, BOULEVARD...
_MIN_TYPED_SUFFIX = 6


@cache
def _typed_suffix_words() -> tuple[str, ...]:
    return tuple(
        sorted(w for w in street_suffixes() if len(w) >= _MIN_TYPED_SUFFIX and w.isalpha())
    )


def _repair_suffix_typo(words: list[str]) -> list[str]:
    """The street-type word misspelt by one letter (``12 OAK SETREET``, ``4 ELM AVENEU APT 2``)
    written as the type: only the word before a unit designator or at the end, only after
    a house number and a name word (or before a house number moved to the end: ``ALAMEDA
    ATREET 3837``), and only for full type words of 6+ letters."""
    for index in range(1, len(words)):
        word = words[index]
        last = index == len(words) - 1 or words[index + 1] in _STRONG_DESIGNATORS
        # the house number moved after it (``ALAMEDA ATREET 3837``, ``SHORE FOULEVARD 8490
        # UNIT 3``): the number is at the end or before a unit designator
        moved = (
            not words[0][:1].isdigit()
            and index + 1 < len(words)
            and words[index + 1].isdigit()
            and (index + 2 == len(words) or words[index + 2] in _STRONG_DESIGNATORS)
        )
        if not (last or moved) or len(word) < _MIN_TYPED_SUFFIX - 1 or suffix_standard(word):
            continue
        if not (moved or (index >= 2 and words[0][:1].isdigit())) or not word.isalpha():
            continue
        for full in _typed_suffix_words():
            if _damerau_one(word, full):
                return [*words[:index], full, *words[index + 1 :]]
    return words


# The designators a unit typo is read as (the full strong ones, and BLDG).
_TYPO_DESIGNATORS = ("APT", "UNIT", "SUITE", "BLDG")
_UNIT_IDENTIFIER = re.compile(r"^\d+[A-Z]?$|^[A-Z]\d+$")


def _repair_unit_typo(words: list[str]) -> list[str]:
    """A unit designator misspelt by one letter (``UNYT 4``, ``UIT 3``, ``AT 203``, ``ARPT
    302``, ``BLGD 2``) written as the designator: only the word between a complete street
    (a house number, a name, then a street type or direction) and a unit identifier that
    ends the line, and only a word that is no designator, type or direction itself."""
    if len(words) < 5 or not words[0][:1].isdigit():
        return words
    word, before, ident = words[-2], words[-3], words[-1]
    if not (word.isalpha() and _UNIT_IDENTIFIER.match(ident)):
        return words
    if word in UNIT_DESIGNATORS or suffix_standard(word) or word in DIRECTIONALS:
        return words
    if not (suffix_standard(before) or before in DIRECTIONALS):
        return words
    for designator in _TYPO_DESIGNATORS:
        if _damerau_one(word, designator):
            return [*words[:-2], designator, ident]
    return words


# Words that begin a highway name in which the number is the route's, not a house number.
_ROUTE_WORDS = frozenset(
    {"COUNTY", "STATE", "US", "FARM", "RANCH", "INTERSTATE", "ROUTE", "RTE", "HWY", "HIGHWAY"}
)
# Abbreviations that name a route by its number (``SR 7``, ``FM 1960``, ``I 95``, ``CR 12``).
_ROUTE_LETTERS = frozenset(
    {"SR", "CR", "FM", "RM", "I", "IH", "US", "RR", "HC", "HCR", "PR", "CTY"}
)


# A house number joined to the word before it (``LANE9233``, ``ST7323``): letters, then
# digits of a house number; not a route or a unit with its number joined on (``HWY101``).
_NUMBER_JOINED_ON = re.compile(r"^([A-Z]{2,})(\d{2,})$")


def _split_joined_number(words: list[str]) -> list[str]:
    """``BIRCH LANE9233`` -> ``BIRCH LANE 9233``: the last word before any unit designator,
    on a line that does not begin with a number, split into its letters and a house number
    (not ``HWY101`` or ``UNIT12``: a route's or a unit's number)."""
    if not words or any(c.isdigit() for c in words[0]) and not _ORDINAL.match(words[0]):
        return words
    end = len(words)
    for index in range(1, len(words)):
        if words[index] in _STRONG_DESIGNATORS:
            end = index
            break
    if end < 2:
        return words
    joined = _NUMBER_JOINED_ON.match(words[end - 1])
    if joined is None:
        return words
    letters, digits = joined.groups()
    if letters in _ROUTE_WORDS or letters in UNIT_DESIGNATORS or letters in _NUMBERED_WORDS:
        return words
    return [*words[: end - 1], letters, digits, *words[end:]]


def _number_moved_to_end(text: str) -> str | None:
    """``OAK ST 12`` -> ``12 OAK ST``, ``OAK ST 12 APT 4`` -> ``12 OAK ST APT 4``,
    ``27TH PL 7114`` -> ``7114 27TH PL``: no house number at the start, and a house number
    right after a street-type word, with only a unit or extra words after it (not
    ``COUNTY RD 5``: a route's number is not moved). A number after a word that is no
    street type (the type left out or misspelt: ``POLK 5664``, ``DUKE RXD 7382``, ``N HAYES
    15306 APT 3D``) is moved only when it ends the line or a unit follows it, and no word
    of the line names a route (``SR 7``, ``FM 1960`` are routes, not houses). A number
    joined to the word before it is split off first (``BIRCH LANE9233``)."""
    words = _split_joined_number(text.split())
    if len(words) < 2 or words[0] in _ROUTE_WORDS:
        return None
    if any(c.isdigit() for c in words[0]) and not _ORDINAL.match(words[0]):
        return None
    for index in range(1, len(words)):
        word = words[index]
        if not word.isdigit():
            continue
        before = words[index - 1]
        if before in _ROUTE_WORDS or before in _ROUTE_LETTERS:
            return None
        if not suffix_standard(before):
            at_end = index + 1 == len(words) or words[index + 1] in _STRONG_DESIGNATORS
            routes = any(w in _ROUTE_WORDS or w in _ROUTE_LETTERS for w in words[:index])
            if not at_end or routes or len(word) < 2:
                return None
        elif index < 2:
            return None
        if any(any(c.isdigit() for c in w) and not _ORDINAL.match(w) for w in words[1:index]):
            return None
        return " ".join([word, *words[:index], *words[index + 1 :]])
    return None


# OCR confusions of a letter with a digit inside a word of letters (VA1LEY, EA5T, UN1T), and
# of a digit with a letter inside a house number (71L3, 14O93).
_OCR_DIGITS = {"0": "O", "1": "I", "5": "S", "8": "B"}
_OCR_LETTERS = {"O": "0", "I": "1", "L": "1", "S": "5", "B": "8"}
_DIGIT_IN_WORD = re.compile(r"^[A-Z]+[0158][A-Z]+$")
_LETTER_IN_NUMBER = re.compile(r"^\d+[OILSB]\d+$")
# ... or at the end of a word of 4+ letters (CACTU5, CENTRA1), not a unit or a route with its
# number joined on (UNIT1, HWY1, LOT8)
_DIGIT_ENDS_WORD = re.compile(r"^[A-Z]{4,}[0158]$")
_NUMBERED_WORDS = (
    "APT", "UNIT", "STE", "SUITE", "BLDG", "LOT", "TRLR", "ROOM", "RM", "SPACE", "SPC",
    "FLOOR", "FL", "DEPT", "PIER", "SLIP", "HWY", "HIGHWAY", "ROUTE", "RTE", "COUNTY",
    "BOX", "PMB", "BOOTH", "HANGAR", "STOP", "KEY",
)  # fmt: skip
# An ordinal with the street type joined on (10THCIRCLE, 21STAVE, 7THST).
_ORDINAL_AND_TYPE = re.compile(r"^(\d+(?:ST|ND|RD|TH))([A-Z]{2,})$")
# An ordinal whose digits an OCR pass read partly as letters (I0TH, I2TH, 4STH, L1THCT for
# 10TH, 12TH, 45TH, 11TH CT): at least one real digit, and the street type may be joined on.
_OCR_ORDINAL = re.compile(r"^([0-9OILSB]*[0-9][0-9OILSB]*)(ST|ND|RD|TH)([A-Z]{2,})?$")


def _ocr_ordinal(word: str) -> list[str] | None:
    """``I0TH`` -> ``["10TH"]``, ``L1THCT`` -> ``["11TH", "CT"]``: the letters among an
    ordinal's digits read as the digits OCR confuses them with, only where the ordinal's own
    suffix is then the right one for the number (``I2TH`` is 12TH; ``I2ND`` is left alone: 12
    is 12TH, so the reading does not hold) and a joined-on rest is a street type. A number
    has one ordinal, so no other street can be meant by it. Not read so when the word with
    one letter left out is itself an ordinal (``4STH`` is 45TH or 4TH with an S typed in,
    ``1STH`` 15TH or 1ST, ``4OTH`` 40TH or 4TH: another street either way, so the typo
    reading of ``_repair_ordinals`` stands, as before). An S first may be a direction joined
    on, so it is never read as a 5 (``SI0TH`` is S 10TH or 510TH: not read; ``S4TH`` is S
    4TH, ``_repair_ordinals``)."""
    if word[:1] == "S" and _OCR_ORDINAL.match(word[1:]):
        return None  # S 10TH or 510TH: left as it was read before
    match = _OCR_ORDINAL.match(word)
    if match is None or _ORDINAL.match(word) or _DIRECTION_AND_ORDINAL.match(word):
        return None  # S4TH is S 4TH, a direction joined on (``_repair_ordinals``), not 54TH
    digits_read, suffix, rest = match.groups()
    if digits_read.isdigit():
        return None
    if _one_letter_from_an_ordinal(digits_read + suffix):
        return None
    digits = "".join(_OCR_LETTERS.get(c, c) for c in digits_read)
    if _ordinal_suffix(digits) != suffix or (rest and not suffix_standard(rest)):
        return None
    return [digits + suffix, rest] if rest else [digits + suffix]


_RIGHT_ORDINAL = re.compile(r"^([1-9]\d*)(ST|ND|RD|TH)$")


def _one_letter_from_an_ordinal(word: str) -> bool:
    """``4STH`` (4TH), ``1STH`` (1ST): one letter left out, or every letter among the digits
    left out, the word is an ordinal whose suffix is the right one for its number."""
    digits_part = word[:-2]
    candidates = {word[:k] + word[k + 1 :] for k in range(len(word)) if word[k].isalpha()}
    candidates.add("".join(c for c in digits_part if c.isdigit()) + word[-2:])
    for candidate in candidates:
        match = _RIGHT_ORDINAL.match(candidate)
        if match and _ordinal_suffix(match.group(1)) == match.group(2):
            return True
    return False


def _repair_ocr_digits(words: list[str]) -> list[str]:
    """A digit read for a letter inside a word of letters (``VA1LEY``, ``EA5T``, ``UN1T``)
    written as the letter (``1`` as ``I``: ``VAILEY`` is then one typo from ``VALLEY``), and a
    letter read for a digit inside the house number (``71L3`` -> ``7113``); also a digit
    ending a word of 4+ letters after the house number that is no unit or route (``CACTU5``
    -> ``CACTUS``, not ``UNIT1``). Only one
    character with the other kind on both sides: ordinals (``21ST``), units (``4B``) and house
    numbers with a letter at the end (``12B``) are left alone. An ordinal with the street
    type joined on is split (``10THCIRCLE`` -> ``10TH CIRCLE``), and an ordinal's digits read
    as letters are read back (``I0TH`` -> ``10TH``: ``_ocr_ordinal``)."""
    out: list[str] = []
    for index, word in enumerate(words):
        ordinal = _ocr_ordinal(word) if index >= 1 else None
        if ordinal is not None:
            out.extend(ordinal)
            continue
        if _DIGIT_IN_WORD.match(word) and sum(c.isdigit() for c in word) == 1:
            word = "".join(_OCR_DIGITS.get(c, c) for c in word)
        elif (
            index >= 1
            and _DIGIT_ENDS_WORD.match(word)
            and words[index - 1] not in _STRONG_DESIGNATORS
            and not any(word.startswith(w) for w in _NUMBERED_WORDS)
        ):
            word = word[:-1] + _OCR_DIGITS[word[-1]]
        elif index == 0 and _LETTER_IN_NUMBER.match(word):
            word = "".join(_OCR_LETTERS.get(c, c) for c in word)
        joined = _ORDINAL_AND_TYPE.match(word)
        if joined and suffix_standard(joined.group(2)):
            out.extend(joined.groups())
            continue
        out.append(word)
    return out


# A numbered street's ordinal mistyped (12T, 27TW, 32NX, 4THH) or joined to a direction
# (S32ND, EAST18TH): the noisy mix of issue 11.
_MISTYPED_ORDINAL = re.compile(r"^(\d+)([A-Z]{1,3})$")
_DIRECTION_AND_ORDINAL = re.compile(
    r"^(" + "|".join(sorted(DIRECTIONALS, key=len, reverse=True)) + r")(\d+(?:ST|ND|RD|TH))$"
)
# ... both at once (N45T, E4TN): a direction joined to a mistyped ordinal
_DIRECTION_AND_MISTYPED = re.compile(
    r"^(" + "|".join(sorted(DIRECTIONALS, key=len, reverse=True)) + r")(\d+[A-Z]{1,3})$"
)


def _ordinal_suffix(digits: str) -> str:
    if digits[-2:] in {"11", "12", "13"}:
        return "TH"
    return {"1": "ST", "2": "ND", "3": "RD"}.get(digits[-1], "TH")


def _number_moved_shape(words: list[str]) -> bool:
    """The line does not begin with a plain house number and one follows the street: a word
    of digits after two or more words, ending the line or before a unit designator."""
    if len(words) < 3 or words[0].isdigit():
        return False
    return any(
        words[k].isdigit() and (k + 1 == len(words) or words[k + 1] in _STRONG_DESIGNATORS)
        for k in range(2, len(words))
    )


def _repair_ordinals(words: list[str]) -> list[str]:
    """After a house number, a direction joined to an ordinal is split (``S32ND`` -> ``S
    32ND``; mistyped too: ``N45T`` -> ``N 45TH``), and a number whose letters are one typo
    from its own ordinal suffix and that
    a street-type word follows is written as the ordinal (``12T ST`` -> ``12TH ST``, ``32NX
    RD`` -> ``32ND RD``). A number has one ordinal (12 is 12TH), so no other street can be
    meant; a unit (``APT 4B``), a lettered house number (``12B``) or a word no type follows
    is left alone. On a line whose house number was moved to the end (``45T DR 3857``, ``E
    1ZT RD 2456``) the ordinal may come first."""
    moved = _number_moved_shape(words)
    if not words or not (words[0][:1].isdigit() or moved):
        return words
    start = 0 if moved else 1
    out = words[:start]
    for index in range(start, len(words)):
        word = words[index]
        joined = _DIRECTION_AND_ORDINAL.match(word)
        if joined:
            out.extend(joined.groups())
            continue
        following = words[index + 1] if index + 1 < len(words) else ""
        joined = _DIRECTION_AND_MISTYPED.match(word)
        if joined and index >= 1 and following and suffix_standard(following):
            direction, number = joined.groups()
            repaired = _repair_ordinals(["1", number, following])[1]
            if _ORDINAL.match(repaired):
                out.extend([direction, repaired])
                continue
        typed = _MISTYPED_ORDINAL.match(word)
        if (
            typed
            and not _ORDINAL.match(word)
            and (index == 0 or words[index - 1] not in _STRONG_DESIGNATORS)
            and following
            and suffix_standard(following)
        ):
            digits, letters = typed.groups()
            suffix = _ordinal_suffix(digits)
            if _damerau_one(letters, suffix):
                word = digits + suffix
        out.append(word)
    return out


def parse_street(text: str) -> ParsedStreet:
    """Components of a cleaned street field (see ``clean_address_text``)."""
    if not text or len(text) > MAX_STREET_CHARS:
        return UNPARSED
    box = _box(text)
    if box is not None:
        return box
    words = _repair_ordinals(_repair_ocr_digits(text.split()))
    text = _strip_number_zeros(normalize_words(" ".join(words)))
    # again once a misspelt street type is read (``5TJ AIVENUE``: the ordinal is repaired
    # only before a street type)
    text = " ".join(_repair_ordinals(_repair_unit_typo(_repair_suffix_typo(text.split()))))
    parsed = _parse(text)
    if (
        parsed is None
        or not parsed.number
        or not parsed.number[:1].isdigit()
        or (_ORDINAL.match(parsed.number))
    ):
        moved = _number_moved_to_end(text)
        reparsed = _parse(" ".join(_repair_suffix_typo(moved.split()))) if moved else None
        if reparsed is not None and reparsed.number:
            parsed = reparsed
    return _mark_private_mailbox(parsed or UNPARSED)


def _parse(text: str) -> ParsedStreet | None:
    parsed = _fast(text)
    if parsed is None:
        parsed = _slow(text)
        if parsed is not None and not _is_fixed_point(parsed):
            parsed = None
        if parsed is not None:
            parsed = _name_words_as_written(parsed, text)
    return parsed


def _name_words_as_written(parsed: ParsedStreet, text: str) -> ParsedStreet:
    """A street-name word the parsers abbreviated as a street type written back as it was
    (``1169 E UNION BLBD``: scourgify reads the name ``UN BLBD``; ``6579 BEACH CAT``: ``BCH
    CAT``), as the fast path keeps it (``1169 E UNION BLVD`` is named ``UNION``). Otherwise
    a request whose street type is misspelt would never name the filed street. Only on a
    street read without a type, for the word before the name's last (where the type was
    misspelt: ``AVE OF THE AMERICAS`` stays as scourgify writes it), not before a number or
    a letter (``HWY 12``, ``AVE B``: ``normalize_name_words``), and only when the line holds
    exactly one word that abbreviates so."""
    words = parsed.street_name.split()
    if parsed.street_suffix or len(words) < 2:
        return parsed
    word, last = words[-2], words[-1]
    if word in text.split() or last.isdigit() or (len(last) == 1 and last.isalpha()):
        return parsed
    full = {w for w in text.split() if w != word and suffix_standard(w) == word}
    if len(full) != 1:
        return parsed
    return replace(parsed, street_name=" ".join([*words[:-2], full.pop(), last]))


def _slow(text: str) -> ParsedStreet | None:
    return _via_scourgify(text) or _via_usaddress(text)


def _line(parsed: ParsedStreet) -> str:
    words = (
        parsed.number,
        parsed.predirectional,
        parsed.street_name,
        parsed.street_suffix,
        parsed.postdirectional,
        parsed.unit,
    )
    return " ".join(word for word in words if word)


def _is_fixed_point(parsed: ParsedStreet) -> bool:
    """A parser's reading is kept only if reading the line it produced gives it back.

    On odd input the statistical parsers disagree with themselves ("1 B F IL" -> "1 B F" ->
    something else); such a reading would give one street two keys, so it is refused and the
    street is reported as unparseable instead.
    """
    line = _line(parsed)
    again = _fast(line) or _slow(line)
    return again is not None and _components_of(again) == _components_of(parsed)


def _components_of(parsed: ParsedStreet) -> tuple[str, ...]:
    return (
        parsed.number,
        parsed.predirectional,
        parsed.street_name,
        parsed.street_suffix,
        parsed.postdirectional,
        parsed.unit,
    )


def _strip_number_zeros(text: str) -> str:
    """House number ``0012`` is ``12``; done on the text so every parser sees the same line."""
    if text[:1] != "0":
        return text
    first, _, rest = text.partition(" ")
    stripped = first.lstrip("0")
    if not stripped[:1].isdigit():
        return text
    return f"{stripped} {rest}" if rest else stripped
