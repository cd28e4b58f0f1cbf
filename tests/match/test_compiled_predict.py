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

from collections.abc import Iterator

import duckdb
import pyarrow as pa
import pytest

from generated_scenes import generated_scene
from matchgate import sql
from matchgate.match import BatchScorer, MatchPolicy
from matchgate.match.engine import _CHUNK_BLOCKED_PAIRS, _CHUNK_SCORED, blocked_pairs_sql

# A world, a prepared master and a trained model per seed: the full suite only.
pytestmark = pytest.mark.slow

SEEDS = (13, 41)
_COLUMNS = "unique_id_l, unique_id_r, round(match_probability, 12), round(match_weight, 9)"


@pytest.fixture(scope="module", params=SEEDS, ids=[f"seed{s}" for s in SEEDS])
def scorer(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BatchScorer]:
    seed = int(request.param)
    folder = tmp_path_factory.mktemp(f"compiled-predict-{seed}")
    # A batch file, not memory: TEMP tables must keep the chunk's tables out of it.
    scene = generated_scene(
        folder, people=800, requests=120, seed=seed, database=folder / "batch.duckdb"
    )
    made = BatchScorer(
        scene.con, model=scene.model, taxpayers=scene.taxpayers, policy=MatchPolicy()
    )
    yield made
    made.close()
    made.con.close()


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
