"""Running the rules: :func:`review_letter` for the batch, :func:`review_row` per row."""

from __future__ import annotations

from matchgate.intake import RequestRecord
from matchgate.review.facts import BatchFacts
from matchgate.review.letter import RequestLetter
from matchgate.review.letter_rules import LETTER_RULES, TRANSFER_RULES
from matchgate.review.outcome import (
    Finding,
    LetterDecision,
    ReviewDecision,
    ReviewOutcome,
    worst_outcome,
)
from matchgate.review.policy import Policy
from matchgate.review.row_rules import ROW_RULES, RULE_FIELDS, RowContext, RowRule
from matchgate.review.transfer import Transfer, reviewing_with

__all__ = ["RowReviewer", "review_letter", "review_row"]

# Findings kept per rule and distinct field values; a full cache is emptied and refilled, so
# memory stays bounded however many distinct values a batch of millions holds.
_CACHE_LIMIT = 65_536


def review_letter(
    letter: RequestLetter,
    *,
    facts: BatchFacts,
    policy: Policy,
    transfer: Transfer | None = None,
) -> LetterDecision:
    """All batch-level findings for the letter (signer, officers, safeguards, batch size).

    With a ``transfer`` (as ``run`` always gives) the letter is judged against the office's
    registry: its signature, the request file it covers, and its date and the safeguards
    report on the day of transfer. Without one only its text is reviewed, against the
    packaged registry and at its own date (``matchgate review``)."""
    with reviewing_with(transfer.registry if transfer else None):
        findings = [finding for rule in LETTER_RULES for finding in rule(letter, facts, policy)]
        findings += [
            finding for rule in TRANSFER_RULES for finding in rule(letter, transfer, policy)
        ]
    return LetterDecision.from_findings(findings)


class RowReviewer:
    """Reviews many rows against one letter, building the per-batch context only once."""

    def __init__(
        self,
        *,
        letter: RequestLetter,
        letter_decision: LetterDecision,
        facts: BatchFacts,
        policy: Policy,
    ) -> None:
        self.context = RowContext.build(letter, facts, policy)
        self.letter_decision = letter_decision
        self._rules: tuple[tuple[RowRule, tuple[str, ...] | None], ...] = tuple(
            (rule, RULE_FIELDS.get(rule)) for rule in ROW_RULES
        )
        self._found: dict[RowRule, dict[tuple[str, ...], tuple[Finding, ...]]] = {
            rule: {} for rule in ROW_RULES
        }
        self._rows_observed = facts.row_count

    def serves(
        self,
        letter: RequestLetter,
        letter_decision: LetterDecision,
        facts: BatchFacts,
        policy: Policy,
    ) -> bool:
        context = self.context
        return (
            context.letter is letter
            and self.letter_decision is letter_decision
            and context.facts is facts
            and context.policy is policy
        )

    def review(self, record: RequestRecord) -> ReviewDecision:
        if self.context.facts.row_count != self._rows_observed:
            # The facts grew since (a caller still observing rows): counts may differ now.
            self._rows_observed = self.context.facts.row_count
            for known in self._found.values():
                known.clear()
        findings: list[Finding] = []
        for rule, names in self._rules:
            if names is None:
                findings.extend(rule(record, self.context))
                continue
            # Same fields, same findings: the rule reads nothing else (RULE_FIELDS).
            key = tuple(getattr(record, name) for name in names)
            known = self._found[rule]
            found = known.get(key)
            if found is None:
                found = tuple(rule(record, self.context))
                if len(known) >= _CACHE_LIMIT:
                    known.clear()
                known[key] = found
            findings.extend(found)
        outcome = worst_outcome(f.outcome for f in findings)
        reasons = [f.reason for f in findings if f.outcome is not ReviewOutcome.ACCEPTED]
        notes = [f.reason for f in findings if f.outcome is ReviewOutcome.ACCEPTED]
        letter = self.letter_decision
        if letter.outcome is not ReviewOutcome.ACCEPTED:
            # The letter's failings apply to every row: a deficient letter makes every row
            # deficient, a letter needing review holds back rows that would be accepted.
            outcome = worst_outcome((outcome, letter.outcome))
            reasons = list(letter.reasons) + reasons
        return ReviewDecision(outcome=outcome, reasons=tuple(reasons + notes))


def review_row(
    record: RequestRecord,
    *,
    letter: RequestLetter,
    letter_decision: LetterDecision,
    facts: BatchFacts,
    policy: Policy,
) -> ReviewDecision:
    """Every failing 6103(i)(2)(B) rule for one row, combined with the letter's decision.

    For many rows, :class:`RowReviewer` avoids rebuilding the letter's case index each time.
    """
    global _last_reviewer
    reviewer = _last_reviewer
    if reviewer is None or not reviewer.serves(letter, letter_decision, facts, policy):
        reviewer = RowReviewer(
            letter=letter, letter_decision=letter_decision, facts=facts, policy=policy
        )
        _last_reviewer = reviewer
    return reviewer.review(record)


# review_row is called once per row with the same batch objects; keep the last reviewer so the
# letter's case index is built once per batch, not once per row.
_last_reviewer: RowReviewer | None = None
