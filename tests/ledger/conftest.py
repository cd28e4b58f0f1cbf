"""Fixtures for the ledger tests: a ledger on each backend, payloads, a tampering hand.

Every test that takes ``backend`` runs on SQLite and on a real PostgreSQL server
(``postgres_url`` comes from ``tests/conftest_postgres.py``); each PostgreSQL test gets its
own schema so tests in one module never see each other's entries.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from matchgate.ledger import EntryKind, Ledger, NewEntry
from matchgate.ledger._schema import drop_append_only_triggers


@dataclass
class Backend:
    """Where a test's ledger lives, and a way to reach it behind the ledger's back."""

    name: str
    workspace: Path
    url: str | None
    opened: list[Ledger] = field(default_factory=list)

    @property
    def database_url(self) -> str:
        return self.url or f"sqlite:///{self.workspace / 'ledger.sqlite'}"

    def open(self, **options: Any) -> Ledger:
        ledger = Ledger.open(self.workspace, url=self.url, **options)
        self.opened.append(ledger)
        return ledger

    def execute(self, *statements: str | tuple[str, dict[str, Any]]) -> None:
        """Run SQL directly (an attacker with database access, or a test probing triggers)."""
        engine = create_engine(self.database_url)
        try:
            with engine.begin() as conn:
                for statement in statements:
                    sql, params = statement if isinstance(statement, tuple) else (statement, {})
                    conn.execute(text(sql), params)
        finally:
            engine.dispose()

    def drop_triggers(self) -> None:
        self.execute(*drop_append_only_triggers("sqlite" if self.url is None else "postgresql"))

    def rows(self, sql: str, params: dict[str, Any] | None = None) -> list[Any]:
        engine = create_engine(self.database_url)
        try:
            with engine.connect() as conn:
                return list(conn.execute(text(sql), params or {}))
        finally:
            engine.dispose()


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=[pytest.mark.postgres, pytest.mark.slow])]
)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    url: str | None = None
    schema = ""
    if request.param == "postgresql":
        base = request.getfixturevalue("postgres_url")
        schema = f"t_{uuid.uuid4().hex[:12]}"
        admin = create_engine(base)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        admin.dispose()
        url = (
            make_url(base)
            .update_query_dict({"options": f"-csearch_path={schema}"})
            .render_as_string(hide_password=False)
        )
    chosen = Backend(name=request.param, workspace=tmp_path / "workspace", url=url)
    yield chosen
    for ledger in chosen.opened:
        ledger.close()


@pytest.fixture
def sqlite_backend(tmp_path: Path) -> Iterator[Backend]:
    chosen = Backend(name="sqlite", workspace=tmp_path / "workspace", url=None)
    yield chosen
    for ledger in chosen.opened:
        ledger.close()


class FixedClock:
    """A clock tests can set; each reading moves one millisecond on."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(milliseconds=1)
        return self.now

    def set(self, moment: datetime) -> None:
        self.now = moment


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2025, 3, 1, 12, 0, tzinfo=UTC))


def agency_code(agency: str) -> str:
    return "".join(word[0] for word in agency.split()).upper()


def batch_payload(batch_id: str = "B1", *, agency: str = "Agency A", rows_in: int = 10) -> dict:
    return {
        "batch_id": batch_id,
        "agency": agency,
        "agency_code": agency_code(agency),
        "signer_name": "Pat Head",
        "signer_title": "Inspector General",
        "date_signed": "2025-02-27",
        "requests_file": "requests.csv",
        "requests_sha256": "ab" * 32,
        "rows_in": rows_in,
        "policy_sha256": "cd" * 32,
    }


def row_payload(batch_id: str, row_number: int, outcome: str = "no_match") -> dict:
    return {
        "batch_id": batch_id,
        "row_number": row_number,
        "request_id": f"R-{row_number}",
        "outcome": outcome,
        "reason_codes": "match.none" if outcome == "no_match" else "",
    }


def disclosure_payload(
    batch_id: str,
    row_number: int,
    *,
    tin: str = "123-45-6789",
    agency: str = "Agency A",
    statute: str = "18 U.S.C. 1028",
    **overrides: Any,
) -> dict:
    payload = {
        "disclosure_id": f"D-{batch_id}-{row_number}",
        "batch_id": batch_id,
        "row_number": row_number,
        "request_id": f"R-{row_number}",
        "tin": tin,
        "agency": agency,
        "agency_code": agency_code(agency),
        "recipients": ["Officer Lane", "Officer Diaz"],
        "statute": statute,
        "case_number": f"CASE-{row_number}",
        "reason": "Witness in an identity-theft case; address needed to serve a subpoena.",
        "tax_periods": "2023;2024",
        "disclosed_street": f"{row_number} Main St",
        "disclosed_city": "Springfield",
        "disclosed_state": "IL",
        "disclosed_zip": "62701",
        "disclosed_tax_year": 2024,
        "match_probability": 0.9993,
    }
    payload.update(overrides)
    return payload


def batch_entries(
    batch_id: str = "B1",
    *,
    rows: int = 10,
    disclosed: Sequence[int] = (2, 5, 9),
    agency: str = "Agency A",
    tins: Callable[[int], str] = lambda row: f"9{row:08d}",
    statute: str = "18 U.S.C. 1028",
) -> list[NewEntry]:
    """The entries the pipeline writes for one batch."""
    items = [
        NewEntry(
            EntryKind.BATCH_RECEIVED,
            batch_payload(batch_id, agency=agency, rows_in=rows),
            f"{batch_id}:batch",
        )
    ]
    for row in range(1, rows + 1):
        outcome = "disclosed" if row in disclosed else "no_match"
        items.append(
            NewEntry(
                EntryKind.ROW_DECISION, row_payload(batch_id, row, outcome), f"{batch_id}:row:{row}"
            )
        )
    for row in disclosed:
        items.append(
            NewEntry(
                EntryKind.DISCLOSURE,
                disclosure_payload(batch_id, row, tin=tins(row), agency=agency, statute=statute),
                f"{batch_id}:disclosure:{row}",
            )
        )
    return items


@pytest.fixture(scope="session")
def filled_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace made once by :func:`filled_ledger`, for tests that copy it and tamper."""
    backend = Backend(name="sqlite", workspace=tmp_path_factory.mktemp("template") / "ws", url=None)
    filled_ledger(backend).close()
    return backend.workspace


@pytest.fixture
def filled_sqlite(filled_sqlite_template: Path, tmp_path: Path) -> Iterator[Backend]:
    """A private copy of the filled SQLite workspace (much faster than filling anew)."""
    shutil.copytree(filled_sqlite_template, tmp_path / "workspace")
    chosen = Backend(name="sqlite", workspace=tmp_path / "workspace", url=None)
    yield chosen
    for ledger in chosen.opened:
        ledger.close()


def filled_ledger(backend: Backend, **options: Any) -> Ledger:
    """A ledger with one batch (14 entries) plus review actions, checkpoints every 5."""
    options.setdefault("checkpoint_every", 5)
    ledger = backend.open(**options)
    ledger.append_many(batch_entries(), actor="pipeline")
    ledger.append(
        EntryKind.REVIEW_ACTION,
        {"action": "confirm", "batch_id": "B1", "row_number": 2, "note": "checked by hand"},
        actor="reviewer",
        idempotency_key="B1:review:2",
    )
    ledger.append_many(batch_entries("B2", rows=4, disclosed=(1,)), actor="pipeline")
    return ledger
