"""Taxable periods as requesters write them: ``2023-2025``, ``2024``, ``2022;2024``, ``TY2023``."""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["parse_tax_periods"]

_PREFIX = re.compile(r"^(?:ty|cy|fy|tax\s*years?|years?)\s*", re.IGNORECASE)
_SEPARATORS = re.compile(r"\s*(?:[;,/&+]|\band\b)\s*|\s+", re.IGNORECASE)
_RANGE = re.compile(r"^(\d{4})\s*(?:-|–|—|to|through|thru)\s*(?:ty|cy|fy)?\s*(\d{4})$", re.I)
_YEAR = re.compile(r"^(\d{4})$")
_YEAR_PREFIX = re.compile(r"\b(?:ty|cy|fy|tax\s*years?)\s*(?=\d{4})", re.IGNORECASE)
MAX_RANGE_YEARS = 50


@lru_cache(maxsize=4_096)
def parse_tax_periods(text: str) -> tuple[int, ...] | None:
    """The tax years named, ascending, or ``None`` if the text is not a list of years."""
    cleaned = text.strip()
    if not cleaned:
        return None
    cleaned = _YEAR_PREFIX.sub("", cleaned)
    # A range may itself contain spaces ("2023 - 2025", "2023 to 2025"): join those first.
    cleaned = re.sub(r"\s*(-|–|—)\s*", r"\1", cleaned)
    cleaned = re.sub(r"(\d{4})\s+(to|through|thru)\s+", r"\1\2", cleaned, flags=re.I)
    years: set[int] = set()
    for token in _SEPARATORS.split(cleaned):
        if not token:
            continue
        token = _PREFIX.sub("", token)
        if not token:
            continue
        single = _YEAR.match(token)
        if single:
            years.add(int(single.group(1)))
            continue
        span = _RANGE.match(token)
        if span is None:
            return None
        start, end = int(span.group(1)), int(span.group(2))
        if end < start or end - start > MAX_RANGE_YEARS:
            return None
        years.update(range(start, end + 1))
    if not years or min(years) < 1900:
        return None
    return tuple(sorted(years))
