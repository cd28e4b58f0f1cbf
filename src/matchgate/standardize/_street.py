"""Breaking a street field into Pub. 28 components.

Three ways in, cheapest first, all ending in the same component parser so that one street
gives one key whichever way it came:

1. box lines (``PO BOX 12``, ``POB 12``, ``RR 2 BOX 40``, ``GENERAL DELIVERY``) by pattern;
2. a fast path for the common shape ``NUMBER [DIR] NAME SUFFIX [DIR] [UNIT ID]`` using only
   our tokenizer and the Pub. 28 tables (most rows; no parser call);
3. ``usaddress-scourgify`` for everything else (whole addresses with city, state and ZIP;
   units in front; odd numbers), falling back to ``usaddress.tag`` when scourgify raises, as
   it does on many inputs. No library exception leaves this module.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import usaddress
from scourgify import normalize_address_record

from matchgate.standardize._pub28 import (
    DIRECTIONALS,
    UNIT_DESIGNATORS,
    UNIT_NEEDS_ID,
    normalize_name_words,
    suffix_standard,
)

__all__ = ["ParsedStreet", "clean_address_text", "parse_street"]

# A street line longer than this is not an address; it is not handed to the parsers.
MAX_STREET_CHARS = 300

_APOSTROPHES = re.compile(r"['`]")
_HASH = re.compile(r"#")
_NOT_ADDRESS_CHAR = re.compile(r"[^A-Z0-9#\-/ ]+")
_LOOSE_HYPHEN = re.compile(r"(?<![A-Z0-9])-|-(?![A-Z0-9])")
_LOOSE_SLASH = re.compile(r"(?<!\d)/|/(?!\d)")

_NUMBER = re.compile(r"^\d+[A-Z]?$|^\d+-\d+[A-Z]?$|^\d+-?[A-Z]$")
_FRACTION_WORD = re.compile(r"^\d/\d$")
_ORDINAL = re.compile(r"^\d+(?:ST|ND|RD|TH)$")

_BOX = re.compile(
    r"^(?:P ?O ?BOX|P ?O ?B|POST OFFICE BOX|POST BOX|PO|BOX|P ?O ?DRAWER|DRAWER|CALLER|"
    r"LOCK ?BOX|FIRM CALLER|BIN)\s*(?:NO |NUM |NUMBER )?#?\s*([A-Z0-9-]+)\b"
)
_BARE_BOX = re.compile(r"^(?:P ?O ?BOX|P ?O ?B|POST OFFICE BOX)$")
_ROUTE_BOX = re.compile(
    r"^(RR|R ?R|RURAL ROUTE|RURAL RTE|RTE|RT|ROUTE|HC|H ?C|HIGHWAY CONTRACT|STAR ROUTE|PSC|"
    r"CMR|UNIT)\s*#?\s*(\d+[A-Z]?)\s+BOX\s*#?\s*([A-Z0-9-]+)\b"
)
_ROUTE_NAMES = {
    "R R": "RR",
    "RURAL ROUTE": "RR",
    "RURAL RTE": "RR",
    "RTE": "RR",
    "RT": "RR",
    "ROUTE": "RR",
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
    match = _ROUTE_BOX.match(text)
    if match:
        route = _ROUTE_NAMES.get(match.group(1), match.group(1))
        return ParsedStreet(
            street_name=f"{route} {match.group(2)} BOX", number=match.group(3), box=True
        )
    match = _BOX.match(text)
    if match and any(char.isdigit() for char in match.group(1)):
        return ParsedStreet(street_name="PO BOX", number=match.group(1), box=True)
    return None


def _split_unit(words: list[str]) -> tuple[list[str], str] | None:
    """Split trailing ``APT 4`` / ``# 4`` / ``REAR`` off; None if the tail is malformed."""
    for index in range(len(words) - 1, 1, -1):
        designator = UNIT_DESIGNATORS.get(words[index])
        if designator is None:
            continue
        before = words[index - 1]
        strong = designator in {"APT", "STE", "UNIT", "#"}
        if not strong and not (suffix_standard(before) or before in DIRECTIONALS):
            continue
        tail = [word for word in words[index + 1 :] if word != "#"]
        if designator in UNIT_NEEDS_ID:
            if len(tail) != 1 or suffix_standard(tail[0]):
                return None
            return words[:index], f"{designator} {tail[0]}"
        if tail:
            return None
        return words[:index], designator
    return words, ""


