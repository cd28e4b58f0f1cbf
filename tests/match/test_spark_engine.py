"""``--engine spark``: the same model scores the same candidate pairs on Splink's Spark
backend, and every decision is the one the DuckDB engine makes.

The translation tests need no JVM. The tests marked slow start a local Spark session
(local[2], no UI, loopback only); they are skipped only when no Java runtime is installed.
"""

from __future__ import annotations

import csv
import itertools
import os
import random
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest
import sqlglot

from matcher_runs import stored_decisions
from matchgate.batch.pipeline import match_batch
from matchgate.errors import MatchgateError
from matchgate.match import BatchScorer, MatchDecision
from matchgate.match import spark as spark_engine
from matchgate.match.comparisons import COMPARISONS, comparison_labels
from matchgate.match.engine import _CHUNK_SCORED
from matchgate.match.model import MatchModel
from matchgate.match.spark import (
    SparkScorer,
    SparkUnavailableError,
    check_engine,
    jaro_winkler_sql,
    precomputed_comparisons,
    precomputed_levels_sql,
    scratch_folder,
    spark_settings,
    to_spark_sql,
)
from matchgate.synth import generate_world
from matchgate_cli import run_args, run_matchgate

_HAS_JAVA = bool(shutil.which("java")) or bool(os.environ.get("JAVA_HOME"))
needs_java = pytest.mark.skipif(
    not _HAS_JAVA, reason="no Java runtime (scripts/install-system-packages.sh installs one)"
)

# DuckDB spellings that Spark SQL does not have (or reads differently)
_DUCKDB_ONLY = ("list_", "jaro_winkler_similarity", "&&", "regexp_matches", "length(filter")


def _levels() -> Iterator[tuple[str, str, str]]:
    for comparison in COMPARISONS:
        for level in comparison["comparison_levels"]:
            yield (
                comparison["output_column_name"],
                level["label_for_charts"],
                level["sql_condition"],
            )


# The comparisons whose levels DuckDB computes for Spark (the translator refuses one of
# their levels): a new one must be a decision, not an accident.
_PRECOMPUTED = ("address",)


def test_only_the_address_comparison_is_computed_in_duckdb() -> None:
    settings = MatchModel.from_priors().with_prior(taxpayers=5_000)
    assert precomputed_comparisons(settings) == _PRECOMPUTED
    # the tolerant levels are why: they compare damerau_levenshtein with <= 2 in lambdas
    (address,) = (c for c in COMPARISONS if c["output_column_name"] == "address")
    refused = []
    for level in address["comparison_levels"]:
        try:
            to_spark_sql(level["sql_condition"])
        except ValueError:
            refused.append(level["label_for_charts"])
    assert refused == ["unit_differs", "written_differently"]


@pytest.mark.parametrize(
    ("comparison", "label", "condition"),
    [level for level in _levels() if level[0] not in _PRECOMPUTED],
)
def test_every_other_comparison_level_translates_to_spark_sql(
    comparison: str, label: str, condition: str
) -> None:
    translated = to_spark_sql(condition)
    for spelling in _DUCKDB_ONLY:
        assert spelling not in translated.lower(), (comparison, label, translated)
    if condition != "ELSE":
        sqlglot.parse_one(translated, read="spark")  # Spark SQL that parses


def test_translated_settings_keep_the_model() -> None:
    model = MatchModel.from_priors()
    settings = model.with_prior(taxpayers=5_000)
    with pytest.raises(ValueError, match="damerau_levenshtein"):
        spark_settings(settings)  # the address levels cannot be translated
    translated = spark_settings(settings, precomputed=_PRECOMPUTED)
    assert translated["sql_dialect"] == "spark"
    assert (
        translated["probability_two_random_records_match"]
        == settings["probability_two_random_records_match"]
    )
    for before, after in zip(settings["comparisons"], translated["comparisons"], strict=True):
        for old, new in zip(before["comparison_levels"], after["comparison_levels"], strict=True):
            for key in ("m_probability", "u_probability", "tf_adjustment_column", "is_null_level"):
                assert old.get(key) == new.get(key), (before["output_column_name"], key)
            assert old["label_for_charts"] == new["label_for_charts"]
    spelling = translated["comparisons"][0]["comparison_levels"][5]
    assert spelling["label_for_charts"] == "spelling"
    assert "jaro_winkler" not in spelling["sql_condition"].lower()
    (address,) = (c for c in translated["comparisons"] if c["output_column_name"] == "address")
    conditions = [level["sql_condition"] for level in address["comparison_levels"]]
    assert conditions[-1] == "ELSE"
    assert conditions[:-1] == [
        f"array_contains(matchgate_level_address_{index}_r, unique_id_l)"
        for index in range(len(conditions) - 1)
    ]
    for condition in conditions[:-1]:
        sqlglot.parse_one(condition, read="spark")


