"""Differential test: a look-up scored with Splink's predict compiled once
(``matchgate.match.compiled.CompiledScorer``) against the batch path (``BatchScorer``) on
generated worlds of the stress mix. Both replay the statements Splink's ``predict`` ran once
(the batch per chunk, as TEMP tables over the whole master; the look-up chained into one
PREPAREd query over its candidates' rows); ``tests/match/test_compiled_predict.py`` checks
the replay against Splink's own ``predict``.

The batch path scores every request of the world in one batch, and a few of them again each
as a batch of one; the compiled path scores them one at a time, as look-ups do, on the same
connection (the prepared master attached as ``open_master`` attaches it). Both must give the
same outcome, the same reasons (codes, messages, citations, fields, in order), the same best
candidate, runner-up and competitors with the same levels and weights, and probabilities
within 1e-12.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest

from generated_scenes import Scene, generated_scene
from matchgate.match import BatchScorer, MatchDecision, MatchInput, MatchPolicy
from matchgate.match.compiled import CompiledPredict, CompiledPredictError, CompiledScorer
from matchgate.match.engine import load_requests_for_matching
from matchgate.match.values import Candidate

# Seconds per test (worlds, subprocesses, a model): the full suite only, not `make check`.
pytestmark = pytest.mark.slow

SEEDS = (12, 31, 77)


@pytest.fixture(scope="module", params=SEEDS, ids=[f"seed{s}" for s in SEEDS])
def scene(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Scene]:
    seed = int(request.param)
    made = generated_scene(
        tmp_path_factory.mktemp(f"compiled-{seed}"), people=500, requests=70, seed=seed
    )
    assert len(made.requests) >= 40
    yield made
    made.con.close()


def _batch_decisions(scene: Scene, requests: list[MatchInput]) -> dict[int, MatchDecision]:
    load_requests_for_matching(scene.con, requests)
    scorer = BatchScorer(
        scene.con, model=scene.model, taxpayers=scene.taxpayers, policy=MatchPolicy()
    )
    return scorer.score([r.row_number for r in requests])


def _assert_same_candidate(got: Candidate | None, want: Candidate | None, where: str) -> None:
    if want is None:
        assert got is None, where
        return
    assert got is not None, where
    assert got.match_probability == pytest.approx(want.match_probability, abs=1e-12), where
    assert got.match_weight == pytest.approx(want.match_weight, abs=1e-9), where
    floats = {"match_probability": 0.0, "match_weight": 0.0}
    assert dataclasses.replace(got, **floats) == dataclasses.replace(want, **floats), where


def _assert_same(got: MatchDecision, want: MatchDecision, where: str) -> None:
    assert got.outcome == want.outcome, where
    assert got.reasons == want.reasons, where
    assert got.competitors == want.competitors, where
    assert got.fired_rules == want.fired_rules, where
    _assert_same_candidate(got.best, want.best, f"{where} best")
    _assert_same_candidate(got.runner_up, want.runner_up, f"{where} runner-up")


def test_compiled_look_ups_decide_as_the_batch_path(scene: Scene) -> None:
    batch = _batch_decisions(scene, scene.requests)
    single = {r.row_number: _batch_decisions(scene, [r])[r.row_number] for r in scene.requests[:4]}
    compiled = CompiledScorer(
        scene.con, model=scene.model, taxpayers=scene.taxpayers, policy=MatchPolicy()
    )
    outcomes = set()
    for request in scene.requests:
        decision = compiled.decide(request)
        _assert_same(decision, batch[request.row_number], f"row {request.row_number} (batch)")
        if request.row_number in single:
            _assert_same(decision, single[request.row_number], f"row {request.row_number} (one)")
        outcomes.add(decision.outcome)
    # The stress mix reaches more than one outcome, or the comparison proves little.
    assert len(outcomes) >= 2, outcomes


def test_repeated_look_ups_leave_nothing_behind(scene: Scene) -> None:
    """Nothing per look-up accumulates: the same tables before and after, and Splink's
    cache of executed queries does not grow."""
    compiled = CompiledScorer(
        scene.con, model=scene.model, taxpayers=scene.taxpayers, policy=MatchPolicy()
    )

    def tables() -> list[tuple[str, str, str]]:
        return sorted(
            scene.con.execute(
                "SELECT database_name, schema_name, table_name FROM duckdb_tables()"
                " WHERE database_name <> 'prepared_master'"
            ).fetchall()
        )

    first = compiled.decide(scene.requests[0])
    before = tables()
    cache = compiled.splink.linker._intermediate_table_cache.executed_queries
    queries = len(cache)
    for request in scene.requests[1:8]:
        compiled.decide(request)
    assert tables() == before
    assert len(cache) == queries
    again = compiled.decide(scene.requests[0])
    _assert_same(again, first, "the same request again")


def test_first_name_nobody_holds_is_judged_per_look_up(scene: Scene) -> None:
    """The fact behind ``first_name_unconfirmed`` comes from the request being scored, not
    from whichever request the scorer saw first."""
    compiled = CompiledScorer(
        scene.con, model=scene.model, taxpayers=scene.taxpayers, policy=MatchPolicy()
    )
    held = scene.requests[0]
    compiled.decide(held)
    assert not compiled._facts()(held.row_number).first_name_no_legal_name
    fields = held.as_dict() | {"first_name": "PACO"}
    paco = MatchInput(9999, tuple(fields.values()))
    compiled.decide(paco)
    facts = compiled._facts()(9999)
    holders = scene.con.execute(
        "SELECT count(*) FROM taxpayer_features WHERE first_name = 'PACO'"
    ).fetchone()
    assert facts.first_name_no_legal_name is (holders == (0,))


def test_a_predict_that_runs_no_prediction_is_refused() -> None:
    with pytest.raises(CompiledPredictError, match="no prediction statement"):
        CompiledPredict([])
    with pytest.raises(CompiledPredictError, match="ran: __splink__df_concat"):
        CompiledPredict([("__splink__df_concat_1", "SELECT 1")])
