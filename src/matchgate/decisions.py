"""Values every stage uses to say what it decided and why.

A decision is never a bare bool: it is an outcome plus reasons, each reason a stable
code, the legal citation where there is one, and a sentence a person can read.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["Outcome", "Reason", "join_codes"]


class Outcome(StrEnum):
    """The final outcome of one request row, as written to ``response.csv``."""

    DISCLOSED = "disclosed"
    NO_MATCH = "no_match"
    AMBIGUOUS = "ambiguous"
    LEGALLY_DEFICIENT = "legally_deficient"
    NEEDS_REVIEW = "needs_review"
    INVALID = "invalid"


@dataclass(frozen=True, slots=True)
class Reason:
    """One reason behind a decision.

    ``code`` is stable (reports and tests key on it); ``message`` is for people;
    ``citation`` names the rule of law where one applies; ``field`` names the input
    field the reason is about, if any.
    """

    code: str
    message: str
    citation: str = ""
    field: str = ""

    def as_dict(self) -> dict[str, str]:
        return {
            "code": self.code,
            "message": self.message,
            "citation": self.citation,
            "field": self.field,
        }


def join_codes(reasons: tuple[Reason, ...] | list[Reason]) -> str:
    """Reason codes as written in CSV files: ``;``-separated, in order, no repeats."""
    seen: dict[str, None] = {}
    for reason in reasons:
        seen.setdefault(reason.code, None)
    return ";".join(seen)
