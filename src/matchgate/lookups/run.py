"""One look-up: a single written request under a look-up letter, answered at once.

review (the letter's rules on the day of the look-up, with its window and its count of
look-ups; the row rules) -> match against the shared master (:func:`open_master`) -> the
final outcome by the batch's own rules -> the ledger (batch received, row decision, and the
disclosure if any, in one transaction) -> the requester's row. Nothing is answered before
the ledger holds it; nothing per look-up grows with the master file except what
:func:`open_master` does today.

In the ledger each look-up is its own batch of one row (``lk<letter>-<number>``) whose
``batch_received`` entry carries the SHA-256 of the row's canonical JSON (the written request)
and of the letter's signed content, so the yearly report and the accounting count look-ups as
they count batches.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from matchgate.batch.faults import kill_point
from matchgate.batch.ledger_entries import disclosure_id
from matchgate.batch.rows import FinalRow, final_outcome
from matchgate.decisions import Outcome, join_codes
from matchgate.disclose import RequestShape
from matchgate.errors import InputError, LetterError
from matchgate.fields import REQUEST_FIELDS
from matchgate.intake.read import record_from_fields
from matchgate.ledger import EntryKind, Ledger, NewEntry
from matchgate.lookups.master import open_master
from matchgate.lookups.store import (
    LetterNotOnFileError,
    LetterStore,
    StoredLookup,
    letter_folder,
    letter_lock,
)
from matchgate.match import MatchInput
from matchgate.match.policy import load_match_policy, match_policy_toml
from matchgate.review import BatchFacts, Policy, RequestLetter, load_letter
from matchgate.review.engine import RowReviewer, review_letter
from matchgate.review.letter import letter_signing_material
from matchgate.review.outcome import ReviewOutcome
from matchgate.review.periods import parse_tax_periods
from matchgate.review.transfer import Transfer, today_utc

__all__ = [
    "LOOKUP_REQUIRED_FIELDS",
    "LookupAnswer",
    "checked_fields",
    "file_letter",
    "lookup_fields_from_json",
    "run_lookup",
]

# What a look-up must give to be a request at all: a name, and an address to find the person
# by (a file's row without them is answered as deficient; a look-up is refused at the door,
# before anything is recorded).
LOOKUP_REQUIRED_FIELDS: tuple[str, ...] = ("first_name", "last_name", "street", "zip")


@dataclass(frozen=True, slots=True)
class LookupAnswer:
    """The answer to one look-up: the requester's row, and where the ledger has it."""

    letter_id: str
    batch_id: str
    number: int
    response: dict[str, str]
    recorded_now: bool  # False: the same request was answered earlier today, as recorded


# Letters parsed before, by the SHA-256 of the file's bytes: a letter rewritten in place is
# parsed again whatever its size and times, and a look-up does not parse the same letter's
# TOML on every call (a letter on file is written once under its content's id).
_LETTERS: dict[str, RequestLetter] = {}
_MAX_LETTERS = 64


def _load_letter(path: Path) -> RequestLetter:
    """:func:`load_letter`, parsed once per content of the file."""
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return load_letter(path)  # its own error, naming the file
    letter = _LETTERS.get(digest)
    if letter is None:
        letter = load_letter(path)
        try:
            unchanged = hashlib.sha256(path.read_bytes()).hexdigest() == digest
        except OSError:
            unchanged = False
        if unchanged:  # not rewritten while it was parsed: the parse is of these bytes
            if len(_LETTERS) >= _MAX_LETTERS:
                _LETTERS.clear()
            _LETTERS[digest] = letter
    return letter


def _letter_id(letter: RequestLetter) -> str:
    return hashlib.sha256(letter_signing_material(letter, "")).hexdigest()


def file_letter(workspace: Path, letter: Path) -> str:
    """File a signed letter in the workspace for look-ups; returns its id (idempotent)."""
    content = _load_letter(Path(letter))
    letter_id = _letter_id(content)[:16]
    folder = letter_folder(workspace, letter_id)
    target = folder / "letter.toml"
    if not target.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        temporary = folder / f".letter.{uuid.uuid4().hex}.tmp"
        shutil.copyfile(letter, temporary)
        temporary.replace(target)
    return letter_id


def lookup_fields_from_json(text: str, *, source: str = "stdin") -> dict[str, str]:
    """One look-up row given as a JSON object of request fields; :class:`InputError` naming
    the field for anything else."""
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise InputError(f"not valid JSON: {exc}", path=source) from exc
    if not isinstance(value, dict):
        raise InputError("must be one JSON object of request fields", path=source)
    return checked_fields(value, source=source)


def checked_fields(values: Mapping[str, Any], *, source: str = "look-up") -> dict[str, str]:
    """The look-up's fields as text: unknown fields, non-text values and missing required
    fields are refused, naming the field."""
    fields: dict[str, str] = {}
    for name, value in values.items():
        if name not in REQUEST_FIELDS:
            raise InputError(
                f"unknown field (known: {', '.join(REQUEST_FIELDS)})", path=source, field=name
            )
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise InputError(f"must be text, not {value!r}", path=source, field=name)
        fields[name] = value.strip()
    for name in LOOKUP_REQUIRED_FIELDS:
        if not fields.get(name):
            raise InputError("is missing (a look-up needs it)", path=source, field=name)
    return {name: fields.get(name, "") for name in REQUEST_FIELDS}


