"""Levels rewritten to cost less against the SQL they replace: identical gammas, and what the
rewrite saves. ``--old`` names the levels put back as they were (default: every level of issue
12's rewrite, the tolerant address levels and the name levels with an edit distance;
``address:street_spelling`` is the level before its guard).

    python benchmarks/bench_comparison_guard.py --mix census --people 20000 --requests 2000
    python benchmarks/bench_comparison_guard.py --world DIR --levels   # + cost of every level

On one generated world (or ``--world DIR``) it builds the master and request features and
the candidate pairs as a batch does, and a table of ``--random`` random (taxpayer, request)
pairs. Then, with the old levels and with the current ones:

* every comparison's gamma on the random pairs (the levels as a CASE chain, Splink's
  numbering) and, through Splink's own ``predict``, every ``gamma_`` column on all the
  candidate pairs; differences are counted column by column (the run fails on any);
* seconds of Splink's ``estimate_u_using_random_sampling(max_pairs=2_000_000)`` (once each;
  ``--no-estimate-u`` leaves it out) and of its ``predict`` on the candidate pairs.

Each timing but ``estimate_u`` is the fastest of ``--repeat`` runs, old and new in turn.
``--per-request N`` also times the gammas of single requests of N candidate pairs the way a
look-up runs its prediction (PREPAREd once, one thread, CPU milliseconds).

Every time is given as wall-clock seconds and as CPU seconds of the process (all of DuckDB's
threads: on a shared machine the CPU figure is the steadier one). ``--levels`` also times
``SELECT count(*) FROM <pairs> WHERE <condition>`` for every level of every comparison, on the
random pairs and on the candidate pairs. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb

from matchgate.batch.workspace import connect_duckdb
from matchgate.intake import read_requests
from matchgate.match import MatchInput, load_requests_for_matching, prepare_master
from matchgate.match.blocking import build_candidate_pairs
from matchgate.match.comparisons import COMPARISONS, STREET_SPELLING_UNGUARDED
from matchgate.match.comparisons_before import (
    NAME_LEVELS_BEFORE,
    UNIT_DIFFERS_BEFORE,
    WRITTEN_DIFFERENTLY_BEFORE,
)
from matchgate.match.engine import blocked_pairs_sql
from matchgate.match.model import (
    TRAINING_SEED,
    default_settings,
    make_linker,
    register_term_frequencies,
)
from matchgate.synth import generate_world

# The levels as they were before their rewrite, by comparison:label.
OLD_LEVELS = {
    "address:street_spelling": STREET_SPELLING_UNGUARDED,
    "address:unit_differs": UNIT_DIFFERS_BEFORE,
    "address:written_differently": WRITTEN_DIFFERENTLY_BEFORE,
    **NAME_LEVELS_BEFORE,
}
# The levels of issue 12's rewrite (the default of ``--old``).
ISSUE_12_LEVELS = ["address:unit_differs", "address:written_differently", *NAME_LEVELS_BEFORE]


def with_old_levels(comparisons: list[dict[str, Any]], keys: list[str]) -> list[dict[str, Any]]:
    """The comparisons with the levels ``keys`` (comparison:label) as they were before."""
    result = copy.deepcopy(comparisons)
    for comparison in result:
        for level in comparison["comparison_levels"]:
            key = f"{comparison['output_column_name']}:{level.get('label_for_charts')}"
            if key in keys:
                level["sql_condition"] = OLD_LEVELS[key]
    return result


class Timer:
    """Wall-clock and CPU seconds of a block (``with Timer() as t: ...; t.seconds``)."""

    def __enter__(self) -> Timer:
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *_: object) -> None:
        self.wall = round(time.perf_counter() - self._wall, 3)
        self.cpu = round(time.process_time() - self._cpu, 3)

    @property
    def seconds(self) -> dict[str, float]:
        return {"wall": self.wall, "cpu": self.cpu}


def gamma_sql(comparison: dict[str, Any]) -> str:
    """The comparison's gamma as Splink numbers it (null level -1, ELSE 0)."""
    levels = comparison["comparison_levels"]
    non_null = [level for level in levels if not level.get("is_null_level")]
    whens = []
    for level in levels:
        condition = level["sql_condition"]
        if condition.strip().upper() == "ELSE":
            continue
        value = -1 if level.get("is_null_level") else len(non_null) - 1 - non_null.index(level)
        whens.append(f"WHEN {condition} THEN {value}")
    return f"CASE {' '.join(whens)} ELSE 0 END"


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return [str(row[0]) for row in con.execute(f"DESCRIBE {table}").fetchall()]