def _components(words: list[str], unit: str, *, strict: bool) -> ParsedStreet | None:
    """NUMBER [PREDIR] NAME [SUFFIX] [POSTDIR] -> components (strict: suffix required)."""
    if not words:
        return None
    number = words[0]
    rest = words[1:]
    number_ok = bool(_NUMBER.match(number)) if strict else any(c.isdigit() for c in number)
    if not number_ok:
        if strict:
            return None
        number, rest = "", words
    if rest and _FRACTION_WORD.match(rest[0]) and number:
        number, rest = f"{number} {rest[0]}", rest[1:]
    postdir = predir = suffix = ""
    if len(rest) >= 2 and rest[-1] in DIRECTIONALS:
        postdir, rest = DIRECTIONALS[rest[-1]], rest[:-1]
    if len(rest) >= 2 and suffix_standard(rest[-1]):
        suffix, rest = suffix_standard(rest[-1]), rest[:-1]
    elif strict:
        return None
    if len(rest) >= 2 and rest[0] in DIRECTIONALS:
        predir, rest = DIRECTIONALS[rest[0]], rest[1:]
    if strict and not all(word.isalpha() or _ORDINAL.match(word) for word in rest):
        return None
    if not rest:
        return None
    name_words = normalize_name_words(rest)
    return ParsedStreet(
        number=number,
        predirectional=predir,
        street_name=" ".join(name_words),
        street_suffix=suffix,
        postdirectional=postdir,
        unit=unit,
    )


def _fast(text: str) -> ParsedStreet | None:
    split = _split_unit(text.split())
    if split is None:
        return None
    words, unit = split
    return _components(words, unit, strict=True)


def _lenient_line(line_1: str, line_2: str) -> ParsedStreet | None:
    words = clean_address_text(line_1).split()
    split = _split_unit(words)
    if split is not None:
        words, unit = split
    else:
        unit = ""
    if line_2:
        tail = clean_address_text(line_2).split()
        if tail:
            designator = UNIT_DESIGNATORS.get(tail[0])
            ident = [word for word in tail[1:] if word != "#"]
            if designator is None:
                unit = " ".join(["#", *[word for word in tail if word != "#"]])
            else:
                unit = " ".join([designator, *ident])
    return _components(words, unit, strict=False)


def _with_place(parsed: ParsedStreet | None, city: str, state: str, zip_code: str) -> ParsedStreet:
    if parsed is None:
        return UNPARSED
    return ParsedStreet(
        number=parsed.number,
        predirectional=parsed.predirectional,
        street_name=parsed.street_name,
        street_suffix=parsed.street_suffix,
        postdirectional=parsed.postdirectional,
        unit=parsed.unit,
        city=clean_address_text(city),
        state=clean_address_text(state),
        zip_code=clean_address_text(zip_code),
    )


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
    if "USPSBoxID" in parts:
        return ParsedStreet(
            street_name="PO BOX", number=clean_address_text(parts["USPSBoxID"]), box=True
        )
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


def parse_street(text: str) -> ParsedStreet:
    """Components of a cleaned street field (see ``clean_address_text``)."""
    if not text or len(text) > MAX_STREET_CHARS:
        return UNPARSED
    box = _box(text)
    if box is not None:
        return box
    fast = _fast(text)
    if fast is not None:
        return fast
    return _via_scourgify(text) or _via_usaddress(text) or UNPARSED
