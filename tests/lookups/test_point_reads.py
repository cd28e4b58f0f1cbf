"""A look-up's work does not grow with the master: counted in rows DuckDB scans, not time.

One world's master is prepared whole and as the half of its taxpayers whose TIN is even
(the same people, the same rows each); the same look-ups run against both through
``CompiledScorer`` on a connection that attaches the prepared master as ``open_master``
does. DuckDB's profiler counts the rows every statement of a look-up reads from each table
of the prepared master (``operator_rows_scanned``). On both masters no look-up reads half
of any table, and 25 look-ups together read under 5 % of the master (their keys' and
candidates' rows, through the indexes); before the prepared master was ordered and
indexed every look-up read every key table whole.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from matchgate import sql
from matchgate.batch.workspace import connect_duckdb
from matchgate.intake.read import record_from_fields
from matchgate.master import attach_prepared, ensure_prepared
from matchgate.master.store import ATTACHED_AS, POINT_READ_INDEXES
from matchgate.match import MatchInput, MatchModel, MatchPolicy
from matchgate.match.blocking import BLOCKING_RULES
from matchgate.match.compiled import CompiledScorer
from matchgate.match.engine import load_requests_for_matching
from matchgate.match.model import train_model
from matchgate.synth import generate_world

pytestmark = pytest.mark.slow

_PROFILING = {"OPERATOR_ROWS_SCANNED": "true", "OPERATOR_NAME": "true", "EXTRA_INFO": "true"}


def _scans(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Rows the last statement on ``con`` scanned, per table of the prepared master."""
    found: dict[str, int] = {}

    def walk(node: dict[str, Any]) -> None:
        rows = int(node.get("operator_rows_scanned") or 0)
        table = str(node.get("extra_info", {}).get("Table", ""))
        prefix = f"{ATTACHED_AS}.main."
        if rows and table.startswith(prefix):
            name = table[len(prefix) :]
            found[name] = found.get(name, 0) + rows
        for child in node.get("children", []):
            walk(child)

    walk(json.loads(con.get_profiling_information(format="json")))
    return found


class Counter:
    """Rows scanned per prepared table by the statements run through ``matchgate.sql``."""

    def __init__(self, con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch) -> None:
        self.con = con
        self.rows: dict[str, int] = {}
        self._pending = False
        original: Callable[..., duckdb.DuckDBPyConnection] = sql.run

        def counted(
            c: duckdb.DuckDBPyConnection, text: str, params: Any = None, *, label: str
        ) -> duckdb.DuckDBPyConnection:
            self.collect()  # the statement before this one has been read to its end
            result = original(c, text, params, label=label)
            self._pending = c is con
            return result

        monkeypatch.setattr(sql, "run", counted)
        con.execute("PRAGMA enable_profiling = 'no_output'")
        con.execute(f"PRAGMA custom_profiling_settings = '{json.dumps(_PROFILING)}'")

    def collect(self) -> None:
        if self._pending:
            self._pending = False
            for table, rows in _scans(self.con).items():
                self.rows[table] = self.rows.get(table, 0) + rows

    def take(self) -> dict[str, int]:
        self.collect()
        rows, self.rows = self.rows, {}
        return rows


@pytest.fixture(scope="module")
def masters(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    world = tmp_path_factory.mktemp("point-reads-world")
    generate_world(world, people=1600, requests=60, seed=31, request_mix="stress")
    half = world / "half.parquet"
    con = duckdb.connect()
    con.execute(
        f"COPY (SELECT * FROM read_parquet('{world / 'master.parquet'}')"
        " WHERE try_cast(right(regexp_replace(CAST(tin AS VARCHAR), '[^0-9]', '', 'g'), 1)"
        f" AS INTEGER) % 2 = 0) TO '{half}' (FORMAT parquet)"
    )
    con.close()
    with (world / "requests.csv").open(encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))
    requests = []
    for number, row in enumerate(rows, start=1):
        record = record_from_fields(number, row)
        if not record.problems:
            requests.append(MatchInput.from_record(record))
    return {"world": world, "half": half, "requests": requests[:25]}


def _look_ups(
    master: Path, workspace: Path, requests: list[MatchInput], monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[dict[str, int], dict[str, int]]]:
    """(rows scanned per prepared table, rows each prepared table holds) per look-up."""
    prepared = ensure_prepared(master, workspace)
    con = connect_duckdb()
    try:
        attach_prepared(con, prepared)
        sizes = {
            table: int(
                con.execute(f'SELECT count(*) FROM {ATTACHED_AS}."{table}"').fetchone()[0]  # type: ignore[index]
            )
            for table in POINT_READ_INDEXES
        }
        load_requests_for_matching(con, requests)
        model: MatchModel = train_model(con, taxpayers=prepared.taxpayers)
        scorer = CompiledScorer(
            con, model=model, taxpayers=prepared.taxpayers, policy=MatchPolicy()
        )
        scorer.decide(requests[0])  # warm
        with monkeypatch.context() as patch:
            counter = Counter(con, patch)
            for request in requests:
                scorer.decide(request)
                yield counter.take(), sizes
    finally:
        con.close()


def test_a_look_ups_reads_do_not_grow_with_the_master(
    masters: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    requests = masters["requests"]
    totals = {}
    for name, master in (("half", masters["half"]), ("whole", masters["world"] / "master.parquet")):
        total = 0
        for scanned, sizes in _look_ups(master, tmp_path / name, requests, monkeypatch):
            for table, rows in scanned.items():
                # No look-up reads a whole table of the master (a dozen rows of a key
                # table can be its whole block on a small master: counted from 64 rows).
                if sizes.get(table, 0) >= 64:
                    assert rows < sizes[table] / 2, (name, table, rows, sizes[table])
            total += sum(scanned.values())
        totals[name] = (total, sum(sizes.values()))
    (half, half_size), (whole, whole_size) = totals["half"], totals["whole"]
    assert whole_size > 1.8 * half_size  # the master did double
    assert half > 0
    # What the look-ups read is their keys' blocks and their candidates: a few rows in a
    # thousand of the master per look-up (25 look-ups here read under 5 % of it together;
    # before the layout each one read all of it). The half master's blocks are half as
    # full, so its look-ups read about half as much: reads follow the blocks, not the file.
    assert whole < 0.05 * whole_size and half < 0.05 * half_size, totals


def test_the_count_sees_a_full_scan(
    masters: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The batch's own ``dob_surname`` rule, a join on two keys, still reads all of
    ``mk_person``: the counter above would see a look-up that did so."""
    prepared = ensure_prepared(masters["world"] / "master.parquet", tmp_path)
    con = connect_duckdb()
    try:
        attach_prepared(con, prepared)
        with_dob = [r for r in masters["requests"] if r.as_dict().get("dob")]
        load_requests_for_matching(con, with_dob[:1])
        counter = Counter(con, monkeypatch)
        sql.fetch_all(con, BLOCKING_RULES["dob_surname"], label="test.dob_surname")
        scanned = counter.take()
        people = con.execute(f"SELECT count(*) FROM {ATTACHED_AS}.mk_person").fetchone()
        assert scanned.get("mk_person") == (people[0] if people else None)
    finally:
        con.close()