def pairs_table(con: duckdb.DuckDBPyConnection, name: str, pairs: str) -> None:
    """``name``: the features of taxpayer (``_l``) and request (``_r``) of each pair of
    ``pairs(tin, rid)``."""
    left = ", ".join(f'm."{c}" AS "{c}_l"' for c in _columns(con, "taxpayer_features"))
    right = ", ".join(f'r."{c}" AS "{c}_r"' for c in _columns(con, "request_features"))
    con.execute(
        f"CREATE OR REPLACE TABLE {name} AS SELECT {left}, {right} FROM {pairs} p "
        "JOIN taxpayer_features m ON m.unique_id = p.tin "
        "JOIN request_features r ON r.unique_id = p.rid"
    )


def random_pairs(con: duckdb.DuckDBPyConnection, count: int) -> None:
    con.execute("SELECT setseed(0.25)")
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _m AS "
        "SELECT row_number() OVER (ORDER BY unique_id) - 1 AS ix, unique_id FROM taxpayer_features"
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _r AS "
        "SELECT row_number() OVER (ORDER BY unique_id) - 1 AS ix, unique_id FROM request_features"
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _random_ids AS "
        "SELECT m.unique_id AS tin, r.unique_id AS rid FROM ("
        f"  SELECT floor(random() * (SELECT count(*) FROM _m))::BIGINT AS mi, "
        f"         floor(random() * (SELECT count(*) FROM _r))::BIGINT AS ri FROM range({count})"
        ") p JOIN _m m ON m.ix = p.mi JOIN _r r ON r.ix = p.ri"
    )
    pairs_table(con, "random_pairs", "_random_ids")


def fastest(runs: list[dict[str, float]]) -> dict[str, float]:
    """The least wall-clock and the least CPU seconds of several runs."""
    return {kind: min(run[kind] for run in runs) for kind in ("wall", "cpu")}


def gamma_differences(
    con: duckdb.DuckDBPyConnection, table: str, old: list[dict[str, Any]], repeat: int
) -> dict[str, Any]:
    """Per comparison: pairs whose gamma differs old vs new, and each version's seconds (the
    fastest of ``repeat`` runs, old and new in turn)."""
    result: dict[str, Any] = {}
    for before, after in zip(old, COMPARISONS, strict=True):
        name = after["output_column_name"]
        runs: dict[str, list[dict[str, float]]] = {"old": [], "new": []}
        for _ in range(repeat):
            for label, comparison in (("old", before), ("new", after)):
                with Timer() as timer:
                    con.execute(
                        f"CREATE OR REPLACE TEMP TABLE _g_{label} AS SELECT row_number() OVER () "
                        f"AS n, {gamma_sql(comparison)} AS g FROM {table}"
                    )
                runs[label].append(timer.seconds)
        seconds = {label: fastest(times) for label, times in runs.items()}
        row = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE o.g IS DISTINCT FROM n.g) "
            "FROM _g_old o JOIN _g_new n ON n.n = o.n"
        ).fetchone()
        histogram = dict(con.execute("SELECT g, count(*) FROM _g_new GROUP BY g").fetchall())
        result[name] = {
            "pairs": row[0] if row else 0,
            "differences": row[1] if row else -1,
            "seconds": seconds,
            "gammas": {str(k): v for k, v in histogram.items()},
        }
    return result


def level_costs(
    con: duckdb.DuckDBPyConnection, table: str, old: list[dict[str, Any]], repeat: int
) -> dict[str, dict[str, float]]:
    costs: dict[str, dict[str, float]] = {}
    for version, comparisons in (("new", COMPARISONS), ("old", old)):
        for comparison in comparisons:
            for level in comparison["comparison_levels"]:
                condition = level["sql_condition"]
                if condition.strip().upper() == "ELSE":
                    continue
                key = f"{comparison['output_column_name']}:{level['label_for_charts']}"
                if version == "old" and condition in {
                    lv["sql_condition"] for c in COMPARISONS for lv in c["comparison_levels"]
                }:
                    continue
                runs = []
                for _ in range(repeat):
                    with Timer() as timer:
                        con.execute(f"SELECT count(*) FROM {table} WHERE {condition}").fetchone()
                    runs.append(timer.seconds)
                costs[f"{key} ({version})"] = fastest(runs)
    return dict(sorted(costs.items(), key=lambda item: -item[1]["cpu"]))


