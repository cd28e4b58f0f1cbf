"""The signed request letter that covers a batch (26 U.S.C. 6103(i)(2)(A))."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar, cast

from matchgate.errors import LetterError

__all__ = [
    "BULK",
    "LETTER_KINDS",
    "LOOKUPS",
    "MAX_LOOKUP_WINDOW_DAYS",
    "LetterSignature",
    "Officer",
    "RequestLetter",
    "letter_signing_material",
    "load_letter",
]

_T = TypeVar("_T")

SIGNATURE_ALGORITHM = "ed25519"
# The domain tag in what a letter's signature covers: a signature made for anything else
# (a ledger checkpoint, another format version) never verifies as a letter's.
_SIGNED_KIND = "matchgate request letter v1"
# A look-up letter's signature covers its scope (window, maximum look-ups) instead of one
# request file's digest, under its own tag: a bulk letter's signature never verifies as a
# look-up letter's, nor the other way round.
_SIGNED_KIND_LOOKUPS = "matchgate look-up letter v1"

# What a letter covers: one request file (``bulk``, the default) or single look-ups
# (``lookups``), each of which is then its own written request under the letter.
BULK = "bulk"
LOOKUPS = "lookups"
LETTER_KINDS = (BULK, LOOKUPS)
# The longest validity window a look-up letter may declare.
MAX_LOOKUP_WINDOW_DAYS = 366


@dataclass(frozen=True)
class Officer:
    """An officer named to receive the information, and the cases they personally work."""

    name: str
    title: str
    case_numbers: tuple[str, ...] = ()


@dataclass(frozen=True)
class LetterSignature:
    """The ``[signature]`` table: the agency's Ed25519 signature over the letter's content
    and the SHA-256 of the request file it covers (see :func:`letter_signing_material`)."""

    public_key_sha256: str
    requests_sha256: str  # "" for a look-up letter, which covers no request file
    value: str
    algorithm: str = SIGNATURE_ALGORITHM


@dataclass(frozen=True)
class RequestLetter:
    agency: str
    agency_code: str
    signer_name: str
    signer_title: str
    date_signed: date
    safeguards_report: str = ""
    safeguards_report_date: date | None = None
    officers: tuple[Officer, ...] = ()
    batch_description: str = ""
    signature: LetterSignature | None = None
    kind: str = BULK
    valid_from: date | None = None
    valid_until: date | None = None
    max_lookups: int = 0

    @property
    def is_lookups(self) -> bool:
        return self.kind == LOOKUPS

    @cached_property
    def _derived(self) -> dict[str, Any]:
        return {}

    def derived(self, name: str, compute: Callable[[RequestLetter], _T]) -> _T:
        """``compute(self)``, computed once per letter and name. A letter is immutable and a
        look-up letter serves every look-up under it: what review derives from its officers'
        case numbers (a million of them in a large letter) is not derived again per look-up.
        ``name`` must say everything the value depends on besides the letter."""
        cache = self._derived
        if name not in cache:
            cache[name] = compute(self)
        return cast(_T, cache[name])

    def case_numbers_held(self) -> Iterator[str]:
        """Every case number some named officer holds, normalized (may repeat)."""
        for officer in self.officers:
            for case in officer.case_numbers:
                yield normalize_case_number(case)

    def officers_by_case(self) -> dict[str, list[Officer]]:
        """Officers holding each case number (case numbers compared case-insensitively)."""
        holders: dict[str, list[Officer]] = {}
        for officer in self.officers:
            for case in officer.case_numbers:
                holders.setdefault(normalize_case_number(case), []).append(officer)
        return holders


_LETTER_KEYS = {
    "agency",
    "agency_code",
    "signer_name",
    "signer_title",
    "date_signed",
    "safeguards_report",
    "safeguards_report_date",
    "batch_description",
    "kind",
    "valid_from",
    "valid_until",
    "max_lookups",
}
_LOOKUP_KEYS = ("valid_from", "valid_until", "max_lookups")


_SIGNATURE_KEYS = {"algorithm", "public_key_sha256", "requests_sha256", "value"}


def letter_signing_material(letter: RequestLetter, requests_sha256: str) -> bytes:
    """The bytes a letter's signature covers: every field review reads from the letter (the
    signature itself excepted) and, for a bulk letter, the request file's SHA-256, as
    canonical JSON. A look-up letter's signature covers its declared scope instead (kind,
    validity window, maximum number of look-ups) under its own tag; ``requests_sha256`` is
    then ignored.

    Signing what is read, not the file's bytes, means a re-formatted but unchanged letter
    still verifies while any change to a value review acts on does not.
    """
    # a look-up letter's material ignores the request file's digest
    digest = "" if letter.is_lookups else requests_sha256.strip().lower()
    return letter.derived(f"signing_material:{digest}", lambda _: _signing_material(letter, digest))


def _signing_material(letter: RequestLetter, requests_sha256: str) -> bytes:
    content: dict[str, object]
    if letter.is_lookups:
        content = {
            "signed": _SIGNED_KIND_LOOKUPS,
            "scope": {
                "kind": letter.kind,
                "valid_from": letter.valid_from.isoformat() if letter.valid_from else "",
                "valid_until": letter.valid_until.isoformat() if letter.valid_until else "",
                "max_lookups": letter.max_lookups,
            },
        }
    else:
        content = {"signed": _SIGNED_KIND, "requests_sha256": requests_sha256.strip().lower()}
    content |= {
        "letter": {
            "agency": letter.agency,
            "agency_code": letter.agency_code,
            "signer_name": letter.signer_name,
            "signer_title": letter.signer_title,
            "date_signed": letter.date_signed.isoformat(),
            "safeguards_report": letter.safeguards_report,
            "safeguards_report_date": (
                letter.safeguards_report_date.isoformat() if letter.safeguards_report_date else ""
            ),
            "batch_description": letter.batch_description,
        },
        "officers": [
            {"name": o.name, "title": o.title, "case_numbers": list(o.case_numbers)}
            for o in letter.officers
        ],
    }
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def _signature(table: Any, path: Path) -> LetterSignature | None:
    if table is None:
        return None
    if not isinstance(table, dict):
        raise LetterError("must be a [signature] table", path=path, field="signature")
    unknown = sorted(set(table) - _SIGNATURE_KEYS)
    if unknown:
        raise LetterError(
            f"unknown key (known: {', '.join(sorted(_SIGNATURE_KEYS))})",
            path=path,
            field=f"signature.{unknown[0]}",
        )
    values = {
        key: _text(table, key, "signature", path, required=True)
        for key in ("public_key_sha256", "value")
    }
    # A look-up letter's signature covers no request file (and a bulk letter without the
    # digest is refused by review as signed for another file).
    values["requests_sha256"] = _text(table, "requests_sha256", "signature", path, required=False)
    algorithm = _text(table, "algorithm", "signature", path, required=False)
    return LetterSignature(
        public_key_sha256=values["public_key_sha256"].lower(),
        requests_sha256=values["requests_sha256"].lower(),
        value=values["value"],
        algorithm=algorithm or SIGNATURE_ALGORITHM,
    )


def normalize_case_number(case_number: str) -> str:
    return " ".join(case_number.split()).casefold()


def _text(table: dict[str, Any], key: str, where: str, path: Path, *, required: bool) -> str:
    value = table.get(key)
    if value is None:
        if required:
            raise LetterError("is missing", path=path, field=f"{where}.{key}")
        return ""
    if not isinstance(value, str):
        raise LetterError(f"must be text, not {value!r}", path=path, field=f"{where}.{key}")
    return value.strip()


def _date(table: dict[str, Any], key: str, path: Path, *, required: bool) -> date | None:
    value = table.get(key)
    field = f"letter.{key}"
    if value is None or value == "":
        if required:
            raise LetterError("is missing", path=path, field=field)
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise LetterError(f"must be a date (YYYY-MM-DD), not {value!r}", path=path, field=field)


def _count(table: dict[str, Any], key: str, path: Path, *, required: bool) -> int:
    value = table.get(key)
    field = f"letter.{key}"
    if value is None:
        if required:
            raise LetterError("is missing", path=path, field=field)
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise LetterError(
            f"must be a whole number of at least 1, not {value!r}", path=path, field=field
        )
    return value


def _officers(items: Any, path: Path) -> tuple[Officer, ...]:
    if items is None:
        return ()
    if not isinstance(items, list):
        raise LetterError("must be an array of [[officers]] tables", path=path, field="officers")
    officers = []
    for index, item in enumerate(items, start=1):
        where = f"officers[{index}]"
        if not isinstance(item, dict):
            raise LetterError("must be a table", path=path, field=where)
        cases = item.get("case_numbers", [])
        if not isinstance(cases, list) or not all(isinstance(c, str) for c in cases):
            raise LetterError(
                "must be a list of case numbers (text)", path=path, field=f"{where}.case_numbers"
            )
        officers.append(
            Officer(
                name=_text(item, "name", where, path, required=False),
                title=_text(item, "title", where, path, required=False),
                case_numbers=tuple(c.strip() for c in cases if c.strip()),
            )
        )
    return tuple(officers)


def load_letter(path: Path) -> RequestLetter:
    """Read a letter TOML (``[letter]``, ``[[officers]]``, ``[signature]``); :class:`LetterError`
    if unusable.

    Whether the letter is *legally sufficient* is :func:`review_letter`'s question; this
    only refuses files that cannot be read as a letter at all.
    """
    path = Path(path)
    try:
        with path.open("rb") as stream:
            data = tomllib.load(stream)
    except OSError as exc:
        raise LetterError(f"cannot read the letter: {exc.strerror or exc}", path=path) from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise LetterError(f"not valid TOML: {exc}", path=path) from exc
    table = data.get("letter")
    if not isinstance(table, dict):
        raise LetterError("has no [letter] table", path=path, field="letter")
    unknown = sorted(set(table) - _LETTER_KEYS)
    if unknown:
        raise LetterError(
            f"unknown key (known: {', '.join(sorted(_LETTER_KEYS))})",
            path=path,
            field=f"letter.{unknown[0]}",
        )
    date_signed = _date(table, "date_signed", path, required=True)
    assert date_signed is not None
    kind = _text(table, "kind", "letter", path, required=False) or BULK
    if kind not in LETTER_KINDS:
        raise LetterError(
            f"must be one of {', '.join(LETTER_KINDS)}, not {kind!r}",
            path=path,
            field="letter.kind",
        )
    valid_from = _date(table, "valid_from", path, required=False)
    valid_until = _date(table, "valid_until", path, required=kind == LOOKUPS)
    max_lookups = _count(table, "max_lookups", path, required=kind == LOOKUPS)
    if kind == BULK:
        given = [key for key in _LOOKUP_KEYS if key in table]
        if given:
            raise LetterError(
                f'is only for a look-up letter (kind = "{LOOKUPS}")',
                path=path,
                field=f"letter.{given[0]}",
            )
    elif valid_until is not None and valid_until < (valid_from or date_signed):
        raise LetterError(
            "is before the start of the letter's validity window",
            path=path,
            field="letter.valid_until",
        )
    return RequestLetter(
        kind=kind,
        valid_from=valid_from or (date_signed if kind == LOOKUPS else None),
        valid_until=valid_until,
        max_lookups=max_lookups,
        agency=_text(table, "agency", "letter", path, required=False),
        agency_code=_text(table, "agency_code", "letter", path, required=False),
        signer_name=_text(table, "signer_name", "letter", path, required=False),
        signer_title=_text(table, "signer_title", "letter", path, required=False),
        date_signed=date_signed,
        safeguards_report=_text(table, "safeguards_report", "letter", path, required=False),
        safeguards_report_date=_date(table, "safeguards_report_date", path, required=False),
        officers=_officers(data.get("officers"), path),
        batch_description=_text(table, "batch_description", "letter", path, required=False),
        signature=_signature(data.get("signature"), path),
    )
