"""The access log: who read which taxpayer data, when, and whether it was shown.

IRS Publication 1075 (section 4.7, audit) asks for an audit trail of every access to
federal tax information. The access log is kept in the ledger's database, in its own
table ``ledger_access``, as a hash chain of its own: record ``n`` stores the hash of record
``n - 1`` and its own hash over its sequence, time, canonical content and that previous
hash (the ledger's :func:`canonical_json`, SHA-256, a domain tag of its own). The database
refuses UPDATE and DELETE on it (triggers, as for the entries), :meth:`AccessLog.verify`
recomputes the chain, checks that the searchable columns agree with the content, and that
the chain still reaches the head recorded in ``ledger.access-head.json`` (records cut from
the end leave a shorter chain that is valid in itself).

TINs are never stored in clear. A subject's value under ``tin`` or any key ending in
``_tin`` is replaced by ``HMAC-SHA256(K, "matchgate-access-tin-v1:" + digits)`` where ``K`` is
a random 32-byte key in ``WORKSPACE/access-log.key`` (mode 0600; ``$MATCHGATE_ACCESS_KEY``
names another file), made on first use. Whoever holds the key can ask "who looked at TIN
X" (the auditor's search hashes X the same way); a copy of the database alone shows who
read what batch row, but not which taxpayer it was, and a 9-digit TIN cannot be guessed
from its hash without the key. Losing the key loses the TIN search of older records (the
chain still verifies): it is backed up with the workspace.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, func, inspect, select, text

from matchgate.errors import LedgerError, LedgerIntegrityError, WorkspaceError
from matchgate.ledger import _schema as schema
from matchgate.ledger._database import DatabaseHandle, LedgerDatabase
from matchgate.ledger._disclosures import normalize_tin
from matchgate.ledger._entries import (
    GENESIS_HASH,
    canonical_json,
    format_timestamp,
    is_valid_timestamp,
)
from matchgate.ledger._files import LEDGER_FILE, prepare_workspace, read_head, write_atomically

__all__ = [
    "ACCESS_HEAD_FILE",
    "ACCESS_KEY_ENV_VAR",
    "ACCESS_KEY_FILE",
    "OUTCOMES",
    "AccessLog",
    "AccessQuery",
    "AccessRecord",
    "AccessUser",
    "AccessVerifyReport",
    "compute_access_hash",
    "is_tin_key",
]

ACCESS_KEY_FILE = "access-log.key"
ACCESS_KEY_ENV_VAR = "MATCHGATE_ACCESS_KEY"
ACCESS_HEAD_FILE = "ledger.access-head.json"
OUTCOMES = frozenset({"allowed", "denied"})
_HASH_TAG = "matchgate-access-record-v1"
_TIN_TAG = b"matchgate-access-tin-v1:"
# Any constant other than the ledger writer's: a read is recorded while a batch appends.
_POSTGRES_ACCESS_LOCK = 0x6D67_6163_6365_7373
_CONTENT_KEYS = frozenset({"user", "what", "route", "subject", "outcome", "status", "client"})
_USER_KEYS = frozenset({"id", "name", "role", "agency"})
_MAX_TEXT = 512
_MAX_PAGE = 1_000
_HEAD_GUARD = threading.Lock()


def is_tin_key(key: str) -> bool:
    """Whether a subject's value under ``key`` is a TIN (stored only as its keyed hash)."""
    return key == "tin" or key.endswith("_tin")


def compute_access_hash(
    *, sequence: int, recorded_at: str, content: str, previous_hash: str
) -> str:
    """SHA-256 (hex) of the canonical JSON array of a record's fields, in a fixed order."""
    material = canonical_json([_HASH_TAG, sequence, recorded_at, content, previous_hash])
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class AccessUser:
    """The authenticated reader as the record names it."""

    name: str
    role: str
    user_id: int | None = None
    agency: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.user_id, "name": self.name, "role": self.role, "agency": self.agency}