def per_request_costs(
    con: duckdb.DuckDBPyConnection, old: list[dict[str, Any]], pairs: int, repeat: int
) -> dict[str, Any]:
    """Milliseconds of CPU of the gamma projection (all comparisons, and each) for one request
    with ``pairs`` candidate pairs, as a look-up runs it: one thread, the statement PREPAREd
    once over a table refilled for each request, only the EXECUTE timed; the mean over up to
    60 such requests, the fastest of ``repeat`` rounds, old and new in turn."""
    con.execute("SET threads = 1")
    requests = [
        str(row[0])
        for row in con.execute(
            "SELECT unique_id_r FROM candidate_features GROUP BY unique_id_r "
            "HAVING count(*) = ? ORDER BY unique_id_r LIMIT 60",
            [pairs],
        ).fetchall()
    ]
    con.execute("CREATE OR REPLACE TEMP TABLE _one AS SELECT * FROM candidate_features LIMIT 0")
    selections = {
        version: {
            "all": ", ".join(f"{gamma_sql(c)} AS g_{c['output_column_name']}" for c in comparisons),
            **{c["output_column_name"]: gamma_sql(c) for c in comparisons},
        }
        for version, comparisons in (("old", old), ("new", COMPARISONS))
    }
    result: dict[str, Any] = {"requests": len(requests), "pairs_each": pairs}
    for part in selections["new"]:
        best: dict[str, float] = {}
        for _ in range(repeat):
            for version in ("old", "new"):
                con.execute(f"PREPARE _gammas AS SELECT {selections[version][part]} FROM _one")
                total = 0.0
                for request in requests:
                    con.execute("DELETE FROM _one")
                    con.execute(
                        "INSERT INTO _one SELECT * FROM candidate_features WHERE unique_id_r = ?",
                        [request],
                    )
                    start = time.process_time()
                    con.execute("EXECUTE _gammas").fetchall()
                    total += time.process_time() - start
                con.execute("DEALLOCATE _gammas")
                mean = round(total / max(len(requests), 1) * 1000, 3)
                best[version] = min(best.get(version, mean), mean)
        result[part] = best
    con.execute("RESET threads")
    return result


def splink_linker(
    con: duckdb.DuckDBPyConnection,
    taxpayers: int,
    comparisons: list[dict[str, Any]],
    tag: str,
    estimate_u: bool,
) -> tuple[Any, dict[str, float] | None]:
    """A linker with ``comparisons``, the candidate pairs registered for ``predict``, and the
    seconds of its ``estimate_u_using_random_sampling`` (None when ``estimate_u`` is off)."""
    settings = default_settings(taxpayers=taxpayers)
    settings["comparisons"] = json.loads(json.dumps(settings["comparisons"]))
    for target, source in zip(settings["comparisons"], comparisons, strict=True):
        for level, wanted in zip(
            target["comparison_levels"], source["comparison_levels"], strict=True
        ):
            level["sql_condition"] = wanted["sql_condition"]
    linker = make_linker(con, settings)
    register_term_frequencies(linker, con)
    u_seconds = None
    if estimate_u:
        with Timer() as u_timer:
            linker.linker.training.estimate_u_using_random_sampling(
                max_pairs=2_000_000, seed=TRAINING_SEED
            )
        u_seconds = u_timer.seconds
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _chunk_ids AS SELECT DISTINCT rid FROM candidate_pairs"
    )
    con.execute(blocked_pairs_sql())
    pairs = linker.db_api.register("blocked_pairs_for_splink", table_name=f"bp_{tag}")
    linker.linker.table_management.register_blocked_pairs_for_predict(pairs)
    return linker, u_seconds


def splink_predict(con: duckdb.DuckDBPyConnection, linker: Any, tag: str) -> dict[str, float]:
    """Seconds of the linker's ``predict``; its gammas kept as ``predicted_<tag>``."""
    with Timer() as predict_timer:
        predictions = linker.linker.inference.predict()
    gammas = ", ".join(f"gamma_{c['output_column_name']}" for c in COMPARISONS)
    con.execute(
        f"CREATE OR REPLACE TABLE predicted_{tag} AS SELECT unique_id_l, unique_id_r, {gammas} "
        f"FROM {predictions.physical_name}"
    )
    predictions.drop_table_from_database_and_remove_from_cache()
    return predict_timer.seconds


