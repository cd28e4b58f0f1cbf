"""matchgate end to end against a plain Splink model on the same generated world.

    .venv/bin/python benchmarks/run.py --people 200000 --requests 10000 [--engine duckdb|spark]
        [--seed 1] [--mix census] [--world DIR] [--lookups 1000] [--lookup-seconds 300]

Generates the world once (cached under ``benchmarks/.worlds/``, or ``--world DIR``), then runs,
each in a subprocess of its own so each peak memory is its own (``os.wait4``):

1. master preparation (``matchgate master prepare``, when this matchgate has it);
2. the batch through matchgate (``BatchFolders.run_upload``, the server's path, which calls
   ``run_batch``): wall time and peak RSS per stage (RSS sampled every 20 ms in the process),
   rows and pairs; then look-ups one row at a time through ``matchgate.lookups.run_lookup``
   (the function behind ``matchgate lookup`` and ``POST /api/lookups``), p50/p99;
3. the plain Splink peer: a tutorial-style Splink DuckDB model as a user would write it,
   trained (u by random sampling, m by EM on two blocking rules) and predicted in the run;
   each request's best candidate above 0.99 is assigned.

Accuracy of both is measured against the world's ``truth.csv`` on the legally sufficient
rows: wrong-person assignments (an assigned TIN that is not the true one, every assignment to
someone not in the file included) and recall (right assignments over in-file rows).
Figures only: nothing here is a pass/fail test (``benchmarks/RESULTS.md`` records runs).
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import inspect
import json
import math
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
WORLDS = HERE / ".worlds"
RESULT_MARK = "BENCH-RESULT "
MIXES = ("stress", "census", "noisy")
ENGINES = ("duckdb", "spark")
PEER_THRESHOLD = 0.99


class BenchError(Exception):
    """A benchmark that cannot run as asked; the message says why."""


# -- arguments ---------------------------------------------------------------------------


def _positive(text: str) -> int:
    try:
        value = int(text.replace("_", "").replace(",", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--people", type=_positive, required=True)
    parser.add_argument("--requests", type=_positive, required=True)
    parser.add_argument("--engine", choices=ENGINES, default="duckdb")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--mix", choices=MIXES, default="census")
    parser.add_argument("--world", type=Path, help="world folder (default: a cached one)")
    parser.add_argument("--lookups", type=int, default=1000, help="look-ups to time")
    parser.add_argument(
        "--lookup-seconds", type=float, default=300.0, help="stop timing look-ups after this"
    )
    parser.add_argument("--skip-peer", action="store_true", help="do not run plain Splink")
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    parser.add_argument(
        "--admit-batch",
        action="store_true",
        help=(
            "benchmark a batch larger than review admits (the default policy holds a batch "
            "over 100,000 rows for a person and refuses one over a quarter of the agency's "
            "plausible caseload): run it under a benchmark policy (max_batch_rows raised to "
            "the batch, max_caseload_share 0.5) with the agency's registered caseload raised "
            "to admit it. Printed and recorded; never do this for a real batch"
        ),
    )
    parser.add_argument(
        "--prepared",
        type=Path,
        help=(
            "a workspace whose prepared master (WS/master, and the model trained on it if "
            "any) is reused instead of preparing one: linked into the run's fresh workspace"
        ),
    )
    args = parser.parse_args(argv)
    if args.requests > args.people:
        parser.error(f"--requests ({args.requests:,}) may not exceed --people ({args.people:,})")
    if args.seed < 0:
        parser.error("--seed must be 0 or more")
    if args.lookups < 0:
        parser.error("--lookups must be 0 or more")
    return args


def world_folder(args: argparse.Namespace) -> Path:
    if args.world is not None:
        return Path(args.world)
    return WORLDS / f"p{args.people}-r{args.requests}-s{args.seed}-{args.mix}"


def check_engine(engine: str) -> None:
    """``--engine spark`` passes through to matchgate's engine option, which must exist."""
    if engine == "duckdb":
        return
    from matchgate.batch.pipeline import run_batch

    if "engine" not in inspect.signature(run_batch).parameters:
        raise BenchError(
            f"--engine {engine}: this matchgate has no engine option (run_batch takes no "
            "'engine' argument), so there is nothing to pass it to; run without --engine"
        )


