"""What the legal review decides: an outcome and every reason behind it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from matchgate.decisions import Reason

__all__ = ["Finding", "LetterDecision", "ReviewDecision", "ReviewOutcome", "worst_outcome"]


class ReviewOutcome(StrEnum):
    """Outcome of the legal review of one row or of the batch (the letter)."""

    ACCEPTED = "accepted"
    LEGALLY_DEFICIENT = "legally_deficient"
    NEEDS_REVIEW = "needs_review"


_RANK = {
    ReviewOutcome.ACCEPTED: 0,
    ReviewOutcome.NEEDS_REVIEW: 1,
    ReviewOutcome.LEGALLY_DEFICIENT: 2,
}


@dataclass(frozen=True, slots=True)
class Finding:
    """One rule's verdict: the outcome it forces (``accepted`` = note only) and its reason."""

    outcome: ReviewOutcome
    reason: Reason


def worst_outcome(outcomes: Iterable[ReviewOutcome]) -> ReviewOutcome:
    """``legally_deficient`` beats ``needs_review`` beats ``accepted``."""
    return max(outcomes, key=_RANK.__getitem__, default=ReviewOutcome.ACCEPTED)


@dataclass(frozen=True)
class LetterDecision:
    """The review of the signed letter and the batch as a whole (6103(i)(2)(A), (p)(4))."""

    outcome: ReviewOutcome
    reasons: tuple[Reason, ...] = ()

    @classmethod
    def from_findings(cls, findings: Iterable[Finding]) -> LetterDecision:
        found = list(findings)
        return cls(
            outcome=worst_outcome(f.outcome for f in found),
            reasons=tuple(f.reason for f in found),
        )


@dataclass(frozen=True)
class ReviewDecision:
    """The review of one row: outcome and all reasons (failing rules first, then notes)."""

    outcome: ReviewOutcome
    reasons: tuple[Reason, ...] = ()

    @property
    def explanation(self) -> str:
        """The reasons as one readable paragraph."""
        if not self.reasons:
            return "accepted: the row sets out everything 26 U.S.C. 6103(i)(2)(B) requires."
        parts = []
        for reason in self.reasons:
            cite = f" [{reason.citation}]" if reason.citation else ""
            parts.append(f"{reason.message}{cite}")
        return f"{self.outcome.value}: " + " ".join(parts)
