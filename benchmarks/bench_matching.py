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
import json
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from matchgate.evaluate import evaluate
from matchgate.pipeline import run_batch
from matchgate.synth import generate_world


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cache", type=Path, default=Path(".cache/benchmarks"))
    parser.add_argument("--policy", type=Path, default=None)
    parser.add_argument("--hazards", action="store_true", help="print the per-hazard table")
    args = parser.parse_args(argv)

    world = args.cache / f"world-{args.people}-{args.requests}-{args.seed}"
    timings: dict[str, float] = {}
    started = time.perf_counter()
    if not (world / "truth.csv").exists():
        generate_world(world, people=args.people, requests=args.requests, seed=args.seed)
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
    finally:
        shutil.rmtree(out, ignore_errors=True)

    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    report = {
        "people": args.people,
        "requests": args.requests,
        "seed": args.seed,
        "rows_in": result.rows_in,
        "rows_out": result.rows_out,
        "wrong_person_disclosures": scores["wrong_person_disclosures"],
        "disclosures": scores["disclosures"],
        "precision": scores["precision"],
        "in_file_requests": scores["in_file_requests"],
        "recall": scores["recall"],
        "model_expected_wrong_disclosures": scores["model_expected_wrong_disclosures"],
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
