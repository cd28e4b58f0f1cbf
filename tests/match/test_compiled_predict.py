"""A batch scores with Splink's predict recorded once (``matchgate.match.predict_sql``) and
read per chunk through TEMP views. Two things must hold:

* the scores are Splink's own: the replayed statements give, pair for pair, what
  ``linker.inference.predict()`` gives on the same linker and the same blocked pairs;
* nothing a chunk scores is written to the batch's database file (the point of the TEMP
  views and tables: checkpoints of Splink's wide tables were most of a batch's scoring
  time), nothing of it is left behind, and the chunk's TEMP tables hide no table of the
  main catalog (look-ups and the Spark engine write ``scored_pairs`` there).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from generated_scenes import Scene, generated_scene
from matchgate import sql
from matchgate.match import BatchScorer, MatchPolicy
from matchgate.match.engine import _CHUNK_BLOCKED_PAIRS, _CHUNK_SCORED, blocked_pairs_sql
from matchgate.match.predict_sql import predict_fingerprint

# A world, a prepared master and a trained model per seed: the full suite only.
pytestmark = pytest.mark.slow

SEEDS = (13, 41)
_COLUMNS = "unique_id_l, unique_id_r, round(match_probability, 12), round(match_weight, 9)"


@pytest.fixture(scope="module", params=SEEDS, ids=[f"seed{s}" for s in SEEDS])
def scene(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Scene]:
    seed = int(request.param)
    folder = tmp_path_factory.mktemp(f"compiled-predict-{seed}")
    # A batch file, not memory: TEMP tables must keep the chunk's tables out of it.
    made = generated_scene(
        folder, people=800, requests=120, seed=seed, database=folder / "batch.duckdb"
    )
    yield made
    made.con.close()


def _scorer(scene: Scene, predict_cache: Path | None = None) -> BatchScorer:
    return BatchScorer(
        scene.con,
        model=scene.model,
        taxpayers=scene.taxpayers,
        policy=MatchPolicy(),
        predict_cache=predict_cache,
    )


@pytest.fixture(scope="module")
def scorer(scene: Scene) -> Iterator[BatchScorer]:
    made = _scorer(scene)
    yield made
    made.close()


def _request_ids(con: duckdb.DuckDBPyConnection) -> list[int]:
    rows = sql.fetch_all(con, "SELECT DISTINCT CAST(rid AS BIGINT) FROM candidate_pairs", label="t")
    return sorted(int(rid) for (rid,) in rows)


def _main_tables(con: duckdb.DuckDBPyConnection) -> set[tuple[str, str]]:
    rows = con.execute(
        "SELECT database_name, table_name FROM duckdb_tables() WHERE NOT temporary"
    ).fetchall()
    return {(str(d), str(t)) for d, t in rows}


def test_replayed_predict_scores_as_splink_predict(scorer: BatchScorer) -> None:
    con = scorer.con
    ids = _request_ids(con)
    assert len(ids) >= 60
    chunk = pa.table({"rid": pa.array([str(r) for r in ids], pa.string())})
    with sql.registered(con, "_chunk_ids", chunk):
        sql.run(con, blocked_pairs_sql(into=_CHUNK_BLOCKED_PAIRS, temp=True), label="t")
    pairs = sql.fetch_int(con, f"SELECT count(*) FROM {_CHUNK_BLOCKED_PAIRS}", label="t")
    assert pairs > len(ids)  # most requests have rivals: a real comparison

    replayed = scorer._predict.create_views(con)
    sql.run(con, f"CREATE TEMP TABLE replayed AS SELECT * FROM {replayed}", label="t")
    scorer._predict.drop_views(con)

    # Splink's own predict, on the same linker, for the same pairs.
    registered = scorer.splink.db_api.register(
        _CHUNK_BLOCKED_PAIRS, table_name="test_splink_own_pairs"
    )
    scorer.splink.linker.table_management.register_blocked_pairs_for_predict(registered)
    own = scorer.splink.linker.inference.predict(warning_mode="never")
    try:
        assert sql.fetch_int(con, "SELECT count(*) FROM replayed", label="t") == pairs
        for a, b in ((own.physical_name, "replayed"), ("replayed", own.physical_name)):
            differing = con.execute(
                f"SELECT count(*) FROM (SELECT {_COLUMNS} FROM {a}"
                f" EXCEPT ALL SELECT {_COLUMNS} FROM {b})"
            ).fetchone()
            assert differing == (0,), (a, b)
        # Every comparison's level too, not just the total.
        gammas = [
            c
            for (c,) in con.execute("SELECT column_name FROM (DESCRIBE replayed)").fetchall()
            if str(c).startswith("gamma_")
        ]
        assert len(gammas) >= 5
        listed = ", ".join(["unique_id_l", "unique_id_r", *gammas])
        differing = con.execute(
            f"SELECT count(*) FROM (SELECT {listed} FROM replayed"
            f" EXCEPT ALL SELECT {listed} FROM {own.physical_name})"
        ).fetchone()
        assert differing == (0,)
    finally:
        own.drop_table_from_database_and_remove_from_cache()
        sql.run(con, "DROP TABLE replayed", label="t")


def test_scoring_writes_nothing_into_the_batch_file(scorer: BatchScorer) -> None:
    con = scorer.con
    ids = _request_ids(con)
    before = _main_tables(con)
    decisions = scorer.score(ids[: len(ids) // 2])
    decisions.update(scorer.score(ids[len(ids) // 2 :]))
    assert set(decisions) == set(ids)
    assert any(d.best is not None for d in decisions.values())
    # Not one table more (or less) in any attached catalog, the batch file's included.
    assert _main_tables(con) == before
    temporary = {
        str(t)
        for (t,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE temporary").fetchall()
    }
    assert _CHUNK_SCORED in temporary
    assert not any(t.startswith("__splink__") for t in temporary)
    views = {str(v) for (v,) in con.execute("SELECT view_name FROM duckdb_views()").fetchall()}
    assert not any(v.startswith("__splink__") for v in views)  # dropped after each chunk
    # The chunk's TEMP tables are named apart from every main-catalog table.
    assert not {t for _, t in before} & {_CHUNK_SCORED, _CHUNK_BLOCKED_PAIRS}


def test_a_main_catalog_scored_pairs_is_not_hidden(scorer: BatchScorer) -> None:
    """The look-up path and the Spark engine read ``scored_pairs`` by name: a batch's
    scoring on the same connection must leave that name to them."""
    con = scorer.con
    sql.run(con, "CREATE OR REPLACE TABLE scored_pairs AS SELECT 42 AS marker", label="t")
    ids = _request_ids(con)
    scorer.score(ids[:10])
    assert con.execute("SELECT marker FROM scored_pairs").fetchall() == [(42,)]
    sql.run(con, "DROP TABLE scored_pairs", label="t")


def _decisions(scorer: BatchScorer) -> dict[int, str]:
    return {rid: d.to_json() for rid, d in scorer.score(_request_ids(scorer.con)).items()}


def test_a_cached_recording_replays_as_a_fresh_one(scene: Scene, tmp_path: Path) -> None:
    want = _decisions(_scorer(scene))
    first = _scorer(scene, predict_cache=tmp_path)
    (recorded,) = tmp_path.glob("predict-*.json")
    assert "splink" in vars(first)  # nothing cached yet: a linker recorded the SQL
    second = _scorer(scene, predict_cache=tmp_path)
    assert "splink" not in vars(second)  # read from the file: no linker made at all
    assert second._predict.statements == first._predict.statements
    assert list(tmp_path.glob("predict-*.json")) == [recorded]
    assert _decisions(second) == want
    assert _decisions(first) == want


def test_other_settings_or_inputs_are_another_recording(scene: Scene) -> None:
    con = scene.con
    settings = scene.model.with_prior(taxpayers=scene.taxpayers)
    tables = ["taxpayer_features", "request_features"]
    base = predict_fingerprint(con, settings, tables=tables)
    assert predict_fingerprint(con, settings, tables=tables) == base
    # The prior is a constant in the SQL: another master size is another recording.
    other = scene.model.with_prior(taxpayers=scene.taxpayers + 1)
    assert predict_fingerprint(con, other, tables=tables) != base
    # So is another column or type of an input (another standardizer's features).
    copies = {
        "same": "SELECT * FROM request_features",
        "wider": "SELECT *, 1 AS extra FROM request_features",
        "retyped": "SELECT * REPLACE (CAST(dob AS DATE) AS dob) FROM request_features",
    }
    prints = {}
    for name, select in copies.items():
        sql.run(con, f"CREATE TEMP TABLE rf_{name} AS {select} WHERE false", label="t")
        prints[name] = predict_fingerprint(
            con, settings, tables=["taxpayer_features", f"rf_{name}"]
        )
        sql.run(con, f"DROP TABLE rf_{name}", label="t")
    assert len(set(prints.values())) == 3


@pytest.mark.parametrize(
    "damage",
    [
        "",
        "{not json",
        json.dumps({"format": 1, "statements": []}),
        json.dumps({"format": 1}),
        json.dumps({"format": 1, "statements": [["__splink__df_predict_x", "SELECT nope"]]}),
    ],
    ids=["empty", "not-json", "no-statements", "no-key", "does-not-bind"],
)
def test_a_damaged_recording_is_recorded_again(
    scene: Scene, tmp_path: Path, damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    want = _decisions(_scorer(scene))
    _scorer(scene, predict_cache=tmp_path)
    (recorded,) = tmp_path.glob("predict-*.json")
    recorded.write_text(damage, encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="matchgate.match.predict_sql"):
        again = _scorer(scene, predict_cache=tmp_path)
    assert "ignoring cached predict SQL" in caplog.text
    assert "splink" in vars(again)  # recorded anew, not replayed
    assert json.loads(recorded.read_text(encoding="utf-8"))["statements"]  # and kept again
    assert _decisions(again) == want


def test_a_cache_folder_that_cannot_be_written_scores_all_the_same(
    scene: Scene, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    want = _decisions(_scorer(scene))
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="matchgate.match.predict_sql"):
        made = _scorer(scene, predict_cache=blocker)
    assert "could not cache predict SQL" in caplog.text
    assert _decisions(made) == want
    assert sorted(p.name for p in tmp_path.iterdir()) == ["not-a-folder"]
