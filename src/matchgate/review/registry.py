"""The office's agency registry: ``WORKSPACE/agencies.sqlite``, or the server's database.

Which agencies may ask, who may sign for them, their safeguards report, their plausible
caseload and the public keys their letters must be signed with. A new workspace is seeded
once from the packaged ``data/agencies.toml`` (entries without keys: no letter passes until
the office registers the agency's key); from then on only ``matchgate agency add`` and
``matchgate agency revoke`` change it. Every change is an entry in ``registry_events`` (who,
when, what), a table the database itself keeps append-only.

The tables are the ``registry`` store of :mod:`matchgate.store.schema`, made and changed by
its migrations (``matchgate db upgrade``); on a server (``--database-url``,
``$MATCHGATE_LEDGER_URL``) they live in the server's PostgreSQL database with the ledger.

Tables:
  agencies          code -> the agency's entry (JSON, as the ``[[agency]]`` table reads)
  agency_keys       public key fingerprint -> agency, PEM, registered and revoked (who, when)
  registry_events   append-only audit trail
  registry_meta     ``seeded`` once the packaged entries were copied in
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Table, event, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from matchgate.errors import InputError
from matchgate.review.agencies import (
    Agency,
    AgencyKey,
    AgencyRegistry,
    agency_from_table,
    agency_registry,
)
from matchgate.review.signing import load_public_key_pem, public_key_sha256
from matchgate.store import ensure_current
from matchgate.store import schema as store_schema
from matchgate.store.engines import shared_engine
from matchgate.store.migrate import as_workspace_error, describe, workspace_sqlite_url

__all__ = [
    "REGISTRY_FILE",
    "AgencyEntry",
    "AgencyRegistryStore",
    "RegistryEvent",
    "load_agency_file",
    "render_agency_toml",
]

REGISTRY_FILE = "agencies.sqlite"

# The tables are the model's (matchgate.store.schema, branch ``registry``); the migrations
# make them, with registry_events append-only by triggers on SQLite and PostgreSQL alike.
_agencies = store_schema.agencies
_keys = store_schema.agency_keys
_events = store_schema.registry_events
_meta = store_schema.registry_meta

# The keys an agency file may hold; the registry stores the entry as given, so a field a
# newer reader of ``agency_from_table`` knows travels with it.
_ENTRY_KEYS = {
    "code",
    "name",
    "aliases",
    "authorized_titles",
    "authorized_title_prefixes",
    "safeguards_report",
    "plausible_caseload",
}
_FILE_KEYS = _ENTRY_KEYS | {"public_key"}


@dataclass(frozen=True)
class RegistryEvent:
    """One change to the registry: who, when, what."""

    event_id: int
    at: str
    actor: str
    action: str
    agency_code: str
    detail: dict[str, Any]


@dataclass(frozen=True)
class AgencyEntry:
    """An agency as an office's file gives it: the entry and, optionally, its public key."""

    entry: dict[str, Any]
    public_key_pem: str | None

    @property
    def code(self) -> str:
        return str(self.entry["code"])


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _json_entry(entry: Mapping[str, Any]) -> str:
    def default(value: object) -> str:
        if isinstance(value, date):
            return value.isoformat()
        raise TypeError(f"cannot store {value!r}")

    return json.dumps(dict(entry), sort_keys=True, default=default, ensure_ascii=False)