def test_a_damerau_levenshtein_threshold_other_than_one_is_refused() -> None:
    # Splink's Scala function and DuckDB's agree at <= 1 only; anything else must not pass
    # silently into the Spark settings.
    with pytest.raises(ValueError, match="damerau_levenshtein"):
        to_spark_sql("damerau_levenshtein(tin_l, tin_r) <= 2")


def test_an_unknown_engine_is_refused() -> None:
    with pytest.raises(MatchgateError, match="unknown engine 'polars'"):
        check_engine("polars")
    check_engine("duckdb")


def test_spark_without_java_names_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.delenv("JAVA_HOME", raising=False)
    with pytest.raises(SparkUnavailableError, match="Java runtime"):
        check_engine("spark")


def test_a_scratch_folder_that_is_not_one_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(spark_engine, "check_spark_available", lambda: None)
    monkeypatch.setenv("MATCHGATE_SPARK_SCRATCH", str(tmp_path / "missing"))
    with pytest.raises(SparkUnavailableError, match="MATCHGATE_SPARK_SCRATCH is not a folder"):
        check_engine("spark")
    monkeypatch.setenv("MATCHGATE_SPARK_SCRATCH", str(tmp_path))
    check_engine("spark")


def test_spark_without_pyspark_names_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    real = spark_engine.importlib.util.find_spec

    def find_spec(name: str, *args: Any) -> Any:
        return None if name == "pyspark" else real(name, *args)

    monkeypatch.setattr(spark_engine.importlib.util, "find_spec", find_spec)
    with pytest.raises(SparkUnavailableError, match="needs pyspark"):
        check_engine("spark")


def test_the_match_command_refuses_spark_without_java(tmp_path: Path) -> None:
    master, requests = tmp_path / "master.parquet", tmp_path / "requests.csv"
    master.write_bytes(b"")
    requests.write_text("request_id\n", encoding="utf-8")
    result = run_matchgate(
        "match", "--master", master, "--requests", requests, "--out", tmp_path / "out",
        "--engine", "spark",
        env={"PATH": str(tmp_path), "JAVA_HOME": ""},
    )  # fmt: skip
    assert result.returncode != 0
    assert "needs a Java runtime" in result.stdout + result.stderr
    assert not (tmp_path / "out" / "internal").exists()


def test_the_match_command_refuses_an_unknown_engine(tmp_path: Path) -> None:
    requests = tmp_path / "requests.csv"
    requests.write_text("request_id\n", encoding="utf-8")
    result = run_matchgate(
        "match", "--master", tmp_path / "master.parquet", "--requests", requests,
        "--out", tmp_path / "out", "--engine", "polars",
    )  # fmt: skip
    assert result.returncode != 0
    assert "unknown engine 'polars'" in result.stdout + result.stderr


