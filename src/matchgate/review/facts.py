"""Batch-wide counts that some rules need before any row can be judged.

One pass over the records (``observe``) fills them; rows are then reviewed in a second pass.
Reason texts are kept as 8-byte fingerprints of their normalized form, so a million distinct
reasons cost tens of megabytes, not the texts themselves.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter

from matchgate.intake import RequestRecord
from matchgate.review.letter import normalize_case_number

__all__ = ["BatchFacts", "normalize_reason"]

_NON_WORD = re.compile(r"[\W_]+")


def normalize_reason(text: str) -> str:
    """Reason text compared for boilerplate: case, punctuation and spacing ignored."""
    return " ".join(_NON_WORD.sub(" ", text.casefold()).split())


def _fingerprint(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest()


class BatchFacts:
    """Counts over one batch: rows, invalid and duplicate rows, reason texts, case numbers.

    The rules need only ``FIELDS`` of each record (and the row count); a first pass may read
    just those (``read_requests(..., fields=BatchFacts.FIELDS)``), in which case
    ``invalid_count`` and ``duplicate_count`` cover only those fields.
    """

    FIELDS: tuple[str, ...] = ("reason", "case_number")

    def __init__(self) -> None:
        self.row_count = 0
        self.invalid_count = 0
        self.duplicate_count = 0
        self._reason_counts: Counter[bytes] = Counter()
        self._repeated_reasons: dict[bytes, str] = {}
        self._case_numbers: set[bytes] = set()

    def observe(self, record: RequestRecord) -> None:
        self.observe_fields(
            reason=record.reason,
            case_number=record.case_number,
            invalid=bool(record.problems),
            duplicate=record.duplicate_of is not None,
        )

    def observe_fields(
        self, *, reason: str, case_number: str, invalid: bool, duplicate: bool
    ) -> None:
        """:meth:`observe` from the fields it reads (a batch's staged columns, no record)."""
        self.row_count += 1
        if invalid:
            self.invalid_count += 1
        if duplicate:
            self.duplicate_count += 1
        normalized = normalize_reason(reason)
        if normalized:
            key = _fingerprint(normalized)
            self._reason_counts[key] += 1
            if self._reason_counts[key] == 2:
                self._repeated_reasons[key] = normalized
        if case_number:
            self._case_numbers.add(_fingerprint(normalize_case_number(case_number)))

    def reason_count(self, reason: str) -> int:
        """Rows of the batch whose reason reads the same as ``reason``."""
        normalized = normalize_reason(reason)
        return self._reason_counts.get(_fingerprint(normalized), 0) if normalized else 0

    def reason_share(self, reason: str) -> float:
        return self.reason_count(reason) / self.row_count if self.row_count else 0.0

    @property
    def distinct_case_numbers(self) -> int:
        return len(self._case_numbers)

    @property
    def distinct_reasons(self) -> int:
        return len(self._reason_counts)

    def most_common_reasons(self, limit: int = 5) -> list[tuple[str, int]]:
        """The most repeated reason texts (normalized) with their row counts."""
        top = sorted(
            ((count, key) for key, count in self._reason_counts.items() if count > 1),
            reverse=True,
        )[:limit]
        return [(self._repeated_reasons[key], count) for count, key in top]
