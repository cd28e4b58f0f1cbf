"""Per-row rules of 26 U.S.C. 6103(i)(2)(B): each a small function yielding findings.

A rule looks at one record (and the batch facts, letter and policy) and yields nothing when
the row passes, or one :class:`Finding` per failure. ``ROW_RULES`` lists them in the order
their reasons are reported.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from matchgate.intake import RequestRecord
from matchgate.review.address_rule import classify_address
from matchgate.review.citations import reason
from matchgate.review.facts import BatchFacts, normalize_reason
from matchgate.review.letter import RequestLetter, normalize_case_number
from matchgate.review.outcome import Finding, ReviewOutcome
from matchgate.review.periods import parse_tax_periods
from matchgate.review.policy import Policy
from matchgate.review.statutes import (
    Citation,
    StatuteKind,
    parse_citations,
    statute_registry,
)

__all__ = ["ROW_RULES", "RULE_FIELDS", "RowContext"]

DEFICIENT = ReviewOutcome.LEGALLY_DEFICIENT
REVIEW = ReviewOutcome.NEEDS_REVIEW

# Normalized reason texts that say nothing specific about why the information is relevant.
_PLACEHOLDER_REASONS = {
    "n a",
    "na",
    "none",
    "null",
    "unknown",
    "tbd",
    "tba",
    "test",
    "x",
    "xx",
    "xxx",
    "same",
    "same as above",
    "see above",
    "see letter",
    "see attached",
    "see attachment",
    "see file",
    "see case file",
    "as requested",
    "requested",
    "relevant",
    "needed",
    "required",
    "other",
    "various",
    "official use",
    "official business",
    "investigation",
    "investigative",
    "ongoing investigation",
    "criminal investigation",
    "active investigation",
    "law enforcement",
    "law enforcement purposes",
    "law enforcement purpose",
    "enforcement",
    "immigration enforcement",
    "immigration",
    "removal",
    "address verification",
    "locate subject",
    "locate",
    "to locate",
    "to locate subject",
    "current address",
}
_WORD = re.compile(r"\w+")


@dataclass
class RowContext:
    """What the row rules may consult besides the row; built once per batch."""

    letter: RequestLetter
    facts: BatchFacts
    policy: Policy
    held_cases: frozenset[str] = frozenset()

    @classmethod
    def build(cls, letter: RequestLetter, facts: BatchFacts, policy: Policy) -> RowContext:
        # Only membership matters per row; a set keeps a million case numbers affordable.
        held = letter.derived("held_cases", lambda it: frozenset(it.case_numbers_held()))
        return cls(letter=letter, facts=facts, policy=policy, held_cases=held)


RowRule = Callable[[RequestRecord, RowContext], Iterator[Finding]]


def name_present(record: RequestRecord, context: RowContext) -> Iterator[Finding]:
    missing = [
        label
        for label, value in (("first", record.first_name), ("last", record.last_name))
        if not value
    ]
    if missing:
        yield Finding(
            DEFICIENT,
            reason(
                "name_missing",
                f"The taxpayer's {' and '.join(missing)} name is missing; the request must set "
                "forth the name of the taxpayer.",
                field="last_name" if "last" in missing else "first_name",
            ),
        )


_ADDRESS_CODES = {
    "empty": "address_missing",
    "placeholder": "address_placeholder",
    "zip_only": "address_zip_only",
    "institution": "address_institution",
    "unparseable": "address_unparseable",
    "foreign": "address_foreign",
    "po_box": "address_po_box",
}


def address_real(record: RequestRecord, context: RowContext) -> Iterator[Finding]:
    kind, detail = classify_address(record.street, record.city, record.state, record.zip)
    policy = context.policy
    if kind == "street" or (kind == "po_box" and policy.allow_po_box):
        return
    if kind == "institution" and policy.allow_institution:
        return
    outcome = DEFICIENT
    if kind == "foreign" and policy.foreign_addresses == "review":
        outcome = REVIEW
    sentences = {
        "empty": "No address is given; the request must set forth the taxpayer's address",
        "placeholder": "The address is a placeholder, not the taxpayer's address",
        "zip_only": "Only a ZIP code is given, and a ZIP code is not the taxpayer's address",
        "institution": "The address is an institution, not the taxpayer's residence, and the "
        "policy does not accept institutions",
        "unparseable": "The address cannot be read as a street address with a house number "
        "and a city and state or ZIP code",
        "foreign": "The address is outside the United States and a person must check it",
        "po_box": "The address is a PO box and the policy does not accept PO boxes",
    }
    if detail and kind in {"empty", "placeholder", "zip_only", "unparseable"}:
        message = detail  # the standardizer's own sentences say exactly what is wrong
    else:
        message = f"{sentences[kind]}. {detail}".strip()
    yield Finding(outcome, reason(_ADDRESS_CODES[kind], message, field="street"))


def periods_valid(record: RequestRecord, context: RowContext) -> Iterator[Finding]:
    text = record.tax_periods
    if not text:
        yield Finding(
            DEFICIENT, reason("periods_missing", "No taxable period is given.", field="tax_periods")
        )
        return
    years = parse_tax_periods(text)
    if years is None:
        yield Finding(
            DEFICIENT,
            reason(
                "periods_malformed",
                f"Taxable periods {text!r} are not years such as 2023, 2022-2024 or 2022;2024.",
                field="tax_periods",
            ),
        )
        return
    signed = context.letter.date_signed
    future = [y for y in years if y >= signed.year]
    if future:
        yield Finding(
            DEFICIENT,
            reason(
                "periods_not_past",
                f"Tax year {future[0]} had not ended when the letter was signed on "
                f"{signed.isoformat()}.",
                field="tax_periods",
            ),
        )
    earliest = signed.year - context.policy.period_span_years
    old = [y for y in years if y < earliest]
    if old:
        yield Finding(
            DEFICIENT,
            reason(
                "periods_too_old",
                f"Tax year {old[0]} is more than {context.policy.period_span_years} years before "
                f"the letter (earliest allowed: {earliest}).",
                field="tax_periods",
            ),
        )


def _described(citation: Citation) -> str:
    entry = statute_registry().lookup(citation)
    return f"{citation} ({entry.description})" if entry else str(citation)


def statute_criminal(record: RequestRecord, context: RowContext) -> Iterator[Finding]:
    text = record.statute
    if not text:
        yield Finding(
            DEFICIENT,
            reason("statute_missing", "No statutory authority is given.", field="statute"),
        )
        return
    registry = statute_registry()
    citations = parse_citations(text)
    kinds = {c: registry.kind(c) for c in citations}
    if StatuteKind.CRIMINAL in kinds.values():
        return
    tax = [str(c) for c, k in kinds.items() if k is StatuteKind.TAX]
    civil = [_described(c) for c, k in kinds.items() if k is StatuteKind.CIVIL]
    if tax:
        outcome = REVIEW if context.policy.tax_statutes == "review" else DEFICIENT
        yield Finding(
            outcome,
            reason(
                "statute_tax_administration",
                f"The statute cited, {', '.join(tax)}, involves tax administration, which "
                "6103(i)(2) excludes.",
                field="statute",
            ),
        )
    elif civil:
        yield Finding(
            DEFICIENT,
            reason(
                "statute_civil",
                f"The statute cited, {'; '.join(civil)}, is a civil provision, not a federal "
                "criminal statute.",
                field="statute",
            ),
        )
    elif citations:
        yield Finding(
            DEFICIENT,
            reason(
                "statute_unknown",
                f"The statute cited, {', '.join(map(str, citations))}, is not in the registry of "
                "federal criminal "
                "statutes.",
                field="statute",
            ),
        )
    else:
        yield Finding(
            DEFICIENT,
            reason(
                "statute_unknown",
                f"The statute field {text[:80]!r} does not cite a statute as "
                "'title U.S.C. section'.",
                field="statute",
            ),
        )


def case_number_held(record: RequestRecord, context: RowContext) -> Iterator[Finding]:
    if not record.case_number:
        yield Finding(
            DEFICIENT,
            reason(
                "case_number_missing",
                "No case number ties the row to an investigation.",
                field="case_number",
            ),
        )
        return
    if normalize_case_number(record.case_number) not in context.held_cases:
        yield Finding(
            REVIEW,
            reason(
                "case_no_officer",
                f"No officer named in the letter works case {record.case_number!r}.",
                field="case_number",
            ),
        )


def reason_specific(record: RequestRecord, context: RowContext) -> Iterator[Finding]:
    text = record.reason
    normalized = normalize_reason(text)
    if not normalized:
        yield Finding(
            DEFICIENT,
            reason(
                "reason_missing",
                "No reason is given why the information is relevant.",
                field="reason",
            ),
        )
        return
    words = len(_WORD.findall(normalized))
    if normalized in _PLACEHOLDER_REASONS or words < context.policy.min_reason_words:
        yield Finding(
            DEFICIENT,
            reason(
                "reason_placeholder",
                f"The reason {text[:80]!r} is not a specific reason why the information is "
                f"relevant (at least {context.policy.min_reason_words} words).",
                field="reason",
            ),
        )
        return
    facts, policy = context.facts, context.policy
    if facts.row_count >= policy.reason_boilerplate_min_rows:
        count = facts.reason_count(text)
        if count > policy.reason_boilerplate_share * facts.row_count:
            yield Finding(
                REVIEW,
                reason(
                    "reason_boilerplate",
                    f"The same reason appears on {count:,} of {facts.row_count:,} rows "
                    f"({count / facts.row_count:.0%}); a specific reason is needed per taxpayer.",
                    field="reason",
                ),
            )


def duplicate_note(record: RequestRecord, context: RowContext) -> Iterator[Finding]:
    note = record.duplicate_reason
    if note is not None:
        yield Finding(ReviewOutcome.ACCEPTED, note)


# The record fields each rule reads; nothing else of the row. A rule is a pure function of
# these fields and the batch's context, so a batch reviewer may answer rows whose fields
# are the same (a statute, a period, a case number, a reason written on many rows) from
# the first such row's findings. A rule not listed here is run on every row.
RULE_FIELDS: dict[RowRule, tuple[str, ...]] = {
    name_present: ("first_name", "last_name"),
    address_real: ("street", "city", "state", "zip"),
    periods_valid: ("tax_periods",),
    statute_criminal: ("statute",),
    case_number_held: ("case_number",),
    reason_specific: ("reason",),
}

ROW_RULES: tuple[RowRule, ...] = (
    name_present,
    address_real,
    periods_valid,
    statute_criminal,
    case_number_held,
    reason_specific,
    duplicate_note,
)
