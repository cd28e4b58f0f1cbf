"""Match: standardized features, Splink scores on DuckDB, and a household-aware decision."""

from matchgate.match.decide import Candidate, MatchDecision, MatchPolicy, RequestFacts, decide
from matchgate.match.engine import (
    BatchScorer,
    MatchInput,
    ensure_model,
    evidence_json,
    load_requests_for_matching,
    prepare_master,
)
from matchgate.match.features import MASTER_IDENTITY_COLUMNS, MasterReport
from matchgate.match.model import MODEL_VERSION, MatchModel, train_model
from matchgate.match.rules import MATCH_RULES, MatchRule

__all__ = [
    "BatchScorer",
    "Candidate",
    "MASTER_IDENTITY_COLUMNS",
    "MATCH_RULES",
    "MODEL_VERSION",
    "MasterReport",
    "MatchDecision",
    "MatchInput",
    "MatchModel",
    "MatchPolicy",
    "MatchRule",
    "RequestFacts",
    "decide",
    "ensure_model",
    "evidence_json",
    "load_requests_for_matching",
    "prepare_master",
    "train_model",
]
