"""The yearly report's tables, computed from ledger entries alone (26 U.S.C. 6103(p)(3)(C)).

Every table row ends with ``entries``: the first..last sequence of the ledger entries it
counts (and how many), so any figure can be traced back to the ledger; each table's
``source`` says which entries it reads and how. A year is the calendar year (UTC) of an
entry's ``recorded_at``.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from matchgate.reasons import registry
from matchgate.report._source import Entry

__all__ = [
    "OUTCOMES",
    "PROBABILITY_BINS",
    "ReportTables",
    "Span",
    "Table",
    "build_tables",
]

OUTCOMES = ("disclosed", "no_match", "ambiguous", "needs_review", "legally_deficient", "invalid")
FLAGGED = ("needs_review", "ambiguous")  # the review queue (matchgate.server.review_queue)
NOT_RECORDED = "(not recorded)"
# Bins of 1 - p for the histogram of disclosures' match probabilities: log scale near p = 1.
PROBABILITY_BINS = (0.0, 1e-9, 1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0)

_REFUSAL_STEP = {
    "legally_deficient": "refused_legal",
    "invalid": "refused_legal",
    "no_match": "refused_matching",
    "ambiguous": "refused_matching",
}
# Which step of the office a registry stage belongs to, for "legal review vs matching".
_STEP = {
    "intake": "legal review",
    "review": "legal review",
    "letter": "legal review",
    "match": "matching",
    "standardize": "matching",
    "batch": "matching",
    "response": "response note",
}


class Span:
    """The ledger entries behind one figure: first..last sequence and how many."""

    __slots__ = ("count", "first", "last")

    def __init__(self) -> None:
        self.first = 0
        self.last = 0
        self.count = 0

    def add(self, sequence: int) -> None:
        if self.count == 0 or sequence < self.first:
            self.first = sequence
        self.last = max(self.last, sequence)
        self.count += 1

    def merge(self, other: Span) -> None:
        if other.count:
            self.add(other.first)
            self.add(other.last)
            self.count += other.count - 2

    def text(self) -> str:
        if self.count == 0:
            return "none"
        return (
            f"{self.first}..{self.last} ({self.count} {'entry' if self.count == 1 else 'entries'})"
        )


@dataclass(frozen=True, slots=True)
class Table:
    """One table: written as NAME.csv and as a table in index.html."""

    name: str
    title: str
    source: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True, slots=True)
class ReportTables:
    year: int
    tables: tuple[Table, ...]
    # For the charts: the 1 - p of each disclosure of the year, and the review ages (days).
    disclosure_one_minus_p: tuple[float, ...] = ()
    review_ages_days: tuple[float, ...] = ()
    pending_ages_days: tuple[float, ...] = ()
    notes: tuple[str, ...] = ()

    def table(self, name: str) -> Table:
        return next(table for table in self.tables if table.name == name)


def _number(value: float) -> str:
    return f"{value:.6f}"


def _month(recorded_at: str) -> str:
    return recorded_at[:7]


def _parse_time(recorded_at: str) -> datetime:
    return datetime.fromisoformat(recorded_at.replace("Z", "+00:00"))


def _codes(payload: dict[str, Any]) -> list[str]:
    return [code for code in str(payload.get("reason_codes") or "").split(";") if code]


@dataclass
class _Batch:
    batch_id: str
    agency: str
    sequence: int
    recorded_at: str
    rows_in: int
    requests_file: str
    officers: list[str]
    case_counts: list[int]
    in_year: bool
    span: Span = field(default_factory=Span)
    letter_codes: set[str] = field(default_factory=set)
    letter_outcomes: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)

    @property
    def is_lookup(self) -> bool:
        # The server answers /api/lookups as a batch of one row (lookup.csv).
        return self.rows_in == 1

    @property
    def letter_verdict(self) -> str:
        if not self.letter_codes:
            return "accepted"
        if self.letter_outcomes.get("legally_deficient"):
            return "refused"
        return "held for review"


@dataclass
class _Row:
    agency: str
    statute: str
    outcome: str
    recorded_at: str
    sequence: int


def _step(code: str) -> tuple[str, str]:
    info = registry().get(code)
    if info is None:
        return "unregistered", "unregistered"
    if info.meaning.startswith("Evidence:"):
        return info.stage, "evidence note"
    return info.stage, _STEP.get(info.stage, info.stage)


def build_tables(entries: Iterable[Entry], *, year: int, as_of: str | None = None) -> ReportTables:
    """All tables for ``year`` from ``entries`` (in sequence order, read once, so a ledger of
    millions of entries streams through); pending review rows are aged to ``as_of`` (default:
    the time of the last entry read) or the year's end, when earlier."""
    prefix = f"{year:04d}-"
    batches: dict[str, _Batch] = {}
    rows: dict[tuple[str, int], _Row] = {}
    refused: dict[str, Counter[str]] = defaultdict(Counter)
    # per agency: span of every entry counted for it
    agency_span: dict[str, Span] = defaultdict(Span)
    outcome_month: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    outcome_month_span: dict[tuple[str, str], Span] = defaultdict(Span)
    statute_counts: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    statute_span: dict[tuple[str, str], Span] = defaultdict(Span)
    statute_tins: dict[tuple[str, str], set[str]] = defaultdict(set)
    reason_counts: dict[tuple[str, str], int] = defaultdict(int)
    reason_span: dict[tuple[str, str], Span] = defaultdict(Span)
    repeats: dict[str, Span] = defaultdict(Span)
    disclosures: dict[str, Span] = defaultdict(Span)
    tins: dict[str, set[str]] = defaultdict(set)
    # disclosure id -> (month, 1 - p or None, sequence)
    disclosure_info: dict[str, tuple[str, float | None, int]] = {}
    one_minus_p: list[float] = []
    recipients: dict[tuple[str, str], Span] = defaultdict(Span)
    reviews: dict[tuple[str, str, str], Span] = defaultdict(Span)
    first_review: dict[tuple[str, int], str] = {}
    retractions: dict[tuple[str, str], Span] = defaultdict(Span)
    retracted_ids: dict[str, int] = {}
    retraction_month: dict[str, set[int]] = defaultdict(set)

    last_time = ""
    for entry in entries:
        last_time = entry.recorded_at
        payload = entry.payload
        in_year = entry.recorded_at.startswith(prefix)
        if entry.kind == "batch_received":
            batch = _Batch(
                batch_id=str(payload["batch_id"]),
                agency=str(payload["agency"]),
                sequence=entry.sequence,
                recorded_at=entry.recorded_at,
                rows_in=int(payload["rows_in"]),
                requests_file=str(payload.get("requests_file", "")),
                officers=[str(name) for name in payload.get("officers") or []],
                case_counts=[int(n) for n in payload.get("officer_case_counts") or []],
                in_year=in_year,
            )
            batch.span.add(entry.sequence)
            batches[batch.batch_id] = batch
            if in_year:
                agency_span[batch.agency].add(entry.sequence)
            continue
        batch_id = str(payload.get("batch_id", ""))
        known = batches.get(batch_id)
        agency = str(payload.get("agency") or (known.agency if known else NOT_RECORDED))
        if entry.kind == "row_decision":
            outcome = str(payload["outcome"])
            statute = str(payload.get("statute") or NOT_RECORDED)
            if outcome in FLAGGED:  # only the review queue needs rows one by one
                rows[(batch_id, int(payload["row_number"]))] = _Row(
                    agency, statute, outcome, entry.recorded_at, entry.sequence
                )
            if not in_year:
                continue
            step = _REFUSAL_STEP.get(outcome)
            if step:
                refused[agency][step] += 1
            agency_span[agency].add(entry.sequence)
            codes = _codes(payload)
            if known is not None:
                known.span.add(entry.sequence)
                known.outcomes[outcome] += 1
                letter_codes = {code for code in codes if _step(code)[0] == "letter"}
                if letter_codes:
                    known.letter_codes |= letter_codes
                    known.letter_outcomes[outcome] += 1
            key = (agency, _month(entry.recorded_at))
            outcome_month[key][outcome] += 1
            outcome_month_span[key].add(entry.sequence)
            statute_counts[(agency, statute)][outcome] += 1
            statute_span[(agency, statute)].add(entry.sequence)
            if "repeat_request" in codes:
                repeats[agency].add(entry.sequence)
            if outcome != "disclosed":
                for code in codes:
                    reason_counts[(agency, code)] += 1
                    reason_span[(agency, code)].add(entry.sequence)
        elif entry.kind == "disclosure":
            if not in_year:
                continue
            agency_span[agency].add(entry.sequence)
            if known is not None:
                known.span.add(entry.sequence)
            disclosures[agency].add(entry.sequence)
            tin = str(payload["tin"])
            tins[agency].add(tin)
            statute = str(payload.get("statute") or NOT_RECORDED)
            statute_tins[(agency, statute)].add(tin)
            statute_span[(agency, statute)].add(entry.sequence)
            probability = payload.get("match_probability")
            gap: float | None = None
            if isinstance(probability, int | float) and not isinstance(probability, bool):
                gap = min(1.0, max(0.0, 1.0 - float(probability)))
                one_minus_p.append(gap)
            disclosure_info[str(payload["disclosure_id"])] = (
                _month(entry.recorded_at),
                gap,
                entry.sequence,
            )
            for name in payload.get("recipients") or []:
                recipients[(agency, str(name))].add(entry.sequence)
        elif entry.kind == "review_action":
            row_key = (batch_id, int(payload.get("row_number") or 0))
            first_review.setdefault(row_key, entry.recorded_at)
            if in_year:
                agency_span[agency].add(entry.sequence)
                reviews[(agency, str(payload["action"]), entry.actor)].add(entry.sequence)
        elif entry.kind == "retraction":
            retracted_ids[str(payload["disclosure_id"])] = entry.sequence
            if in_year:
                agency_span[agency].add(entry.sequence)
                retractions[(agency, str(payload["reason"]))].add(entry.sequence)
                retraction_month[_month(entry.recorded_at)].add(entry.sequence)

    year_end = f"{year + 1:04d}-01-01T00:00:00.000000Z"
    as_of = last_time if as_of is None else as_of
    age_limit = min(as_of, year_end) if as_of else year_end
    tables = [
        *_agency_tables(
            batches, agency_span, disclosures, tins, reviews, retractions, repeats, refused
        ),
        _statute_table(statute_counts, statute_tins, statute_span, disclosures),
        _batch_table(batches),
        _outcome_table(outcome_month, outcome_month_span),
        _reason_table(reason_counts, reason_span),
        _review_table(reviews),
        _retraction_table(retractions),
        _officer_table(batches, recipients),
        _probability_table(disclosure_info),
        _monthly_table(disclosure_info, retracted_ids, retraction_month, prefix),
    ]
    queue, reviewed_ages, pending_ages = _queue_table(rows, first_review, prefix, age_limit)
    tables.append(queue)
    return ReportTables(
        year=year,
        tables=tuple(tables),
        disclosure_one_minus_p=tuple(one_minus_p),
        review_ages_days=tuple(reviewed_ages),
        pending_ages_days=tuple(pending_ages),
    )


