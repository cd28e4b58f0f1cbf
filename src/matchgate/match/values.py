"""The plain values the match decision works on: the policy, the scored candidates, the
request's facts, and the decision itself (stored as JSON so a resumed batch reuses it).

Kept apart from :mod:`matchgate.match.decide` and :mod:`matchgate.match.rules` so that both
can use them; import them from either ``matchgate.match`` or ``matchgate.match.decide``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from matchgate.decisions import Outcome, Reason

__all__ = ["AT_REQUESTED_ADDRESS", "Candidate", "MatchDecision", "MatchPolicy", "RequestFacts"]

# Address levels that put a candidate at the requested address (the household rule); the
# engine keeps every such candidate whatever its weight. The tolerant reading of an address
# (``written_differently``) counts here as it counts for disclosure, and so does another unit
# of the building (``unit_differs``): a namesake at the "same" address is a namesake at it.
AT_REQUESTED_ADDRESS = frozenset(
    {"unit_differs", "in_history", "street_spelling", "written_differently", "street_in_history"}
)


@dataclass(frozen=True, slots=True)
class MatchPolicy:
    disclose_threshold: float = 0.999
    review_threshold: float = 0.95
    margin_weight: float = 10.0
    require_address_in_history: bool = True
    block_cap: int = 200


@dataclass(frozen=True, slots=True)
class Candidate:
    tin: str
    match_probability: float
    match_weight: float
    levels: dict[str, str]
    weights: dict[str, float] = field(default_factory=dict)
    rules: tuple[str, ...] = ()
    surname_parts: tuple[str, ...] = ()
    # Taxpayers of the same name linked to this one anywhere in the file (a shared filed
    # address, or a generational pair in one ZIP): ``taxpayer_namesakes``. Not stored in
    # the decision's JSON (the rules that read them run before a decision is stored).
    namesakes: tuple[str, ...] = ()
    namesakes_sharing_middle: tuple[str, ...] = ()
    # Known first names (given-name lists, the master's first names) one edit from the
    # request's first name when that is nobody's name, other than this taxpayer's first
    # name and its forms: whom else the misspelling may mean. Not stored either.
    first_name_rivals: tuple[str, ...] = ()
    # The request's first name is a spelling of this taxpayer's own first name, not only of
    # one of its nicknames (``comparisons.FIRST_NAME_OWN_SPELLING``). Not stored either.
    first_name_own_spelling: bool = False
    # The taxpayer's own (standardized) first name, for the rules that compare two
    # candidates with each other rather than with the request. Not stored either.
    first_name: str = ""
    # The forms of that first name (nicknames, formal names: ``first_forms``). Not stored.
    first_forms: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RequestFacts:
    has_tin: bool = False
    capped_rules: tuple[str, ...] = ()
    # The request's first name is on no given-name list and no taxpayer in the master file
    # holds it: a spelling-level agreement is then read as a misspelling, not another person.
    first_name_unrecognised: bool = False
    # The request's first name is on no legal-name list (the census first-name table, the
    # formal names) and no taxpayer holds it: a hypocorism only (PACO, CHUY), nobody's
    # legal name, so ``first_name_unconfirmed`` lets a nickname of it through.
    first_name_no_legal_name: bool = False
    # The request gives a generational suffix (JR, SR, II, ...): where the best candidate
    # files none and has namesakes linked, it may name one of them (``namesake_linked``).
    suffix_given: bool = False


@dataclass(frozen=True, slots=True)
class MatchDecision:
    outcome: Outcome
    reasons: tuple[Reason, ...]
    best: Candidate | None = None
    runner_up: Candidate | None = None
    competitors: tuple[str, ...] = ()
    # The names of the rules in ``MATCH_RULES`` that fired, the deciding one last. Not part
    # of equality nor of the stored JSON (stored decisions stay byte for byte what they
    # were), so a decision read back with :meth:`from_json` has none.
    fired_rules: tuple[str, ...] = field(default=(), compare=False)

    @property
    def decided_by(self) -> str:
        """The name of the rule that decided ("" for a decision read back from JSON)."""
        return self.fired_rules[-1] if self.fired_rules else ""

    @property
    def tin(self) -> str:
        return self.best.tin if self.best and self.outcome is Outcome.DISCLOSED else ""

    def to_json(self) -> str:
        """Lossless JSON, so a decision can be stored and a resumed batch reuse it."""
        return json.dumps(
            {
                "outcome": self.outcome.value,
                "reasons": [r.as_dict() for r in self.reasons],
                "best": _candidate_dict(self.best),
                "runner_up": _candidate_dict(self.runner_up),
                "competitors": list(self.competitors),
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> MatchDecision:
        data = json.loads(text)
        return cls(
            outcome=Outcome(data["outcome"]),
            reasons=tuple(Reason(**r) for r in data["reasons"]),
            best=_candidate_from(data["best"]),
            runner_up=_candidate_from(data["runner_up"]),
            competitors=tuple(data["competitors"]),
        )


def _candidate_dict(candidate: Candidate | None) -> dict[str, object] | None:
    if candidate is None:
        return None
    return {
        "tin": candidate.tin,
        "match_probability": candidate.match_probability,
        "match_weight": candidate.match_weight,
        "levels": candidate.levels,
        "weights": candidate.weights,
        "rules": list(candidate.rules),
        "surname_parts": list(candidate.surname_parts),
    }


def _candidate_from(data: dict[str, object] | None) -> Candidate | None:
    if data is None:
        return None
    return Candidate(
        tin=str(data["tin"]),
        match_probability=float(data["match_probability"]),  # type: ignore[arg-type]
        match_weight=float(data["match_weight"]),  # type: ignore[arg-type]
        levels=dict(data["levels"]),  # type: ignore[call-overload]
        weights=dict(data["weights"]),  # type: ignore[call-overload]
        rules=tuple(data["rules"]),  # type: ignore[arg-type]
        surname_parts=tuple(data["surname_parts"]),  # type: ignore[arg-type]
    )