@dataclass(frozen=True, slots=True)
class AccessRecord:
    """One stored read. ``content`` is the canonical JSON text the hash covers."""

    sequence: int
    recorded_at: str
    user_name: str
    role: str
    what: str
    outcome: str
    batch_id: str | None
    row_number: int | None
    content: str
    previous_hash: str
    record_hash: str

    def content_dict(self) -> dict[str, Any]:
        value = json.loads(self.content)
        if not isinstance(value, dict):
            raise LedgerError(f"access record {self.sequence}: content is not a JSON object")
        return value

    def computed_hash(self) -> str:
        return compute_access_hash(
            sequence=self.sequence,
            recorded_at=self.recorded_at,
            content=self.content,
            previous_hash=self.previous_hash,
        )

    def as_dict(self) -> dict[str, Any]:
        content = self.content_dict()
        return {
            "sequence": self.sequence,
            "recorded_at": self.recorded_at,
            "user": content.get("user"),
            "what": self.what,
            "route": content.get("route"),
            "subject": content.get("subject"),
            "outcome": self.outcome,
            "status": content.get("status"),
            "client": content.get("client"),
            "previous_hash": self.previous_hash,
            "record_hash": self.record_hash,
        }


@dataclass(frozen=True, slots=True)
class AccessQuery:
    """What an auditor asks: every filter is optional; ``since``/``until`` are UTC
    timestamps or dates (``until`` exclusive)."""

    user: str | None = None
    tin: str | None = None
    batch_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 100
    offset: int = 0


@dataclass(frozen=True, slots=True)
class AccessVerifyReport:
    ok: bool
    records_checked: int
    first_bad_sequence: int | None
    problem: str
    seconds: float
    last_sequence: int = 0
    source: str = ""

    def summary(self) -> str:
        if self.ok:
            return f"ok: {self.records_checked} access-log records verify ({self.seconds:.2f} s)"
        place = f" at record {self.first_bad_sequence}" if self.first_bad_sequence else ""
        return f"access log FAILED{place}: {self.problem}"

    def raise_for_problem(self) -> None:
        if not self.ok:
            raise LedgerIntegrityError(self.summary(), path=self.source or None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "records_checked": self.records_checked,
            "first_bad_sequence": self.first_bad_sequence,
            "problem": self.problem,
            "seconds": round(self.seconds, 3),
            "last_sequence": self.last_sequence,
            "source": self.source,
        }


_COLUMNS = (
    schema.access_records.c.sequence,
    schema.access_records.c.recorded_at,
    schema.access_records.c.user_name,
    schema.access_records.c.role,
    schema.access_records.c.what,
    schema.access_records.c.outcome,
    schema.access_records.c.batch_id,
    schema.access_records.c.row_number,
    schema.access_records.c.content,
    schema.access_records.c.previous_hash,
    schema.access_records.c.record_hash,
)


def _record(row: Any) -> AccessRecord:
    return AccessRecord(
        sequence=int(row[0]),
        recorded_at=row[1],
        user_name=row[2],
        role=row[3],
        what=row[4],
        outcome=row[5],
        batch_id=row[6],
        row_number=None if row[7] is None else int(row[7]),
        content=row[8],
        previous_hash=row[9],
        record_hash=row[10],
    )