def has_master_prepare() -> bool:
    """Whether this matchgate has ``matchgate master prepare`` (the prepared master)."""
    return importlib.util.find_spec("matchgate.master") is not None


# -- subprocesses ------------------------------------------------------------------------


def run_child(argv: list[str], *, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run a command; its wall time, its own peak RSS, and the figures it printed."""
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out:
        process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - started
        out.seek(0)
        text = out.read()
    figures: dict[str, Any] = {}
    for line in text.splitlines():
        if line.startswith(RESULT_MARK):
            figures = json.loads(line[len(RESULT_MARK) :])
    if process.returncode != 0:
        tail = "\n".join(text.splitlines()[-15:])
        raise BenchError(f"{' '.join(argv[:4])} ... failed ({process.returncode}):\n{tail}")
    figures["wall_s"] = round(wall, 2)
    figures["peak_rss_mb"] = round(usage.ru_maxrss / 1024, 1)  # Linux: kilobytes
    return figures


def worker(name: str, **params: Any) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), "_worker", name, json.dumps(params)]


def _emit(figures: dict[str, Any]) -> None:
    print(RESULT_MARK + json.dumps(figures), flush=True)


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


class RssSampler:
    """Samples this process's RSS every ``interval`` seconds in a thread."""

    def __init__(self, interval: float = 0.02) -> None:
        self.samples: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(interval,), daemon=True)

    def _run(self, interval: float) -> None:
        while not self._stop.is_set():
            self.samples.append((time.perf_counter(), _rss_mb()))
            self._stop.wait(interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def peak_between(self, start: float, stop: float) -> float:
        inside = [rss for at, rss in self.samples if start <= at <= stop]
        return round(max(inside), 1) if inside else 0.0


# -- workers (run in their own process) --------------------------------------------------


def work_world(folder: str, people: int, requests: int, seed: int, mix: str) -> None:
    from matchgate.synth import generate_world

    summary = generate_world(
        Path(folder), people=people, requests=requests, seed=seed, request_mix=mix
    )
    _emit({"people": summary.people, "master_rows": summary.master_rows})


# -- a batch larger than review admits (--admit-batch) ----------------------------------

# The default policy's bounds as review reads them (matchgate.review.policy): a batch over
# DEFAULT_MAX_BATCH_ROWS goes to a person; one about more people than max_caseload_share of
# the agency's plausible caseload is deficient. The benchmark policy keeps every other
# setting at its default and these two at what the batch needs, within their bounds.
ADMIT_CASELOAD_SHARE = 0.5
ADMIT_MAX_BATCH_ROWS = 10_000_000
_CASELOAD_LINE = re.compile(r"^plausible_caseload = (\d+)$", re.MULTILINE)


def request_rows(requests_csv: Path) -> int:
    """Data rows of a request file (its header and blank lines not counted)."""
    with requests_csv.open(newline="", encoding="utf-8") as stream:
        reader = csv.reader(stream)
        next(reader, None)
        return sum(1 for row in reader if row)


def admission_files(world: Path, workspace: Path, *, rows: int) -> dict[str, Any]:
    """A benchmark policy and agency file under which review admits a batch of ``rows``.

    Writes ``WORKSPACE/benchmark-policy.toml`` (``max_batch_rows`` raised to the batch,
    ``max_caseload_share`` at its bound 0.5) and ``WORKSPACE/benchmark-agency.toml`` (the
    world's agency file with ``plausible_caseload`` raised to twice the batch when it is
    smaller; nothing else changed, checked by reading both files back). Review still runs
    every rule: the letter's signature, signer, safeguards, officers and cases are judged as
    for any batch. Returns what was changed, for the report.
    """
    if rows > ADMIT_MAX_BATCH_ROWS:
        raise BenchError(
            f"--admit-batch: {rows:,} rows is over the policy bound of "
            f"{ADMIT_MAX_BATCH_ROWS:,} (such a batch always goes to a person)"
        )
    source = world / "agency.toml"
    text = source.read_text(encoding="utf-8")
    entry = tomllib.loads(text)["agency"]
    caseload = int(entry["plausible_caseload"])
    needed = math.ceil(rows / ADMIT_CASELOAD_SHARE)
    raised = max(caseload, needed)
    if len(_CASELOAD_LINE.findall(text)) != 1:
        raise BenchError(f"{source}: expected one 'plausible_caseload = N' line to raise")
    agency_text = _CASELOAD_LINE.sub(f"plausible_caseload = {raised}", text)
    changed = tomllib.loads(agency_text)["agency"]
    if changed.pop("plausible_caseload") != raised or changed != {
        k: v for k, v in entry.items() if k != "plausible_caseload"
    }:
        raise BenchError(f"{source}: raising plausible_caseload changed something else")
    agency = workspace / "benchmark-agency.toml"
    agency.write_text(agency_text, encoding="utf-8")
    max_rows = max(100_000, rows)
    policy = workspace / "benchmark-policy.toml"
    policy.write_text(
        "# Written by benchmarks/run.py --admit-batch: a benchmark, never a real batch.\n"
        "[review]\n"
        f"max_batch_rows = {max_rows}\n"
        f"max_caseload_share = {ADMIT_CASELOAD_SHARE}\n",
        encoding="utf-8",
    )
    return {
        "rows": rows,
        "policy": str(policy),
        "agency": str(agency),
        "max_batch_rows": max_rows,
        "max_caseload_share": ADMIT_CASELOAD_SHARE,
        "plausible_caseload": {"world": caseload, "benchmark": raised},
    }


def work_batch(
    world: str,
    workspace: str,
    engine: str,
    lookups: int,
    lookup_seconds: float,
    seed: int,
    admit: bool = False,
) -> None:
    from matchgate.review.registry import AgencyRegistryStore
    from matchgate.server.batch_folders import BatchFolders, Upload

    world_dir, space = Path(world), Path(workspace)
    space.mkdir(parents=True, exist_ok=True)
    admitted: dict[str, Any] | None = None
    agency_file, policy_file = world_dir / "agency.toml", None
    if admit:
        admitted = admission_files(world_dir, space, rows=request_rows(world_dir / "requests.csv"))
        agency_file, policy_file = Path(admitted["agency"]), Path(admitted["policy"])
    with AgencyRegistryStore.open(space) as registry:
        registry.add_file(agency_file, actor="benchmark office")
    batches = BatchFolders(workspace=space, master=world_dir / "master.parquet", policy=policy_file)
    if engine != "duckdb":  # check_engine made sure run_batch takes it
        import functools

        import matchgate.server.batch_folders as folders

        folders.run_batch = functools.partial(folders.run_batch, engine=engine)  # type: ignore[attr-defined]
    with RssSampler() as sampler:
        started = time.perf_counter()
        with (
            (world_dir / "requests.csv").open("rb") as requests,
            (world_dir / "letter.toml").open("rb") as letter,
        ):
            # As the server's upload job runs it: files kept in the batch's input folder,
            # then every stage (here in the foreground, to time it).
            staged = batches.stage_upload(
                requests=Upload("requests.csv", requests), letter=Upload("letter.toml", letter)
            )
            result = batches.run_staged(staged, actor="benchmark")
        finished = time.perf_counter()
    stages, at = [], started
    # Training (lap "train") runs inside the match stage, after the request features: its
    # RSS window is taken before the match stage's (a close enough attribution).
    names = list(result.timings)
    if "train" in names and "match" in names:
        names.remove("train")
        names.insert(names.index("match"), "train")
    laps = {name: result.timings[name] for name in names}
    for stage, seconds in laps.items():
        stages.append(
            {
                "stage": stage,
                "wall_s": seconds,
                "peak_rss_mb": sampler.peak_between(at, at + seconds),
            }
        )
        at += seconds
    decisions = batches.folder(result.batch_id) / "output" / "internal" / "decisions.csv"
    figures: dict[str, Any] = {
        "batch_id": result.batch_id,
        "batch_wall_s": round(finished - started, 2),
        "stages": stages,
        "rows_in": result.rows_in,
        "rows_out": result.rows_out,
        "outcomes": result.outcomes,
        "master": _numbers(result.master),
        "matching": _numbers(result.matching),
        "decisions": str(decisions),
        "batch_peak_rss_mb": round(max((rss for _, rss in sampler.samples), default=0.0), 1),
    }
    if admitted is not None:
        figures["admitted"] = admitted
    figures["lookups"] = _time_lookups(
        space, world_dir, count=lookups, budget=lookup_seconds, seed=seed
    )
    _emit(figures)


def _numbers(report: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in report.items() if isinstance(v, int | float | str)}


def _time_lookups(
    workspace: Path, world: Path, *, count: int, budget: float, seed: int
) -> dict[str, Any]:
    """``count`` look-ups of request rows of the world (a seeded sample), one at a time,
    through ``run_lookup`` (what ``matchgate lookup`` and ``POST /api/lookups`` call) under
    the world's look-up letter, against the workspace's prepared master and model."""
    from matchgate.errors import InputError
    from matchgate.lookups import run_lookup

    if count == 0:
        return {"measured": 0}
    letter = world / "lookup_letter.toml"
    if not letter.is_file():
        return {"measured": 0, "error": f"{letter} is missing (a world from an older generator)"}
    with (world / "requests.csv").open(encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))
    sample = random.Random(seed).choices(rows, k=count)
    seconds: list[float] = []
    outcomes: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    refused_at_door: Counter[str] = Counter()
    deadline = time.perf_counter() + budget
    for row in sample:
        fields = {k: v for k, v in row.items() if k != "request_id"}
        fields["request_id"] = f"LOOKUP-{len(seconds) + 1:05d}"
        started = time.perf_counter()
        try:
            answer = run_lookup(
                workspace=workspace,
                fields=fields,
                actor="benchmark",
                letter=letter,
                master=world / "master.parquet",
            ).response
        except InputError as error:
            # A row a look-up refuses at the door (no ZIP, say): nothing is recorded or
            # matched, so it is counted apart and not timed as a look-up.
            refused_at_door[error.field or "?"] += 1
            continue
        seconds.append(time.perf_counter() - started)
        outcomes[answer.get("outcome", "?")] += 1
        reasons[answer.get("reason_codes", "") or "(none)"] += 1
        if time.perf_counter() > deadline:
            break
    ordered = sorted(seconds)
    if not ordered:
        return {"asked": count, "measured": 0, "refused_at_the_door": dict(refused_at_door)}
    return {
        "asked": count,
        "measured": len(seconds),
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] * 1000, 1),
        "outcomes": dict(outcomes),
        "reasons": dict(reasons.most_common(5)),
        "refused_at_the_door": dict(refused_at_door),
    }


