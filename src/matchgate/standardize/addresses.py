"""Standardized addresses: Pub. 28 components, keys for matching, and why an address is not a
plain street address.

``standardize_address`` never raises. Its ``kind`` says what the street field holds and its
``reasons`` say, with stable codes, everything that keeps it from being a plain, complete US
street address: the legal review reads them (is an address "set forth" at all?) and the
matcher uses the keys.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from enum import StrEnum
from functools import lru_cache

from matchgate.decisions import Reason
from matchgate.standardize._data import placeholders, state_table
from matchgate.standardize._pub28 import UNIT_DESIGNATORS
from matchgate.standardize._street import (
    ParsedStreet,
    clean_address_text,
    parse_street,
    unit_words,
)
from matchgate.standardize._text import to_ascii_upper
from matchgate.standardize.institutions import find_institution
from matchgate.standardize.placeholders import is_placeholder

__all__ = ["AddressKind", "StandardAddress", "is_placeholder", "standardize_address"]

_ADDRESS_CITATION = "26 U.S.C. 6103(i)(2)(B)(i)"


class AddressKind(StrEnum):
    """What a street field holds."""

    STREET = "street"
    PO_BOX = "po_box"
    PLACEHOLDER = "placeholder"
    ZIP_ONLY = "zip_only"
    INSTITUTION = "institution"
    UNPARSEABLE = "unparseable"
    EMPTY = "empty"
    FOREIGN = "foreign"


PLACEHOLDER = Reason(
    "address_placeholder",
    "The street field holds a placeholder (such as UNKNOWN or FAILED TO PROVIDE), not an address.",
    _ADDRESS_CITATION,
    "street",
)
ZIP_ONLY = Reason(
    "address_zip_only",
    "Only a ZIP code is given; a ZIP code is not the taxpayer's address.",
    _ADDRESS_CITATION,
    "street",
)
EMPTY = Reason("address_empty", "No street address is given.", _ADDRESS_CITATION, "street")
UNPARSEABLE = Reason(
    "address_unparseable",
    "The street field cannot be read as a street address.",
    _ADDRESS_CITATION,
    "street",
)
MISSING_NUMBER = Reason(
    "address_missing_number",
    "The street address has no house or box number.",
    _ADDRESS_CITATION,
    "street",
)
PO_BOX = Reason(
    "address_po_box",
    "The address is a post-office, rural-route or military box, not a residence.",
    field="street",
)
FOREIGN = Reason("address_foreign", "The address is outside the United States.", field="state")
BAD_ZIP = Reason("address_bad_zip", "The ZIP code is not 5 or 9 digits.", field="zip")
BAD_STATE = Reason(
    "address_bad_state", "The state is not a USPS state or territory code or name.", field="state"
)

_ZIP_SEPARATORS = re.compile(r"[\s\-.]")
_CANADIAN_POSTCODE = re.compile(r"^[A-Z]\d[A-Z] ?\d[A-Z]\d$")
_STATE_ZIP = re.compile(r"^(?P<state>[A-Z][A-Z .]*?)?(?: ?(?P<zip>\d{5}(?:[ -]?\d{4})?))?$")
_CANADIAN_POSTCODE_IN_TEXT = re.compile(r"\b[A-Z]\d[A-Z] ?\d[A-Z]\d\b")
_INVALID_ZIPS = frozenset({"00000", "99999"})
_CITY_WORDS = {"SAINT": "ST", "MOUNT": "MT", "FORT": "FT"}
_NON_WORD = re.compile(r"[^A-Z0-9 ]+")
_ORDINAL = re.compile(r"^\d+(?:ST|ND|RD|TH)$")
_BOX_NAME = re.compile(r"^(?:PO BOX|PMB|(?:RR|HC|PSC|CMR|UNIT) \d+[A-Z]? BOX)$")


@dataclass(frozen=True, slots=True)
class StandardAddress:
    """One address in USPS Publication 28 form, with what kind it is and why.

    Keys: ``street_key`` ``"123 N MAIN ST"`` (no unit; for a box ``"PO BOX 12"``; ``""``
    without number or name); ``address_key`` ``street_key|zip5`` (or ``street_key|CITY ST``
    without ZIP; ``""`` unless ``kind`` is ``street``); ``building_key`` the same as
    ``address_key`` (a building is the address without its unit); ``unit_key`` adds the unit
    identifier (``APT 4``, ``UNIT 4`` and ``# 4`` are the same unit).
    """

    number: str
    predirectional: str
    street_name: str
    street_suffix: str
    postdirectional: str
    unit: str
    city: str
    state: str
    zip5: str
    kind: AddressKind
    reasons: tuple[Reason, ...]

    @property
    def street_key(self) -> str:
        if self.street_name == "GENERAL DELIVERY":
            return self.street_name
        if self.kind is not AddressKind.STREET and _BOX_NAME.match(self.street_name):
            return f"{self.street_name} {self.number}" if self.number else ""
        if not self.number or not self.street_name:
            return ""
        words = (
            self.number,
            self.predirectional,
            self.street_name,
            self.street_suffix,
            self.postdirectional,
        )
        return " ".join(word for word in words if word)

    @property
    def street_line(self) -> str:
        """The street line as written back: ``street_key`` and unit (``123 MAIN ST APT 4``)."""
        key = self.street_key
        if not key:
            return ""
        return f"{key} {self.unit}" if self.unit else key

    @property
    def address_key(self) -> str:
        key = self.street_key
        if self.kind is not AddressKind.STREET or not key:
            return ""
        if self.zip5:
            return f"{key}|{self.zip5}"
        if self.city and self.state:
            return f"{key}|{self.city} {self.state}"
        return ""

    @property
    def building_key(self) -> str:
        return self.address_key

    @property
    def unit_key(self) -> str:
        key = self.address_key
        if not key or not self.unit:
            return key
        designator, _, ident = self.unit.partition(" ")
        return f"{key}|{ident or designator}"

    @property
    def reason_codes(self) -> tuple[str, ...]:
        return tuple(reason.code for reason in self.reasons)


@lru_cache(maxsize=65_536)
def _zip(text: str) -> tuple[str, str]:
    """(zip5, status) with status one of ok, empty, bad, foreign."""
    upper = to_ascii_upper(text).strip()
    if not upper:
        return "", "empty"
    if _CANADIAN_POSTCODE.match(upper):
        return "", "foreign"
    digits = _ZIP_SEPARATORS.sub("", upper)
    if digits.isdigit() and len(digits) in (5, 9) and digits[:5] not in _INVALID_ZIPS:
        return digits[:5], "ok"
    return "", "bad"


@lru_cache(maxsize=65_536)
def _state(text: str) -> tuple[str, str]:
    """(USPS code, status) with status one of ok, empty, bad, foreign."""
    words = " ".join(_NON_WORD.sub(" ", to_ascii_upper(text).replace(".", "")).split())
    if not words or is_placeholder(words):
        return "", "empty"
    us_codes, foreign = state_table()
    if words in us_codes:
        return us_codes[words], "ok"
    if words in foreign:
        return "", "foreign"
    return "", "bad"


@lru_cache(maxsize=65_536)
def _city(text: str) -> str:
    if not text or is_placeholder(text):
        return ""
    words = clean_address_text(to_ascii_upper(text)).replace("#", " ").split()
    return " ".join(_CITY_WORDS.get(word, word) for word in words)


def _names_foreign_country(*texts: str) -> bool:
    _, foreign = state_table()
    for text in texts:
        words = text.split()
        for size in (1, 2, 3):
            if len(words) >= size and " ".join(words[-size:]) in foreign:
                return True
    return False


def _split_comma_address(text: str) -> tuple[str, str, str, str] | None:
    """``STREET[, UNIT], CITY, STATE ZIP`` -> its four fields, when the last part is a US state
    and/or a ZIP code; None for anything else (the parsers then read the whole line)."""
    segments = [segment.strip() for segment in text.split(",")]
    segments = [segment for segment in segments if segment]
    if len(segments) < 2:
        return None
    match = _STATE_ZIP.match(" ".join(segments[-1].split()))
    if match is None:
        return None
    state, zip_code = (match.group("state") or "").strip(), match.group("zip") or ""
    if state and _state(state)[1] != "ok":
        return None
    rest = segments[:-1]
    if len(rest) >= 2:
        city = rest.pop()
    elif any(char.isdigit() for char in rest[0]) or is_placeholder(rest[0]):
        city = ""  # "123 MAIN ST, 62704" or "FAILED TO PROVIDE, 78701"
    else:
        city = rest.pop()  # "SPRINGFIELD, IL 62704": a place, no street
    return " ".join(rest), city, state, zip_code


def _without_extra_lines(text: str) -> str:
    """``12 OAK ST, MANOR HOUSE`` -> ``12 OAK ST``; ``11 ELM ST, #2, C/O MARIA LOPEZ`` ->
    ``11 ELM ST, #2``: after a first segment with a number, a comma segment that is not a
    unit is a second address line (a building, a locality, a care-of name) and is left out;
    the city, state and ZIP are read from their own fields. Nothing is left out when such a
    segment has a digit or names a state or a country (``3 RUE ST JACQUES, MONTREAL, QC H2Y
    1L6`` stays foreign)."""
    segments = [segment.strip() for segment in text.split(",")]
    if not any(char.isdigit() for char in segments[0]):
        return text
    kept = [segments[0]]
    for segment in segments[1:]:
        words = clean_address_text(segment).split()
        # a unit starts with its designator (APT 4, # 2), or is a lone identifier (4B)
        designated = bool(words) and words[0] in UNIT_DESIGNATORS
        lone = len(words) == 1 and any(char.isdigit() for char in words[0])
        if (designated or lone) and unit_words(words):
            kept.append(segment)
            continue
        if any(char.isdigit() for char in segment) or _names_place(segment):
            return text
    return ", ".join(kept)


_CARE_OF = re.compile(r"\s+C\s?/\s?O\s+")


def _without_care_of(text: str) -> str:
    """``8783 21ST BOULEVARD C/O MARIA LOPEZ`` -> ``8783 21ST BOULEVARD``: a care-of name
    written on the street line after the street is an addressee, never part of the address
    (issue 11's noisy mix). Only when the street before it has a digit (a house number).
    Only the name is left out: a unit after it stays (``1400 CANAL ST C/O JOHN SMITH APT 4``
    -> ``1400 CANAL ST APT 4``; the flat is the address's), and nothing is left out when a
    word with a digit comes before any unit designator (``C/O JOHN SMITH 4B``, ``C/O ACME 12
    ELM ST``: a flat or another address, not only a name)."""
    parts = _CARE_OF.split(text, maxsplit=1)
    if len(parts) == 1 or not any(char.isdigit() for char in parts[0]):
        return text
    head, tail = parts
    words = tail.split()
    for index, word in enumerate(words):
        bare = word.strip(".,;:")
        if bare in UNIT_DESIGNATORS or bare.startswith("#"):
            return " ".join([head, *words[index:]])
        if any(char.isdigit() for char in word):
            return text
    return head


def _names_place(segment: str) -> bool:
    words = " ".join(segment.split())
    return _state(words)[1] in {"ok", "foreign"} or _names_foreign_country(words)


def _mentions_placeholder(street_text: str) -> bool:
    """Cheap test before re-checking a parsed line ("ATTN 1 UNKNOWN" -> "1 UNKNOWN")."""
    words = placeholders().words
    return any(word in words for word in street_text.split())


def _parsed_line(parsed: ParsedStreet) -> str:
    words = (parsed.number, parsed.predirectional, parsed.street_name, parsed.street_suffix)
    return " ".join(word for word in words if word)


def _has_street_word(name: str) -> bool:
    """A street name needs a real word or an ordinal ("5TH"); "00 0A" is noise."""
    return any(word.isalpha() or _ORDINAL.match(word) for word in name.split())


def _no_street(
    placeholder: bool, city: str, state: str, zip5: str, zip_status: str, state_status: str
) -> StandardAddress:
    # A placeholder with a good ZIP is still a placeholder ("Failed to Provide", 78701 was the
    # 2025 case); both reasons are given, the kind names what the street field holds.
    reasons = [PLACEHOLDER] if placeholder else []
    if placeholder:
        kind = AddressKind.PLACEHOLDER
    elif zip5:
        kind = AddressKind.ZIP_ONLY
    else:
        kind = AddressKind.EMPTY
        reasons.append(EMPTY)
    if zip5:
        reasons.append(ZIP_ONLY)
    foreign = "foreign" in (zip_status, state_status)
    reasons.extend(_place_reasons(zip_status, state_status, foreign))
    return StandardAddress("", "", "", "", "", "", city, state, zip5, kind, tuple(reasons))


def _place_reasons(zip_status: str, state_status: str, foreign: bool) -> list[Reason]:
    reasons: list[Reason] = []
    if foreign:
        reasons.append(FOREIGN)
    if zip_status == "bad":
        reasons.append(BAD_ZIP)
    if state_status == "bad":
        reasons.append(BAD_STATE)
    return reasons


def _institution_reason(category: str, pattern: str) -> Reason:
    return Reason(
        "address_institution",
        f"The address is a {category} institution (matched {pattern!r}), not a residence.",
        field="street",
    )


# At most 65,536 results are kept (about 45 MB at ~700 bytes each) however many rows pass.
@lru_cache(maxsize=65_536)
def standardize_address(
    street: str, city: str = "", state: str = "", zip_code: str = ""
) -> StandardAddress:
    """Standardize one address as written. The whole address may be in ``street``."""
    street_upper = to_ascii_upper(street)
    if "," in street_upper:
        split = _split_comma_address(street_upper)
        if split is not None:  # "123 MAIN ST, SPRINGFIELD, IL 62704": read like the fields
            street_part, city_part, state_part, zip_part = split
            return standardize_address(
                street_part, city or city_part, state or state_part, zip_code or zip_part
            )
        if city.strip() or zip_code.strip():
            street_upper = _without_extra_lines(street_upper)
    street_upper = _without_care_of(street_upper)
    street_text = clean_address_text(street_upper)
    zip5, zip_status = _zip(zip_code)
    state_code, state_status = _state(state)
    city_text = _city(city)

    placeholder = is_placeholder(street_upper)
    zip_in_street = _zip(street_text)
    if zip_in_street[1] == "ok":  # a ZIP typed into the street field
        if zip_status == "empty" or zip5 == zip_in_street[0]:
            zip5, zip_status = zip_in_street
        street_text = ""
    if placeholder or not street_text:
        return _no_street(placeholder, city_text, state_code, zip5, zip_status, state_status)
    parsed = parse_street(street_text)
    if _mentions_placeholder(street_text) and is_placeholder(_parsed_line(parsed)):
        # "ATTN 1 UNKNOWN" reads as "1 UNKNOWN"
        return _no_street(True, city_text, state_code, zip5, zip_status, state_status)
    # The whole address in the street field: use what the parser found where a field is empty.
    if parsed.zip_code and zip_status == "empty":
        zip5, zip_status = _zip(parsed.zip_code)
    if parsed.state and state_status == "empty":
        state_code, state_status = _state(parsed.state)
    if parsed.city and not city_text:
        city_text = _city(parsed.city)
    foreign = (
        "foreign" in (zip_status, state_status)
        or (state_status != "ok" and _names_foreign_country(street_text, city_text))
        or "foreign" in (_zip(parsed.zip_code)[1], _state(parsed.state)[1])
        or bool(_CANADIAN_POSTCODE_IN_TEXT.search(street_text))
    )
    return _classify(
        parsed,
        street_text,
        city_text,
        state_code,
        zip5,
        _place_reasons(zip_status, state_status, foreign),
        foreign,
    )


def _classify(
    parsed: ParsedStreet,
    street_text: str,
    city: str,
    state: str,
    zip5: str,
    place_reasons: list[Reason],
    foreign: bool,
) -> StandardAddress:
    reasons: list[Reason] = []
    readable = parsed.parsed and _has_street_word(parsed.street_name)
    if not readable:
        kind = AddressKind.UNPARSEABLE
        reasons.append(UNPARSEABLE)
    elif (
        parsed.box
        and _BOX_NAME.match(parsed.street_name)
        and _BOX_NAME.match(parsed.unit.rsplit(" ", 1)[0])
    ):
        # Two boxes in one line ("1 PMB PMB 0"): no one box can be read back from it.
        kind = AddressKind.UNPARSEABLE
        reasons.append(UNPARSEABLE)
    elif parsed.box:
        kind = AddressKind.PO_BOX
        reasons.append(PO_BOX)
    elif not parsed.number:  # "Elm Street": no house, so no address of a person
        kind = AddressKind.UNPARSEABLE
        reasons.append(UNPARSEABLE)
    else:
        kind = AddressKind.STREET
    if readable and not parsed.number and parsed.street_name != "GENERAL DELIVERY":
        reasons.append(MISSING_NUMBER)
    address = StandardAddress(
        number=parsed.number,
        predirectional=parsed.predirectional,
        street_name=parsed.street_name,
        street_suffix=parsed.street_suffix,
        postdirectional=parsed.postdirectional,
        unit=parsed.unit,
        city=city,
        state=state,
        zip5=zip5,
        kind=kind,
        reasons=(),
    )
    hit = find_institution(street_text, address.street_key, zip5)
    if hit is not None:
        reasons.insert(0, _institution_reason(hit.category, hit.pattern))
        kind = AddressKind.INSTITUTION
    if foreign:
        kind = AddressKind.FOREIGN
    return replace(address, kind=kind, reasons=(*reasons, *place_reasons))
