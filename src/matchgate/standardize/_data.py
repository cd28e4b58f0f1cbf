"""Loading the data files shipped in ``standardize/data`` (each read once per process).

The files are described in ``data/README.md``. Loaders return immutable structures and are
cached, so the hot paths never touch the disk.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources

from matchgate.standardize._text import clean_name_text

__all__ = [
    "InstitutionPattern",
    "Placeholders",
    "census_given_names",
    "formal_given_names",
    "hypocorisms",
    "institution_patterns",
    "placeholders",
    "state_table",
    "street_suffixes",
    "surname_list",
]


def _read_text(name: str) -> str:
    return (
        resources.files("matchgate.standardize").joinpath("data").joinpath(name).read_text("utf-8")
    )


def _read_csv(name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(_read_text(name))))


def _read_lines(name: str) -> list[str]:
    lines = (line.strip() for line in _read_text(name).splitlines())
    return [line for line in lines if line and not line.startswith("#")]


@cache
def hypocorisms() -> dict[str, frozenset[str]]:
    """Nickname -> formal names, from ``hypocorisms.csv`` (cleaned like any name)."""
    table: dict[str, set[str]] = {}
    for row in _read_csv("hypocorisms.csv"):
        nickname = clean_name_text(row["nickname"])
        formal = clean_name_text(row["formal_name"])
        if nickname and formal and nickname != formal:
            table.setdefault(nickname, set()).add(formal)
    return {key: frozenset(value) for key, value in table.items()}


@cache
def surname_list() -> frozenset[str]:
    """Common Hispanic and Portuguese surnames used to split joined compounds."""
    return frozenset(clean_name_text(line) for line in _read_lines("hispanic_surnames.txt"))


@cache
def formal_given_names() -> frozenset[str]:
    """Common formal given names, which never gain English nickname forms."""
    return frozenset(clean_name_text(line) for line in _read_lines("formal_given_names.txt"))


@cache
def census_given_names() -> frozenset[str]:
    """The 8,000 most frequent first names of the 2020 US Census first-name table."""
    return frozenset(clean_name_text(line) for line in _read_lines("given_names.txt"))


@dataclass(frozen=True, slots=True)
class Placeholders:
    phrases: frozenset[str]
    words: frozenset[str]
    fillers: frozenset[str]


@cache
def placeholders() -> Placeholders:
    sections: dict[str, set[str]] = {"phrases": set(), "words": set(), "fillers": set()}
    current = "phrases"
    for line in _read_lines("placeholders.txt"):
        if line.startswith("[") and line.endswith("]"):
            current = line[1:-1]
            continue
        sections[current].add(line.upper())
    return Placeholders(
        phrases=frozenset(sections["phrases"]),
        words=frozenset(sections["words"]),
        fillers=frozenset(sections["fillers"]),
    )


@cache
def street_suffixes() -> dict[str, str]:
    """USPS Publication 28 street suffix variants -> standard abbreviation."""
    return {row["variant"]: row["standard"] for row in _read_csv("street_suffixes.csv")}


@cache
def state_table() -> tuple[dict[str, str], frozenset[str]]:
    """(US state names, codes and aliases -> USPS code, foreign codes and names)."""
    us: dict[str, str] = {}
    foreign: set[str] = set()
    for row in _read_csv("states.csv"):
        code, name, kind = row["code"], row["name"], row["kind"]
        if kind == "foreign":
            foreign.update(value for value in (code, name) if value)
            continue
        us[name] = code
        if kind != "alias":
            us[code] = code
    return us, frozenset(foreign)


@dataclass(frozen=True, slots=True)
class InstitutionPattern:
    match: str  # "keyword" (word sequence in the street line) or "address" (key|zip5)
    pattern: str
    category: str
    note: str


@cache
def institution_patterns() -> tuple[InstitutionPattern, ...]:
    return tuple(
        InstitutionPattern(row["match"], row["pattern"], row["category"], row["note"])
        for row in _read_csv("institutions.csv")
    )
