"""Scoring on DuckDB with the address levels inline or precomputed (the Spark engine's way).

    python benchmarks/bench_address_precompute.py --people 50000 --requests 5000 --seed 501 \
        --mix noisy [--repeat 2]

The Spark engine has DuckDB compute the address comparison's level of every candidate pair
(``matchgate.match.spark.precomputed_levels_sql``) and ships it as per-level lists; Spark's
conditions only test membership. Could the DuckDB engine gain from the same? This runs the
batch once (DuckDB engine, priors model: the conditions, not the weights, set the cost), then
in that batch database scores every candidate pair with Splink on DuckDB both ways, in
alternation, ``--repeat`` times each:

* ``inline``: the model's settings as the DuckDB engine uses them;
* ``precomputed``: ``precomputed_levels_sql`` first (timed apart and in the total), then
  Splink with the address levels as ``list_contains(<level list>_r, unique_id_l)``.

Prints one JSON object: seconds per way and run, pairs, and whether both gave the same
gamma_address and match_weight for every pair. Figures only, no pass/fail.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from matchgate import sql
from matchgate.batch.pipeline import match_batch
from matchgate.match.engine import blocked_pairs_sql
from matchgate.match.model import MatchModel, make_linker, register_term_frequencies
from matchgate.match.spark import (
    precomputed_columns,
    precomputed_comparisons,
    precomputed_levels_sql,
)
from matchgate.synth import generate_world

sys.path.insert(0, str(Path(__file__).parent))
from bench_matching import generator_fingerprint  # noqa: E402


def _predict(
    con: duckdb.DuckDBPyConnection, settings: dict[str, Any], master: str, requests: str, into: str
) -> float:
    started = time.perf_counter()
    linker = make_linker(con, settings, master_table=master, requests_table=requests)
    register_term_frequencies(linker, con)
    pairs = linker.db_api.register("blocked_pairs_for_splink", table_name=f"bench_pairs_{into}")
    linker.linker.table_management.register_blocked_pairs_for_predict(pairs)
    predictions = linker.linker.inference.predict()
    sql.run(
        con,
        f"CREATE OR REPLACE TABLE {into} AS SELECT unique_id_r, unique_id_l, gamma_address, "
        f"match_weight FROM {predictions.physical_name}",
        label="bench.predict",
    )
    predictions.drop_table_from_database_and_remove_from_cache()
    return time.perf_counter() - started


def _membership_settings(settings: dict[str, Any], comparisons: tuple[str, ...]) -> dict[str, Any]:
    changed = json.loads(json.dumps(settings))
    for comparison in changed["comparisons"]:
        name = comparison["output_column_name"]
        if name not in comparisons:
            continue
        for index, level in enumerate(comparison["comparison_levels"]):
            if level["sql_condition"].strip().upper() != "ELSE":
                level["sql_condition"] = (
                    f"list_contains(matchgate_level_{name}_{index}_r, unique_id_l)"
                )
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=501)
    parser.add_argument("--mix", choices=("stress", "census", "noisy"), default="noisy")
    parser.add_argument("--cache", type=Path, default=Path(".cache/benchmarks"))
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args(argv)

    name = f"world-{args.mix}-{args.people}-{args.requests}-{args.seed}-{generator_fingerprint()}"
    world = args.cache / name
    if not (world / "truth.csv").exists():
        generate_world(
            world, people=args.people, requests=args.requests, seed=args.seed, request_mix=args.mix
        )
    out = Path(tempfile.mkdtemp(prefix="matchgate-bench-"))
    try:
        model = out / "model.json"
        MatchModel.from_priors().save(model)
        match_batch(
            master=world / "master.parquet",
            requests=world / "requests.csv",
            out_dir=out,
            model_path=model,
        )
        (database,) = (out / "workspace" / "batches").glob("*/batch.duckdb")
        con = duckdb.connect(str(database))
        report = _measure(con, MatchModel.load(model), args.repeat, args.people)
        con.close()
    finally:
        shutil.rmtree(out, ignore_errors=True)
    report.update({"people": args.people, "requests": args.requests, "seed": args.seed})
    report["mix"] = args.mix
    json.dump(report, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


def _measure(
    con: duckdb.DuckDBPyConnection, model: MatchModel, repeat: int, people: int
) -> dict[str, Any]:
    settings = model.with_prior(taxpayers=people)
    comparisons = precomputed_comparisons(settings)
    columns = precomputed_columns(settings, comparisons)
    rids = [r for (r,) in sql.fetch_all(con, "SELECT DISTINCT rid FROM candidate_pairs", label="b")]
    with sql.registered(con, "_chunk_ids", pa.table({"rid": pa.array(rids, pa.string())})):
        sql.run(con, blocked_pairs_sql(), label="bench.pairs")
    pairs = sql.fetch_int(con, "SELECT count(*) FROM blocked_pairs_for_splink", label="b")
    nulls = "".join(f', CAST(NULL AS VARCHAR[]) AS "{c}"' for c in columns)
    lists = "".join(f', p."{c}"' for c in columns)
    sql.run(con, precomputed_levels_sql(con, settings, comparisons), label="bench.pre")
    sql.run(
        con,
        f"CREATE OR REPLACE VIEW bench_master AS SELECT *{nulls} FROM taxpayer_features",
        label="b",
    )
    sql.run(
        con,
        f"CREATE OR REPLACE VIEW bench_requests AS SELECT r.*{lists} FROM request_features r "
        "LEFT JOIN spark_precomputed_levels p ON p.rid = r.unique_id",
        label="b",
    )
    membership = _membership_settings(settings, comparisons)
    inline: list[float] = []
    precompute: list[float] = []
    precomputed_total: list[float] = []
    for _ in range(repeat):
        inline.append(_predict(con, settings, "taxpayer_features", "request_features", "by_inline"))
        started = time.perf_counter()
        sql.run(con, precomputed_levels_sql(con, settings, comparisons), label="bench.pre")
        precompute.append(time.perf_counter() - started)
        scored = _predict(con, membership, "bench_master", "bench_requests", "by_precomputed")
        precomputed_total.append(precompute[-1] + scored)
    differing = sql.fetch_int(
        con,
        "SELECT count(*) FROM by_inline i FULL JOIN by_precomputed p "
        "ON p.unique_id_r = i.unique_id_r AND p.unique_id_l = i.unique_id_l "
        "WHERE p.gamma_address IS DISTINCT FROM i.gamma_address "
        "OR p.match_weight IS DISTINCT FROM i.match_weight",
        label="bench.compare",
    )
    return {
        "pairs": pairs,
        "precomputed_comparisons": list(comparisons),
        "inline_seconds": [round(t, 2) for t in inline],
        "precompute_seconds": [round(t, 2) for t in precompute],
        "precomputed_total_seconds": [round(t, 2) for t in precomputed_total],
        "pairs_differing": differing,
    }


if __name__ == "__main__":
    raise SystemExit(main())
