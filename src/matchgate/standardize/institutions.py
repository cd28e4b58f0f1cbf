"""Recognising institutional addresses: jails, prisons, immigration detention, shelters.

Such an address in a request says the requester took it from custody or shelter records,
not from the person's home; it also points at people whose address must not be confirmed
(shelter residents). Patterns and a few known addresses are data
(``data/institutions.csv``); see ``data/README.md`` for what is left out and why
(hospitals).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from matchgate.standardize._data import institution_patterns

__all__ = ["InstitutionHit", "find_institution"]


@dataclass(frozen=True, slots=True)
class InstitutionHit:
    category: str  # correctional | detention | shelter
    pattern: str  # the keyword found or the known address matched


@cache
def _keyword_index() -> tuple[re.Pattern[str], dict[str, str]]:
    categories = {
        item.pattern: item.category for item in institution_patterns() if item.match == "keyword"
    }
    alternatives = sorted(categories, key=len, reverse=True)
    pattern = re.compile(r"\b(" + "|".join(re.escape(word) for word in alternatives) + r")\b")
    return pattern, categories


@cache
def _known_addresses() -> dict[str, str]:
    return {
        item.pattern: item.category for item in institution_patterns() if item.match == "address"
    }


def find_institution(street_text: str, street_key: str, zip5: str) -> InstitutionHit | None:
    """The institution a cleaned street line names, by keyword or by known address."""
    if street_key and zip5:
        category = _known_addresses().get(f"{street_key}|{zip5}")
        if category:
            return InstitutionHit(category, f"{street_key}|{zip5}")
    pattern, categories = _keyword_index()
    match = pattern.search(street_text)
    if match:
        return InstitutionHit(categories[match.group(1)], match.group(1))
    return None