def _agency_tables(
    batches: dict[str, _Batch],
    agency_span: dict[str, Span],
    disclosures: dict[str, Span],
    tins: dict[str, set[str]],
    reviews: dict[tuple[str, str, str], Span],
    retractions: dict[tuple[str, str], Span],
    repeats: dict[str, Span],
    refused: dict[str, Counter[str]],
) -> tuple[Table, Table]:
    per: dict[str, Counter[str]] = defaultdict(Counter)
    officers: dict[str, set[str]] = defaultdict(set)
    for batch in batches.values():
        if not batch.in_year:
            continue
        counts = per[batch.agency]
        counts["batches"] += 1
        counts["lookups" if batch.is_lookup else "bulk"] += 1
        counts["request_rows"] += batch.rows_in
        counts[f"letter {batch.letter_verdict}"] += 1
        officers[batch.agency].update(batch.officers)
    for agency, counts in refused.items():
        per[agency].update(counts)
    for (agency, _action, _actor), span in reviews.items():
        per[agency]["review_actions"] += span.count
    for (agency, _cause), span in retractions.items():
        per[agency]["retractions"] += span.count
    requests_rows = []
    outcome_rows = []
    for agency in sorted(agency_span):
        counts = per[agency]
        entries_text = agency_span[agency].text()
        requests_rows.append(
            (
                agency,
                str(counts["batches"]),
                str(counts["bulk"]),
                str(counts["lookups"]),
                str(counts["request_rows"]),
                str(counts["letter refused"]),
                str(counts["letter held for review"]),
                str(len(officers[agency])),
                str(repeats[agency].count),
                entries_text,
            )
        )
        outcome_rows.append(
            (
                agency,
                str(counts["refused_legal"]),
                str(counts["refused_matching"]),
                str(disclosures[agency].count),
                str(len(tins[agency])),
                str(counts["review_actions"]),
                str(counts["retractions"]),
                entries_text,
            )
        )
    requests = Table(
        name="agencies",
        title="Per agency: what was asked",
        source=(
            "batch_received entries of the year (batches; a batch of one row is a look-up, as"
            " the server answers /api/lookups; request rows = rows_in; letters: see the table"
            " of batches; officers = distinct names in the letters' officers), row_decision"
            " entries (repeat requests = rows with reason code repeat_request); entries = every"
            " entry of the year counted for the agency"
        ),
        columns=(
            "agency",
            "batches",
            "bulk_batches",
            "lookups",
            "request_rows",
            "letters_refused",
            "letters_held_for_review",
            "officers_named",
            "repeat_requests",
            "entries",
        ),
        rows=tuple(requests_rows),
    )
    outcomes = Table(
        name="agency_outcomes",
        title="Per agency: what was answered",
        source=(
            "row_decision entries of the year (refused in legal review = legally_deficient or"
            " invalid; not matched = no_match or ambiguous), disclosure entries (distinct"
            " taxpayers = distinct TINs), review_action and retraction entries of the year;"
            " entries = every entry of the year counted for the agency"
        ),
        columns=(
            "agency",
            "rows_refused_legal_review",
            "rows_not_matched",
            "disclosures",
            "distinct_taxpayers",
            "review_actions",
            "retractions",
            "entries",
        ),
        rows=tuple(outcome_rows),
    )
    return requests, outcomes


