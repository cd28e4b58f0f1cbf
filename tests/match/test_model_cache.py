"""``$MATCHGATE_MODEL_CACHE``: a model trained on exactly the same input is reused, any
change to that input (a row, the settings' prior) trains anew, and unset nothing is kept."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from matchgate.batch.workspace import connect_duckdb
from matchgate.intake import read_requests
from matchgate.match import MatchInput, load_requests_for_matching, prepare_master
from matchgate.match import engine as engine_module
from matchgate.match.engine import MODEL_CACHE_ENV, ensure_model
from matchgate.match.model import training_fingerprint
from matchgate.synth import generate_world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cache-world")
    generate_world(out, people=400, requests=60, seed=41)
    return out


@pytest.fixture
def con(world: Path, tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = connect_duckdb(tmp_path / "train.duckdb")
    prepare_master(connection, world / "master.parquet")
    rows = read_requests(world / "requests.csv").records
    load_requests_for_matching(
        connection, (MatchInput.from_record(r) for r in rows if not r.problems)
    )
    yield connection
    connection.close()


def test_the_fingerprint_ignores_row_order_and_sees_every_value(
    con: duckdb.DuckDBPyConnection,
) -> None:
    before = training_fingerprint(con, taxpayers=400)
    con.execute("CREATE TABLE shuffled AS SELECT * FROM request_features ORDER BY random()")
    con.execute("DROP TABLE request_features")
    con.execute("ALTER TABLE shuffled RENAME TO request_features")
    assert training_fingerprint(con, taxpayers=400) == before
    assert training_fingerprint(con, taxpayers=401) != before  # the prior changes
    con.execute(
        "UPDATE request_features SET surname = surname || 'X' "
        "WHERE unique_id = (SELECT min(unique_id) FROM request_features)"
    )
    assert training_fingerprint(con, taxpayers=400) != before


@pytest.mark.slow
def test_a_cached_model_is_the_one_training_makes_and_is_not_trained_again(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    trainings: list[int] = []
    real_train = engine_module.train_model

    def counting_train(*args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        trainings.append(1)
        return real_train(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(engine_module, "train_model", counting_train)
    monkeypatch.setenv(MODEL_CACHE_ENV, str(tmp_path / "cache"))
    first = ensure_model(con, taxpayers=400, model_path=tmp_path / "a" / "model.json")
    second = ensure_model(con, taxpayers=400, model_path=tmp_path / "b" / "model.json")
    assert len(trainings) == 1
    assert second.settings == first.settings
    assert (tmp_path / "b" / "model.json").read_text() == (
        tmp_path / "a" / "model.json"
    ).read_text()
    assert len(list((tmp_path / "cache").glob("model-*.json"))) == 1
    ensure_model(con, taxpayers=399, model_path=None)  # another input: trained anew
    assert len(trainings) == 2

    monkeypatch.delenv(MODEL_CACHE_ENV)
    ensure_model(con, taxpayers=400, model_path=None)
    assert len(trainings) == 3  # without the cache every fresh model is trained
    assert len(list((tmp_path / "cache").glob("model-*.json"))) == 2
