"""``review_batch``: intake and legal review of one request file, without matching.

Two streaming passes over the file: the first gathers :class:`BatchFacts` (boilerplate
reasons and batch size can only be judged on the whole batch), the second reviews each row.
Memory stays bounded whatever the number of rows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from matchgate.decisions import Reason
from matchgate.intake import RequestRecord, read_requests
from matchgate.review.engine import RowReviewer, review_letter
from matchgate.review.facts import BatchFacts
from matchgate.review.letter import load_letter
from matchgate.review.outcome import LetterDecision, ReviewDecision, ReviewOutcome
from matchgate.review.policy import Policy

__all__ = ["ReasonCount", "ReviewReport", "review_batch"]

Progress = Callable[[str, int, int | None], None]


@dataclass(frozen=True)
class ReasonCount:
    """How many rows carry a reason code, with the citation and one example sentence."""

    code: str
    rows: int
    citation: str
    example: str
    source: str  # "letter", "row" or "intake"


@dataclass(frozen=True)
class ReviewReport:
    """What ``matchgate review`` prints: counts per outcome and per reason code."""

    requests_path: Path
    letter_path: Path
    format: str
    row_count: int
    invalid_rows: int
    duplicate_rows: int
    letter_decision: LetterDecision
    outcome_counts: dict[ReviewOutcome, int]
    reasons: list[ReasonCount]
    columns_mapped: dict[str, str] = field(default_factory=dict)
    unknown_columns: list[str] = field(default_factory=list)

    def reason_counts(self) -> dict[str, int]:
        return {item.code: item.rows for item in self.reasons}


def review_batch(
    path: Path,
    *,
    letter_path: Path,
    policy_path: Path | None = None,
    mapping: Path | None = None,
    sheet: str | None = None,
    progress: Progress | None = None,
) -> ReviewReport:
    """Read and review a request file against its letter; counts per outcome and reason.

    ``progress(stage, rows_done, rows_total)`` is called as rows stream; ``stage`` is
    ``"reading"`` (total unknown) then ``"reviewing"`` (total known).
    """
    policy = Policy.load(policy_path)
    letter = load_letter(letter_path)
    facts = _batch_facts(path, mapping=mapping, sheet=sheet, progress=progress)
    letter_decision = review_letter(letter, facts=facts, policy=policy)
    reviewer = RowReviewer(
        letter=letter, letter_decision=letter_decision, facts=facts, policy=policy
    )

    def reviewing(count: int) -> None:
        if progress is not None:
            progress("reviewing", count, facts.row_count)

    tally = _Tally()
    second = read_requests(path, mapping=mapping, sheet=sheet, progress=reviewing)
    for record in second.records:
        tally.add(record, reviewer.review(record))
    return ReviewReport(
        requests_path=Path(path),
        letter_path=Path(letter_path),
        format=second.format,
        row_count=facts.row_count,
        invalid_rows=tally.invalid_rows,
        duplicate_rows=tally.duplicate_rows,
        letter_decision=letter_decision,
        outcome_counts={outcome: tally.outcomes.get(outcome, 0) for outcome in ReviewOutcome},
        reasons=tally.reason_counts(letter_codes={r.code for r in letter_decision.reasons}),
        columns_mapped=second.columns_mapped,
        unknown_columns=second.unknown_columns,
    )


def _batch_facts(
    path: Path, *, mapping: Path | None, sheet: str | None, progress: Progress | None
) -> BatchFacts:
    """The first pass: what batch-wide rules count, gathered over the whole file."""

    def reading(count: int) -> None:
        if progress is not None:
            progress("reading", count, None)

    facts = BatchFacts()
    # The first pass needs only what batch-wide rules count; reading just those fields
    # makes it several times cheaper than the full read of the second pass.
    first = read_requests(
        path, mapping=mapping, sheet=sheet, progress=reading, fields=BatchFacts.FIELDS
    )
    for record in first.records:
        facts.observe(record)
    return facts


@dataclass
class _Tally:
    """Counts of the second pass: outcomes, rows per reason code, one example per code."""

    outcomes: Counter[ReviewOutcome] = field(default_factory=Counter)
    row_codes: Counter[str] = field(default_factory=Counter)
    intake_codes: Counter[str] = field(default_factory=Counter)
    examples: dict[str, Reason] = field(default_factory=dict)
    invalid_rows: int = 0
    duplicate_rows: int = 0

    def add(self, record: RequestRecord, decision: ReviewDecision) -> None:
        self.invalid_rows += bool(record.problems)
        self.duplicate_rows += record.duplicate_of is not None
        self.outcomes[decision.outcome] += 1
        for code in {r.code for r in decision.reasons}:
            self.row_codes[code] += 1
        for reason in decision.reasons:
            self.examples.setdefault(reason.code, reason)
        for code in {p.code for p in record.problems}:
            self.intake_codes[code] += 1
        for problem in record.problems:
            self.examples.setdefault(problem.code, problem)

    def reason_counts(self, *, letter_codes: set[str]) -> list[ReasonCount]:
        """Row and letter reasons, most frequent first, then intake problems."""
        examples = self.examples
        return [
            ReasonCount(
                code=code,
                rows=count,
                citation=examples[code].citation,
                example=examples[code].message,
                source="letter" if code in letter_codes else "row",
            )
            for code, count in self.row_codes.most_common()
        ] + [
            ReasonCount(code, count, "", examples[code].message, "intake")
            for code, count in self.intake_codes.most_common()
        ]