def _check_entry(table: Any, path: Path, where: str) -> AgencyEntry:
    if not isinstance(table, dict):
        raise InputError("must be a table", path=path, field=where)
    unknown = sorted(set(table) - _FILE_KEYS)
    if unknown:
        raise InputError(
            f"unknown key (known: {', '.join(sorted(_FILE_KEYS))})",
            path=path,
            field=f"{where}.{unknown[0]}",
        )
    for key in ("code", "name"):
        value = table.get(key)
        if not isinstance(value, str) or not value.strip():
            raise InputError("is missing or not text", path=path, field=f"{where}.{key}")
    for key in ("aliases", "authorized_titles", "authorized_title_prefixes"):
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise InputError("must be a list of text", path=path, field=f"{where}.{key}")
    if not table.get("authorized_titles") and not table.get("authorized_title_prefixes"):
        raise InputError(
            "names no title that may sign (authorized_titles)",
            path=path,
            field=f"{where}.authorized_titles",
        )
    report = table.get("safeguards_report")
    if report is not None:
        field = f"{where}.safeguards_report"
        if not isinstance(report, dict) or set(report) != {"id", "date"}:
            raise InputError(
                "must be a table { id = ..., date = YYYY-MM-DD }", path=path, field=field
            )
        if not isinstance(report["id"], str) or not report["id"].strip():
            raise InputError("must be text", path=path, field=f"{field}.id")
        if not isinstance(report["date"], date) or isinstance(report["date"], datetime):
            raise InputError("must be a date (YYYY-MM-DD)", path=path, field=f"{field}.date")
    caseload = table.get("plausible_caseload")
    if caseload is not None and (
        isinstance(caseload, bool) or not isinstance(caseload, int) or caseload < 1
    ):
        raise InputError(
            "must be a whole number of cases, at least 1",
            path=path,
            field=f"{where}.plausible_caseload",
        )
    pem = table.get("public_key")
    if pem is not None:
        if not isinstance(pem, str):
            raise InputError("must be a PEM text", path=path, field=f"{where}.public_key")
        load_public_key_pem(pem, path=path, field=f"{where}.public_key")
    entry = {key: value for key, value in table.items() if key in _ENTRY_KEYS}
    entry["code"] = entry["code"].strip()
    for key in ("aliases", "authorized_titles", "authorized_title_prefixes"):
        entry.setdefault(key, [])
    return AgencyEntry(entry=entry, public_key_pem=pem.strip() + "\n" if pem else None)


def load_agency_file(path: Path) -> list[AgencyEntry]:
    """The agencies of an agency TOML: one ``[agency]`` table or several ``[[agency]]``."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read the agency file: {exc.strerror or exc}", path=path) from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"not valid TOML: {exc}", path=path) from exc
    tables = data.get("agency")
    if isinstance(tables, dict):
        return [_check_entry(tables, path, "agency")]
    if isinstance(tables, list) and tables:
        return [_check_entry(t, path, f"agency[{i}]") for i, t in enumerate(tables, start=1)]
    raise InputError("has no [agency] table", path=path, field="agency")


def _toml_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def render_agency_toml(agency: Agency, *, public_key_pem: str | None) -> str:
    """An agency file ``matchgate agency add`` reads (what ``generate`` writes for a world)."""
    lines = [
        "[agency]",
        f"code = {_toml_string(agency.code)}",
        f"name = {_toml_string(agency.name)}",
        f"aliases = [{', '.join(_toml_string(a) for a in agency.aliases)}]",
        "authorized_titles = [",
        *(f"    {_toml_string(t)}," for t in agency.authorized_titles),
        "]",
    ]
    if agency.authorized_title_prefixes:
        prefixes = ", ".join(_toml_string(p) for p in agency.authorized_title_prefixes)
        lines.append(f"authorized_title_prefixes = [{prefixes}]")
    if agency.safeguards_report is not None:
        report = agency.safeguards_report
        lines.append(
            f"safeguards_report = {{ id = {_toml_string(report.report_id)}, "
            f"date = {report.report_date.isoformat()} }}"
        )
    if agency.plausible_caseload is not None:
        lines.append(f"plausible_caseload = {agency.plausible_caseload}")
    if public_key_pem:
        lines.append(f'public_key = """\n{public_key_pem.strip()}\n"""')
    return "\n".join(lines) + "\n"


def _agency_from_stored(entry: str, keys: tuple[AgencyKey, ...]) -> Agency:
    table = json.loads(entry)
    report = table.get("safeguards_report")
    if isinstance(report, dict) and isinstance(report.get("date"), str):
        table["safeguards_report"] = {**report, "date": date.fromisoformat(report["date"])}
    return replace(agency_from_table(table), keys=keys)


def _packaged_entries() -> Iterator[dict[str, Any]]:
    for agency in agency_registry():
        entry: dict[str, Any] = {
            "code": agency.code,
            "name": agency.name,
            "aliases": list(agency.aliases),
            "authorized_titles": list(agency.authorized_titles),
            "authorized_title_prefixes": list(agency.authorized_title_prefixes),
        }
        if agency.safeguards_report is not None:
            entry["safeguards_report"] = {
                "id": agency.safeguards_report.report_id,
                "date": agency.safeguards_report.report_date,
            }
        if agency.plausible_caseload is not None:
            entry["plausible_caseload"] = agency.plausible_caseload
        yield entry


def _insert_if_absent(conn: Connection, table: Table, **values: Any) -> bool:
    """Insert a row unless one with its primary key is there (``ON CONFLICT DO NOTHING``,
    on SQLite and PostgreSQL alike); whether it was inserted."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    key = list(table.primary_key.columns)
    statement = dialect.insert(table).values(**values).on_conflict_do_nothing().returning(*key)
    # RETURNING gives the row only when it was inserted (rowcount is not reliable here).
    return conn.execute(statement).first() is not None


