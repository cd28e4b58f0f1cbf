"""Where `matchgate master prepare` spends its time and memory (issue 12).

Prepares a master file in a fresh workspace and prints, per SQL statement label (every
statement goes through :mod:`matchgate.sql`) and per stretch of Python between statements
(standardizing in Python, Arrow tables), the wall seconds, the CPU seconds of this process
(user+sys) and the resident memory after it and the peak so far (VmRSS / VmHWM). The
workers' CPU is counted when they are reaped (`children` column, at the end of each
standardizing step). Run it under `/usr/bin/time -v` for the whole process's peak RSS.

    PYTHONPATH=src nice .venv/bin/python benchmarks/bench_prepare.py \
        --master /tmp/prep/w200/master.parquet --workspace /tmp/prep/ws200

With ``--compare OTHER.duckdb`` the prepared tables are then compared with those of another
prepared master (``benchmarks/compare_prepared.py``): the same tables, the same rows.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from matchgate import sql


def _memory_mb() -> tuple[float, float]:
    """(VmRSS, VmHWM) of this process in MB."""
    values = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            name, value = line.split(":", 1)
            values[name] = int(value.split()[0]) / 1024
    return values.get("VmRSS", 0.0), values.get("VmHWM", 0.0)


def _cpu() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


class Profile:
    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self._mark = self._now()
        self._previous = "start"

    @staticmethod
    def _now() -> tuple[float, float, float]:
        own, children = _cpu()
        return time.perf_counter(), own, children

    def _record(self, label: str) -> None:
        now = self._now()
        rss, hwm = _memory_mb()
        self.rows.append(
            {
                "label": label,
                "wall": now[0] - self._mark[0],
                "cpu": now[1] - self._mark[1],
                "children": now[2] - self._mark[2],
                "rss": rss,
                "hwm": hwm,
            }
        )
        self._mark = now

    @contextmanager
    def statement(self, label: str) -> Iterator[None]:
        self._record(f"(python after {self._previous})")
        try:
            yield
        finally:
            self._record(label)
            self._previous = label

    def finish(self) -> None:
        self._record(f"(python after {self._previous})")

    def print(self, min_wall: float) -> None:
        merged: dict[str, dict[str, Any]] = {}
        for row in self.rows:
            entry = merged.setdefault(
                row["label"],
                {"wall": 0.0, "cpu": 0.0, "children": 0.0, "calls": 0, "rss": 0.0, "hwm": 0.0},
            )
            for key in ("wall", "cpu", "children"):
                entry[key] += row[key]
            entry["calls"] += 1
            entry["rss"] = max(entry["rss"], row["rss"])
            entry["hwm"] = max(entry["hwm"], row["hwm"])
        print(
            f"{'stage':<60} {'calls':>5} {'wall s':>8} {'cpu s':>8} {'child s':>8} "
            f"{'rss MB':>8} {'peak MB':>8}"
        )
        for label, e in merged.items():
            if e["wall"] < min_wall:
                continue
            print(
                f"{label[:60]:<60} {e['calls']:>5} {e['wall']:>8.1f} {e['cpu']:>8.1f} "
                f"{e['children']:>8.1f} {e['rss']:>8.0f} {e['hwm']:>8.0f}"
            )
        total = {k: sum(r[k] for r in self.rows) for k in ("wall", "cpu", "children")}
        print(
            f"{'total':<60} {'':>5} {total['wall']:>8.1f} {total['cpu']:>8.1f} "
            f"{total['children']:>8.1f} {'':>8} {_memory_mb()[1]:>8.0f}"
        )


def _install(profile: Profile) -> None:
    original = sql.run

    def run(con: Any, statement: str, params: Any = None, *, label: str) -> Any:
        with profile.statement(label):
            return original(con, statement, params, label=label)

    sql.run = run  # type: ignore[assignment]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--master", type=Path, required=True)
    parser.add_argument("--workspace", type=Path, required=True)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--min-wall", type=float, default=0.5, help="hide stages shorter")
    parser.add_argument("--compare", type=Path, help="another prepared master.duckdb")
    args = parser.parse_args(argv)

    profile = Profile()
    _install(profile)
    from matchgate.master import prepare

    started = time.perf_counter()
    prepared = prepare(args.master, args.workspace, workers=args.workers, force=True)
    profile.finish()
    print(f"prepared {prepared.database} in {time.perf_counter() - started:.1f} s wall")
    profile.print(args.min_wall)
    if args.compare is not None:
        sys.path.insert(0, str(Path(__file__).parent))
        from compare_prepared import compare

        notes: list[str] = []
        differences = compare(prepared.database, args.compare, notes=notes)
        for line in notes:
            print(f"note: {line}")
        for line in differences:
            print(line)
        print(f"compared with {args.compare}: {len(differences)} difference(s)")
        return 1 if differences else 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