# The plain peer: what a user following Splink's tutorials would write for this linkage.
_PEER_CLEAN = """
CREATE TABLE {name} AS
SELECT {uid} AS unique_id, {tin} AS tin,
       nullif(upper(trim(regexp_replace(first_name, '[^A-Za-z ]', '', 'g'))), '') AS first_name,
       nullif(upper(trim(regexp_replace(last_name, '[^A-Za-z ]', '', 'g'))), '') AS surname,
       strftime(coalesce(try_strptime(dob, '%Y-%m-%d'), try_strptime(dob, '%m/%d/%Y')),
                '%Y-%m-%d') AS dob,
       nullif(upper(trim(regexp_replace(street, '[^A-Za-z0-9 ]', '', 'g'))), '') AS street,
       nullif(upper(trim(city)), '') AS city,
       nullif(left(trim(zip), 5), '') AS zip
FROM {source}
"""


def work_peer(world: str, seed: int) -> None:
    import duckdb
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    world_dir = Path(world)
    con = duckdb.connect()
    timings: dict[str, float] = {}
    clock = time.perf_counter()
    master_source = f"read_parquet('{world_dir / 'master.parquet'}')"
    requests_source = f"read_csv('{world_dir / 'requests.csv'}', all_varchar=true)"
    con.execute(
        _PEER_CLEAN.format(
            name="master", uid="'m' || row_number() OVER ()", tin="tin", source=master_source
        )
    )
    con.execute(
        _PEER_CLEAN.format(name="requests", uid="request_id", tin="NULL", source=requests_source)
    )
    timings["load"] = time.perf_counter() - clock
    clock = time.perf_counter()
    settings = SettingsCreator(
        link_type="link_only",
        comparisons=[
            cl.NameComparison("first_name"),
            cl.NameComparison("surname"),
            cl.DateOfBirthComparison("dob", input_is_string=True),
            cl.LevenshteinAtThresholds("street", [1, 3]),
            cl.ExactMatch("city").configure(term_frequency_adjustments=True),
            cl.ExactMatch("zip"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("first_name", "surname"),
            block_on("surname", "dob"),
            block_on("surname", "zip"),
            block_on("street", "zip"),
        ],
        retain_intermediate_calculation_columns=False,
    )
    db_api = DuckDBAPI(connection=con)
    linker = Linker([db_api.register("master"), db_api.register("requests")], settings)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("first_name", "surname", "dob"), block_on("surname", "street", "zip")],
        recall=0.7,
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1_000_000, seed=seed)
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("first_name", "surname")
    )
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
    timings["train"] = time.perf_counter() - clock
    clock = time.perf_counter()
    predictions = linker.inference.predict(threshold_match_probability=PEER_THRESHOLD)
    pairs = con.execute(f"SELECT count(*) FROM {predictions.physical_name}").fetchone()
    best = con.execute(
        f"""
        SELECT p.unique_id_r AS request_id, m.tin
        FROM {predictions.physical_name} p JOIN master m ON m.unique_id = p.unique_id_l
        QUALIFY row_number() OVER (
            PARTITION BY p.unique_id_r ORDER BY p.match_probability DESC, m.unique_id) = 1
        """
    ).fetchall()
    timings["predict"] = time.perf_counter() - clock
    _emit(
        {
            "stages": [
                {"stage": stage, "wall_s": round(seconds, 2)} for stage, seconds in timings.items()
            ],
            "pairs_above_threshold": int(pairs[0]) if pairs else 0,
            "assigned": {request_id: tin for request_id, tin in best},
        }
    )


