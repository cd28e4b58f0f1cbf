"""The signed request letter that accompanies a batch (26 U.S.C. 6103(i)(2)(A)).

The sound letter is signed by the agency head, names a current safeguards report, and assigns
every case to one officer personally engaged in it, with a plausible load per officer: tens of
open cases each (:data:`OFFICER_LOAD`), within the review policy's default limit of 50. The
deficient variant breaks all three as the real batch did (docs/SOURCES.md, "Real batches"): an
unauthorised signer, one official "engaged" in every case, a stale safeguards report.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

__all__ = [
    "MAX_CASES_PER_OFFICER",
    "OFFICER_LOAD",
    "Letter",
    "draw_letter",
    "officer_names_needed",
    "LOOKUP_LETTER_FILE",
    "render_letter_toml",
    "render_lookup_letter_toml",
    "sign_world_letter",
]

# Open cases per officer in a sound letter: some 25 a year per agent is what DOJ OIG Audit
# Report 03-37 measured for the FBI; the review policy refuses more than 50.
OFFICER_LOAD = (8, 40)
MAX_CASES_PER_OFFICER = OFFICER_LOAD[1]
SAFEGUARDS_MAX_AGE_DAYS = 3 * 365


@dataclass(frozen=True)
class Officer:
    name: str
    title: str
    case_numbers: tuple[str, ...]


@dataclass(frozen=True)
class Letter:
    signer_name: str
    signer_title: str
    date_signed: date
    safeguards_report: str
    safeguards_report_date: date
    batch_description: str
    officers: tuple[Officer, ...]


def _assign_cases(
    rng: random.Random, case_numbers: list[str], names: list[str]
) -> tuple[Officer, ...]:
    shuffled = sorted(case_numbers)
    rng.shuffle(shuffled)
    officers: list[Officer] = []
    start = 0
    while start < len(shuffled):
        if len(officers) == len(names):
            # Cycling names would name one officer on many loads, which review refuses.
            raise ValueError(
                f"{len(names)} officer names are too few for {len(case_numbers)} cases; "
                f"pass officer_names_needed({len(case_numbers)}) names"
            )
        load = rng.randint(*OFFICER_LOAD)
        title = "Special Agent" if rng.random() < 0.85 else "Senior Special Agent"
        officers.append(
            Officer(
                names[len(officers)],
                title,
                tuple(sorted(shuffled[start : start + load])),
            )
        )
        start += load
    return tuple(officers)


def officer_names_needed(cases: int) -> int:
    """Distinct synthetic names a letter for ``cases`` cases needs: the signer, the deficient
    letter's one officer, and one per officer at the lightest load."""
    return cases // OFFICER_LOAD[0] + 3


def draw_letter(
    rng: random.Random,
    *,
    person_names: list[str],
    case_numbers: list[str],
    requests: int,
    as_of: date,
    deficient: bool,
) -> Letter:
    """``person_names`` is a pool of synthetic full names for the signer and officers, at least
    :func:`officer_names_needed` long so that no officer name repeats."""
    date_signed = as_of - timedelta(days=2)
    signer = person_names[0]
    if deficient:
        title = "Acting Deputy Director, Field Operations"
        report_date = date_signed - timedelta(days=SAFEGUARDS_MAX_AGE_DAYS + rng.randint(60, 700))
        report_id = f"SSR-DHS-{report_date.year}-01"
        officers: tuple[Officer, ...] = (
            Officer(person_names[1], "Special Agent", tuple(sorted(case_numbers))),
        )
    else:
        title = "Secretary of Homeland Security"
        # Cite the report the discloser has on file, so generated letters pass review and
        # a generated world measures matching, not paperwork.
        report_id, report_date = _current_report(date_signed)
        officers = _assign_cases(rng, case_numbers, person_names[1:])
    description = (
        f"Current addresses of {requests} subjects of {len(case_numbers)} open criminal "
        f"investigations conducted by Homeland Security Investigations, for use solely by the "
        f"officers named below in those investigations."
    )
    return Letter(
        signer_name=signer,
        signer_title=title,
        date_signed=date_signed,
        safeguards_report=report_id,
        safeguards_report_date=report_date,
        batch_description=description,
        officers=officers,
    )


def _current_report(date_signed: date) -> tuple[str, date]:
    """The DHS safeguards report on file in the review registry when it is current for this
    letter; otherwise (a world dated far from the registry's report) one dated 16 March of the
    signing year, so the letter is still sound on its face."""
    from matchgate.review.agencies import agency_registry

    agency = agency_registry().by_code("DHS")
    report = agency.safeguards_report if agency is not None else None
    if report is not None:
        age = (date_signed - report.report_date).days
        if 0 <= age <= SAFEGUARDS_MAX_AGE_DAYS:
            return report.report_id, report.report_date
    year = (
        date_signed.year
        if (date_signed.month, date_signed.day) >= (3, 16)
        else date_signed.year - 1
    )
    return f"SSR-DHS-{year}-01", date(year, 3, 16)


