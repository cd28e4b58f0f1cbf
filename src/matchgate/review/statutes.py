"""Statute citations: reading them in any common form and finding them in the registries.

``18 USC 1343``, ``18 U.S.C. § 1343``, ``18 U.S.C. 1343(a)``, ``18 U.S.C. §§ 1343, 1349``
and ``Title 18, United States Code, Section 1343`` all read as 18 U.S.C. 1343.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from enum import StrEnum
from functools import cache, lru_cache
from importlib import resources

__all__ = ["Citation", "StatuteKind", "StatuteRegistry", "parse_citations", "statute_registry"]

_HEAD = re.compile(
    r"(?:title\s+)?(?P<title>\d{1,2})\s*,?\s*"
    r"(?:u\.?\s*s\.?\s*c\.?(?:\s*a\.?)?|united\s+states\s+code)\s*,?\s*"
    r"(?:(?:§+|sec(?:tions?|s?\.)?)\s*)?",
    re.IGNORECASE,
)
_SECTION = re.compile(r"(?P<section>\d+[a-z]{0,2}(?:-\d+[a-z]?)?)(?:\s*\([^)]{0,12}\))*", re.I)
_MORE = re.compile(r"\s*(?:,|&|\band\b)\s*(?:§+\s*)?(?=\d)", re.IGNORECASE)


class StatuteKind(StrEnum):
    CRIMINAL = "criminal"
    TAX = "tax"  # a criminal offense in title 26: tax administration, outside 6103(i)(2)
    CIVIL = "civil"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Citation:
    title: str
    section: str

    def __str__(self) -> str:
        return f"{self.title} U.S.C. {self.section}"


@lru_cache(maxsize=65_536)
def parse_citations(text: str) -> tuple[Citation, ...]:
    """Every ``title U.S.C. section`` citation in ``text``, subsections dropped."""
    found: list[Citation] = []
    position = 0
    while True:
        head = _HEAD.search(text, position)
        if head is None:
            break
        position = head.end()
        while True:
            section = _SECTION.match(text, position)
            if section is None:
                break
            found.append(Citation(head.group("title").lstrip("0"), section.group("section")))
            position = section.end()
            more = _MORE.match(text, position)
            if more is None or _HEAD.match(text, more.end()):
                break  # no further section, or a new "title U.S.C." citation starts here
            position = more.end()
    return tuple(dict.fromkeys(found))


@dataclass(frozen=True)
class StatuteEntry:
    citation: Citation
    description: str
    kind: StatuteKind


class StatuteRegistry:
    """The criminal statutes and known civil provisions shipped in ``review/data``."""

    def __init__(self, entries: list[StatuteEntry]) -> None:
        self._entries = {self._key(e.citation): e for e in entries}

    @staticmethod
    def _key(citation: Citation) -> tuple[str, str]:
        return citation.title, citation.section.casefold()

    def __len__(self) -> int:
        return len(self._entries)

    def entries(self) -> list[StatuteEntry]:
        return list(self._entries.values())

    def lookup(self, citation: Citation) -> StatuteEntry | None:
        return self._entries.get(self._key(citation))

    def kind(self, citation: Citation) -> StatuteKind:
        entry = self.lookup(citation)
        return entry.kind if entry is not None else StatuteKind.UNKNOWN


def _read(name: str, kind: StatuteKind) -> list[StatuteEntry]:
    text = resources.files("matchgate.review").joinpath("data").joinpath(name).read_text("utf-8")
    entries = []
    for row in csv.DictReader(text.splitlines()):
        citation = Citation(row["title"].strip(), row["section"].strip())
        row_kind = (
            StatuteKind.TAX if kind is StatuteKind.CRIMINAL and citation.title == "26" else kind
        )
        entries.append(StatuteEntry(citation, row["description"].strip(), row_kind))
    return entries


@cache
def statute_registry() -> StatuteRegistry:
    return StatuteRegistry(
        _read("criminal_statutes.csv", StatuteKind.CRIMINAL)
        + _read("civil_provisions.csv", StatuteKind.CIVIL)
    )