def _statute_table(
    counts: dict[tuple[str, str], Counter[str]],
    statute_tins: dict[tuple[str, str], set[str]],
    spans: dict[tuple[str, str], Span],
    disclosures: dict[str, Span],
) -> Table:
    del disclosures
    rows = []
    for key in sorted(spans):
        agency, statute = key
        outcome = counts[key]
        rows.append(
            (
                agency,
                statute,
                str(sum(outcome.values())),
                *(str(outcome[name]) for name in OUTCOMES),
                str(len(statute_tins[key])),
                spans[key].text(),
            )
        )
    return Table(
        name="statutes",
        title="Per agency and statute",
        source=(
            "row_decision entries of the year by their statute and outcome; distinct"
            " taxpayers from the disclosure entries citing the statute. Rows recorded before"
            " the ledger carried the statute show (not recorded)."
        ),
        columns=("agency", "statute", "request_rows", *OUTCOMES, "distinct_taxpayers", "entries"),
        rows=tuple(rows),
    )


def _batch_table(batches: dict[str, _Batch]) -> Table:
    rows = []
    for batch in sorted(batches.values(), key=lambda item: item.sequence):
        if not batch.in_year:
            continue
        rows.append(
            (
                batch.agency,
                batch.batch_id,
                batch.recorded_at,
                "look-up" if batch.is_lookup else "bulk",
                str(batch.rows_in),
                batch.letter_verdict,
                ";".join(sorted(batch.letter_codes)),
                str(batch.outcomes["disclosed"]),
                str(len(batch.officers)),
                batch.span.text(),
            )
        )
    return Table(
        name="batches",
        title="Batches and their letters",
        source=(
            "one batch_received entry per batch and its row_decision and disclosure entries;"
            " the letter's verdict is read from the rows: letter-stage reason codes (registry"
            " stage 'letter') apply to every reviewed row, refused when those rows are"
            " legally_deficient, held for review otherwise"
        ),
        columns=(
            "agency",
            "batch_id",
            "received_at",
            "kind",
            "request_rows",
            "letter",
            "letter_reason_codes",
            "disclosures",
            "officers_named",
            "entries",
        ),
        rows=tuple(rows),
    )