def _text(value: object, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise LedgerError(f"an access record needs a {field}")
    if len(value) > _MAX_TEXT:
        raise LedgerError(f"the access record's {field} is longer than {_MAX_TEXT} characters")
    return value.strip()


def _indexed(content: Mapping[str, Any]) -> dict[str, Any]:
    """The searchable columns a record's content implies (written, and checked by verify)."""
    subject = content["subject"]
    batch = subject.get("batch_id")
    row = subject.get("row_number")
    return {
        "user_name": content["user"]["name"],
        "role": content["user"]["role"],
        "what": content["what"],
        "outcome": content["outcome"],
        "batch_id": batch if isinstance(batch, str) else None,
        "row_number": row if isinstance(row, int) and not isinstance(row, bool) else None,
    }


def _tin_hashes(content: Mapping[str, Any]) -> set[str]:
    return {
        value
        for key, value in content["subject"].items()
        if is_tin_key(key) and isinstance(value, str)
    }


def _content_problem(content: Any) -> str:
    """Why a stored content is not one this module writes ("" when it is)."""
    if not isinstance(content, dict) or set(content) != _CONTENT_KEYS:
        return f"content must hold exactly the keys {', '.join(sorted(_CONTENT_KEYS))}"
    user = content["user"]
    if not isinstance(user, dict) or set(user) != _USER_KEYS:
        return "content's user must hold id, name, role and agency"
    if not isinstance(user["name"], str) or not isinstance(user["role"], str):
        return "content's user needs a name and a role"
    if content["outcome"] not in OUTCOMES:
        return f"outcome {content['outcome']!r} is neither allowed nor denied"
    if not isinstance(content["what"], str) or not isinstance(content["subject"], dict):
        return "content's what must be text and its subject an object"
    for key, value in content["subject"].items():
        if value is not None and not isinstance(value, str | int):
            return f"subject value {key!r} is not text, a whole number or null"
        if is_tin_key(key) and value is not None and not _is_hex64(value):
            return f"subject value {key!r} is not a keyed TIN hash: a TIN stored in clear?"
    return ""


def _is_hex64(value: object) -> bool:
    return isinstance(value, str) and len(value) == 64 and not value.strip("0123456789abcdef")


def _moment(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return format_timestamp(value)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class AccessLog(DatabaseHandle):
    """The access log of one workspace's ledger database.

    Open with :meth:`open`; use as a context manager or call :meth:`close`. One instance
    may be shared by the threads of a server (each call uses its own connection).
    """

    def __init__(
        self,
        *,
        database: LedgerDatabase,
        workspace: Path,
        key_path: Path,
        read_only: bool,
        clock: Callable[[], datetime],
    ) -> None:
        self._db = database
        self.workspace = workspace
        self.key_path = key_path
        self._read_only = read_only
        self._clock = clock
        self._key: bytes | None = None
        self._closed = False

    @classmethod
    def open(
        cls,
        workspace: Path,
        *,
        url: str | None = None,
        read_only: bool = False,
        key_path: Path | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> AccessLog:
        """The access log in ``WORKSPACE/ledger.sqlite`` or the database ``url`` names (the
        ledger's). Writable: its tables are made on first use. ``key_path`` is the TIN key
        (default ``$MATCHGATE_ACCESS_KEY``, else ``WORKSPACE/access-log.key``)."""
        workspace = Path(workspace)
        prepare_workspace(workspace, create=not read_only)
        sqlite_path = workspace / LEDGER_FILE
        if url is None and read_only and not sqlite_path.exists():
            raise LedgerError("there is no ledger in this workspace yet", path=sqlite_path)
        database = LedgerDatabase.connect(url=url, sqlite_path=sqlite_path)
        try:
            if not read_only:
                database.create_schema()
        except BaseException:
            database.dispose()
            raise
        configured = os.environ.get(ACCESS_KEY_ENV_VAR, "").strip()
        key = key_path or (Path(configured).expanduser() if configured else None)
        return cls(
            database=database,
            workspace=workspace,
            key_path=key or workspace / ACCESS_KEY_FILE,
            read_only=read_only,
            clock=clock or _utc_now,
        )

    # -- the TIN key ---------------------------------------------------------------------

    def tin_digest(self, tin: str) -> str:
        """The keyed hash a TIN is stored and searched as (digits only, dashes ignored)."""
        digits = normalize_tin(tin)
        if not digits:
            raise LedgerError("an empty TIN has no access-log hash")
        return hmac.new(self._tin_key(), _TIN_TAG + digits.encode("utf-8"), "sha256").hexdigest()

    def _tin_key(self) -> bytes:
        if self._key is None:
            self._key = _load_or_create_key(self.key_path, create=not self._read_only)
        return self._key

    # -- appending -----------------------------------------------------------------------

    def append(
        self,
        *,
        user: AccessUser,
        what: str,
        subject: Mapping[str, str | int | None],
        outcome: str,
        status: int,
        route: str,
        client: str | None = None,
    ) -> AccessRecord:
        """Record one read (TINs in ``subject`` replaced by their keyed hash) and return it."""
        if self._closed:
            raise LedgerError("the access log is closed", path=self.location)
        if self._read_only:
            raise LedgerError("cannot record a read: the access log was opened read-only")
        if outcome not in OUTCOMES:
            raise LedgerError(f"an access record's outcome is allowed or denied, not {outcome!r}")
        content = {
            "user": {
                "id": user.user_id,
                "name": _text(user.name, "user name"),
                "role": _text(user.role, "role"),
                "agency": user.agency,
            },
            "what": _text(what, "kind of read ('what')"),
            "route": _text(route, "route"),
            "subject": self._subject(subject),
            "outcome": outcome,
            "status": int(status),
            "client": client,
        }
        text_content = canonical_json(content)
        with self._writing() as conn:
            tail = conn.execute(
                select(schema.access_records.c.sequence, schema.access_records.c.record_hash)
                .order_by(schema.access_records.c.sequence.desc())
                .limit(1)
            ).first()
            sequence = int(tail[0]) + 1 if tail is not None else 1
            previous = str(tail[1]) if tail is not None else GENESIS_HASH
            recorded_at = format_timestamp(self._clock())
            record_hash = compute_access_hash(
                sequence=sequence,
                recorded_at=recorded_at,
                content=text_content,
                previous_hash=previous,
            )
            conn.execute(
                schema.access_records.insert(),
                {
                    "sequence": sequence,
                    "recorded_at": recorded_at,
                    **_indexed(content),
                    "content": text_content,
                    "previous_hash": previous,
                    "record_hash": record_hash,
                },
            )
            tins = sorted(_tin_hashes(content))
            if tins:
                conn.execute(
                    schema.access_tins.insert(),
                    [{"sequence": sequence, "tin_hash": tin} for tin in tins],
                )
        self._write_head(sequence, record_hash)
        return _record(
            (
                sequence,
                recorded_at,
                *_indexed(content).values(),
                text_content,
                previous,
                record_hash,
            )
        )

    def _subject(self, subject: Mapping[str, str | int | None]) -> dict[str, str | int | None]:
        stored: dict[str, str | int | None] = {}
        for key, value in subject.items():
            if not isinstance(key, str) or not key:
                raise LedgerError("an access record's subject keys are non-empty text")
            if is_tin_key(key):
                # Nothing that is not a TIN ("", "-") gets a hash (nor fails the read).
                has_digits = value is not None and normalize_tin(str(value))
                stored[key] = self.tin_digest(str(value)) if has_digits else None
            elif value is None or isinstance(value, int) and not isinstance(value, bool):
                stored[key] = value
            elif isinstance(value, str):
                stored[key] = _text(value, f"subject value {key!r}") if value.strip() else None
            else:
                raise LedgerError(
                    f"an access record's subject value {key!r} must be text, a whole number"
                    f" or None (got {type(value).__name__})"
                )
        return stored

    @contextlib.contextmanager
    def _writing(self) -> Iterator[Connection]:
        """A transaction holding the access log's own writer lock (SQLite: the file's)."""
        with self._db.errors("record a read in the access log"), self._db.engine.connect() as conn:
            conn.execution_options(matchgate_write=True)
            with conn.begin():
                if self._db.dialect == "postgresql":
                    conn.execute(
                        text("SELECT pg_advisory_xact_lock(:key)"), {"key": _POSTGRES_ACCESS_LOCK}
                    )
                yield conn

    def _write_head(self, sequence: int, record_hash: str) -> None:
        """Remember the newest record outside the database; never moves backwards here."""
        path = self.workspace / ACCESS_HEAD_FILE
        with _HEAD_GUARD:
            try:
                current = read_head(path)
            except WorkspaceError:
                current = None  # verify reports a damaged head file; the next record mends it
            if current is not None and current[0] >= sequence:
                return
            head = {"sequence": sequence, "entry_hash": record_hash}
            write_atomically(path, canonical_json(head).encode("utf-8"))

    # -- reading -------------------------------------------------------------------------

    def _has_tables(self) -> bool:
        with self._db.errors("read the access log"):
            return bool(inspect(self._db.engine).has_table(schema.access_records.name))

    def search(self, query: AccessQuery) -> tuple[list[AccessRecord], int]:
        """One page of the records the query matches, newest first, and how many match."""
        if not 1 <= query.limit <= _MAX_PAGE:
            raise LedgerError(f"an access-log page holds 1 to {_MAX_PAGE} records")
        if query.offset < 0:
            raise LedgerError("an access-log page offset is 0 or more")
        if not self._has_tables():
            return [], 0
        column = schema.access_records.c
        conditions = []
        if query.user:
            conditions.append(column.user_name == " ".join(query.user.split()))
        if query.batch_id:
            conditions.append(column.batch_id == query.batch_id)
        if query.since is not None:
            conditions.append(column.recorded_at >= _moment(query.since))
        if query.until is not None:
            conditions.append(column.recorded_at < _moment(query.until))
        if query.tin is not None:
            digest = self.tin_digest(query.tin)
            conditions.append(
                column.sequence.in_(
                    select(schema.access_tins.c.sequence).where(
                        schema.access_tins.c.tin_hash == digest
                    )
                )
            )
        statement = select(*_COLUMNS).where(*conditions)
        counted = select(func.count()).select_from(schema.access_records).where(*conditions)
        with self._db.reading("search the access log") as conn:
            total = int(conn.execute(counted).scalar() or 0)
            rows = conn.execute(
                statement.order_by(column.sequence.desc()).limit(query.limit).offset(query.offset)
            ).all()
        return [_record(row) for row in rows], total

    def records(self) -> Iterator[AccessRecord]:
        """Every record in sequence order, read as it is consumed."""
        if not self._has_tables():
            return
        with self._db.reading("read the access log") as conn:
            result = conn.execution_options(stream_results=True, yield_per=5_000).execute(
                select(*_COLUMNS).order_by(schema.access_records.c.sequence)
            )
            for row in result:
                yield _record(row)
            result.close()

    # -- checking ------------------------------------------------------------------------

    def verify(self) -> AccessVerifyReport:
        """Check the chain, the columns against the content, the TIN index and the head."""
        started = time.perf_counter()
        checked = 0
        last_sequence = 0
        last_hash = GENESIS_HASH
        hash_at: dict[int, str] = {}
        expected_tins: set[tuple[int, str]] = set()
        problem = ""
        bad: int | None = None
        try:
            head = read_head(self.workspace / ACCESS_HEAD_FILE)
        except WorkspaceError as exc:
            head, problem = None, exc.message
        if not problem:
            for record in self.records():
                problem = _record_problem(record, last_sequence, last_hash)
                if problem:
                    bad = last_sequence + 1
                    break
                content = record.content_dict()
                expected_tins.update((record.sequence, tin) for tin in _tin_hashes(content))
                checked += 1
                last_sequence, last_hash = record.sequence, record.record_hash
                if head is not None and record.sequence == head[0]:
                    hash_at[record.sequence] = record.record_hash
        if not problem and checked:
            bad, problem = self._compare_tins(expected_tins)
        if not problem and head is not None and head[0] > 0:
            if last_sequence < head[0]:
                bad = last_sequence + 1
                problem = (
                    f"the access log ends at record {last_sequence}, but record {head[0]} was"
                    f" recorded in {ACCESS_HEAD_FILE}: records were removed from the end"
                )
            elif hash_at.get(head[0]) != head[1]:
                bad = head[0]
                problem = f"record {head[0]} is not the one recorded in {ACCESS_HEAD_FILE}"
        return AccessVerifyReport(
            ok=not problem,
            records_checked=checked,
            first_bad_sequence=bad if problem else None,
            problem=problem,
            seconds=time.perf_counter() - started,
            last_sequence=last_sequence,
            source=self.location,
        )

    def _compare_tins(self, expected: set[tuple[int, str]]) -> tuple[int | None, str]:
        column = schema.access_tins.c
        with self._db.reading("check the access log's TIN index") as conn:
            stored = {
                (int(row[0]), str(row[1]))
                for row in conn.execute(select(column.sequence, column.tin_hash))
            }
        extra, missing = stored - expected, expected - stored
        if not extra and not missing:
            return None, ""
        sequence = min(extra | missing)[0]
        stray = sequence in {number for number, _ in extra}
        what = "has an index row no record names" if stray else "lacks a TIN the record names"
        return sequence, f"the access log's TIN index {what} (record {sequence})"


def _record_problem(record: AccessRecord, last_sequence: int, last_hash: str) -> str:
    expected = last_sequence + 1
    if record.sequence != expected:
        if record.sequence > expected:
            return f"record {expected} is missing: the next record found is {record.sequence}"
        return f"record {record.sequence} appears where {expected} belongs"
    if record.previous_hash != last_hash:
        return (
            f"previous_hash does not match the hash of record {last_sequence}: a record before"
            " it was changed, removed or inserted"
        )
    if record.computed_hash() != record.record_hash:
        return "record_hash does not match the record's contents: the record was changed"
    if not is_valid_timestamp(record.recorded_at):
        return f"recorded_at {record.recorded_at!r} is not a UTC timestamp"
    try:
        content = json.loads(record.content)
    except ValueError:
        return "content is not JSON"
    if canonical_json(content) != record.content:
        return "content is not canonical JSON"
    problem = _content_problem(content)
    if problem:
        return problem
    columns = {
        "user_name": record.user_name,
        "role": record.role,
        "what": record.what,
        "outcome": record.outcome,
        "batch_id": record.batch_id,
        "row_number": record.row_number,
    }
    differing = [name for name, value in _indexed(content).items() if columns[name] != value]
    if differing:
        return f"the record's {', '.join(differing)} column(s) disagree with its content"
    return ""


def _load_or_create_key(path: Path, *, create: bool) -> bytes:
    """The 32-byte TIN key (hex in a file of mode 0600), made once if ``create``; two
    processes making it at once agree on one (link, never replace)."""
    try:
        return _read_key(path)
    except FileNotFoundError:
        if not create:
            raise LedgerError(
                "the access log's TIN key is missing, so a TIN cannot be searched for (it is"
                f" made when the server first records a read; {ACCESS_KEY_ENV_VAR} may name"
                " it)",
                path=path,
            ) from None
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as stream:
            stream.write(secrets.token_hex(32) + "\n")
            stream.flush()
            os.fsync(stream.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    except OSError as exc:
        raise LedgerError(f"cannot create the access log's TIN key: {exc}", path=path) from exc
    finally:
        temporary.unlink(missing_ok=True)
    return _read_key(path)


def _read_key(path: Path) -> bytes:
    try:
        data = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        raise
    except (OSError, UnicodeDecodeError) as exc:
        raise LedgerError(f"cannot read the access log's TIN key: {exc}", path=path) from exc
    try:
        key = bytes.fromhex(data)
    except ValueError:
        key = b""
    if len(key) != 32:
        raise LedgerError("the access log's TIN key is not 64 hex digits", path=path)
    return key
