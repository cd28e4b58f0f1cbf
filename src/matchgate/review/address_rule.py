"""Is the address real? The 6103(i)(2)(B)(i) address check.

The 2025 process accepted anything shaped like a ZIP code ("Failed to Provide", "NA NA", a
jail). Here an address must name a street with a house number (or a PO box, if the policy
allows) plus a city and state or a ZIP code, and must not be a placeholder, a bare ZIP or an
institution.

The classification comes from ``matchgate.standardize.standardize_address`` when that module
is importable. Until it is, ``fallback_address_kind`` below stands in for it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from typing import Any

__all__ = ["ADDRESS_KINDS", "AddressVerdict", "classify_address", "fallback_address_kind"]

ADDRESS_KINDS = (
    "street",
    "po_box",
    "placeholder",
    "zip_only",
    "institution",
    "unparseable",
    "empty",
    "foreign",
)

AddressVerdict = tuple[str, str]  # (kind, detail: sentences for people, or "")


@cache
def _standardizer() -> Callable[..., Any] | None:
    try:
        from matchgate.standardize import standardize_address
    except ImportError:
        return None
    return standardize_address


def classify_address(street: str, city: str, state: str, zip_code: str) -> AddressVerdict:
    """``(kind, detail)`` for the address, using the standardize stage when available."""
    standardize = _standardizer()
    if standardize is None:
        return fallback_address_kind(street, city, state, zip_code)
    result = standardize(street, city, state, zip_code)
    kind = str(getattr(result, "kind", "unparseable"))
    if kind not in ADDRESS_KINDS:
        kind = "unparseable"  # an unknown answer must never read as a real address
    reasons = getattr(result, "reasons", ()) or ()
    detail = " ".join(dict.fromkeys(str(getattr(r, "message", r)).strip() for r in reasons if r))
    if kind in {"street", "po_box"}:
        missing = _missing_place(city, state, zip_code)
        if missing:
            return "unparseable", missing
    return kind, detail


# ---------------------------------------------------------------------------------------------
# FALLBACK (remove when matchgate.standardize lands): a small, conservative classifier.
# ---------------------------------------------------------------------------------------------
_PLACEHOLDER = re.compile(
    r"^(?:n ?a(?: n ?a)*|none|null|nil|unknown(?: address)?|address unknown|no address"
    r"|no fixed address|not provided|not available|not given|failed to provide|refused"
    r"|homeless|transient|tbd|same|same as above|see above|see file|test|address|street"
    r"|x+|0+|-+|\?+|\.+)$"
)
_PLACEHOLDER_WORDS = re.compile(
    r"\b(?:unknown|failed to provide|not provided|no address|homeless|no fixed|refused|"
    r"undeliverable|address withheld)\b"
)
_INSTITUTION = re.compile(
    r"\b(?:jail|prison|penitentiary|correctional|corrections|detention|inmate|processing center"
    r"|halfway house|federal medical center|fci|mdc|usp|immigration and customs enforcement"
    r"|ice facility|county lockup)\b"
)
_PO_BOX = re.compile(r"^(?:p\s*o\s*box|post office box|pob|box|pmb|caller box)\s*#?\s*\d+")
_RURAL = re.compile(r"^(?:rr|rural route|hc|highway contract|psc|unit|cmr)\s*\d+\s+box\s*\d+")
_STREET = re.compile(r"^\d+[a-z]?(?:[-/]\d+[a-z]?)?(?: 1/2)? (?:[a-z0-9]+ )*[a-z][a-z0-9]*")
_ZIP = re.compile(r"^\d{5}(?:-?\d{4})?$")
_NON_WORD = re.compile(r"[^a-z0-9/# -]+")
_PUNCTUATION = re.compile(r"[^a-z0-9]+")


def _missing_place(city: str, state: str, zip_code: str) -> str:
    if zip_code and not _ZIP.match(zip_code.strip()):
        return f"ZIP code {zip_code!r} is not 5 or 9 digits."
    if zip_code or (city and state):
        return ""
    return "The address has no city and state and no ZIP code."


def fallback_address_kind(street: str, city: str, state: str, zip_code: str) -> AddressVerdict:
    text = " ".join(_NON_WORD.sub(" ", street.casefold().replace(".", "")).split())
    words = " ".join(_PUNCTUATION.sub(" ", street.casefold().replace(".", "")).split())
    if not (text or city.strip() or state.strip() or zip_code.strip()):
        return "empty", ""
    if _ZIP.match(text.replace(" ", "")) or (not text and zip_code.strip()):
        return "zip_only", ""
    if not text:
        return "empty", "no street address was given"
    if _PLACEHOLDER.match(words) or _PLACEHOLDER_WORDS.search(words):
        return "placeholder", f"The street field holds {street!r}, a placeholder, not an address."
    if _INSTITUTION.search(words) or _INSTITUTION.search(city.casefold()):
        return "institution", f"{street!r} names a jail, prison or detention facility."
    if _PO_BOX.match(text):
        kind = "po_box"
    elif _STREET.match(text) or _RURAL.match(text):
        kind = "street"
    else:
        return "unparseable", f"The street field {street!r} has no house number and street name."
    missing = _missing_place(city, state, zip_code)
    if missing:
        return "unparseable", missing
    return kind, ""