# -- accuracy ----------------------------------------------------------------------------


def read_truth(world: Path) -> dict[str, dict[str, str]]:
    with (world / "truth.csv").open(encoding="utf-8", newline="") as stream:
        return {row["request_id"]: row for row in csv.DictReader(stream)}


def accuracy(assigned: dict[str, str], truth: dict[str, dict[str, str]]) -> dict[str, Any]:
    """Wrong-person assignments and recall over the legally sufficient rows."""
    sufficient = {rid: row for rid, row in truth.items() if row["legally_sufficient"] == "true"}
    in_file = [rid for rid, row in sufficient.items() if row["tin"]]
    wrong = sum(
        1 for rid, tin in assigned.items() if rid in sufficient and tin != sufficient[rid]["tin"]
    )
    right = sum(1 for rid in in_file if assigned.get(rid) == sufficient[rid]["tin"])
    return {
        "assigned": sum(1 for rid in assigned if rid in sufficient),
        "wrong_person": wrong,
        "recall": round(right / len(in_file), 4) if in_file else None,
    }


def matchgate_assignments(decisions: Path) -> dict[str, str]:
    """Rows matchgate disclosed, with the TIN it disclosed for (``internal/decisions.csv``)."""
    with decisions.open(encoding="utf-8", newline="") as stream:
        return {
            row["request_id"]: row["tin"]
            for row in csv.DictReader(stream)
            if row.get("outcome") == "disclosed" and row.get("tin")
        }


