"""The legal citation behind each review reason code, read from the one reason registry.

Codes are stable: reports, tests and the response file key on them. Every code the review can
emit is registered in ``matchgate/reason_codes.toml`` (stages ``intake``, ``review`` and
``letter``); this module is the review's view of it, so ``matchgate review`` can print a legend
and tests can check coverage.
"""

from __future__ import annotations

from matchgate.decisions import Reason
from matchgate.reasons import registry

__all__ = ["CITATIONS", "reason"]

_REVIEW_STAGES = ("review", "letter")

CITATIONS: dict[str, str] = {
    info.code: info.citation
    for info in registry().values()
    if info.stage in _REVIEW_STAGES or info.code == "duplicate"
}


def reason(code: str, message: str, *, field: str = "") -> Reason:
    """A review reason with the citation for its code (KeyError for an unlisted code)."""
    return Reason(code=code, message=message, citation=CITATIONS[code], field=field)
