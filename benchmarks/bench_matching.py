"""Accuracy, speed and memory of matching on a generated world with ground truth.

    python benchmarks/bench_matching.py                       # 100,000 people, 10,000 requests
    python benchmarks/bench_matching.py --people 1000000 --requests 50000

Prints one JSON object: wrong-person disclosures, precision, recall, the model's own
estimate of wrong disclosures, per-hazard figures, time per stage and peak memory. Runs the
full pipeline (`run`) so recall is measured on legally sufficient requests, as the target is
stated. The world is generated once per (people, requests, seed) under --cache.
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from matchgate.evaluate import evaluate
from matchgate.pipeline import run_batch
from matchgate.synth import generate_world


def blocking_recall(workspace: Path, truth: Path) -> dict[str, object]:
    """Share of matched, in-file requests whose true taxpayer was among the candidates."""
    (database,) = (workspace / "batches").glob("*/batch.duckdb")
    con = duckdb.connect(str(database), read_only=True)
    con.execute(
        "CREATE TEMP TABLE truth AS SELECT * FROM read_csv(?, all_varchar=true)", [str(truth)]
    )
    row = con.execute(
        """
        SELECT count(*) AS in_file,
               count(*) FILTER (WHERE c.tin IS NOT NULL) AS found
        FROM review_results r
        JOIN request_rows q ON q.row_number = r.row_number
        JOIN truth t ON t.request_id = q.request_id
        LEFT JOIN candidate_pairs c
          ON c.rid = CAST(r.row_number AS VARCHAR) AND c.tin = t.tin
        WHERE r.to_match AND coalesce(t.tin, '') <> ''
        """
    ).fetchone()
    capped = con.execute("SELECT count(DISTINCT rid) FROM capped_blocks").fetchone()
    con.close()
    in_file, found = (int(row[0]), int(row[1])) if row else (0, 0)
    return {
        "in_file_matched_requests": in_file,
        "true_taxpayer_among_candidates": found,
        "recall": round(found / in_file, 6) if in_file else None,
        "requests_with_a_capped_block": int(capped[0]) if capped else 0,
    }


def disclosable_recall(world: Path, decisions: Path) -> dict[str, object]:
    """Recall over requests that could lawfully be answered: in the file, legally
    sufficient, and the person filed a return in at least one requested tax year (with no
    filing in those years there is no address from them to disclose)."""
    from matchgate.review.periods import parse_tax_periods

    con = duckdb.connect()
    years: dict[str, set[int]] = {}
    for tin, year in con.execute(
        "SELECT DISTINCT tin, tax_year FROM read_parquet(?)", [str(world / "master.parquet")]
    ).fetchall():
        years.setdefault(tin, set()).add(int(year))
    con.close()
    with (world / "requests.csv").open(encoding="utf-8", newline="") as stream:
        periods = {r["request_id"]: r["tax_periods"] for r in csv.DictReader(stream)}
    with (world / "truth.csv").open(encoding="utf-8", newline="") as stream:
        truth = {r["request_id"]: r for r in csv.DictReader(stream)}
    eligible = right = 0
    with decisions.open(encoding="utf-8", newline="") as stream:
        for row in csv.DictReader(stream):
            label = truth.get(row["request_id"])
            if not label or not label["tin"] or label.get("legally_sufficient") != "true":
                continue
            asked = set(parse_tax_periods(periods.get(row["request_id"], "")) or ())
            if not asked & years.get(label["tin"], set()):
                continue
            eligible += 1
            right += row["outcome"] == "disclosed" and row["tin"] == label["tin"]
    return {
        "disclosable_requests": eligible,
        "disclosed_to_the_right_person": right,
        "recall": round(right / eligible, 6) if eligible else None,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--mix", choices=("stress", "census"), default="census")
    parser.add_argument("--cache", type=Path, default=Path(".cache/benchmarks"))
    parser.add_argument("--policy", type=Path, default=None)
    parser.add_argument("--hazards", action="store_true", help="print the per-hazard table")
    args = parser.parse_args(argv)

    world = args.cache / f"world-{args.mix}-{args.people}-{args.requests}-{args.seed}"
    timings: dict[str, float] = {}
    started = time.perf_counter()
    if not (world / "truth.csv").exists():
        generate_world(
            world, people=args.people, requests=args.requests, seed=args.seed, request_mix=args.mix
        )
    timings["generate"] = round(time.perf_counter() - started, 2)

    out = Path(tempfile.mkdtemp(prefix="matchgate-bench-"))
    try:
        started = time.perf_counter()
        result = run_batch(
            master=world / "master.parquet",
            requests=world / "requests.csv",
            letter=world / "letter.toml",
            out_dir=out,
            workspace=out / "workspace",
            policy_path=args.policy,
        )
        timings["run_total"] = round(time.perf_counter() - started, 2)
        timings.update({f"run_{k}": round(v, 2) for k, v in result.timings.items()})
        scores = evaluate(truth=world / "truth.csv", decisions=out / "internal" / "decisions.csv")
        blocking = blocking_recall(out / "workspace", world / "truth.csv")
        disclosable = disclosable_recall(world, out / "internal" / "decisions.csv")
    finally:
        shutil.rmtree(out, ignore_errors=True)

    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    report = {
        "people": args.people,
        "requests": args.requests,
        "seed": args.seed,
        "mix": args.mix,
        "rows_in": result.rows_in,
        "rows_out": result.rows_out,
        "wrong_person_disclosures": scores["wrong_person_disclosures"],
        "disclosures": scores["disclosures"],
        "precision": scores["precision"],
        "in_file_requests": scores["in_file_requests"],
        "recall": scores["recall"],
        "model_expected_wrong_disclosures": scores["model_expected_wrong_disclosures"],
        "recall_of_disclosable_requests": disclosable,
        "blocking_recall": blocking,
        "outcomes": scores["outcomes"],
        "matching": result.matching,
        "timings_seconds": timings,
        "requests_per_second": round(args.requests / max(timings["run_total"], 1e-9), 1),
        "peak_rss_mb": round(peak_rss_mb, 1),
        "wrong_person_examples": scores["wrong_person_examples"],
    }
    if args.hazards:
        report["per_hazard"] = scores["per_hazard"]
    json.dump(report, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