def _string(text: str) -> str:
    # a JSON string literal is a valid TOML basic string for the characters we write
    return json.dumps(text, ensure_ascii=False)


def render_letter_toml(letter: Letter) -> str:
    lines = [
        "[letter]",
        'agency = "Department of Homeland Security"',
        'agency_code = "DHS"',
        f"signer_name = {_string(letter.signer_name)}",
        f"signer_title = {_string(letter.signer_title)}",
        f"date_signed = {letter.date_signed.isoformat()}",
        f"safeguards_report = {_string(letter.safeguards_report)}",
        f"safeguards_report_date = {letter.safeguards_report_date.isoformat()}",
        f"batch_description = {_string(letter.batch_description)}",
    ]
    for officer in letter.officers:
        lines += [
            "",
            "[[officers]]",
            f"name = {_string(officer.name)}",
            f"title = {_string(officer.title)}",
            "case_numbers = [",
        ]
        numbers = officer.case_numbers
        for start in range(0, len(numbers), 6):
            chunk = ", ".join(_string(n) for n in numbers[start : start + 6])
            lines.append(f"    {chunk},")
        lines.append("]")
    return "\n".join(lines) + "\n"


AGENCY_KEY_FILE = "agency.key"
AGENCY_FILE = "agency.toml"
LOOKUP_LETTER_FILE = "lookup_letter.toml"
# A look-up letter's scope in a generated world: valid for a year from signing, for at most
# this many look-ups (well within the DHS caseload share the review policy admits).
LOOKUP_WINDOW_DAYS = 365
MAX_LOOKUPS = 10_000


def render_lookup_letter_toml(letter_toml: str) -> str:
    """The world's bulk letter (as :func:`render_letter_toml` writes it, unsigned) turned into
    a look-up letter by the same signer for the same officers and cases: ``kind``, a validity
    window from the day of signing and a maximum number of look-ups, and a description of
    what the look-ups are for."""
    lines = letter_toml.splitlines()
    signed = next(line for line in lines if line.startswith("date_signed = "))
    date_signed = date.fromisoformat(signed.split("=", 1)[1].strip())
    valid_until = date_signed + timedelta(days=LOOKUP_WINDOW_DAYS)
    out: list[str] = []
    for line in lines:
        if line.startswith("batch_description = "):
            line = "batch_description = " + _string(
                f"Current addresses of single subjects of the open criminal investigations "
                f"conducted by Homeland Security Investigations listed below, asked one at a "
                f"time as each investigation needs, at most {MAX_LOOKUPS:,} look-ups from "
                f"{date_signed.isoformat()} to {valid_until.isoformat()}, for use solely by "
                "the officers named below in those investigations."
            )
        out.append(line)
        if line.startswith("agency_code = "):
            out += [
                'kind = "lookups"',
                f"valid_from = {date_signed.isoformat()}",
                f"valid_until = {valid_until.isoformat()}",
                f"max_lookups = {MAX_LOOKUPS}",
            ]
    return "\n".join(out) + "\n"


def sign_world_letter(out_dir: Path, *, seed: int) -> None:
    """Write the world's synthetic agency key (``agency.key``) and registry entry
    (``agency.toml``, public key included), and sign ``letter.toml`` for ``requests.csv``;
    write ``lookup_letter.toml`` (:func:`render_lookup_letter_toml`) signed for its scope.

    The key is derived from the seed, so the same seed gives the same files; it is synthetic
    and lives only in the world's folder (nothing of it ships in the package). The entry
    carries the safeguards report the DHS would have on file: for the deficient letter it is
    not the stale report the letter cites, so that letter is refused for its content while
    its signature is sound.
    """
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from matchgate.review.agencies import SafeguardsReport, agency_registry
    from matchgate.review.letter import load_letter
    from matchgate.review.registry import render_agency_toml
    from matchgate.review.signing import public_key_pem, sign_letter_file, write_private_key

    letter_path, key_path = out_dir / "letter.toml", out_dir / AGENCY_KEY_FILE
    material = hashlib.sha256(f"matchgate synthetic agency key|DHS|{seed}".encode()).digest()
    key = Ed25519PrivateKey.from_private_bytes(material)
    key_path.unlink(missing_ok=True)  # a world generated again into the same folder
    write_private_key(key_path, key)
    agency = agency_registry().by_code("DHS")
    assert agency is not None, "the packaged registry lists DHS"
    report_id, report_date = _current_report(load_letter(letter_path).date_signed)
    entry = replace(agency, safeguards_report=SafeguardsReport(report_id, report_date))
    (out_dir / AGENCY_FILE).write_text(
        render_agency_toml(entry, public_key_pem=public_key_pem(key.public_key())),
        encoding="utf-8",
    )
    lookup_path = out_dir / LOOKUP_LETTER_FILE
    lookup_path.write_text(
        render_lookup_letter_toml(letter_path.read_text(encoding="utf-8")), encoding="utf-8"
    )
    sign_letter_file(key=key, letter=lookup_path, requests=None)
    sign_letter_file(key=key, letter=letter_path, requests=out_dir / "requests.csv")