# -- the run -----------------------------------------------------------------------------


def ensure_world(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    marker = folder / ".benchmark-world.json"
    wanted = {"people": args.people, "requests": args.requests, "seed": args.seed, "mix": args.mix}
    if marker.exists() and json.loads(marker.read_text(encoding="utf-8")) == wanted:
        return {"reused": True}
    if folder.exists() and args.world is None:
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    figures = run_child(worker("world", folder=str(folder), **wanted))
    marker.write_text(json.dumps(wanted), encoding="utf-8")
    return figures


def prepare_master(world: Path, workspace: Path) -> dict[str, Any]:
    if not has_master_prepare():
        return {"skipped": "this matchgate has no `matchgate master prepare` (no matchgate.master)"}
    return run_child(
        [sys.executable, "-m", "matchgate", "master", "prepare",
         "--master", str(world / "master.parquet"), "--workspace", str(workspace)]
    )  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        check_engine(args.engine)
        report = run(args)
    except BenchError as exc:
        print(f"benchmarks/run.py: {exc}", file=sys.stderr)
        return 2
    print_report(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2), encoding="utf-8")
    return 0


def run(args: argparse.Namespace) -> dict[str, Any]:
    folder = world_folder(args)
    report: dict[str, Any] = {"arguments": {k: str(v) for k, v in vars(args).items()}}
    report["world"] = ensure_world(args, folder)
    truth = read_truth(folder)
    with tempfile.TemporaryDirectory(prefix="bench-run-") as scratch:
        workspace = Path(scratch) / "workspace"
        if args.prepared is not None:
            prepared = (args.prepared / "master").resolve()
            if not prepared.is_dir():
                raise BenchError(f"--prepared {args.prepared}: no prepared master ({prepared})")
            workspace.mkdir(parents=True)
            (workspace / "master").symlink_to(prepared)
            report["master_preparation"] = {"reused": str(prepared)}
        else:
            report["master_preparation"] = prepare_master(folder, workspace)
        batch = run_child(
            worker(
                "batch",
                world=str(folder),
                workspace=str(workspace),
                engine=args.engine,
                lookups=args.lookups,
                lookup_seconds=args.lookup_seconds,
                seed=args.seed,
                admit=args.admit_batch,
            )
        )
        batch["accuracy"] = accuracy(matchgate_assignments(Path(batch.pop("decisions"))), truth)
        report["matchgate"] = batch
    if args.json:  # kept even if the peer is stopped
        args.json.write_text(json.dumps(report, indent=2), encoding="utf-8")
    print(f"matchgate batch done in {batch['batch_wall_s']} s", file=sys.stderr, flush=True)
    if not args.skip_peer:
        peer = run_child(worker("peer", world=str(folder), seed=args.seed))
        peer["accuracy"] = accuracy(peer.pop("assigned"), truth)
        report["peer"] = peer
    return report