def test_duckdbs_precomputed_address_levels_are_splinks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What Spark is given for the address comparison must be the level Splink's own DuckDB
    # predict gives every candidate pair, on a world with messy request addresses.
    world = tmp_path / "world"
    generate_world(world, people=1_500, requests=200, seed=31, request_mix="noisy")
    monkeypatch.setenv("MATCHGATE_CHUNK_ROWS", "80")
    gammas: dict[tuple[str, str], int] = {}
    precomputed: dict[tuple[str, str], int] = {}
    score = BatchScorer.score
    settings = MatchModel.from_priors().with_prior(taxpayers=1_500)

    def recording_score(self: BatchScorer, row_numbers: list[int]) -> dict[int, MatchDecision]:
        if not precomputed:
            self.con.execute(precomputed_levels_sql(self.con, settings, ("address",)))
            columns = [
                d[0] for d in self.con.execute("DESCRIBE spark_precomputed_levels").fetchall()
            ]
            for row in self.con.execute("SELECT * FROM spark_precomputed_levels").fetchall():
                for column, tins in zip(columns[1:], row[1:], strict=True):
                    index = int(column.rsplit("_", 1)[1])
                    for tin in tins or ():
                        assert (row[0], tin) not in precomputed  # one level per pair
                        precomputed[(row[0], tin)] = index
        decided = score(self, row_numbers)
        pairs = self.con.execute(f"SELECT rid, tin, gamma_address FROM {_CHUNK_SCORED}").fetchall()
        gammas.update({(rid, tin): int(gamma) for rid, tin, gamma in pairs})
        return decided

    monkeypatch.setattr(BatchScorer, "score", recording_score)
    MatchModel.from_priors().save(tmp_path / "model.json")  # no training: levels only
    match_batch(
        master=world / "master.parquet",
        requests=world / "requests.csv",
        out_dir=tmp_path / "out",
        model_path=tmp_path / "model.json",
    )
    (address,) = (c for c in COMPARISONS if c["output_column_name"] == "address")
    labels = [level["label_for_charts"] for level in address["comparison_levels"]]
    gamma_of = {label: gamma for gamma, label in comparison_labels()["address"].items()}
    assert len(gammas) > 500
    expected = {pair: gamma for pair, gamma in gammas.items() if gamma != gamma_of["different"]}
    assert {pair: gamma_of[labels[i]] for pair, i in precomputed.items()} == expected
    seen = {labels[i] for i in precomputed.values()}
    assert {"unit_differs", "written_differently", "in_history", "missing"} <= seen, seen


# --- on Spark ------------------------------------------------------------------------------