def _canonical(fields: Mapping[str, str]) -> str:
    return json.dumps(
        {name: fields.get(name, "") for name in REQUEST_FIELDS},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )


def run_lookup(
    *,
    workspace: Path,
    fields: Mapping[str, Any],
    actor: str,
    letter: Path | None = None,
    letter_id: str | None = None,
    master: Path | None = None,
    policy_path: Path | None = None,
    ledger_url: str | None = None,
    ledger_key: Path | None = None,
    transfer_date: date | None = None,
) -> LookupAnswer:
    """Answer one look-up under a look-up letter (a file, or one on file by its id).

    The ledger holds the look-up's entries before this returns; the same request under the
    same letter on the same day returns the recorded answer without recording it again."""
    request = checked_fields(fields)
    if (letter is None) == (letter_id is None):
        raise LetterError("give the look-up letter, either as a file or by its id")
    if letter is not None:
        letter_id = file_letter(workspace, letter)
    assert letter_id is not None
    folder = letter_folder(workspace, letter_id)
    letter_path = folder / "letter.toml"
    if not letter_path.is_file():
        raise LetterNotOnFileError(f"no look-up letter {letter_id!r} on file in this workspace")
    content = _load_letter(letter_path)
    day = (transfer_date or today_utc()).isoformat()
    request_json = _canonical(request)
    request_sha256 = hashlib.sha256(request_json.encode("utf-8")).hexdigest()
    with letter_lock(folder, url=ledger_url), LetterStore(folder, url=ledger_url) as store:
        for pending in store.unrecorded():  # a look-up cut off before its ledger commit
            _record(pending, store, workspace, ledger_url, ledger_key)
        known = store.find(day=day, request_sha256=request_sha256)
        if known is not None:
            return _answer(letter_id, known, recorded_now=False)
        lookup = _decide(
            workspace=workspace,
            store=store,
            letter=content,
            letter_id=letter_id,
            request=request,
            day=day,
            request_sha256=request_sha256,
            master=master,
            policy_path=policy_path,
            transfer_date=transfer_date,
            database_url=ledger_url,
        )
        store.add(
            number=lookup.number,
            day=day,
            request_sha256=request_sha256,
            request_json=request_json,
            actor=actor,
            outcome=lookup.outcome,
            counted=lookup.counted,
            response=lookup.response,
            entries=lookup.entries,
        )
        kill_point("lookup_stored")
        stored = store.find(day=day, request_sha256=request_sha256)
        assert stored is not None
        _record(stored, store, workspace, ledger_url, ledger_key)
        return _answer(letter_id, stored, recorded_now=True)


def _answer(letter_id: str, stored: StoredLookup, *, recorded_now: bool) -> LookupAnswer:
    return LookupAnswer(
        letter_id=letter_id,
        batch_id=_batch_id(letter_id, stored.number),
        number=stored.number,
        response=stored.response,
        recorded_now=recorded_now,
    )


def _batch_id(letter_id: str, number: int) -> str:
    # disclosure_id() keeps the first 12 characters: "lk" and ten of the letter's id, so
    # the look-up's number keeps disclosure ids unique per letter.
    return f"lk{letter_id[:10]}-{number}"


def _record(
    stored: StoredLookup,
    store: LetterStore,
    workspace: Path,
    ledger_url: str | None,
    ledger_key: Path | None,
) -> None:
    entries = [
        NewEntry(
            kind=EntryKind(item["kind"]),
            payload=item["payload"],
            idempotency_key=item["idempotency_key"],
        )
        for item in stored.entries
    ]
    with Ledger.open(workspace, url=ledger_url, key_path=ledger_key) as ledger:
        ledger.append_many(entries, actor=stored.actor)
    kill_point("lookup_recorded")
    store.mark_recorded(stored.number)


@dataclass(frozen=True, slots=True)
class _Decided:
    number: int
    outcome: str
    counted: bool
    response: dict[str, str]
    entries: list[dict[str, Any]]