def splink_runs(
    con: duckdb.DuckDBPyConnection,
    taxpayers: int,
    old: list[dict[str, Any]],
    *,
    estimate_u: bool,
    repeat: int,
) -> dict[str, Any]:
    """Splink with the old and the new levels: ``estimate_u`` once each (if asked), then
    ``predict`` ``repeat`` times each, old and new in turn (the fastest run counts)."""
    linkers = {}
    report: dict[str, Any] = {}
    for tag, comparisons in (("old", old), ("new", COMPARISONS)):
        linkers[tag], u_seconds = splink_linker(con, taxpayers, comparisons, tag, estimate_u)
        report[f"estimate_u_seconds_{tag}"] = u_seconds
    runs: dict[str, list[dict[str, float]]] = {"old": [], "new": []}
    for _ in range(repeat):
        for tag in ("old", "new"):
            runs[tag].append(splink_predict(con, linkers[tag], tag))
    for tag, times in runs.items():
        report[f"predict_seconds_{tag}"] = fastest(times)
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--world", type=Path)
    parser.add_argument("--mix", default="census")
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--random", type=int, default=200_000)
    parser.add_argument("--levels", action="store_true")
    parser.add_argument(
        "--old",
        default=",".join(ISSUE_12_LEVELS),
        help=f"levels compared as they were (comparison:label), of {', '.join(OLD_LEVELS)}",
    )
    parser.add_argument("--no-splink", action="store_true")
    parser.add_argument("--no-estimate-u", action="store_true", help="time Splink's predict only")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each timing (fastest)")
    parser.add_argument(
        "--per-request",
        type=int,
        default=0,
        metavar="N",
        help="also time the gammas of one request of N candidate pairs as a look-up does",
    )
    parser.add_argument("--db", type=Path, help="keep the DuckDB database here")
    args = parser.parse_args()
    old_labels = [label for label in args.old.split(",") if label]
    unknown = set(old_labels) - set(OLD_LEVELS)
    if unknown:
        parser.error(f"no old version of {', '.join(sorted(unknown))}")
    report: dict[str, Any] = {"mix": args.mix, "old": old_labels, "load": os.getloadavg()}
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
        con = connect_duckdb(args.db or Path(scratch) / "bench.duckdb")
        _, taxpayers = prepare_master(con, world / "master.parquet")
        rows = read_requests(world / "requests.csv").records
        load_requests_for_matching(con, (MatchInput.from_record(r) for r in rows if not r.problems))
        report["candidate_pairs"] = build_candidate_pairs(con, block_cap=200)
        old = with_old_levels(COMPARISONS, old_labels)
        random_pairs(con, args.random)
        report["random_pairs"] = gamma_differences(con, "random_pairs", old, args.repeat)
        pairs_table(con, "candidate_features", "candidate_pairs")
        report["candidate_pairs_gammas"] = gamma_differences(
            con, "candidate_features", old, args.repeat
        )
        if args.levels:
            report["level_seconds_on_random_pairs"] = level_costs(
                con, "random_pairs", old, args.repeat
            )
            report["level_seconds_on_candidate_pairs"] = level_costs(
                con, "candidate_features", old, args.repeat
            )
        if args.per_request:
            report["per_request_cpu_ms"] = per_request_costs(
                con, old, args.per_request, args.repeat
            )
        if not args.no_splink:
            report["splink"] = splink_runs(
                con, taxpayers, old, estimate_u=not args.no_estimate_u, repeat=args.repeat
            )
            report["splink_predict_gamma_differences"] = {
                c["output_column_name"]: con.execute(
                    f"SELECT count(*) FROM predicted_old o FULL JOIN predicted_new n "
                    f"USING (unique_id_l, unique_id_r) WHERE o.gamma_{c['output_column_name']} "
                    f"IS DISTINCT FROM n.gamma_{c['output_column_name']}"
                ).fetchone()[0]  # type: ignore[index]
                for c in COMPARISONS
            }
            report["splink_predicted_pairs"] = con.execute(
                "SELECT count(*) FROM predicted_new"
            ).fetchone()[0]  # type: ignore[index]
        con.close()
    report["load_after"] = os.getloadavg()
    print(json.dumps(report, indent=1))
    differences = [
        v["differences"]
        for key in ("random_pairs", "candidate_pairs_gammas")
        for v in report[key].values()
    ] + list(report.get("splink_predict_gamma_differences", {}).values())
    return 0 if all(d == 0 for d in differences) else 1


if __name__ == "__main__":
    sys.exit(main())
