"""Look-up latency in-process: ``run_lookup`` under the world's look-up letter.

    PYTHONPATH=src python benchmarks/bench_lookups.py --people 3000 --lookups 200
    PYTHONPATH=src python benchmarks/bench_lookups.py --people 3000 --lookups 20 --batch-of-one
    PYTHONPATH=src python benchmarks/bench_lookups.py --people 200000 --lookups 40 \
        --world /tmp/w200k --workspace /tmp/ws200k  # kept: a rerun (--offset 41) skips
        # training and preparing

The model is trained on the world's request file first (as a batch run leaves one in the
workspace); the first look-up opens (standardizes) the master and is reported apart.
``--transfer-day N`` answers the look-ups N days after today (the same rows on another day
are new look-ups, not answers from the letter's store: two versions of the code can then
run on the same rows in turn); ``--statements`` also prints the CPU time of the process per
look-up and the time of the DuckDB statements per look-up by label (``matchgate.sql``).
``--batch-of-one`` times the earlier path for comparison: every look-up a batch of one row
(``run_batch``) under a bulk letter signed for that one-row file, which standardizes the
master into its own batch database each time.
"""

from __future__ import annotations

import argparse
import csv
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from matchgate.synth import generate_world  # noqa: E402
from matchgate_cli import register_world_agency  # noqa: E402


def _rows(world: Path) -> list[dict[str, str]]:
    with (world / "requests.csv").open(encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))
    return [r for r in rows if r["first_name"] and r["last_name"] and r["street"] and r["zip"]]


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


class _Statements:
    """Seconds of the statements run through ``matchgate.sql.run`` per label, while on."""

    def __init__(self) -> None:
        from matchgate import sql

        self.seconds: dict[str, float] = {}
        self.on = False
        run = sql.run

        def timed(con: Any, text: str, params: Any = None, *, label: str) -> Any:
            started = time.perf_counter()
            try:
                return run(con, text, params, label=label)
            finally:
                if self.on:
                    elapsed = time.perf_counter() - started
                    self.seconds[label] = self.seconds.get(label, 0.0) + elapsed

        sql.run = timed  # type: ignore[assignment]


def _lookups(
    world: Path,
    workspace: Path,
    rows: list[dict[str, str]],
    *,
    day: date | None = None,
    statements: _Statements | None = None,
    cpu: list[float] | None = None,
) -> list[float]:
    from matchgate.lookups import run_lookup

    times = []
    for number, row in enumerate(rows):
        if statements is not None:
            statements.on = number > 0  # the first look-up opens the master: apart
        started, started_cpu = time.perf_counter(), time.process_time()
        run_lookup(
            workspace=workspace,
            fields=row,
            actor="benchmark",
            letter=world / "lookup_letter.toml",
            master=world / "master.parquet",
            transfer_date=day,
        )
        times.append(time.perf_counter() - started)
        if cpu is not None:
            cpu.append(time.process_time() - started_cpu)
    return times


def _batches_of_one(world: Path, workspace: Path, rows: list[dict[str, str]]) -> list[float]:
    from matchgate.batch.pipeline import run_batch
    from matchgate.review.signing import load_private_key, sign_letter_file

    key = load_private_key(world / "agency.key")
    text = (world / "letter.toml").read_text(encoding="utf-8").split("\n[signature]")[0]
    times = []
    for number, row in enumerate(rows):
        folder = workspace / "inputs" / str(number)
        folder.mkdir(parents=True)
        requests, letter = folder / "lookup.csv", folder / "letter.toml"
        with requests.open("w", encoding="utf-8", newline="") as stream:
            writer = csv.DictWriter(stream, fieldnames=list(row))
            writer.writeheader()
            writer.writerow(row)
        letter.write_text(text, encoding="utf-8")
        started = time.perf_counter()
        sign_letter_file(key=key, letter=letter, requests=requests)
        run_batch(
            master=world / "master.parquet",
            requests=requests,
            letter=letter,
            out_dir=folder / "out",
            workspace=workspace,
            actor="benchmark",
        )
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=3000)
    parser.add_argument("--lookups", type=int, default=200)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--world", type=Path, help="reuse (or write) the world here")
    parser.add_argument(
        "--workspace",
        type=Path,
        help="reuse (or write) the workspace here: its prepared master and trained model",
    )
    parser.add_argument("--offset", type=int, default=0, help="skip this many requests")
    parser.add_argument("--batch-of-one", action="store_true", help="time the earlier path")
    parser.add_argument(
        "--transfer-day", type=int, default=0, help="answer the look-ups this many days on"
    )
    parser.add_argument(
        "--statements", action="store_true", help="CPU and DuckDB statements per look-up"
    )
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="bench-lookups-"))
    try:
        world = args.world or scratch / "world"
        if not (world / "lookup_letter.toml").exists():
            requests = max(400, 2 * (args.offset + args.lookups))
            generate_world(world, people=args.people, requests=requests, seed=args.seed)
        # Distinct requests only: the same request again the same day is answered from the
        # letter's store without a look-up.
        # (--offset: other rows than an earlier run's on a reused workspace, which would be
        # answered from the letter's store.)
        rows = _rows(world)[args.offset : args.offset + args.lookups + 1]
        if len(rows) <= args.lookups:
            parser.error(f"the world has {len(rows)} complete requests; ask for fewer look-ups")
        workspace = args.workspace or scratch / "workspace"
        if not (workspace / "model.json").is_file():
            register_world_agency(world, workspace)
            from matchgate.batch.training import train_from_files

            started = time.perf_counter()
            train_from_files(
                master=world / "master.parquet",
                requests=world / "requests.csv",
                out=workspace / "model.json",
            )
            print(f"model trained on the world's requests: {time.perf_counter() - started:.1f} s")

        statements = _Statements() if args.statements else None
        cpu: list[float] = []
        if args.batch_of_one:
            times = _batches_of_one(world, workspace, rows)
        else:
            day = date.today() + timedelta(days=args.transfer_day) if args.transfer_day else None
            times = _lookups(world, workspace, rows, day=day, statements=statements, cpu=cpu)
        first, rest = times[0], times[1:]
        size = sum(p.stat().st_size for p in workspace.rglob("*") if p.is_file())
        path = "batch of one (run_batch)" if args.batch_of_one else "run_lookup"
        print(f"{path}: {args.people:,} people, {len(rest)} look-ups after the first")
        print(f"  first (opens the master, model): {first * 1000:.0f} ms")
        print(
            f"  p50 {statistics.median(rest) * 1000:.0f} ms, "
            f"p95 {_percentile(rest, 0.95) * 1000:.0f} ms, "
            f"p99 {_percentile(rest, 0.99) * 1000:.0f} ms, "
            f"mean {statistics.fmean(rest) * 1000:.0f} ms"
        )
        print(
            f"  workspace after: {size / 1e6:.1f} MB ({size / len(times) / 1e3:.0f} kB a look-up)"
        )
        if statements is not None:
            print(f"  CPU of the process: mean {statistics.fmean(cpu[1:]) * 1000:.0f} ms a look-up")
            ordered = sorted(statements.seconds.items(), key=lambda item: -item[1])
            print("  DuckDB statements, ms a look-up by label:")
            for label, seconds in ordered:
                print(f"    {label:<40} {seconds / len(rest) * 1000:7.1f}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
