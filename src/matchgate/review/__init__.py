"""Legal review of request rows and of the letter covering a batch (26 U.S.C. 6103(i)(2)).

Each rule is a small function with a stable reason code, a citation and a sentence
(``row_rules``, ``letter_rules``); :func:`review_letter` and :func:`review_row` return every
failing reason, not only the first. Registries of criminal statutes, civil provisions and
agencies are data files in ``review/data``.
"""

from matchgate.review.batch import ReasonCount, ReviewReport, review_batch
from matchgate.review.citations import CITATIONS
from matchgate.review.engine import RowReviewer, review_letter, review_row
from matchgate.review.facts import BatchFacts
from matchgate.review.letter import Officer, RequestLetter, load_letter
from matchgate.review.outcome import LetterDecision, ReviewDecision, ReviewOutcome
from matchgate.review.policy import Policy

__all__ = [
    "BatchFacts",
    "CITATIONS",
    "LetterDecision",
    "Officer",
    "Policy",
    "ReasonCount",
    "RequestLetter",
    "ReviewDecision",
    "ReviewOutcome",
    "ReviewReport",
    "RowReviewer",
    "load_letter",
    "review_batch",
    "review_letter",
    "review_row",
]
