"""A writer killed at any moment leaves whole chunks; running again finishes the job."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from matchgate.ledger import EntryKind, Ledger, NewEntry

from .conftest import Backend, row_payload

CHUNK = 400
CHUNKS = 12

WRITER = textwrap.dedent(
    f"""
    import sys
    from pathlib import Path
    from matchgate.ledger import EntryKind, Ledger, NewEntry

    workspace = Path(sys.argv[1])
    with Ledger.open(workspace, checkpoint_every=150) as ledger:
        for chunk in range({CHUNKS}):
            rows = range(chunk * {CHUNK} + 1, (chunk + 1) * {CHUNK} + 1)
            ledger.append_many(
                [
                    NewEntry(
                        EntryKind.ROW_DECISION,
                        {{"batch_id": "K", "row_number": row, "outcome": "no_match"}},
                        f"K:row:{{row}}",
                    )
                    for row in rows
                ],
                actor="writer",
            )
            print(chunk, flush=True)
    """
)


def run_writer(workspace: Path, *, kill_after_lines: int | None, pause: float) -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(workspace)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    if kill_after_lines is None:
        assert process.wait(timeout=120) == 0
        return
    for _ in range(kill_after_lines):
        if not process.stdout.readline():
            break
    time.sleep(pause)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)


def row_entries(workspace: Path) -> list[int]:
    with Ledger.open(workspace, read_only=True) as ledger:
        report = ledger.verify()
        assert report.ok, report.summary()
    import sqlite3

    with sqlite3.connect(workspace / "ledger.sqlite") as conn:
        rows = conn.execute(
            "SELECT json_extract(payload, '$.row_number') FROM ledger_entries"
            " WHERE kind = 'row_decision' ORDER BY sequence"
        ).fetchall()
    return [row for (row,) in rows]


@pytest.mark.slow
def test_kill_minus_nine_at_many_points_then_rerun(tmp_path: Path) -> None:
    workspace = tmp_path / "workspace"
    Ledger.open(workspace).close()  # the key and schema exist before the first kill
    for lines, pause in [(0, 0.0), (1, 0.003), (3, 0.011), (5, 0.0), (8, 0.007)]:
        run_writer(workspace, kill_after_lines=lines, pause=pause)
        rows = row_entries(workspace)
        print(f"killed after {lines} chunks + {pause} s: {len(rows)} rows stored")
        assert len(rows) % CHUNK == 0, "a chunk was written in part"
        assert rows == list(range(1, len(rows) + 1)), "entries duplicated or out of order"
    run_writer(workspace, kill_after_lines=None, pause=0)
    assert row_entries(workspace) == list(range(1, CHUNK * CHUNKS + 1))
    run_writer(workspace, kill_after_lines=None, pause=0)  # a finished job changes nothing
    assert row_entries(workspace) == list(range(1, CHUNK * CHUNKS + 1))


def test_two_writers_at_once_keep_one_chain(backend: Backend) -> None:
    first, second = backend.open(checkpoint_every=50), backend.open(checkpoint_every=50)
    errors: list[BaseException] = []

    def write(ledger: Ledger, name: str) -> None:
        try:
            for chunk in range(5):
                ledger.append_many(
                    [
                        NewEntry(EntryKind.ROW_DECISION, row_payload(name, row), f"{name}:{row}")
                        for row in range(chunk * 40, chunk * 40 + 40)
                    ],
                    actor=name,
                )
        except BaseException as exc:  # reported by the main thread below
            errors.append(exc)

    threads = [
        threading.Thread(target=write, args=(first, "A")),
        threading.Thread(target=write, args=(second, "B")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    report = first.verify()
    assert report.ok, report.summary()
    kinds = backend.rows("SELECT kind, count(*) FROM ledger_entries GROUP BY kind")
    assert dict((kind, int(n)) for kind, n in kinds)["row_decision"] == 400