def _edited_names(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    bases = ["JOHN", "JONATHAN", "MARTHA", "DWAYNE", "DUANE", "MICHAEL", "MICHEAL", "CRATE"]
    bases += ["TRACE", "MARTINEZ", "SHACKLEFORD", "KATHERINE", "A", "AB", "BA", "AAAB", ""]
    names = list(bases)
    letters = "ABCDEHIJKLMNORST"
    for _ in range(count):
        word = list(rng.choice(bases) or "X")
        for _ in range(rng.randrange(1, 4)):
            at = rng.randrange(len(word)) if word else 0
            edit = rng.randrange(4)
            if edit == 0 and word:
                word[at] = rng.choice(letters)
            elif edit == 1:
                word.insert(at, rng.choice(letters))
            elif edit == 2 and len(word) > 1:
                word[at], word[at - 1] = word[at - 1], word[at]
            elif edit == 3 and len(word) > 1:
                del word[at]
        names.append("".join(word))
    names += ["".join(rng.choice("AB") for _ in range(rng.randrange(1, 10))) for _ in range(200)]
    return names


@pytest.fixture(scope="module")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    if not _HAS_JAVA:
        pytest.skip("no Java runtime (scripts/install-system-packages.sh installs one)")
    session = spark_engine.local_spark_session(tmp_path_factory.mktemp("spark"))
    yield session
    session.stop()


@pytest.mark.slow
@needs_java
def test_jaro_winkler_in_spark_sql_is_duckdbs_to_the_bit(spark: Any) -> None:
    names = _edited_names(1_500, seed=12)
    rng = random.Random(13)
    pairs = list(itertools.product(names[:80], names[:80]))
    pairs += [(rng.choice(names), rng.choice(names)) for _ in range(8_000)]
    pairs += [(None, "A"), ("A", None), ("", ""), ("A", "A"), ("A", "B")]
    table = pa.table(
        {
            "id": list(range(len(pairs))),
            "a": [a for a, _ in pairs],
            "b": [b for _, b in pairs],
        }
    )
    con = duckdb.connect()
    con.register("jw_pairs", table)
    sql = "SELECT id, jaro_winkler_similarity(a, b) FROM jw_pairs"
    expected = dict(con.execute(sql).fetchall())
    spark.createDataFrame(table).createOrReplaceTempView("jw_pairs")
    got = spark.sql(f"SELECT id, {jaro_winkler_sql('a', 'b')} AS jw FROM jw_pairs").collect()
    differing = [
        (pairs[row.id], expected[row.id], row.jw) for row in got if row.jw != expected[row.id]
    ]
    assert len(got) == len(pairs)
    assert differing == []
    # the pairs cover the thresholds the comparisons use
    assert any(0.9 <= value < 0.92 for value in expected.values() if value is not None)


def _split_numbers(decision: dict[str, Any]) -> tuple[dict[str, Any], list[float]]:
    numbers = []
    for key in ("best", "runner_up"):
        if decision[key] is not None:
            numbers.append(decision[key].pop("match_probability"))
            numbers.append(decision[key].pop("match_weight"))
    return decision, numbers


@pytest.mark.slow
@needs_java
def test_both_engines_decide_a_world_alike(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spark: Any
) -> None:
    # `spark`: the module's session, active, so the batch scores on it and leaves it running
    world = tmp_path / "world"
    # 1,500 taxpayers (3,000 before: the same outcome kinds, half the pairs to train on)
    generate_world(world, people=1_500, requests=300, seed=21)
    model = tmp_path / "model.json"  # trained by the first run, loaded by the second
    monkeypatch.setenv("MATCHGATE_CHUNK_ROWS", "100")  # Spark scores three chunks
    chunks: list[str] = []
    predict = SparkScorer.predict

    def counting_predict(self: SparkScorer, blocked_pairs: str, into: str) -> None:
        chunks.append(blocked_pairs)
        predict(self, blocked_pairs, into)

    monkeypatch.setattr(SparkScorer, "predict", counting_predict)
    results = {}
    for engine in ("duckdb", "spark"):
        results[engine] = match_batch(
            master=world / "master.parquet",
            requests=world / "requests.csv",
            out_dir=tmp_path / engine,
            model_path=model,
            engine=engine,
        )
    assert len(chunks) == 3
    assert results["spark"].outcomes == results["duckdb"].outcomes
    assert results["duckdb"].outcomes.get("disclosed", 0) > 100
    # refusals of every kind the matcher gives on this world too, not only disclosures
    assert set(results["duckdb"].outcomes) >= {"ambiguous", "needs_review", "no_match"}
    on_duckdb = stored_decisions(tmp_path / "duckdb")
    on_spark = stored_decisions(tmp_path / "spark")
    assert on_spark.keys() == on_duckdb.keys() and len(on_duckdb) == 300
    for row, decision in on_duckdb.items():
        expected, expected_numbers = _split_numbers(decision)
        got, got_numbers = _split_numbers(on_spark[row])
        assert got == expected, row
        assert got_numbers == pytest.approx(expected_numbers, rel=0, abs=1e-9), row


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


# --- the scratch folder (personal data) -----------------------------------------------------


def test_the_scratch_folder_is_inside_the_batch_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MATCHGATE_SPARK_SCRATCH", raising=False)
    batch = tmp_path / "workspace" / "batches" / "abc123"
    batch.mkdir(parents=True)
    con = duckdb.connect(str(batch / "batch.duckdb"))
    try:
        assert scratch_folder(con) == batch.resolve() / "spark-scratch"
        shared = tmp_path / "shared"
        shared.mkdir()
        monkeypatch.setenv("MATCHGATE_SPARK_SCRATCH", str(shared))
        assert scratch_folder(con) == shared / "spark-abc123"
        monkeypatch.setenv("MATCHGATE_SPARK_SCRATCH", str(tmp_path / "missing"))
        with pytest.raises(SparkUnavailableError, match="not a folder"):
            scratch_folder(con)
    finally:
        con.close()
    assert scratch_folder(duckdb.connect()) is None  # no batch: a private temporary folder


def _system_scratch() -> set[Path]:
    return set(Path(tempfile.gettempdir()).glob("matchgate-spark-*"))


def _batch_folder(out: Path) -> Path:
    (database,) = (out / "workspace" / "batches").glob("*/batch.duckdb")
    return database.parent


@pytest.mark.slow
@needs_java
def test_a_batch_that_fails_while_scoring_leaves_no_scratch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spark: Any
) -> None:
    world = tmp_path / "world"
    generate_world(world, people=800, requests=60, seed=5)
    model = tmp_path / "model.json"
    MatchModel.from_priors().save(model)
    monkeypatch.setenv("MATCHGATE_CHUNK_ROWS", "25")
    monkeypatch.delenv("MATCHGATE_SPARK_SCRATCH", raising=False)
    before = _system_scratch()
    scratches: list[tuple[Path, bool]] = []
    predict = SparkScorer.predict

    def failing_predict(self: SparkScorer, blocked_pairs: str, into: str) -> None:
        scratches.append((self.scratch, self.scratch.is_dir()))
        if len(scratches) == 2:
            raise RuntimeError("executor lost")
        predict(self, blocked_pairs, into)

    monkeypatch.setattr(SparkScorer, "predict", failing_predict)
    arguments: dict[str, Any] = {
        "master": world / "master.parquet",
        "requests": world / "requests.csv",
        "out_dir": tmp_path / "out",
        "model_path": model,
        "engine": "spark",
    }
    with pytest.raises(RuntimeError, match="executor lost"):
        match_batch(**arguments)
    batch = _batch_folder(tmp_path / "out")
    assert scratches == [(batch.resolve() / "spark-scratch", True)] * 2
    assert not (batch / "spark-scratch").exists()
    monkeypatch.setattr(SparkScorer, "predict", predict)
    result = match_batch(**arguments)
    assert sum(result.outcomes.values()) == 60
    assert not (batch / "spark-scratch").exists()
    assert _system_scratch() == before


