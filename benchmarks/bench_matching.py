"""Accuracy, speed and memory of matching on a generated world with ground truth.

    python benchmarks/bench_matching.py                       # 100,000 people, 10,000 requests
    python benchmarks/bench_matching.py --people 1000000 --requests 50000

Prints one JSON object: wrong-person disclosures, precision, recall, the model's own
estimate of wrong disclosures (always), a per-rule table (requests each named rule of
MATCH_RULES decided, and how many of those had the right person as best candidate: the cost
of each safeguard in recall), per-hazard figures, time per stage and peak memory. Runs the
full pipeline (`run`) so recall is measured on legally sufficient requests, as the target is
stated, and prints it two ways: over every in-file, legally sufficient request (`recall`) and
over those whose person filed a return in a requested tax year (`recall_of_answerable`; for
the others no lawful answer discloses anything), and the share of every in-file, legally
sufficient request answered rightly (`recall_of_right_answers`: disclosed to the right
person, or the right person found with no return in the requested periods). The world is
generated once per (people, requests, seed, mix, generator code) under --cache.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import duckdb

import matchgate.synth
from matchgate.batch.pipeline import run_batch
from matchgate.evaluate import evaluate
from matchgate.match.rules import MATCH_RULES
from matchgate.review.registry import AgencyRegistryStore
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


def _deciding_rule(outcome: str, codes: list[str]) -> str:
    """The rule in MATCH_RULES that decided a decisions.csv row, from its reason codes (the
    deciding rule's codes come first); a later stage's refusal is named ``stage:<code>``."""
    if outcome == "disclosed":
        return "disclose_above_threshold"
    if "household_conflict" in codes[:2]:
        return "household_namesake"
    by_code = {code: rule.name for rule in MATCH_RULES if rule.outcome for code in rule.codes}
    first = codes[0] if codes else ""
    return by_code.get(first, f"stage:{first or '-'}")


def per_rule_table(decisions: Path, truth: Path) -> dict[str, dict[str, int]]:
    """For each deciding rule: requests it decided, how many of those were in the file, and
    how many named the right person as best candidate (the recall a safeguard costs)."""
    with truth.open(encoding="utf-8", newline="") as stream:
        true_tin = {row["request_id"]: (row.get("tin") or "") for row in csv.DictReader(stream)}
    table: dict[str, dict[str, int]] = {}
    with decisions.open(encoding="utf-8", newline="") as stream:
        for row in csv.DictReader(stream):
            codes = [code for code in (row.get("reason_codes") or "").split(";") if code]
            rule = _deciding_rule(row["outcome"], codes)
            entry = table.setdefault(rule, {"requests": 0, "in_file": 0, "right_person": 0})
            entry["requests"] += 1
            tin = true_tin.get(row["request_id"], "")
            entry["in_file"] += bool(tin)
            entry["right_person"] += bool(tin) and row.get("tin") == tin
    order = {rule.name: index for index, rule in enumerate(MATCH_RULES)}
    return dict(sorted(table.items(), key=lambda item: (order.get(item[0], 99), item[0])))


def generator_fingerprint() -> str:
    """Changes whenever the generator's code or data change (not its documentation), so a
    cached world is never one an older generator wrote."""
    root = Path(matchgate.synth.__file__).parent
    digest = hashlib.sha256()
    files = (
        p
        for p in root.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".md"
    )
    for path in sorted(files):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--mix", choices=("stress", "census", "noisy"), default="census")
    parser.add_argument("--cache", type=Path, default=Path(".cache/benchmarks"))
    parser.add_argument("--policy", type=Path, default=None)
    parser.add_argument("--hazards", action="store_true", help="print the per-hazard table")
    parser.add_argument(
        "--keep",
        type=Path,
        default=None,
        help="keep the run's output (workspace, decisions) in this new folder for analysis",
    )
    args = parser.parse_args(argv)

    name = f"world-{args.mix}-{args.people}-{args.requests}-{args.seed}-{generator_fingerprint()}"
    world = args.cache / name
    timings: dict[str, float] = {}
    started = time.perf_counter()
    if not (world / "truth.csv").exists():
        generate_world(
            world, people=args.people, requests=args.requests, seed=args.seed, request_mix=args.mix
        )
    timings["generate"] = round(time.perf_counter() - started, 2)

    if args.keep is not None:
        args.keep.mkdir(parents=True)  # a new folder: never mixes two runs
        out = args.keep
    else:
        out = Path(tempfile.mkdtemp(prefix="matchgate-bench-"))
    try:
        # The office's act before any batch: register the world's agency and its key.
        with AgencyRegistryStore.open(out / "workspace") as registry:
            registry.add_file(world / "agency.toml", actor="bench")
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
        rules = per_rule_table(out / "internal" / "decisions.csv", world / "truth.csv")
    finally:
        if args.keep is None:
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
        "answerable_requests": scores["answerable_requests"],
        "recall_of_answerable": scores["recall_of_answerable"],
        "recall_of_right_answers": scores["recall_of_right_answers"],
        "wrong_identifications_without_disclosure": scores[
            "wrong_identifications_without_disclosure"
        ],
        "blocking_recall": blocking,
        "outcomes": scores["outcomes"],
        # per deciding rule: requests, in the file, best candidate the right person (for a
        # refusing rule, the right people it held back)
        "per_rule": rules,
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
