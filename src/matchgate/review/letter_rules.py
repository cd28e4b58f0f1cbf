"""Batch-level rules: who signed, who receives, safeguards on file, batch size.

6103(i)(2)(A) lets only listed officials sign and only named officers "personally and directly
engaged" in the investigation receive; 6103(p)(4) stops disclosures to an agency whose
safeguards are not in place. Each rule yields findings like the row rules do.

The scope rules make the letter deficient, not merely held for review: an officer named on more
open cases than one person can work (``officer_case_load``), or a batch about more people than
the agency could plausibly be investigating (``batch_exceeds_caseload``). A court found exactly
that claim -- one official "engaged" in over a million investigations -- implausible.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date

from matchgate.review.agencies import Agency, normalize_title
from matchgate.review.citations import reason
from matchgate.review.facts import BatchFacts
from matchgate.review.letter import (
    LOOKUPS,
    MAX_LOOKUP_WINDOW_DAYS,
    RequestLetter,
    normalize_case_number,
)
from matchgate.review.outcome import Finding, ReviewOutcome
from matchgate.review.policy import Policy
from matchgate.review.transfer import Transfer, registry_in_force

__all__ = ["LETTER_RULES", "TRANSFER_RULES", "find_agency"]

DEFICIENT = ReviewOutcome.LEGALLY_DEFICIENT
REVIEW = ReviewOutcome.NEEDS_REVIEW

LetterRule = Callable[[RequestLetter, BatchFacts, Policy], Iterator[Finding]]
TransferRule = Callable[[RequestLetter, Transfer | None, Policy], Iterator[Finding]]


def find_agency(letter: RequestLetter) -> Agency | None:
    """The letter's agency in the registry in force (the workspace's during ``run``)."""
    registry = registry_in_force()
    if letter.agency_code:
        return registry.by_code(letter.agency_code)
    return registry.by_name(letter.agency)


def agency_known(letter: RequestLetter, facts: BatchFacts, policy: Policy) -> Iterator[Finding]:
    agency = find_agency(letter)
    label = letter.agency_code or letter.agency or "(none)"
    if agency is None:
        yield Finding(
            DEFICIENT,
            reason(
                "agency_unknown",
                f"Agency {label!r} is not a federal agency on file that may request under "
                "6103(i)(2).",
                field="agency",
            ),
        )
    elif letter.agency and normalize_title(letter.agency) not in agency.names():
        yield Finding(
            DEFICIENT,
            reason(
                "agency_code_mismatch",
                f"Agency name {letter.agency!r} does not match agency code {agency.code!r} "
                f"({agency.name}).",
                field="agency",
            ),
        )


def signer_authorized(
    letter: RequestLetter, facts: BatchFacts, policy: Policy
) -> Iterator[Finding]:
    if not letter.signer_name or not letter.signer_title:
        missing = "name" if not letter.signer_name else "title"
        yield Finding(
            DEFICIENT,
            reason(
                "signer_missing",
                f"The letter does not give the signer's {missing}.",
                field=f"signer_{missing}",
            ),
        )
        return
    agency = find_agency(letter)
    if agency is None:
        return  # agency_unknown already refuses the batch
    if not agency.authorizes(letter.signer_title, allow_acting=policy.allow_acting_officials):
        yield Finding(
            DEFICIENT,
            reason(
                "signer_not_authorized",
                f"{letter.signer_title!r} may not sign a 6103(i)(2) request for {agency.name}; "
                f"authorized: {'; '.join(_titles(agency))}.",
                field="signer_title",
            ),
        )


def _titles(agency: Agency) -> list[str]:
    return [*agency.authorized_titles, *(f"{p} ..." for p in agency.authorized_title_prefixes)]


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def safeguards_current(
    letter: RequestLetter, facts: BatchFacts, policy: Policy
) -> Iterator[Finding]:
    agency = find_agency(letter)
    if agency is None:
        return  # agency_unknown already refuses the batch
    on_file = agency.safeguards_report
    if on_file is None:
        yield Finding(
            DEFICIENT,
            reason(
                "safeguards_not_on_file",
                f"No safeguards report for {agency.name} is on file.",
                field="safeguards_report",
            ),
        )
        return
    if letter.safeguards_report and letter.safeguards_report != on_file.report_id:
        yield Finding(
            DEFICIENT,
            reason(
                "safeguards_mismatch",
                f"The letter cites safeguards report {letter.safeguards_report!r}; the report on "
                f"file for {agency.code} is {on_file.report_id!r}.",
                field="safeguards_report",
            ),
        )
    elif letter.safeguards_report_date and letter.safeguards_report_date != on_file.report_date:
        yield Finding(
            DEFICIENT,
            reason(
                "safeguards_mismatch",
                f"The letter dates safeguards report {on_file.report_id} "
                f"{letter.safeguards_report_date.isoformat()}; the report on file is dated "
                f"{on_file.report_date.isoformat()}.",
                field="safeguards_report_date",
            ),
        )
    if on_file.report_date > letter.date_signed:
        yield Finding(
            DEFICIENT,
            reason(
                "safeguards_stale",
                f"Safeguards report {on_file.report_id} of {on_file.report_date.isoformat()} "
                f"postdates the letter ({letter.date_signed.isoformat()}); none was on file then.",
                field="safeguards_report_date",
            ),
        )


def officers_named(letter: RequestLetter, facts: BatchFacts, policy: Policy) -> Iterator[Finding]:
    if not letter.officers:
        yield Finding(
            DEFICIENT,
            reason(
                "officers_missing",
                "The letter names no officer to receive the information.",
                field="officers",
            ),
        )
        return
    for index, officer in enumerate(letter.officers, start=1):
        label = officer.name or f"officer {index}"
        if not officer.name:
            yield Finding(
                DEFICIENT,
                reason(
                    "officer_name_missing",
                    f"Officer {index} in the letter has no name.",
                    field=f"officers[{index}].name",
                ),
            )
        if not officer.case_numbers:
            yield Finding(
                REVIEW,
                reason(
                    "officer_no_cases",
                    f"{label} is named without any case they work on.",
                    field=f"officers[{index}].case_numbers",
                ),
            )
    yield from _officer_case_loads(letter, policy)


def _officer_case_loads(letter: RequestLetter, policy: Policy) -> Iterator[Finding]:
    """An officer named on more open cases than one person can work makes the letter deficient.

    Cases are counted per officer *name* across the letter's [[officers]] entries, so naming the
    same official twice with half the cases each does not halve the load.
    """
    limit = policy.max_cases_per_officer
    for label, first_entry, held in letter.derived("officer_case_loads", _case_loads):
        if held > limit:
            yield Finding(
                DEFICIENT,
                reason(
                    "officer_case_load",
                    f"{label} is named as personally and directly engaged in "
                    f"{held:,} open cases; no one officer can be (policy limit {limit:,}).",
                    field=f"officers[{first_entry}].case_numbers",
                ),
            )


def _case_loads(letter: RequestLetter) -> tuple[tuple[str, int, int], ...]:
    """Per officer name (as first written, the number of its first entry): how many distinct
    cases the letter names them on."""
    cases: dict[str, set[str]] = {}
    first_entry: dict[str, int] = {}
    labels: dict[str, str] = {}
    for index, officer in enumerate(letter.officers, start=1):
        if not officer.name:
            continue  # officer_name_missing already refuses the letter
        key = normalize_title(officer.name)
        first_entry.setdefault(key, index)
        labels.setdefault(key, officer.name)
        cases.setdefault(key, set()).update(normalize_case_number(c) for c in officer.case_numbers)
    return tuple((labels[key], first_entry[key], len(held)) for key, held in cases.items())


def batch_within_caseload(
    letter: RequestLetter, facts: BatchFacts, policy: Policy
) -> Iterator[Finding]:
    """A batch about more people than the agency could plausibly be investigating is deficient.

    People are counted as rows less duplicates, not as the case numbers the requester writes:
    case numbers cost nothing to invent, and every row is a person whose address is asked for.
    """
    agency = find_agency(letter)
    if agency is None:
        return  # agency_unknown already refuses the batch
    caseload = agency.plausible_caseload
    if caseload is None:
        yield Finding(
            REVIEW,
            reason(
                "agency_caseload_unknown",
                f"No plausible criminal caseload is on file for {agency.name}; a person must "
                "judge whether the batch's size is credible.",
                field="agency",
            ),
        )
        return
    people = facts.row_count - facts.duplicate_count
    if letter.is_lookups:
        # A look-up letter is judged on the scope it declares, not on one look-up: it asks
        # about as many people as it allows look-ups.
        people = max(people, letter.max_lookups)
    limit = int(caseload * policy.max_caseload_share)
    if people > limit:
        yield Finding(
            DEFICIENT,
            reason(
                "batch_exceeds_caseload",
                f"The batch asks about {people:,} people; {agency.name}'s plausible criminal "
                f"caseload is about {caseload:,} open investigations, and a batch may cover at "
                f"most {policy.max_caseload_share:.0%} of it ({limit:,}). Officers cannot be "
                "personally and directly engaged in that many investigations.",
            ),
        )


def batch_size(letter: RequestLetter, facts: BatchFacts, policy: Policy) -> Iterator[Finding]:
    if facts.row_count > policy.max_batch_rows:
        yield Finding(
            REVIEW,
            reason(
                "batch_too_large",
                f"The batch has {facts.row_count:,} rows, over the policy limit of "
                f"{policy.max_batch_rows:,}; a person must approve processing it.",
            ),
        )


# -- rules on the transfer: signature, request file, the day of transfer ---------------------


def _fingerprint(text: str) -> str:
    return text[:16] + "..." if len(text) > 16 else text


def letter_signed(
    letter: RequestLetter, transfer: Transfer | None, policy: Policy
) -> Iterator[Finding]:
    """The letter carries a signature by a registered, unrevoked key of its agency, over its
    content and the request file received."""
    if transfer is None:
        return  # a content-only review; run always judges the transfer
    if letter.kind != transfer.kind:
        return  # letter_kind_fits refuses it: its signature covers another kind of transfer
    from matchgate.review.signing import SignatureCheck, check_signature, load_public_key_pem

    signature = letter.signature
    if signature is None:
        yield Finding(
            DEFICIENT,
            reason(
                "letter_unsigned",
                "The letter carries no signature by the agency's registered key "
                "(matchgate letter sign).",
                field="signature",
            ),
        )
        return
    agency = find_agency(letter)
    label = agency.code if agency else (letter.agency_code or letter.agency or "(none)")
    holder = next((a for a in transfer.registry if a.key(signature.public_key_sha256)), None)
    key = holder.key(signature.public_key_sha256) if holder else None
    problem = ""
    if holder is None or key is None:
        problem = (
            f"The letter is signed with key {_fingerprint(signature.public_key_sha256)}, which "
            "is not registered in this office's agency registry."
        )
    elif agency is None or holder.code != agency.code:
        problem = f"The letter is signed with a key registered for {holder.code}, not for {label}."
    elif key.revoked:
        problem = (
            f"The letter is signed with {agency.code}'s key "
            f"{_fingerprint(key.public_key_sha256)}, revoked on {key.revoked_at[:10]} "
            f"({key.revoked_reason})."
        )
    else:
        check = check_signature(
            letter,
            public_key=load_public_key_pem(key.public_key_pem),
            requests_sha256=transfer.requests_sha256,
        )
        if check is SignatureCheck.BAD_SIGNATURE:
            problem = (
                f"The signature does not verify with {agency.code}'s registered key: the "
                "letter was changed after it was signed."
            )
        elif check is SignatureCheck.REQUESTS_DIFFER:
            yield Finding(
                DEFICIENT,
                reason(
                    "request_file_mismatch",
                    f"The letter was signed for a request file with SHA-256 "
                    f"{_fingerprint(signature.requests_sha256)}; the file received has "
                    f"SHA-256 {_fingerprint(transfer.requests_sha256)}.",
                    field="signature.requests_sha256",
                ),
            )
    if problem:
        yield Finding(DEFICIENT, reason("letter_signature_invalid", problem, field="signature"))


def letter_not_future_dated(
    letter: RequestLetter, transfer: Transfer | None, policy: Policy
) -> Iterator[Finding]:
    if transfer is not None and letter.date_signed > transfer.transfer_date:
        yield Finding(
            DEFICIENT,
            reason(
                "letter_future_dated",
                f"The letter is dated {letter.date_signed.isoformat()}, after the day of "
                f"transfer {transfer.transfer_date.isoformat()}.",
                field="date_signed",
            ),
        )


def safeguards_current_on_transfer_day(
    letter: RequestLetter, transfer: Transfer | None, policy: Policy
) -> Iterator[Finding]:
    """The safeguards report on file is at most the policy's age on the day of transfer
    (on the letter's own date only in a content-only review)."""
    agency = find_agency(letter)
    if agency is None or agency.safeguards_report is None:
        return  # agency_unknown / safeguards_not_on_file already refuse the batch
    on_file = agency.safeguards_report
    day = transfer.transfer_date if transfer is not None else letter.date_signed
    which = "the day of transfer" if transfer is not None else "the letter's date"
    years = policy.safeguards_max_age_years
    cited = letter.safeguards_report_date
    if _add_years(on_file.report_date, years) < day:
        yield Finding(
            DEFICIENT,
            reason(
                "safeguards_stale",
                f"Safeguards report {on_file.report_id} of {on_file.report_date.isoformat()} is "
                f"more than {years} years old on {which} {day.isoformat()}.",
                field="safeguards_report_date",
            ),
        )
    elif cited is not None and _add_years(cited, years) < day:
        # The letter relies on a report older than the limit, whatever is on file now.
        yield Finding(
            DEFICIENT,
            reason(
                "safeguards_stale",
                f"The letter relies on a safeguards report dated {cited.isoformat()}, more than "
                f"{years} years before {which} {day.isoformat()}.",
                field="safeguards_report_date",
            ),
        )


def letter_kind_fits(
    letter: RequestLetter, transfer: Transfer | None, policy: Policy
) -> Iterator[Finding]:
    """A bulk letter covers the one request file it was signed for, never a look-up; a
    look-up letter covers single look-ups, never a request file."""
    if transfer is None or letter.kind == transfer.kind:
        return
    if transfer.kind == LOOKUPS:
        yield Finding(
            DEFICIENT,
            reason(
                "letter_not_for_lookups",
                "The letter is a bulk letter, signed for one request file; a look-up needs a "
                'look-up letter (kind = "lookups").',
                field="kind",
            ),
        )
    else:
        yield Finding(
            DEFICIENT,
            reason(
                "letter_not_for_batches",
                "The letter is a look-up letter; a request file needs a letter signed for it.",
                field="kind",
            ),
        )


def lookup_letter_in_scope(
    letter: RequestLetter, transfer: Transfer | None, policy: Policy
) -> Iterator[Finding]:
    """A look-up falls within the letter's validity window and its number of look-ups; the
    window itself is bounded (:data:`MAX_LOOKUP_WINDOW_DAYS`)."""
    if not letter.is_lookups:
        return
    start = letter.valid_from or letter.date_signed
    end = letter.valid_until
    if end is None:  # pragma: no cover - load_letter requires it
        return
    if (end - start).days > MAX_LOOKUP_WINDOW_DAYS:
        yield Finding(
            DEFICIENT,
            reason(
                "lookup_window_too_long",
                f"The letter is valid from {start.isoformat()} to {end.isoformat()}, longer "
                f"than the {MAX_LOOKUP_WINDOW_DAYS} days a look-up letter may cover.",
                field="valid_until",
            ),
        )
    if transfer is None or transfer.kind != LOOKUPS:
        return
    day = transfer.transfer_date
    if day < start:
        yield Finding(
            DEFICIENT,
            reason(
                "lookup_letter_not_yet_valid",
                f"The letter is valid from {start.isoformat()}; the look-up is on "
                f"{day.isoformat()}.",
                field="valid_from",
            ),
        )
    elif day > end:
        yield Finding(
            DEFICIENT,
            reason(
                "lookup_letter_expired",
                f"The letter was valid until {end.isoformat()}; the look-up is on "
                f"{day.isoformat()}.",
                field="valid_until",
            ),
        )
    if transfer.lookups_before >= letter.max_lookups:
        yield Finding(
            DEFICIENT,
            reason(
                "lookup_limit_reached",
                f"The letter allows {letter.max_lookups:,} look-ups and has answered "
                f"{transfer.lookups_before:,}.",
                field="max_lookups",
            ),
        )


TRANSFER_RULES: tuple[TransferRule, ...] = (
    letter_kind_fits,
    lookup_letter_in_scope,
    letter_signed,
    letter_not_future_dated,
    safeguards_current_on_transfer_day,
)


LETTER_RULES: tuple[LetterRule, ...] = (
    agency_known,
    signer_authorized,
    safeguards_current,
    officers_named,
    batch_within_caseload,
    batch_size,
)