@pytest.mark.slow
@needs_java
def test_the_run_command_killed_while_scoring_on_spark_resumes_to_duckdbs_response(
    tmp_path: Path,
) -> None:
    # one test for three promises, since each Spark process costs a JVM's start: `run
    # --engine spark` answers as `run` on DuckDB does; a batch killed (kill -9) while
    # scoring leaves its scratch folder (personal data) inside its own batch folder; the
    # resumed run removes it and nothing is left in the system's temporary folder
    world = tmp_path / "world"
    generate_world(world, people=800, requests=60, seed=6)
    model = tmp_path / "model.json"
    MatchModel.from_priors().save(model)
    env = {"MATCHGATE_CHUNK_ROWS": "30", "MATCHGATE_SPARK_SCRATCH": ""}
    before = _system_scratch()
    on_duckdb = run_matchgate(*run_args(world, tmp_path / "duckdb"), "--model", model, env=env)
    assert on_duckdb.returncode == 0, on_duckdb.stdout + on_duckdb.stderr
    args = [*run_args(world, tmp_path / "spark"), "--model", model, "--engine", "spark"]
    killed = run_matchgate(*args, env={**env, "MATCHGATE_KILL_AT": "match_chunk"})
    assert killed.returncode != 0
    assert not (tmp_path / "spark" / "response.csv").exists()
    batch = _batch_folder(tmp_path / "spark")
    leftover = batch / "spark-scratch"
    assert leftover.is_dir() and any(leftover.rglob("*.parquet"))  # kill -9: nothing ran
    scored_before_the_kill = len(stored_decisions(tmp_path / "spark"))
    assert 0 < scored_before_the_kill < len(stored_decisions(tmp_path / "duckdb"))
    resumed = run_matchgate(*args, env=env)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert not leftover.exists()
    assert _system_scratch() == before
    assert _csv_rows(tmp_path / "spark" / "response.csv") == _csv_rows(
        tmp_path / "duckdb" / "response.csv"
    )
    assert len(_csv_rows(tmp_path / "duckdb" / "response.csv")) == 60
    on_spark = stored_decisions(tmp_path / "spark")
    assert on_spark.keys() == stored_decisions(tmp_path / "duckdb").keys()