class AgencyRegistryStore:
    """The registry of one workspace, or of the database ``url`` names. Open with
    :meth:`open`; use as a context manager."""

    def __init__(self, url: str, *, clock: Callable[[], str] = _now) -> None:
        self.url = url
        self.path = describe(url)
        self._clock = clock
        # One engine per database for the process (matchgate.store.engines).
        self._shared = shared_engine(url, kind="registry", configure=_configure_registry_engine)
        self._engine: Engine = self._shared.engine

    @classmethod
    def open(
        cls, workspace: Path, *, url: str | None = None, clock: Callable[[], str] = _now
    ) -> AgencyRegistryStore:
        """The registry at ``url`` (the server's database), else ``WORKSPACE/agencies.sqlite``;
        its tables made at the migrations' head on first use and seeded from the packaged
        data (the seed is copied once: a revoked or changed entry never comes back). Tables
        behind head are refused (:class:`~matchgate.store.StoreVersionError`)."""
        if url is None:
            url = workspace_sqlite_url(workspace, REGISTRY_FILE)
        store = cls(url, clock=clock)
        try:
            store._create()
        except BaseException:
            store.close()
            raise
        return store

    def close(self) -> None:
        self._shared.release()

    def __enter__(self) -> AgencyRegistryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[Connection]:
        with (
            as_workspace_error("the agency registry failed", path=self.path),
            self._engine.begin() as conn,
        ):
            yield conn

    def _create(self) -> None:
        with as_workspace_error("cannot open the agency registry", path=self.path):
            ensure_current(self.url, store_schema.REGISTRY, create=True, engine=self._engine)
        with self._transaction() as conn:
            if not _insert_if_absent(conn, _meta, name="seeded", value=self._clock()):
                return
            codes = []
            for entry in _packaged_entries():
                _insert_if_absent(
                    conn,
                    _agencies,
                    code=entry["code"],
                    entry=_json_entry(entry),
                    updated_at=self._clock(),
                    updated_by="matchgate (packaged data)",
                )
                codes.append(entry["code"])
            self._event(conn, "matchgate", "seeded", "*", {"agencies": codes})

    def _event(
        self, conn: Connection, actor: str, action: str, code: str, detail: dict[str, Any]
    ) -> None:
        conn.execute(
            insert(_events).values(
                at=self._clock(),
                actor=actor,
                action=action,
                agency_code=code,
                detail=json.dumps(detail, sort_keys=True, default=str),
            )
        )

    # -- reading ------------------------------------------------------------------------

    def registry(self) -> AgencyRegistry:
        """Every agency with its keys, as review reads them."""
        with self._transaction() as conn:
            key_rows = conn.execute(select(_keys).order_by(_keys.c.registered_at)).all()
            agency_rows = conn.execute(select(_agencies).order_by(_agencies.c.code)).all()
        keys: dict[str, list[AgencyKey]] = {}
        for row in key_rows:
            keys.setdefault(row.agency_code.casefold(), []).append(
                AgencyKey(
                    public_key_sha256=row.public_key_sha256,
                    public_key_pem=row.public_key_pem,
                    registered_at=row.registered_at,
                    registered_by=row.registered_by,
                    revoked_at=row.revoked_at or "",
                    revoked_by=row.revoked_by or "",
                    revoked_reason=row.revoked_reason or "",
                )
            )
        return AgencyRegistry(
            [
                _agency_from_stored(row.entry, tuple(keys.get(row.code.casefold(), ())))
                for row in agency_rows
            ]
        )

    def events(self, code: str | None = None) -> list[RegistryEvent]:
        statement = select(_events).order_by(_events.c.event_id)
        if code is not None:
            statement = statement.where(_events.c.agency_code.in_([code.strip().upper(), "*"]))
        with self._transaction() as conn:
            rows = conn.execute(statement).all()
        return [
            RegistryEvent(r.event_id, r.at, r.actor, r.action, r.agency_code, json.loads(r.detail))
            for r in rows
        ]

    # -- the office's acts ----------------------------------------------------------------

    def add_file(self, path: Path, *, actor: str) -> list[Agency]:
        """Register (or update) every agency of an agency file, with its key if it has one."""
        entries = load_agency_file(path)
        for item in entries:
            self.add(item, actor=actor, source=str(path))
        registry = self.registry()
        return [agency for item in entries if (agency := registry.by_code(item.code))]

    def add(self, item: AgencyEntry, *, actor: str, source: str = "") -> None:
        _require_actor(actor)
        code = item.code
        stored = _json_entry(item.entry)
        with self._transaction() as conn:
            existing = conn.execute(
                select(_agencies.c.code, _agencies.c.entry).where(_agencies.c.code == code)
            ).first()
            if existing is None:
                conn.execute(
                    insert(_agencies).values(
                        code=code, entry=stored, updated_at=self._clock(), updated_by=actor
                    )
                )
                self._event(
                    conn, actor, "agency_added", code, {"entry": item.entry, "source": source}
                )
            elif existing.entry != stored:
                conn.execute(
                    update(_agencies)
                    .where(_agencies.c.code == code)
                    .values(entry=stored, updated_at=self._clock(), updated_by=actor)
                )
                self._event(
                    conn,
                    actor,
                    "agency_updated",
                    code,
                    {"before": json.loads(existing.entry), "after": item.entry, "source": source},
                )
            if item.public_key_pem is not None:
                self._register_key(conn, code, item.public_key_pem, actor=actor, source=source)

    def _register_key(
        self, conn: Connection, code: str, pem: str, *, actor: str, source: str
    ) -> None:
        fingerprint = public_key_sha256(load_public_key_pem(pem))
        row = conn.execute(select(_keys).where(_keys.c.public_key_sha256 == fingerprint)).first()
        if row is not None:
            if row.agency_code != code:
                raise InputError(
                    f"this public key ({fingerprint[:16]}...) is already registered for "
                    f"{row.agency_code}; one key signs for one agency",
                    path=source or None,
                    field="public_key",
                )
            if row.revoked_at:
                raise InputError(
                    f"this public key ({fingerprint[:16]}...) was revoked on {row.revoked_at} "
                    f"by {row.revoked_by}; a revoked key is never registered again",
                    path=source or None,
                    field="public_key",
                )
            return  # registered already: adding the same file again changes nothing
        conn.execute(
            insert(_keys).values(
                public_key_sha256=fingerprint,
                agency_code=code,
                public_key_pem=pem,
                registered_at=self._clock(),
                registered_by=actor,
            )
        )
        self._event(
            conn,
            actor,
            "key_registered",
            code,
            {"public_key_sha256": fingerprint, "source": source},
        )

    def revoke(
        self, code: str, *, actor: str, reason: str, public_key_sha256: str | None = None
    ) -> list[str]:
        """Revoke the agency's keys (every key still active, or only the one named); the
        fingerprints revoked. Letters signed with a revoked key no longer pass review."""
        _require_actor(actor)
        if not reason.strip():
            raise InputError("say why the key is revoked (--reason)", field="reason")
        code = code.strip().upper()
        with self._transaction() as conn:
            if (
                conn.execute(select(_agencies.c.code).where(_agencies.c.code == code)).first()
                is None
            ):
                raise InputError(f"no agency {code!r} in the registry", field="code")
            statement = select(_keys.c.public_key_sha256).where(
                _keys.c.agency_code == code, _keys.c.revoked_at.is_(None)
            )
            if public_key_sha256:
                statement = statement.where(
                    _keys.c.public_key_sha256 == public_key_sha256.strip().lower()
                )
            fingerprints = [row[0] for row in conn.execute(statement)]
            if not fingerprints:
                named = f" with fingerprint {public_key_sha256}" if public_key_sha256 else ""
                raise InputError(f"{code} has no active key{named} to revoke", field="key")
            at = self._clock()
            for fingerprint in fingerprints:
                conn.execute(
                    update(_keys)
                    .where(_keys.c.public_key_sha256 == fingerprint)
                    .values(revoked_at=at, revoked_by=actor, revoked_reason=reason.strip())
                )
                self._event(
                    conn,
                    actor,
                    "key_revoked",
                    code,
                    {"public_key_sha256": fingerprint, "reason": reason.strip()},
                )
        return fingerprints


def _require_actor(actor: str) -> None:
    if not actor.strip():
        raise InputError("every change to the registry names who made it (--actor)", field="actor")


def _configure_registry_engine(engine: Engine) -> None:
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout = 10000")
    cursor.close()
