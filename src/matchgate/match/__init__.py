"""Match: standardized features, Splink scores on DuckDB, and a household-aware decision."""

from matchgate.match.decide import Candidate, MatchDecision, MatchPolicy, RequestFacts, decide
from matchgate.match.engine import (
    MatchInput,
    ScoredBatch,
    evidence_json,
    load_requests_for_matching,
    prepare_master,
    score_and_decide,
)
from matchgate.match.features import MASTER_IDENTITY_COLUMNS, MasterReport
from matchgate.match.model import MODEL_VERSION, MatchModel, train_model

__all__ = [
    "MASTER_IDENTITY_COLUMNS",
    "MODEL_VERSION",
    "Candidate",
    "MasterReport",
    "MatchDecision",
    "MatchInput",
    "MatchModel",
    "MatchPolicy",
    "RequestFacts",
    "ScoredBatch",
    "decide",
    "evidence_json",
    "load_requests_for_matching",
    "prepare_master",
    "score_and_decide",
    "train_model",
]
