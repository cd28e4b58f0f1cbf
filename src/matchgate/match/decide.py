"""Per-request decision over all scored candidates: disclose, ambiguous, or no match.

Pure functions over plain values, so every rule can be tested with hand-written pairs.

A request is ``disclosed`` only when all of these hold for the best candidate:

1. its match probability is at or above ``disclose_threshold``;
2. its names agree (first name exact, nickname, shared form or spelling; surname agrees at least in
   part) - a TIN alone never suffices, and a matching TIN under a clearly different name
   is a ``tin_name_conflict``. A first name that agrees only in spelling or as another
   form of one name (ROB, BOBBY) needs a date of birth, a full middle name or the TIN to
   confirm it, unless a misspelt request first name is nobody's name (on no given-name
   list, held by no taxpayer);
3. no date of birth or generational suffix given contradicts the candidate's;
4. the request's address is in the candidate's own filing history (same number, street
   and ZIP), unless the policy relaxes this explicitly;
5. no other candidate could be the person: none within ``margin_weight`` of the best,
   and nobody else at the requested address whose name, date of birth and suffix are all
   compatible with the request (the household rule: father and son, twins, spouses).

A candidate is ruled out as "could be the person" only by positive disagreement on first
name, surname, date of birth or suffix; never by the TIN alone. Missing information rules
nobody out.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from matchgate.decisions import Outcome, Reason

__all__ = ["Candidate", "MatchDecision", "MatchPolicy", "RequestFacts", "decide"]


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


@dataclass(frozen=True, slots=True)
class RequestFacts:
    has_tin: bool = False
    capped_rules: tuple[str, ...] = ()
    # The request's first name is on no given-name list and no taxpayer in the master file
    # holds it: a spelling-level agreement is then read as a misspelling, not another person.
    first_name_unrecognised: bool = False


@dataclass(frozen=True, slots=True)
class MatchDecision:
    outcome: Outcome
    reasons: tuple[Reason, ...]
    best: Candidate | None = None
    runner_up: Candidate | None = None
    competitors: tuple[str, ...] = ()

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


_GOOD_FIRST = {"exact", "nickname", "nickname_shared", "swapped", "spelling"}
_GOOD_SURNAME = {"exact", "same_parts", "swapped", "part", "part_spelling", "spelling"}
_ADDRESS_IN_HISTORY = {"in_history", "street_spelling"}
# Address levels that put a candidate at the requested address (the household rule); the
# engine keeps every such candidate whatever its weight.
AT_REQUESTED_ADDRESS = frozenset({"in_history", "street_spelling", "street_in_history"})
# Swapped counts as known: both names agree token for token, only in the other order.
_KNOWN_FIRST = {"exact", "nickname", "swapped"}
_DOB_AGREES = {"exact", "day_month_transposed", "one_part_off"}
_DOB_CONTRADICTS = {"different", "year_only"}

_FOOTNOTES: dict[tuple[str, str], tuple[str, str]] = {
    ("first_name", "nickname"): ("first_name_nickname", "First names agree as a nickname."),
    ("first_name", "nickname_shared"): (
        "first_name_shared_form",
        "First names are two forms of one name, neither a nickname of the other.",
    ),
    ("first_name", "spelling"): ("first_name_spelling", "First names differ in spelling."),
    ("first_name", "swapped"): ("names_swapped", "First and last names are swapped."),
    ("first_name", "initial"): ("first_name_initial_only", "Only the first initial agrees."),
    ("first_name", "different"): ("first_names_differ", "First names differ."),
    ("first_name", "missing"): ("first_name_missing", "No first name to compare."),
    ("surname", "same_parts"): ("surname_order_differs", "Surname parts in another order."),
    ("surname", "part"): ("surname_partial", "Only part of a compound surname agrees."),
    ("surname", "part_spelling"): (
        "surname_partial_spelling",
        "One part of a compound surname agrees but for a typo.",
    ),
    ("surname", "spelling"): ("surname_spelling", "Surnames differ in spelling."),
    ("surname", "different"): ("surnames_differ", "Surnames differ."),
    ("middle_name", "different"): ("middle_name_differs", "Middle names differ."),
    ("suffix", "different"): ("suffix_conflict", "Generational suffixes conflict (JR/SR)."),
    ("dob", "missing"): ("dob_missing", "No date of birth to compare."),
    ("dob", "day_month_transposed"): ("dob_transposed", "Day and month of birth swapped."),
    ("dob", "one_part_off"): ("dob_one_part_off", "Date of birth differs in one part."),
    ("dob", "year_only"): ("dob_year_only", "Only the year of birth agrees."),
    ("dob", "different"): ("dob_differs", "Dates of birth differ."),
    ("address", "street_spelling"): (
        "address_street_spelling",
        "Number and ZIP are in the filing history; the street name differs by a typo.",
    ),
    ("address", "street_in_history"): (
        "address_zip_differs",
        "Street and number are in the filing history, but not with this ZIP.",
    ),
    ("address", "zip_in_history"): (
        "address_not_in_history",
        "The requested address is not in the taxpayer's filing history (only the ZIP).",
    ),
    ("address", "city_in_history"): (
        "address_not_in_history",
        "The requested address is not in the taxpayer's filing history (only the city).",
    ),
    ("address", "different"): (
        "address_not_in_history",
        "The requested address is not in the taxpayer's filing history.",
    ),
    ("address", "missing"): ("address_not_comparable", "No usable address to compare."),
    ("tin", "exact"): ("tin_matches", "The TIN given matches."),
    ("tin", "one_digit_off"): ("tin_one_digit_off", "The TIN given is one digit off."),
    ("tin", "different"): ("tin_differs", "The TIN given belongs to someone else."),
}


def evidence_footnotes(candidate: Candidate) -> list[Reason]:
    notes = []
    for comparison, level in candidate.levels.items():
        footnote = _FOOTNOTES.get((comparison, level))
        if footnote:
            code, message = footnote
            notes.append(Reason(code=code, message=message, field=comparison))
    return notes


def _rules_out(candidate: Candidate, *, best: Candidate) -> bool:
    """True when positive disagreement shows the candidate is not the requested person.

    A different surname does not rule out someone at the requested address who shares a
    surname part with the best candidate: in a family following Hispanic naming customs
    one sibling may file under the paternal surname only while the request gives the
    maternal one.
    """
    levels = candidate.levels
    if levels.get("first_name") == "different":
        return True
    if levels.get("surname") == "different":
        family = (
            _shares_requested_address(candidate)
            and _shares_requested_address(best)
            and bool(set(candidate.surname_parts) & set(best.surname_parts))
        )
        if not family:
            return True
    if levels.get("dob") in {"different", "year_only"}:
        return True
    # A TIN never rules anyone out: requesters mix up the TINs of a father and son at
    # one address, and TIN matching that trusts the number was the 2025 failure.
    return levels.get("suffix") == "different"


def _only_surname_differs(candidate: Candidate) -> bool:
    levels = candidate.levels
    return (
        levels.get("surname") == "different"
        and levels.get("first_name") in {"exact", "nickname"}
        and levels.get("dob") == "exact"
        and levels.get("address") in _ADDRESS_IN_HISTORY
    )


def _name_clearly_differs(candidate: Candidate) -> bool:
    first = candidate.levels.get("first_name")
    surname = candidate.levels.get("surname")
    if first == "different" and surname not in {"exact", "same_parts", "swapped"}:
        return True
    return surname == "different" and first not in {"exact", "nickname", "swapped"}


def _confirms_identity(candidate: Candidate) -> bool:
    """Evidence beside the name that the candidate is the person: the date of birth, the
    full middle name, or the TIN (which still never breaks a tie between candidates)."""
    levels = candidate.levels
    return (
        levels.get("dob") in _DOB_AGREES
        or levels.get("middle_name") == "exact"
        or levels.get("tin") == "exact"
    )


def _with_first(reasons: list[Reason], decisive: Reason) -> tuple[Reason, ...]:
    """The decisive reason first, then the footnotes, without repeating its code."""
    return (decisive, *(r for r in reasons if r.code != decisive.code))


def _shares_requested_address(candidate: Candidate) -> bool:
    return candidate.levels.get("address") in AT_REQUESTED_ADDRESS


def decide(
    candidates: Sequence[Candidate], facts: RequestFacts, policy: MatchPolicy
) -> MatchDecision:
    capped = tuple(
        Reason(
            code="block_capped",
            message=f"Candidate block '{rule}' was larger than {policy.block_cap}; "
            "only the most similar candidates were compared.",
            field=rule,
        )
        for rule in facts.capped_rules
    )
    if not candidates:
        return MatchDecision(
            outcome=Outcome.NO_MATCH,
            reasons=(Reason("no_candidate", "Nobody in the taxpayer file resembles the request."),)
            + capped,
        )
    ranked = sorted(candidates, key=lambda c: (-c.match_weight, c.tin))
    best = ranked[0]
    runner_up = ranked[1] if len(ranked) > 1 else None
    reasons: list[Reason] = list(evidence_footnotes(best))
    reasons.extend(capped)

    # A TIN given in the request that belongs to someone whose name clearly differs: the
    # first name disagrees and the surname does not fully agree, or the other way round.
    tin_conflicts = [
        c for c in ranked if c.levels.get("tin") == "exact" and _name_clearly_differs(c)
    ]
    if tin_conflicts:
        reasons.insert(
            0,
            Reason(
                "tin_name_conflict",
                "The TIN given belongs to a taxpayer whose name clearly differs from the "
                "request; nothing is disclosed.",
                field="tin",
            ),
        )
        return MatchDecision(Outcome.AMBIGUOUS, tuple(reasons), best, runner_up)

    competitors = [
        c
        for c in ranked[1:]
        if not _rules_out(c, best=best)
        and (
            c.match_weight >= best.match_weight - policy.margin_weight
            or (_shares_requested_address(c) and _shares_requested_address(best))
        )
    ]
    if competitors:
        household = [c for c in competitors if _shares_requested_address(c)]
        if household:
            reasons.insert(
                0,
                Reason(
                    "household_conflict",
                    f"{len(household)} other taxpayer(s) at the requested address could be "
                    "the person (same name, no date of birth or suffix to tell them apart).",
                ),
            )
        if len(household) < len(competitors):
            reasons.insert(
                0,
                Reason(
                    "runner_up_close",
                    "Another taxpayer scores too close to the best candidate.",
                ),
            )
        return MatchDecision(
            Outcome.AMBIGUOUS,
            tuple(reasons),
            best,
            runner_up,
            competitors=tuple(c.tin for c in competitors),
        )

    if (
        best.levels.get("first_name") not in _GOOD_FIRST
        or best.levels.get("surname") not in _GOOD_SURNAME
    ):
        if _only_surname_differs(best):
            # Everything but the surname agrees (a surname the person does not file under,
            # a married name): never disclosed automatically, but a person should look.
            decisive = Reason(
                "surname_differs_review",
                "First name, date of birth and address agree but the surname differs; "
                "a reviewer must confirm the identity before anything is disclosed.",
                field="surname",
            )
            return MatchDecision(
                Outcome.NEEDS_REVIEW, _with_first(reasons, decisive), best, runner_up
            )
        reasons.insert(0, Reason("name_disagrees", "The names do not agree well enough."))
        return MatchDecision(Outcome.NO_MATCH, tuple(reasons), best, runner_up)

    first_level = best.levels.get("first_name")
    if first_level == "spelling" and facts.first_name_unrecognised and not _confirms_identity(best):
        reasons.append(
            Reason(
                "first_name_misspelt",
                "The request's first name is no known given name and no taxpayer's; it is "
                "read as a misspelling of the taxpayer's.",
                field="first_name",
            )
        )
    elif first_level not in _KNOWN_FIRST and not _confirms_identity(best):
        # A first name that agrees only by spelling, or as another form of one name, is
        # often another person (CHRISTI and CHRISTINE, MARIA and MARCIA, CAROL and CARRIE,
        # ROB and BOBBY): when it is itself a real name and no date of birth, full middle
        # name or TIN confirms it, it is never disclosed automatically.
        decisive = Reason(
            "first_name_unconfirmed",
            "The first name agrees only in spelling or as another form of the name, and no "
            "date of birth, full middle name or TIN confirms it; a reviewer must confirm "
            "the identity before anything is disclosed.",
            field="first_name",
        )
        return MatchDecision(Outcome.NEEDS_REVIEW, _with_first(reasons, decisive), best, runner_up)

    # A positive contradiction of the best candidate's own identity is never outweighed by
    # agreement elsewhere: a 1M world disclosed CHRIS (born 1976) as KRISTEN (born 1978)
    # at her home because name and address weights outran the DOB (see dob_conflict below).
    if best.levels.get("suffix") == "different":
        decisive = Reason(
            "suffix_conflict",
            "Generational suffixes conflict (JR/SR): the request is about someone else.",
            field="suffix",
        )
        return MatchDecision(Outcome.NO_MATCH, _with_first(reasons, decisive), best, runner_up)

    address_ok = best.levels.get("address") in _ADDRESS_IN_HISTORY
    if policy.require_address_in_history and not address_ok:
        decisive = Reason(
            "address_not_in_history",
            "The requested address is not in the taxpayer's filing history (same number, "
            "street and ZIP, or street, city and state when no ZIP is given); the statute "
            "requires the taxpayer's own address.",
            field="address",
        )
        return MatchDecision(Outcome.NO_MATCH, _with_first(reasons, decisive), best, runner_up)

    if (
        best.levels.get("dob") in _DOB_CONTRADICTS
        and best.match_probability >= policy.review_threshold
    ):
        decisive = Reason(
            "dob_conflict",
            "The date of birth given contradicts the taxpayer's; a reviewer must confirm "
            "the identity before anything is disclosed.",
            field="dob",
        )
        return MatchDecision(Outcome.NEEDS_REVIEW, _with_first(reasons, decisive), best, runner_up)
    if best.match_probability >= policy.disclose_threshold:
        return MatchDecision(Outcome.DISCLOSED, tuple(reasons), best, runner_up)
    if best.match_probability >= policy.review_threshold:
        reasons.insert(
            0,
            Reason(
                "probability_grey_zone",
                f"Match probability {best.match_probability:.4f} is below the disclosure "
                f"threshold {policy.disclose_threshold}; a reviewer must decide.",
            ),
        )
        return MatchDecision(Outcome.NEEDS_REVIEW, tuple(reasons), best, runner_up)
    reasons.insert(
        0,
        Reason(
            "probability_low",
            f"Best match probability {best.match_probability:.4f} is too low.",
        ),
    )
    return MatchDecision(Outcome.NO_MATCH, tuple(reasons), best, runner_up)
