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
generated once per (people, requests, seed, mix, generator code) under --cache; ``--world
DIR`` runs on a world already written (the same files for two versions of the code).

``match_stages_seconds`` (and ``match_stages_cpu_seconds``, CPU time) splits the pipeline's
master and match laps: loading and standardizing the master, its features, its key tables,
the request features, training, blocking, the scorer's setup, Splink's scoring and the
decisions (reading the candidates and the rules), with ``key_tables`` (rows of each
blocking key table) beside it. ``--decisions FILE`` keeps a copy of
``internal/decisions.csv`` (for ``compare_decisions.py``).
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
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb

import matchgate.batch.stages
import matchgate.master.build
import matchgate.match.engine
import matchgate.synth
from matchgate.batch.pipeline import run_batch
from matchgate.evaluate import evaluate
from matchgate.match.rules import MATCH_RULES
from matchgate.review.registry import AgencyRegistryStore
from matchgate.synth import generate_world


class StageClock:
    """Seconds spent in each matching stage, by wrapping the functions that run them (the
    same names in every recent version of the engine, so two versions compare)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self._undo: list[tuple[object, str, object]] = []

    def _add(self, stage: str, started: tuple[float, float]) -> None:
        wall, cpu = time.perf_counter() - started[0], time.process_time() - started[1]
        self.seconds[stage] = self.seconds.get(stage, 0.0) + wall
        self.cpu[stage] = self.cpu.get(stage, 0.0) + cpu

    def _patch(self, owner: object, name: str, wrapper: Callable[[Any], Any]) -> None:
        original = getattr(owner, name)
        self._undo.append((owner, name, original))
        setattr(owner, name, wrapper(original))

    def _timed(self, stage: str) -> Callable[[Any], Any]:
        def wrap(function: Any) -> Any:
            def timed(*args: Any, **kwargs: Any) -> Any:
                started = (time.perf_counter(), time.process_time())
                try:
                    return function(*args, **kwargs)
                finally:
                    self._add(stage, started)

            return timed

        return wrap

    def _timed_iterator(self, stage: str) -> Callable[[Any], Any]:
        def wrap(function: Any) -> Any:
            def timed(*args: Any, **kwargs: Any) -> Iterator[Any]:
                iterator = iter(function(*args, **kwargs))
                while True:
                    started = (time.perf_counter(), time.process_time())
                    try:
                        item = next(iterator)
                    except StopIteration:
                        self._add(stage, started)
                        return
                    self._add(stage, started)
                    yield item

            return timed

        return wrap

    def __enter__(self) -> StageClock:
        engine, stages = matchgate.match.engine, matchgate.batch.stages
        # The master is prepared by ``matchgate.master.build`` (once per master and
        # standardizer version; a reused one costs only the look-up).
        build = matchgate.master.build
        self._patch(build, "load_master", self._timed("master_load_and_standardize"))
        self._patch(build, "build_taxpayer_features", self._timed("master_features"))
        self._patch(stages, "ensure_prepared", self._timed("master_total"))
        self._patch(stages, "load_requests_for_matching", self._timed("request_features"))
        self._patch(stages, "ensure_model", self._timed("training"))
        self._patch(engine, "build_candidate_pairs", self._timed("blocking"))
        self._patch(engine.BatchScorer, "__init__", self._timed("scorer_setup_total"))
        self._patch(engine.BatchScorer, "score", self._timed("score_total"))
        self._patch(engine, "_candidates_by_request", self._timed_iterator("decisions"))
        self._patch(engine, "decide", self._timed("decisions"))
        return self

    def __exit__(self, *exc: object) -> None:
        for owner, name, original in reversed(self._undo):
            setattr(owner, name, original)

    def report(self, *, cpu: bool = False) -> dict[str, float]:
        """Seconds per stage: wall-clock, or with ``cpu`` the process's CPU time (every
        thread's; steadier than wall-clock on a shared machine)."""
        get = (self.cpu if cpu else self.seconds).get
        out = {
            "master_load_and_standardize": get("master_load_and_standardize", 0.0),
            "master_features": get("master_features", 0.0),
            "master_key_tables": get("master_total", 0.0)
            - get("master_load_and_standardize", 0.0)
            - get("master_features", 0.0),
            "request_features": get("request_features", 0.0),
            "training": get("training", 0.0),
            "blocking": get("blocking", 0.0),
            "scorer_setup": get("scorer_setup_total", 0.0) - get("blocking", 0.0),
            "scoring": get("score_total", 0.0) - get("decisions", 0.0),
            "decisions": get("decisions", 0.0),
        }
        return {name: round(value, 2) for name, value in out.items()}


