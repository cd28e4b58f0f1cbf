"""Ledger speed on one 100,000-request batch: append, verify, export, offline verify.

    .venv/bin/python benchmarks/bench_ledger_verify.py [--requests 100000] [--url URL]

Appends what the pipeline writes for a batch (one batch_received entry, one row_decision per
request, a disclosure for about 5% of them) in chunks of 10,000 as
``matchgate.batch.ledger_entries`` does (target: under 3 s per chunk of 10,000, reported as
``append_seconds_per_10000``), then times ``Ledger.verify`` (target: under 30 s),
a re-run of the same batch (must add nothing), ``export`` and ``verify_export``. ``--url``
runs against PostgreSQL instead of a SQLite file. Prints one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

from matchgate.ledger import EntryKind, Ledger, NewEntry, verify_export

T = TypeVar("T")

VERIFY_TARGET_SECONDS = 30.0
APPEND_TARGET_SECONDS_PER_CHUNK = 3.0
CHUNK = 10_000


def batch_entries(requests: int, disclosure_rate: float, seed: int) -> Iterator[NewEntry]:
    rng = random.Random(seed)
    batch_id = "bench-batch-0001"
    yield NewEntry(
        EntryKind.BATCH_RECEIVED,
        {
            "batch_id": batch_id,
            "agency": "Department of Examples",
            "agency_code": "DOE",
            "signer_name": "Pat Head",
            "signer_title": "Inspector General",
            "date_signed": "2026-01-05",
            "requests_file": "requests.csv",
            "requests_sha256": "ab" * 32,
            "rows_in": requests,
            "policy_sha256": "cd" * 32,
        },
        f"{batch_id}:batch",
    )
    disclosed = sorted(rng.sample(range(1, requests + 1), int(requests * disclosure_rate)))
    chosen = set(disclosed)
    for row in range(1, requests + 1):
        outcome = "disclosed" if row in chosen else rng.choice(["no_match", "ambiguous"])
        yield NewEntry(
            EntryKind.ROW_DECISION,
            {
                "batch_id": batch_id,
                "row_number": row,
                "request_id": f"REQ-{row:07d}",
                "outcome": outcome,
                "reason_codes": "" if outcome == "disclosed" else "match.below_threshold",
            },
            f"{batch_id}:row:{row}",
        )
    for row in disclosed:
        yield NewEntry(
            EntryKind.DISCLOSURE,
            {
                "disclosure_id": f"D-{batch_id[:12]}-{row}",
                "batch_id": batch_id,
                "row_number": row,
                "request_id": f"REQ-{row:07d}",
                "tin": f"9{rng.randrange(10**8):08d}",
                "agency": "Department of Examples",
                "agency_code": "DOE",
                "recipients": ["Officer Lane", "Officer Diaz"],
                "statute": rng.choice(["18 U.S.C. 1028", "18 U.S.C. 1343", "8 U.S.C. 1326"]),
                "case_number": f"CASE-{rng.randrange(10**6):06d}",
                "reason": "Address needed to serve a grand-jury subpoena on a witness.",
                "tax_periods": "2024;2025",
                "disclosed_street": f"{rng.randrange(1, 9999)} Main St",
                "disclosed_city": "Springfield",
                "disclosed_state": "IL",
                "disclosed_zip": f"{rng.randrange(10**5):05d}",
                "disclosed_tax_year": 2025,
                "match_probability": round(rng.uniform(0.999, 1.0), 6),
            },
            f"{batch_id}:disclosure:{row}",
        )


def append_in_chunks(ledger: Ledger, entries: Iterator[NewEntry]) -> int:
    count = 0
    chunk: list[NewEntry] = []
    for entry in entries:
        chunk.append(entry)
        if len(chunk) >= CHUNK:
            count += len(ledger.append_many(chunk, actor="bench"))
            chunk = []
    if chunk:
        count += len(ledger.append_many(chunk, actor="bench"))
    return count


def timed(action: Callable[[], T]) -> tuple[T, float]:
    started = time.perf_counter()
    result = action()
    return result, round(time.perf_counter() - started, 3)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--disclosure-rate", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--url", default=None, help="PostgreSQL URL (default: SQLite file)")
    parser.add_argument("--keep", type=Path, default=None, help="workspace folder to keep")
    args = parser.parse_args()

    if args.keep is not None:
        return _run(args, args.keep)
    with tempfile.TemporaryDirectory(prefix="bench-ledger-") as scratch:
        return _run(args, Path(scratch) / "workspace")


def _run(args: argparse.Namespace, workspace: Path) -> int:
    figures: dict[str, object] = {"requests": args.requests, "backend": args.url or "sqlite"}
    with Ledger.open(workspace, url=args.url) as ledger:
        written, append_seconds = timed(
            lambda: append_in_chunks(
                ledger, batch_entries(args.requests, args.disclosure_rate, args.seed)
            )
        )
        figures["append_seconds"] = append_seconds
        figures["entries_appended"] = written
        per_chunk = append_seconds * CHUNK / max(written, 1)
        figures["append_seconds_per_10000"] = round(per_chunk, 3)
        figures["append_target_seconds_per_10000"] = APPEND_TARGET_SECONDS_PER_CHUNK
        figures["append_within_target"] = per_chunk < APPEND_TARGET_SECONDS_PER_CHUNK
        report, figures["verify_wall_seconds"] = timed(ledger.verify)
        figures["verify"] = report.as_dict()
        before = report.last_sequence
        _, figures["rerun_seconds"] = timed(
            lambda: append_in_chunks(
                ledger, batch_entries(args.requests, args.disclosure_rate, args.seed)
            )
        )
        figures["rerun_added_entries"] = ledger.verify().last_sequence - before
        export_path = workspace / "ledger-export.jsonl"
        exported, figures["export_seconds"] = timed(lambda: ledger.export(export_path))
        figures["exported_entries"] = exported
        public_key = ledger.public_key_path
    offline, figures["verify_export_seconds"] = timed(
        lambda: verify_export(export_path, public_key=public_key)
    )
    figures["verify_export_ok"] = offline.ok
    if args.url is None:
        figures["ledger_file_mb"] = round((workspace / "ledger.sqlite").stat().st_size / 1e6, 1)
    figures["export_file_mb"] = round(export_path.stat().st_size / 1e6, 1)
    figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    figures["verify_target_seconds"] = VERIFY_TARGET_SECONDS
    figures["verify_within_target"] = bool(report.ok and report.seconds < VERIFY_TARGET_SECONDS)
    print(json.dumps(figures, indent=2))
    print(
        f"verify: {report.entries_checked:,} entries, {report.checkpoints_checked:,} checkpoints"
        f" in {report.seconds:.2f} s (target < {VERIFY_TARGET_SECONDS:.0f} s)",
        file=sys.stderr,
    )
    ok = report.ok and offline.ok and figures["rerun_added_entries"] == 0
    return 0 if ok and figures["verify_within_target"] else 1


if __name__ == "__main__":
    sys.exit(main())
