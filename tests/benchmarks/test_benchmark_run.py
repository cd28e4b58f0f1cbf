"""benchmarks/run.py: its arguments, its accuracy arithmetic, and one tiny world end to end.

No timing is asserted (figures go in benchmarks/RESULTS.md); only that the run works and
reports what it says it reports."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "run.py"


def _load():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("bench_run", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_run"] = module
    spec.loader.exec_module(module)
    return module


bench = _load()


def test_arguments_parsed_with_defaults() -> None:
    args = bench.parse_args(["--people", "200_000", "--requests", "10,000"])
    assert (args.people, args.requests, args.engine, args.seed, args.mix) == (
        200_000,
        10_000,
        "duckdb",
        1,
        "census",
    )
    assert bench.world_folder(args).name == "p200000-r10000-s1-census"
    args = bench.parse_args(["--people", "50", "--requests", "5", "--world", "/tmp/w"])
    assert bench.world_folder(args) == Path("/tmp/w")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--people", "10", "--requests", "11"], "may not exceed --people"),
        (["--people", "0", "--requests", "1"], "must be at least 1"),
        (["--people", "ten", "--requests", "1"], "not a whole number"),
        (["--people", "10", "--requests", "1", "--engine", "polars"], "invalid choice"),
        (["--people", "10", "--requests", "1", "--seed", "-1"], "--seed must be 0 or more"),
        (["--requests", "1"], "--people"),
    ],
)
def test_bad_arguments_are_refused(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        bench.parse_args(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_spark_engine_fails_clearly_without_an_engine_option(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import matchgate.batch.pipeline as pipeline

    def run_batch_without_engine(*, master: Path) -> None:
        return None

    monkeypatch.setattr(pipeline, "run_batch", run_batch_without_engine)
    with pytest.raises(bench.BenchError, match="no engine option"):
        bench.check_engine("spark")
    bench.check_engine("duckdb")  # the default needs nothing

    def run_batch_with_engine(*, master: Path, engine: str = "duckdb") -> None:
        return None

    monkeypatch.setattr(pipeline, "run_batch", run_batch_with_engine)
    bench.check_engine("spark")


def test_accuracy_counts_wrong_people_and_recall_on_sufficient_rows() -> None:
    truth = {
        "R1": {"tin": "111", "legally_sufficient": "true"},
        "R2": {"tin": "222", "legally_sufficient": "true"},
        "R3": {"tin": "", "legally_sufficient": "true"},  # not in the file
        "R4": {"tin": "444", "legally_sufficient": "false"},
    }
    figures = bench.accuracy({"R1": "111", "R2": "999", "R3": "333", "R4": "000"}, truth)
    assert figures == {"assigned": 3, "wrong_person": 2, "recall": 0.5}
    assert bench.accuracy({}, truth) == {"assigned": 0, "wrong_person": 0, "recall": 0.0}


def test_world_cache_names_its_parameters(tmp_path: Path) -> None:
    args = bench.parse_args(["--people", "40", "--requests", "4", "--world", str(tmp_path)])
    assert bench.has_master_prepare() in (True, False)
    marker = tmp_path / ".benchmark-world.json"
    marker.write_text('{"people": 40, "requests": 4, "seed": 1, "mix": "census"}', "utf-8")
    assert bench.ensure_world(args, tmp_path) == {"reused": True}


@pytest.mark.slow  # a 2,000-person world through matchgate and Splink: about a minute
def test_tiny_world_end_to_end(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--people", "2000", "--requests", "150",
         "--lookups", "2", "--world", str(tmp_path / "world"),
         "--json", str(tmp_path / "figures.json")],
        capture_output=True, text=True, check=False, timeout=900,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    for stage in ("intake", "review", "match", "ledger", "write"):
        assert f"\n  {stage} " in out
    assert "master preparation:" in out
    assert "plain Splink peer:" in out and "matchgate time / peer time:" in out
    assert "look-ups: 2 of 2 timed" in out
    import json

    figures = json.loads((tmp_path / "figures.json").read_text("utf-8"))
    assert figures["matchgate"]["rows_in"] == 150
    assert figures["matchgate"]["accuracy"]["wrong_person"] == 0
    assert figures["peer"]["accuracy"]["assigned"] > 0


def test_rows_a_look_up_refuses_at_the_door_are_counted_not_timed_nor_fatal(
    tmp_path: Path,
) -> None:
    """A world's request row without a ZIP is refused by ``run_lookup`` before anything is
    recorded; the benchmark counts it apart instead of stopping (it once lost a whole
    200,000-person batch's figures to such a row)."""
    world = tmp_path / "world"
    world.mkdir()
    (world / "lookup_letter.toml").write_text("# never read: every row is refused first\n")
    (world / "requests.csv").write_text(
        "request_id,first_name,last_name,street,zip\n"
        "R1,ANA,DIAZ,1 MAIN ST,\n"
        "R2,LUIS,ORTIZ,2 OAK AVE,\n",
        encoding="utf-8",
    )
    figures = bench._time_lookups(tmp_path / "ws", world, count=5, budget=60, seed=1)
    assert figures == {"asked": 5, "measured": 0, "refused_at_the_door": {"zip": 5}}
    lines = bench._lookup_lines(figures)
    assert lines[0] == "look-ups: none timed"
    assert "{'zip': 5}" in lines[1]


def _batch(*, train: float, trained_here: bool) -> dict[str, object]:
    stages = [{"stage": "master", "wall_s": 1.0}, {"stage": "match", "wall_s": 9.0}]
    if trained_here or train:
        stages.insert(1, {"stage": "train", "wall_s": train})
    return {
        "batch_wall_s": 10.0 + train,
        "stages": stages,
        "matching": {"model_trained_in_this_batch": trained_here},
    }


def test_ratio_printed_with_and_without_the_training_of_this_batch() -> None:
    peer = {"stages": [{"stage": "load", "wall_s": 5.0}, {"stage": "train", "wall_s": 15.0}]}
    with_train, without = bench.ratio_lines(_batch(train=30.0, trained_here=True), peer)
    assert with_train.startswith("matchgate time / peer time: 2.00 (matchgate slower by 2.00x)")
    assert "WITH training" in with_train and "train 30.00 s" in with_train
    assert without.startswith("matchgate time / peer time: 0.50 (matchgate faster by 2.00x)")
    assert "WITHOUT training" in without


def test_ratio_with_a_reused_model_has_no_training_to_take_out() -> None:
    peer = {"stages": [{"stage": "predict", "wall_s": 20.0}]}
    (line,) = bench.ratio_lines(_batch(train=0.02, trained_here=False), peer)
    assert line.startswith("matchgate time / peer time: 0.50 (matchgate faster by 2.00x)")
    assert "WITHOUT training" in line and "reused" in line


def _letter_codes(world: Path, workspace: Path, policy: Path | None) -> set[str]:
    """The letter's reason codes as ``run`` reviews it: against the workspace's registry,
    the request file's digest and the day of transfer."""
    from matchgate.intake import read_requests
    from matchgate.review import review_letter
    from matchgate.review.facts import BatchFacts
    from matchgate.review.letter import load_letter
    from matchgate.review.policy import Policy
    from matchgate.review.transfer import Transfer

    requests = world / "requests.csv"
    facts = BatchFacts()
    for record in read_requests(requests, fields=BatchFacts.FIELDS).records:
        facts.observe(record)
    decision = review_letter(
        load_letter(world / "letter.toml"),
        facts=facts,
        policy=Policy.load(policy),
        transfer=Transfer.for_workspace(workspace, requests=requests),
    )
    return {reason.code for reason in decision.reasons}


def test_admit_batch_lets_review_admit_a_batch_over_the_agencys_caseload(tmp_path: Path) -> None:
    """``--admit-batch`` (a 1,280,000-row batch against the generated DHS letter is over a
    quarter of its caseload): a benchmark policy and agency file under which review admits
    the batch, every other letter rule still applied, and nothing else in the agency changed."""
    from matchgate.review.registry import AgencyRegistryStore
    from matchgate.synth import generate_world

    world = tmp_path / "world"
    generate_world(world, people=300, requests=120, seed=5, request_mix="census")
    agency = world / "agency.toml"
    text = agency.read_text(encoding="utf-8")
    small = re.sub(r"(?m)^plausible_caseload = \d+$", "plausible_caseload = 200", text)
    assert small != text
    agency.write_text(small, encoding="utf-8")
    refused, admitted_ws = tmp_path / "refused", tmp_path / "admitted"
    refused.mkdir()
    with AgencyRegistryStore.open(refused) as store:
        store.add_file(agency, actor="test office")
    assert "batch_exceeds_caseload" in _letter_codes(world, refused, None)

    rows = bench.request_rows(world / "requests.csv")
    assert rows == 120
    admitted_ws.mkdir()
    admitted = bench.admission_files(world, admitted_ws, rows=rows)
    assert admitted["plausible_caseload"] == {"world": 200, "benchmark": 240}
    with AgencyRegistryStore.open(admitted_ws) as store:
        store.add_file(Path(admitted["agency"]), actor="test office")
    assert _letter_codes(world, admitted_ws, Path(admitted["policy"])) == set()
    before = tomllib.loads(small)["agency"]
    after = tomllib.loads(Path(admitted["agency"]).read_text("utf-8"))["agency"]
    assert after.pop("plausible_caseload") == 240
    assert after == {k: v for k, v in before.items() if k != "plausible_caseload"}
    # Review still judges the letter: a signer the statute does not authorize is refused
    # under the same files.
    letter = world / "letter.toml"
    signed = letter.read_text("utf-8")
    unsigned = re.sub(r'(?m)^signer_title = ".*"$', 'signer_title = "Special Agent"', signed)
    assert unsigned != signed
    letter.write_text(unsigned, "utf-8")
    assert _letter_codes(world, admitted_ws, Path(admitted["policy"])) != set()


def test_admit_batch_refuses_what_it_cannot_do_plainly(tmp_path: Path) -> None:
    world = tmp_path / "world"
    world.mkdir()
    (world / "agency.toml").write_text(
        '[agency]\ncode = "X"\nplausible_caseload = 10\n# plausible_caseload = 10\n'
        "[other]\nplausible_caseload = 10\n",
        encoding="utf-8",
    )
    with pytest.raises(bench.BenchError, match="one 'plausible_caseload = N' line"):
        bench.admission_files(world, tmp_path, rows=50)
    with pytest.raises(bench.BenchError, match="over the policy bound of 10,000,000"):
        bench.admission_files(world, tmp_path, rows=10_000_001)