def _outcome_table(
    counts: dict[tuple[str, str], Counter[str]], spans: dict[tuple[str, str], Span]
) -> Table:
    rows = [
        (agency, month, *(str(counts[(agency, month)][name]) for name in OUTCOMES), span.text())
        for (agency, month), span in sorted(spans.items())
    ]
    return Table(
        name="outcomes_by_month",
        title="Row outcomes per agency per month",
        source="row_decision entries of the year, by agency, month of recorded_at and outcome",
        columns=("agency", "month", *OUTCOMES, "entries"),
        rows=tuple(rows),
    )


def _reason_table(counts: dict[tuple[str, str], int], spans: dict[tuple[str, str], Span]) -> Table:
    rows = []
    for agency, code in sorted(counts, key=lambda key: (key[0], -counts[key], key[1])):
        stage, step = _step(code)
        rows.append(
            (agency, step, stage, code, str(counts[(agency, code)]), spans[(agency, code)].text())
        )
    return Table(
        name="refusal_reasons",
        title="Rows not disclosed, per reason code",
        source=(
            "row_decision entries of the year whose outcome is not disclosed, one count per"
            " reason code a row carries (a row with three codes counts three times); stage"
            " from the reason registry (matchgate reasons): intake, review and letter codes"
            " are legal review, match, standardize and batch codes are matching; evidence"
            " notes say what was compared, not why a row was refused"
        ),
        columns=("agency", "step", "stage", "reason_code", "rows", "entries"),
        rows=tuple(rows),
    )


