"""The ``noisy`` request mix: request fields corrupted the way record-linkage benchmarks do.

The corruption model follows the public generators behind the usual benchmarks, described
here rather than copied: the FEBRL data set generator (Christen 2005; Christen and Pudjijono,
"Accurate synthetic generation of realistic personal information", PAKDD 2009) and its
successor GeCo (Tran, Vatsalan and Christen, "GeCo: an online personal data generator and
corruptor", CIKM 2013), summarised in Christen, *Data Matching* (Springer 2012), ch. 12, and
used for the North Carolina voter register benchmarks of Saeedi, Peukert and Rahm (2017).
In that model a corrupted record gets a small number of modifications (here 1-3), spread over
its fields with a cap per field (here 2); each modification is drawn from a table of kinds:
character edits (insert, delete, substitute, transpose), keyboard-neighbour substitutions,
OCR confusions (0/O, 1/I/L, 5/S, 8/B, rn/m), phonetic respellings (PH/F, CK/K, Y/I, doubled
letters), missing values and swapped fields. To these we add the address faults the issue 11
benchmark and the TIGTA finding on the 2025 system describe: a misspelt street type
(CRESCENT as XRESCENT, STREET as SETREET), a building or locality name appended as a second
line, words of the street name joined or split (MANOR HOUSE / MANORHOUSE), and the house number
moved to the end.

Dates of birth are only ever *dropped* here, never mistyped: a date of birth that differs from
the filed one is a contradiction the matcher must never outweigh, so a mistyped one would be a
request that no correct matcher may answer, not noise. Names are corrupted but never emptied
and street, city and state never blanked, so a noisy row stays legally sufficient; legally
deficient rows are left as the deficiency wrote them.

Every modification applied is returned as ``field:kind`` (``truth.csv``'s ``corruptions``) and
becomes a ``noise_<kind>`` hazard tag, so a benchmark can measure recall per kind.
"""

from __future__ import annotations

import random
import string
from collections.abc import Mapping
from dataclasses import dataclass

from matchgate.synth._places import STREET_TYPES

__all__ = [
    "EDITS_PER_RECORD",
    "KIND_WEIGHTS",
    "MAX_EDITS_PER_FIELD",
    "NOISE_TAGS",
    "NO_DOB_RATE_NOISY",
    "corrupt_row",
    "noise_tags",
]

# (edits, share of records): fewer records heavily corrupted than lightly, mean 1.75
EDITS_PER_RECORD: tuple[tuple[int, float], ...] = ((1, 0.45), (2, 0.35), (3, 0.20))
MAX_EDITS_PER_FIELD = 2
# Share of modifications by kind (sums to 1). Character-level faults dominate, as in the
# FEBRL/GeCo configurations; whole-field faults (missing, swapped) and the address layout
# faults take the rest.
KIND_WEIGHTS: dict[str, float] = {
    "typo": 0.26,
    "keyboard": 0.10,
    "ocr": 0.08,
    "phonetic": 0.10,
    "missing": 0.12,
    "swap": 0.06,
    "street_type": 0.08,
    "extra_line": 0.08,
    "split_join": 0.06,
    "number_moved": 0.06,
}
NOISE_TAGS: tuple[str, ...] = tuple(f"noise_{kind}" for kind in KIND_WEIGHTS)
# "one record per person, most with a DOB" (issue 11): few rows come without one before the
# corruption, which drops some more ("missing")
NO_DOB_RATE_NOISY = 0.10

# fields a character-level fault may hit, weighted: names and streets are where typists err
_CHARACTER_FIELD_WEIGHTS = {
    "first_name": 3,
    "last_name": 3,
    "middle_name": 1,
    "street": 3,
    "city": 1,
}
_MISSING_FIELD_WEIGHTS = {"dob": 4, "middle_name": 3, "zip": 3, "suffix": 1}

_KEYBOARD_ROWS = ("QWERTYUIOP", "ASDFGHJKL", "ZXCVBNM")
_OCR_PAIRS: tuple[tuple[str, str], ...] = (
    ("0", "O"), ("O", "0"), ("1", "I"), ("I", "1"), ("1", "L"), ("L", "1"), ("5", "S"),
    ("S", "5"), ("8", "B"), ("B", "8"), ("RN", "M"), ("M", "RN"),
)  # fmt: skip
_PHONETIC_PAIRS: tuple[tuple[str, str], ...] = (
    ("PH", "F"), ("F", "PH"), ("CK", "K"), ("Y", "I"), ("I", "Y"), ("Z", "S"), ("S", "Z"),
    ("V", "B"), ("B", "V"), ("QU", "KW"),
)  # fmt: skip
# second address lines and locality or building names requesters add to the street line
_EXTRA_LINES = (
    "MANOR HOUSE", "SUNSET MANOR", "GARDEN VILLAS", "PARK VIEW APTS", "OAK COURT HOMES",
    "BLDG 2", "BLDG B", "REAR", "TRLR 14", "LOT 22", "C/O MARIA LOPEZ", "DOWNTOWN",
    "EAST SIDE", "LAS BRISAS", "VILLA DEL SOL", "MOBILE HOME PARK",
)  # fmt: skip
_TYPE_WORDS = {*STREET_TYPES, *STREET_TYPES.values()}


