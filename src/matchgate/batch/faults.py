"""Named points where a test may kill the process, to prove batches resume correctly.

Set ``MATCHGATE_KILL_AT=<point>`` (optionally ``<point>#<n>`` for the n-th time the point
is reached) and the process sends itself SIGKILL there: no cleanup, no flush, exactly as
``kill -9`` at that moment. Unset, a point costs one dictionary lookup.
"""

from __future__ import annotations

import os
import signal

__all__ = ["KILL_POINTS", "LOOKUP_KILL_POINTS", "chunk_rows", "kill_point"]

KILL_POINTS = (
    "intake_chunk",
    "after_intake",
    "review_chunk",
    "after_review",
    "after_master",
    "after_model",
    "match_chunk",
    "after_match",
    "after_final_rows",
    "ledger_chunk",
    "after_ledger",
    "before_output_rename",
    "after_outputs",
)
# A look-up's points: stored with its entries, and entries in the ledger (not yet marked).
LOOKUP_KILL_POINTS = ("lookup_stored", "lookup_recorded")

_seen: dict[str, int] = {}


def kill_point(name: str) -> None:
    wanted = os.environ.get("MATCHGATE_KILL_AT")
    if not wanted:
        return
    point, _, nth = wanted.partition("#")
    if point != name:
        return
    _seen[name] = _seen.get(name, 0) + 1
    if _seen[name] >= int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)


def chunk_rows(default: int) -> int:
    """Rows per durable chunk: ``MATCHGATE_CHUNK_ROWS`` when set (tests use small chunks so
    a small batch spans several), else the stage's default."""
    configured = os.environ.get("MATCHGATE_CHUNK_ROWS", "")
    return int(configured) if configured.isdigit() and int(configured) > 0 else default