def _world_line(report: dict[str, Any]) -> str:
    arguments, world = report["arguments"], report["world"]
    made = (
        "reused"
        if world.get("reused")
        else f"generated in {world['wall_s']} s, peak {world['peak_rss_mb']} MB"
    )
    return f"world: {arguments['people']} people, {arguments['requests']} requests ({made})"


def _lookup_lines(lookups: dict[str, Any]) -> list[str]:
    door = lookups.get("refused_at_the_door") or {}
    door_line = (
        f"  refused at the door (not timed: the row lacks what a look-up needs): {door}"
        if door
        else None
    )
    if not lookups.get("measured"):
        return ["look-ups: none timed" + ("" if door else " (--lookups 0)")] + (
            [door_line] if door_line else []
        )
    stopped = lookups["measured"] + sum(door.values()) < lookups["asked"]
    lines = [
        f"look-ups: {lookups['measured']} of {lookups['asked']} timed"
        + (" (stopped at the time budget)" if stopped else "")
        + f", p50 {lookups['p50_ms']} ms, p99 {lookups['p99_ms']} ms",
        f"  outcomes {lookups['outcomes']}; reasons {lookups['reasons']}",
    ]
    if door_line:
        lines.append(door_line)
    if lookups["outcomes"].get("disclosed", 0) == 0:
        lines.append(
            "  NOTE: no look-up disclosed anything: these are latencies of refusals (see the "
            "reasons), not of answers"
        )
    return lines