def _decide(
    *,
    workspace: Path,
    store: LetterStore,
    letter: RequestLetter,
    letter_id: str,
    request: dict[str, str],
    day: str,
    request_sha256: str,
    master: Path | None,
    policy_path: Path | None,
    transfer_date: date | None,
    database_url: str | None = None,
) -> _Decided:
    review_policy = Policy.load(policy_path)
    match_policy = load_match_policy(policy_path)
    number = store.next_number()
    record = record_from_fields(number, request)
    facts = BatchFacts()
    facts.observe(record)
    transfer = Transfer.for_lookup(
        workspace,
        lookups_before=store.counted(),
        transfer_date=transfer_date,
        registry_url=database_url,
    )
    letter_decision = review_letter(letter, facts=facts, policy=review_policy, transfer=transfer)
    review_outcome: str | None = None
    review_reasons: list[Any] = []
    decision = None
    address = None
    if not record.problems:
        review = RowReviewer(
            letter=letter, letter_decision=letter_decision, facts=facts, policy=review_policy
        ).review(record)
        review_outcome = review.outcome.value
        review_reasons = list(review.reasons)
        if review.outcome is not ReviewOutcome.LEGALLY_DEFICIENT:
            years = sorted(parse_tax_periods(record.tax_periods) or ())
            opened = open_master(workspace, master=master)
            decision, address = opened.decide(
                MatchInput.from_record(record), years=years, policy=match_policy
            )
    outcome, reasons, disclosed = final_outcome(
        row_number=number,
        problems=record.problems,
        review_outcome=review_outcome,
        review_reasons=review_reasons,
        decision=decision,
        address=address,
    )
    final = FinalRow(
        row_number=number,
        request_id=record.request_id,
        outcome=outcome,
        reasons=tuple(reasons),
        review_outcome=review_outcome or "",
        decision=decision,
        address=disclosed,
        duplicate_of=None,
        request=RequestShape.of(
            dob=record.dob, tin=record.tin, middle_name=record.middle_name, zip_code=record.zip
        ),
    )
    response = {k: str(v) for k, v in final.response().as_csv_row().items()}
    batch_id = _batch_id(letter_id, number)
    policy_text = review_policy.to_toml() + "\n" + match_policy_toml(match_policy)
    entries = _entries(
        final,
        batch_id=batch_id,
        letter=letter,
        letter_id=letter_id,
        record_fields=request,
        request_sha256=request_sha256,
        policy_text=policy_text,
        keep_policy_text=store.first_of_day(day),
    )
    return _Decided(
        number=number,
        outcome=outcome.value,
        counted=decision is not None,
        response=response,
        entries=entries,
    )


def _entries(
    final: FinalRow,
    *,
    batch_id: str,
    letter: RequestLetter,
    letter_id: str,
    record_fields: dict[str, str],
    request_sha256: str,
    policy_text: str,
    keep_policy_text: bool,
) -> list[dict[str, Any]]:
    """The look-up's ledger entries, as stored with it until the ledger has them."""
    policy_sha256 = hashlib.sha256(policy_text.encode("utf-8")).hexdigest()
    received: dict[str, Any] = {
        "batch_id": batch_id,
        "agency": letter.agency,
        "agency_code": letter.agency_code,
        "signer_name": letter.signer_name,
        "signer_title": letter.signer_title,
        "date_signed": letter.date_signed.isoformat(),
        "requests_file": "look-up",
        "requests_sha256": request_sha256,
        "rows_in": 1,
        "policy_sha256": policy_sha256,
        # The whole policy with the first look-up of the letter's day; later ones name it.
        "policy_in_force": policy_text if keep_policy_text else "",
        "officers": [officer.name for officer in letter.officers],
        "officer_case_counts": [len(officer.case_numbers) for officer in letter.officers],
        "letter_kind": letter.kind,
        "letter_sha256": _letter_id(letter),
        "letter_valid_until": letter.valid_until.isoformat() if letter.valid_until else "",
        "letter_max_lookups": letter.max_lookups,
    }
    entries = [
        {
            "kind": EntryKind.BATCH_RECEIVED.value,
            "payload": received,
            "idempotency_key": f"{batch_id}:batch",
        },
        {
            "kind": EntryKind.ROW_DECISION.value,
            "payload": {
                "batch_id": batch_id,
                "row_number": final.row_number,
                "request_id": final.request_id,
                "outcome": final.outcome.value,
                "reason_codes": join_codes(final.reasons),
                "statute": record_fields.get("statute", ""),
                "request_sha256": request_sha256,
            },
            "idempotency_key": f"{batch_id}:row:{final.row_number}",
        },
    ]
    best = final.decision.best if final.decision else None
    address = final.address
    if final.outcome is Outcome.DISCLOSED and address is not None and best is not None:
        case_number = record_fields.get("case_number", "")
        named = [o.name for o in letter.officers if case_number in o.case_numbers]
        entries.append(
            {
                "kind": EntryKind.DISCLOSURE.value,
                "payload": {
                    "disclosure_id": disclosure_id(batch_id, final.row_number),
                    "batch_id": batch_id,
                    "row_number": final.row_number,
                    "request_id": final.request_id,
                    "tin": best.tin,
                    "agency": letter.agency,
                    "agency_code": letter.agency_code,
                    "recipients": named or [o.name for o in letter.officers],
                    "statute": record_fields.get("statute", ""),
                    "case_number": case_number,
                    "reason": record_fields.get("reason", ""),
                    "tax_periods": record_fields.get("tax_periods", ""),
                    "disclosed_street": address.street,
                    "disclosed_city": address.city,
                    "disclosed_state": address.state,
                    "disclosed_zip": address.zip,
                    "disclosed_tax_year": address.tax_year,
                    "match_probability": best.match_probability,
                },
                "idempotency_key": f"{batch_id}:disclosure:{final.row_number}",
            }
        )
    return entries