def key_table_sizes(workspace: Path) -> dict[str, int]:
    """Rows of every master blocking key table (``mk_*``, in the prepared master) and of
    ``candidate_pairs`` (in the batch)."""
    databases = [
        *sorted((workspace / "master").glob("*/master.duckdb")),
        *(workspace / "batches").glob("*/batch.duckdb"),
    ]
    sizes: dict[str, int] = {}
    for database in databases:
        con = duckdb.connect(str(database), read_only=True)
        try:
            names = [
                row[0]
                for row in con.execute(
                    "SELECT table_name FROM duckdb_tables() WHERE starts_with(table_name, 'mk_') "
                    "OR table_name = 'candidate_pairs' ORDER BY table_name"
                ).fetchall()
            ]
            for name in names:
                row = con.execute(f'SELECT count(*) FROM "{name}"').fetchone()
                sizes[name] = int(row[0]) if row else 0
        finally:
            con.close()
    return sizes


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
        "--world", type=Path, default=None, help="an existing world (overrides --cache)"
    )
    parser.add_argument(
        "--decisions", type=Path, default=None, help="keep a copy of decisions.csv here"
    )
    parser.add_argument(
        "--keep",
        type=Path,
        default=None,
        help="keep the run's output (workspace, decisions) in this new folder for analysis",
    )
    parser.add_argument(
        "--prepared",
        type=Path,
        default=None,
        help=(
            "a workspace whose prepared masters (WS/master, with any model trained on them) "
            "this run reuses, linked into its own fresh workspace: the batch itself is new"
        ),
    )
    parser.add_argument(
        "--admit-batch",
        action="store_true",
        help=(
            "a benchmark policy and agency entry under which review admits a batch this size "
            "(as benchmarks/run.py --admit-batch; a generated 100,000-row letter is refused)"
        ),
    )
    args = parser.parse_args(argv)
    if args.admit_batch and args.policy is not None:
        parser.error("--admit-batch writes its own policy: give it or --policy, not both")

    name = f"world-{args.mix}-{args.people}-{args.requests}-{args.seed}-{generator_fingerprint()}"
    world = args.world if args.world is not None else args.cache / name
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
        if args.prepared is not None:
            # The prepared master (and the model trained once on it, if any) as a second
            # batch in the same workspace finds them; the batch folder is new.
            (out / "workspace").mkdir(parents=True)
            (out / "workspace" / "master").symlink_to((args.prepared / "master").resolve())
        # The office's act before any batch: register the world's agency and its key.
        (out / "workspace").mkdir(parents=True, exist_ok=True)
        agency_file, policy = world / "agency.toml", args.policy
        if args.admit_batch:
            from run import admission_files, request_rows  # benchmarks/run.py, beside this

            admitted = admission_files(
                world, out / "workspace", rows=request_rows(world / "requests.csv")
            )
            agency_file, policy = Path(admitted["agency"]), Path(admitted["policy"])
        with AgencyRegistryStore.open(out / "workspace") as registry:
            registry.add_file(agency_file, actor="bench")
        started = time.perf_counter()
        with StageClock() as clock:
            result = run_batch(
                master=world / "master.parquet",
                requests=world / "requests.csv",
                letter=world / "letter.toml",
                out_dir=out,
                workspace=out / "workspace",
                policy_path=policy,
            )
        if "match" not in result.timings:
            raise SystemExit(
                f"bench_matching.py: no row reached matching (outcomes {result.outcomes}): "
                "review refused the letter; a batch this size needs --admit-batch"
            )
        timings["run_total"] = round(time.perf_counter() - started, 2)
        timings.update({f"run_{k}": round(v, 2) for k, v in result.timings.items()})
        scores = evaluate(truth=world / "truth.csv", decisions=out / "internal" / "decisions.csv")
        blocking = blocking_recall(out / "workspace", world / "truth.csv")
        rules = per_rule_table(out / "internal" / "decisions.csv", world / "truth.csv")
        key_tables = key_table_sizes(out / "workspace")
        if args.decisions is not None:
            shutil.copyfile(out / "internal" / "decisions.csv", args.decisions)
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
        "match_stages_seconds": clock.report(),
        "match_stages_cpu_seconds": clock.report(cpu=True),
        "key_tables": key_tables,
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