def print_report(report: dict[str, Any]) -> None:
    batch = report["matchgate"]
    print(_world_line(report))
    prep = report["master_preparation"]
    if "skipped" in prep:
        print(f"master preparation: skipped: {prep['skipped']}")
    elif "reused" in prep:
        print(f"master preparation: reused (--prepared): {prep['reused']}")
    else:
        print(f"master preparation: {prep['wall_s']} s, peak {prep['peak_rss_mb']} MB")
    print(
        f"\nmatchgate batch: {batch['batch_wall_s']} s in its process (that process: "
        f"{batch['wall_s']} s with start-up and look-ups, peak {batch['peak_rss_mb']} MB)"
    )
    print(f"  {'stage':<10} {'wall s':>8} {'peak RSS MB':>12}")
    for stage in batch["stages"]:
        print(f"  {stage['stage']:<10} {stage['wall_s']:>8.2f} {stage['peak_rss_mb']:>12.1f}")
    if admitted := batch.get("admitted"):
        print(
            f"  ADMITTED FOR THE BENCHMARK (--admit-batch): policy max_batch_rows "
            f"{admitted['max_batch_rows']:,}, max_caseload_share {admitted['max_caseload_share']}, "
            f"agency plausible_caseload {admitted['plausible_caseload']['world']:,} -> "
            f"{admitted['plausible_caseload']['benchmark']:,}; review would refuse or hold "
            "this batch otherwise"
        )
    rows = f"rows in {batch['rows_in']:,}, rows out {batch['rows_out']:,}"
    print(f"  {rows}; outcomes {batch['outcomes']}")
    if batch["rows_in"] and batch["outcomes"].get("legally_deficient", 0) == batch["rows_in"]:
        print(
            "  WARNING: every row is legally_deficient (the letter was refused), so nothing "
            "was matched: the times and accuracies below do not compare matching"
        )
    print(f"  master: {batch['master']}")
    print(f"  matching: {batch['matching']}")
    print("\n".join(_lookup_lines(batch["lookups"])))
    mine = batch["accuracy"]
    if "peer" not in report:
        print(f"\nmatchgate accuracy (legally sufficient rows): {mine}")
        return
    peer = report["peer"]
    peer_seconds = round(sum(stage["wall_s"] for stage in peer["stages"]), 2)
    stages = ", ".join(f"{stage['stage']} {stage['wall_s']} s" for stage in peer["stages"])
    print(
        f"\nplain Splink peer: {peer_seconds} s in its process ({stages}; that process: "
        f"{peer['wall_s']} s with start-up, peak {peer['peak_rss_mb']} MB), "
        f"{peer['pairs_above_threshold']:,} pairs above {PEER_THRESHOLD}"
    )
    theirs = peer["accuracy"]
    table = [
        ("wall s (in process)", batch["batch_wall_s"], peer_seconds),
        ("peak RSS MB", batch["batch_peak_rss_mb"], peer["peak_rss_mb"]),
        ("assigned", mine["assigned"], theirs["assigned"]),
        ("wrong person", mine["wrong_person"], theirs["wrong_person"]),
        ("recall", mine["recall"], theirs["recall"]),
    ]
    print(f"\n{'(legally sufficient rows)':<26}{'matchgate':>12}{'plain Splink':>14}")
    for label, ours, peers in table:
        print(f"{label:<26}{ours!s:>12}{peers!s:>14}")
    if peer_seconds:
        for line in ratio_lines(batch, peer):
            print(line)


def _train_seconds(batch: dict[str, Any]) -> float:
    return sum(stage["wall_s"] for stage in batch["stages"] if stage["stage"] == "train")


def ratio_lines(batch: dict[str, Any], peer: dict[str, Any]) -> list[str]:
    """matchgate's time over the peer's, with and without the model's training.

    The model is trained once per prepared master (by the first batch on it) and reused by
    every later batch, so training is a one-time cost like the preparation; the peer
    trains in every run. Both ratios are printed, labelled."""
    peer_seconds = sum(stage["wall_s"] for stage in peer["stages"])
    trained_here = bool(batch.get("matching", {}).get("model_trained_in_this_batch"))
    train = _train_seconds(batch)
    total = batch["batch_wall_s"]

    def verdict(ours: float) -> str:
        ratio = ours / peer_seconds
        word = "faster" if ratio < 1 else "slower"
        factor = max(ratio, 1 / ratio) if ratio > 0 else float("inf")
        return f"{ratio:.2f} (matchgate {word} by {factor:.2f}x)"

    head = "matchgate time / peer time:"
    if trained_here:
        return [
            f"{head} {verdict(total)} WITH training (this batch trained the model: train "
            f"{train:.2f} s); master preparation not included",
            f"{head} {verdict(total - train)} WITHOUT training (the model is trained once "
            "per prepared master; a later batch reuses it); master preparation not included",
        ]
    return [
        f"{head} {verdict(total)} WITHOUT training (the model trained on this prepared "
        f"master before was reused: train lap {train:.2f} s); master preparation and the "
        "one-time training not included"
    ]


WORKERS = {"world": work_world, "batch": work_batch, "peer": work_peer}

if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "_worker":
        WORKERS[sys.argv[2]](**json.loads(sys.argv[3]))
        sys.exit(0)
    sys.exit(main())