def _review_table(reviews: dict[tuple[str, str, str], Span]) -> Table:
    rows = [
        (agency, action, actor, str(span.count), span.text())
        for (agency, action, actor), span in sorted(reviews.items())
    ]
    return Table(
        name="review_actions",
        title="Review actions, by action and reviewer",
        source="review_action entries of the year, by action and the entry's actor",
        columns=("agency", "action", "reviewer", "actions", "entries"),
        rows=tuple(rows),
    )


def _retraction_table(retractions: dict[tuple[str, str], Span]) -> Table:
    rows = [
        (agency, cause, str(span.count), span.text())
        for (agency, cause), span in sorted(retractions.items())
    ]
    return Table(
        name="retractions",
        title="Retractions and their causes",
        source="retraction entries of the year, by agency and the reason recorded",
        columns=("agency", "cause", "retractions", "entries"),
        rows=tuple(rows),
    )


def _officer_table(batches: dict[str, _Batch], recipients: dict[tuple[str, str], Span]) -> Table:
    letters: dict[tuple[str, str], Span] = defaultdict(Span)
    most_cases: dict[tuple[str, str], int] = defaultdict(int)
    for batch in batches.values():
        if not batch.in_year:
            continue
        for index, name in enumerate(batch.officers):
            key = (batch.agency, name)
            letters[key].add(batch.sequence)
            cases = batch.case_counts[index] if index < len(batch.case_counts) else 0
            most_cases[key] = max(most_cases[key], cases)
    rows = []
    for key in sorted(set(letters) | set(recipients)):
        span = Span()
        span.merge(letters[key])
        span.merge(recipients[key])
        rows.append(
            (
                key[0],
                key[1],
                str(letters[key].count),
                str(most_cases[key]) if key in letters else NOT_RECORDED,
                str(recipients[key].count),
                span.text(),
            )
        )
    return Table(
        name="officers",
        title="Officers named and cases per officer",
        source=(
            "the officers and officer_case_counts of the year's batch_received entries"
            " (letters naming the officer; the most cases one letter names them on), and the"
            " recipients of the year's disclosure entries"
        ),
        columns=(
            "agency",
            "officer",
            "letters",
            "most_cases_in_one_letter",
            "disclosures_received",
            "entries",
        ),
        rows=tuple(rows),
    )


def _probability_table(info: dict[str, tuple[str, float | None, int]]) -> Table:
    bins = list(zip(PROBABILITY_BINS, PROBABILITY_BINS[1:], strict=False))
    counts = [0] * len(bins)
    sums = [0.0] * len(bins)
    spans = [Span() for _ in bins]
    missing = Span()
    for _month_text, gap, sequence in info.values():
        if gap is None:
            missing.add(sequence)
            continue
        index = next(i for i, (_low, high) in enumerate(bins) if gap < high or high == 1.0)
        counts[index] += 1
        sums[index] += gap
        spans[index].add(sequence)
    rows = [
        (f"{low:g}", f"{high:g}", str(counts[i]), _number(sums[i]), spans[i].text())
        for i, (low, high) in enumerate(bins)
    ]
    rows.append(("not recorded", "", str(missing.count), "", missing.text()))
    return Table(
        name="disclosure_probabilities",
        title="Match probabilities of the disclosures (1 - p)",
        source=(
            "match_probability of the year's disclosure entries, binned by 1 - p (from"
            " inclusive, to exclusive; the last bin includes 1); sum_1_minus_p is the model's"
            " expected number of wrong people among them"
        ),
        columns=("one_minus_p_from", "one_minus_p_to", "disclosures", "sum_1_minus_p", "entries"),
        rows=tuple(rows),
    )


