"""Gammas of this checkout's comparisons against another version of ``comparisons.py``: how many
pairs change level, and which.

    git show main:src/matchgate/match/comparisons.py > /tmp/old_comparisons.py
    python benchmarks/bench_comparison_change.py --old /tmp/old_comparisons.py --mix stress
    python benchmarks/bench_comparison_change.py --old OLD.py --world DIR --no-splink

``comparisons.py`` imports nothing of matchgate, so the old one is loaded from its file as a
module of its own. On one generated world (or ``--world DIR``) the master and request
features and the candidate pairs are built as a batch builds them, with ``--random`` random
(taxpayer, request) pairs (``bench_comparison_guard``'s tables). For every comparison it
counts the pairs whose gamma differs old vs new, on the random pairs, on the candidate pairs
and (unless ``--no-splink``) in Splink's own ``predict`` on the candidate pairs, and prints up
to ``--examples`` differing candidate pairs with their old and new level and both sides'
street keys; ``--time-level comparison:label`` times that level old and new in turn
(``--repeats``) on the random pairs. Prints one JSON object; unlike ``bench_comparison_guard``
a difference is the finding, not a failure.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_comparison_guard import (
    gamma_differences,
    gamma_sql,
    pairs_table,
    random_pairs,
    splink_runs,
)

from matchgate.batch.workspace import connect_duckdb
from matchgate.intake import read_requests
from matchgate.match import MatchInput, load_requests_for_matching, prepare_master
from matchgate.match.blocking import build_candidate_pairs
from matchgate.match.comparisons import COMPARISONS, comparison_labels
from matchgate.synth import generate_world


def load_old(path: Path) -> list[dict[str, Any]]:
    spec = importlib.util.spec_from_file_location("old_comparisons", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    old: list[dict[str, Any]] = module.COMPARISONS
    names = [c["output_column_name"] for c in old]
    if names != [c["output_column_name"] for c in COMPARISONS]:
        raise SystemExit(f"{path}: other comparisons ({names})")
    return old


def examples(con: Any, old: list[dict[str, Any]], count: int) -> list[dict[str, Any]]:
    labels = comparison_labels()
    found: list[dict[str, Any]] = []
    for before, after in zip(old, COMPARISONS, strict=True):
        name = after["output_column_name"]
        rows = con.execute(
            f"SELECT * FROM (SELECT unique_id_l, unique_id_r, {gamma_sql(before)} AS o, "
            f"{gamma_sql(after)} AS n, street_keys_l, street_keys_r, locators_l, locators_r, "
            "city_locator_keys_l, city_locator_keys_r FROM candidate_features) "
            f"WHERE o IS DISTINCT FROM n LIMIT {count}"
        ).fetchall()
        for row in rows:
            found.append(
                {
                    "comparison": name,
                    "pair": [row[0], row[1]],
                    "old": labels[name].get(row[2], row[2]),
                    "new": labels[name].get(row[3], row[3]),
                    "street_keys": [row[4], row[5]],
                    "locators": [row[6], row[7]],
                    "city_locator_keys": [row[8], row[9]],
                }
            )
    return found


def level_seconds(
    con: Any, old: list[dict[str, Any]], label: str, repeats: int
) -> dict[str, list[float]]:
    """Seconds of ``SELECT count(*) FROM random_pairs WHERE <level>``, old and new in turn."""
    conditions = {}
    for version, comparisons in (("old", old), ("new", COMPARISONS)):
        for comparison in comparisons:
            for level in comparison["comparison_levels"]:
                if f"{comparison['output_column_name']}:{level['label_for_charts']}" == label:
                    conditions[version] = level["sql_condition"]
    seconds: dict[str, list[float]] = {"old": [], "new": []}
    for _ in range(repeats):
        for version, condition in conditions.items():
            start = time.perf_counter()
            con.execute(f"SELECT count(*) FROM random_pairs WHERE {condition}").fetchone()
            seconds[version].append(round(time.perf_counter() - start, 3))
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", type=Path, required=True, help="another comparisons.py")
    parser.add_argument("--world", type=Path)
    parser.add_argument("--mix", default="census")
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--random", type=int, default=200_000)
    parser.add_argument("--examples", type=int, default=10)
    parser.add_argument("--no-splink", action="store_true")
    parser.add_argument("--time-level", help="e.g. address:street_spelling: old/new seconds")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    old = load_old(args.old)
    report: dict[str, Any] = {"mix": args.mix, "seed": args.seed, "load": os.getloadavg()}
    with tempfile.TemporaryDirectory() as scratch:
        world = args.world
        if world is None:
            world = Path(scratch) / "world"
            generate_world(
                world,
                people=args.people,
                requests=args.requests,
                seed=args.seed,
                request_mix=args.mix,
            )
        con = connect_duckdb(Path(scratch) / "bench.duckdb")
        _, taxpayers = prepare_master(con, world / "master.parquet")
        rows = read_requests(world / "requests.csv").records
        load_requests_for_matching(con, (MatchInput.from_record(r) for r in rows if not r.problems))
        report["candidate_pairs"] = build_candidate_pairs(con, block_cap=200)
        random_pairs(con, args.random)
        report["random_pairs"] = gamma_differences(con, "random_pairs", old)
        pairs_table(con, "candidate_features", "candidate_pairs")
        report["candidate_pairs_gammas"] = gamma_differences(con, "candidate_features", old)
        report["examples"] = examples(con, old, args.examples)
        if args.time_level:
            report["level_seconds"] = level_seconds(con, old, args.time_level, args.repeats)
        if not args.no_splink:
            report["splink_old"] = splink_runs(con, taxpayers, old, "old")
            report["splink_new"] = splink_runs(con, taxpayers, COMPARISONS, "new")
            report["splink_predict_gamma_differences"] = {
                c["output_column_name"]: con.execute(
                    f"SELECT count(*) FROM predicted_old o FULL JOIN predicted_new n "
                    f"USING (unique_id_l, unique_id_r) WHERE o.gamma_{c['output_column_name']} "
                    f"IS DISTINCT FROM n.gamma_{c['output_column_name']}"
                ).fetchone()[0]  # type: ignore[index]
                for c in COMPARISONS
            }
        con.close()
    report["load_after"] = os.getloadavg()
    print(json.dumps(report, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