def _neighbours(letter: str) -> str:
    for row_index, row in enumerate(_KEYBOARD_ROWS):
        column = row.find(letter)
        if column < 0:
            continue
        near = row[max(column - 1, 0) : column] + row[column + 1 : column + 2]
        for other in (row_index - 1, row_index + 1):
            if 0 <= other < len(_KEYBOARD_ROWS):
                near += _KEYBOARD_ROWS[other][max(column - 1, 0) : column + 1]
        return near
    return ""


def _like(template: str, text: str) -> str:
    """``text`` in the case of ``template`` (requests come upper, title or lower case)."""
    return text.lower() if template.islower() else text


def _letter_positions(text: str, *, skip_first: bool = True) -> list[int]:
    """Positions of letters inside words (never a word's first letter: requesters rarely get
    that wrong, and the benchmarks' blocking on initials relies on it)."""
    return [
        i
        for i, ch in enumerate(text)
        if ch.isalpha() and (not skip_first or (i > 0 and text[i - 1].isalpha()))
    ]


def _typo(rng: random.Random, text: str) -> str:
    positions = _letter_positions(text)
    if not positions:
        return text
    i = rng.choice(positions)
    letter = _like(text[i], rng.choice(string.ascii_uppercase))
    kind = rng.randrange(4)
    if kind == 0:
        return text[:i] + letter + text[i + 1 :]
    if kind == 1:
        return text[:i] + text[i + 1 :]
    if kind == 2:
        return text[:i] + letter + text[i:]
    if i + 1 < len(text) and text[i + 1].isalpha():
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    return text[:i] + text[i + 1 :]


def _keyboard(rng: random.Random, text: str) -> str:
    positions = [i for i in _letter_positions(text) if _neighbours(text[i].upper())]
    if not positions:
        return text
    i = rng.choice(positions)
    return text[:i] + _like(text[i], rng.choice(_neighbours(text[i].upper()))) + text[i + 1 :]


def _replace_pattern(rng: random.Random, text: str, pairs: tuple[tuple[str, str], ...]) -> str:
    """Replace one occurrence of one pattern (not at a word's start)."""
    upper = text.upper()
    options = []
    for old, new in pairs:
        start = upper.find(old, 1)
        while start >= 0:
            if upper[start - 1] != " " or old.isdigit():
                options.append((start, old, new))
            start = upper.find(old, start + 1)
    if not options:
        return text
    start, old, new = rng.choice(options)
    return text[:start] + _like(text[start : start + len(old)], new) + text[start + len(old) :]


def _phonetic(rng: random.Random, text: str) -> str:
    if rng.random() < 0.35:  # a doubled letter written single, or a single one doubled
        positions = _letter_positions(text)
        doubled = [i for i in positions if i + 1 < len(text) and text[i + 1] == text[i]]
        if doubled:
            i = rng.choice(doubled)
            return text[:i] + text[i + 1 :]
        if positions:
            i = rng.choice(positions)
            return text[:i] + text[i] + text[i:]
    return _replace_pattern(rng, text, _PHONETIC_PAIRS)


def _ocr(rng: random.Random, text: str) -> str:
    return _replace_pattern(rng, text, _OCR_PAIRS)


def _street_words(street: str) -> tuple[list[str], str]:
    """The street line's words before any unit ("APT 4B", "#4B", ", UNIT 3"), and the rest."""
    main, comma, rest = street.partition(",")
    words = main.split(" ")
    for i, word in enumerate(words):
        if i > 0 and (word.upper() in ("APT", "UNIT") or word.startswith("#")):
            return words[:i], " ".join(words[i:]) + comma + rest
    return words, comma + rest


def _join_street(words: list[str], rest: str) -> str:
    tail = rest if rest.startswith(",") or not rest else " " + rest
    return " ".join(words) + tail


def _street_type_misspelt(rng: random.Random, street: str) -> str:
    words, rest = _street_words(street)
    types = [i for i, w in enumerate(words) if i > 1 and w.upper().rstrip(".") in _TYPE_WORDS]
    if not types:
        return street
    i = types[-1]
    word = words[i].rstrip(".")
    full = STREET_TYPES.get(word.upper(), word.upper())
    full = _like(word, full) if not word.istitle() else full.title()
    if len(full) < 3:
        return street
    if rng.random() < 0.5:  # the first letter struck wrong: CRESCENT as XRESCENT
        letter = _like(full[0], rng.choice(_neighbours(full[0].upper()) or "X"))
        words[i] = letter + full[1:]
    else:  # a stray letter after the first: STREET as SETREET
        words[i] = full[:1] + _like(full[1], rng.choice("AEIOU")) + full[1:]
    return _join_street(words, rest)