def _monthly_table(
    info: dict[str, tuple[str, float | None, int]],
    retracted_ids: dict[str, int],
    retraction_month: dict[str, set[int]],
    prefix: str,
) -> Table:
    made: Counter[str] = Counter()
    expected: dict[str, float] = defaultdict(float)
    retracted: Counter[str] = Counter()
    behind: dict[str, set[int]] = defaultdict(set)  # the entries each month's row counts
    for disclosure_id, (month, gap, sequence) in info.items():
        made[month] += 1
        behind[month].add(sequence)
        expected[month] += gap or 0.0
        if disclosure_id in retracted_ids:
            retracted[month] += 1
            behind[month].add(retracted_ids[disclosure_id])
    rows = []
    for index in range(1, 13):
        month = f"{prefix}{index:02d}"
        span = Span()
        for sequence in behind[month] | retraction_month[month]:
            span.add(sequence)
        rows.append(
            (
                month,
                str(made[month]),
                _number(expected[month]),
                str(retracted[month]),
                str(len(retraction_month[month])),
                span.text(),
            )
        )
    return Table(
        name="wrong_disclosures_by_month",
        title="Estimated wrong disclosures per month beside measured retractions",
        source=(
            "disclosure entries by month: estimated_wrong = sum of (1 - match_probability);"
            " later_retracted = those with a retraction entry anywhere up to the report's"
            " last entry; retractions_recorded = retraction entries recorded in the month"
        ),
        columns=(
            "month",
            "disclosures",
            "estimated_wrong",
            "later_retracted",
            "retractions_recorded",
            "entries",
        ),
        rows=tuple(rows),
    )


def _queue_table(
    rows: dict[tuple[str, int], _Row],
    first_review: dict[tuple[str, int], str],
    prefix: str,
    age_limit: str,
) -> tuple[Table, list[float], list[float]]:
    limit = _parse_time(age_limit)
    reviewed: dict[str, list[float]] = defaultdict(list)
    pending: dict[str, list[float]] = defaultdict(list)
    spans: dict[str, Span] = defaultdict(Span)
    for key, row in rows.items():
        if row.outcome not in FLAGGED or not row.recorded_at.startswith(prefix):
            continue
        spans[row.agency].add(row.sequence)
        start = _parse_time(row.recorded_at)
        done = first_review.get(key)
        if done is not None:
            reviewed[row.agency].append((_parse_time(done) - start).total_seconds() / 86_400)
        else:
            pending[row.agency].append(max(0.0, (limit - start).total_seconds() / 86_400))
    table_rows = []
    for agency in sorted(spans):
        ages = sorted(reviewed[agency])
        waiting = pending[agency]
        table_rows.append(
            (
                agency,
                str(spans[agency].count),
                str(len(ages)),
                str(len(waiting)),
                _number(_median(ages)) if ages else "",
                _number(max(waiting)) if waiting else "",
                spans[agency].text(),
            )
        )
    table = Table(
        name="review_queue",
        title="Review queue age",
        source=(
            "row_decision entries of the year with outcome needs_review or ambiguous (the"
            " reviewer's queue); reviewed = a review_action entry names the row, aged from"
            " the row's entry to the first such action; pending rows are aged to the last"
            f" entry read or the year's end, whichever is earlier ({age_limit}); ages in days"
        ),
        columns=(
            "agency",
            "rows_flagged",
            "reviewed",
            "pending",
            "median_days_to_review",
            "oldest_pending_days",
            "entries",
        ),
        rows=tuple(table_rows),
    )
    return (
        table,
        [age for ages in reviewed.values() for age in ages],
        [age for ages in pending.values() for age in ages],
    )


def _median(values: list[float]) -> float:
    middle = len(values) // 2
    if len(values) % 2:
        return values[middle]
    return (values[middle - 1] + values[middle]) / 2 if values else math.nan