def _extra_line(rng: random.Random, street: str) -> str:
    line = rng.choice(_EXTRA_LINES)
    line = line.lower() if street.islower() else line
    return f"{street}, {line}" if rng.random() < 0.6 else f"{street} {line}"


def _split_join(rng: random.Random, street: str) -> str:
    words, rest = _street_words(street)
    inner = list(range(1, len(words)))  # words after the house number
    long_words = [i for i in inner if len(words[i]) >= 7 and words[i].isalpha()]
    if len(inner) >= 2 and (rng.random() < 0.5 or not long_words):
        i = rng.choice(inner[:-1])  # MAPLE AVE -> MAPLEAVE, CAMINO REAL -> CAMINOREAL
        words[i : i + 2] = [words[i] + words[i + 1]]
    elif long_words:
        i = rng.choice(long_words)  # GREENWOOD -> GREEN WOOD
        cut = rng.randrange(3, len(words[i]) - 2)
        words[i : i + 1] = [words[i][:cut], words[i][cut:]]
    else:
        return street
    return _join_street(words, rest)


def _number_moved(street: str) -> str:
    words, rest = _street_words(street)
    if len(words) < 2 or not words[0][:1].isdigit():
        return street
    return _join_street([*words[1:], words[0]], rest)


@dataclass
class _Row:
    fields: dict[str, str]
    edits: list[str]
    per_field: dict[str, int]
    original: dict[str, str]

    def changes(self, field: str, value: str) -> bool:
        """A second edit must not undo the first (GABRIELA -> GABRIELLA -> GABRIELA)."""
        return value != self.fields[field] and value != self.original[field]

    def room(self, field: str) -> bool:
        return bool(self.fields.get(field)) and self.per_field.get(field, 0) < MAX_EDITS_PER_FIELD

    def done(self, field: str, kind: str) -> None:
        self.per_field[field] = self.per_field.get(field, 0) + 1
        self.edits.append(f"{field}:{kind}")


def _weighted(rng: random.Random, weights: Mapping[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _weighted_order(rng: random.Random, weights: Mapping[str, float]) -> list[str]:
    """The keys in random order, heavier ones earlier (Efraimidis-Spirakis keys)."""
    return sorted(weights, key=lambda name: -(rng.random() ** (1.0 / weights[name])))


_CHARACTER_EDITS = {"typo": _typo, "keyboard": _keyboard, "ocr": _ocr, "phonetic": _phonetic}
_STREET_EDITS = {
    "street_type": _street_type_misspelt,
    "extra_line": _extra_line,
    "split_join": _split_join,
}


def _try(rng: random.Random, row: _Row, kind: str) -> bool:
    """Apply one modification of ``kind``; False when it does not apply to this row."""
    f = row.fields
    if kind in _CHARACTER_EDITS:
        # fields in a weighted random order; the first one the edit changes takes it
        for field in _weighted_order(rng, _CHARACTER_FIELD_WEIGHTS):
            if row.room(field):
                changed = _CHARACTER_EDITS[kind](rng, f[field])
                if row.changes(field, changed) and changed.strip():
                    f[field] = changed
                    row.done(field, kind)
                    return True
        return False
    if kind == "missing":
        present = {
            name: weight
            for name, weight in _MISSING_FIELD_WEIGHTS.items()
            if f.get(name) and not row.per_field.get(name, 0)
        }
        if not present:
            return False
        field = _weighted(rng, present)
        changed = ""
    elif kind == "swap":
        field = "first_name+last_name" if rng.random() < 0.7 else "city+state"
        a, b = field.split("+")
        if any(e.endswith(":swap") for e in row.edits) or not (f[a] and f[b]) or f[a] == f[b]:
            return False
        f[a], f[b] = f[b], f[a]
        row.done(field, kind)
        return True
    else:
        field = "street"
        if not row.room(field) or any(e == f"street:{kind}" for e in row.edits):
            return False
        if kind == "number_moved":
            changed = _number_moved(f[field])
        else:
            changed = _STREET_EDITS[kind](rng, f[field])
    if not row.changes(field, changed):
        return False
    f[field] = changed
    row.done(field, kind)
    return True


def corrupt_row(rng: random.Random, fields: dict[str, str]) -> list[str]:
    """Corrupt ``fields`` in place with 1-3 modifications; return them as ``field:kind``."""
    wanted = rng.choices(
        [n for n, _ in EDITS_PER_RECORD], weights=[share for _, share in EDITS_PER_RECORD]
    )[0]
    row = _Row(fields=fields, edits=[], per_field={}, original=dict(fields))
    for _ in range(40):  # a kind that does not apply to this row is drawn again
        if len(row.edits) >= wanted:
            break
        _try(rng, row, _weighted(rng, KIND_WEIGHTS))
    return row.edits


def noise_tags(edits: list[str]) -> set[str]:
    return {f"noise_{edit.rsplit(':', 1)[1]}" for edit in edits}
