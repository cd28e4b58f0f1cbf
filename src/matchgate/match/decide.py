"""Per-request decision over all scored candidates: disclose, ambiguous, or no match.

Pure functions over plain values, so every rule can be tested with hand-written pairs. The
rules themselves, each named, with the reason codes it emits and the hazard it was written
for, are ``MATCH_RULES`` in :mod:`matchgate.match.rules` (listed in ``docs/MATCH_RULES.md``);
:func:`decide` applies them in order. The reasons of a decision are the deciding rule's,
then the evidence footnotes (how each field of the best candidate agreed), then notes
(blocks that were capped, a first name read as a misspelling).

A candidate is ruled out as "could be the person" only by positive disagreement on first
name, surname, date of birth or suffix; never by the TIN alone. Missing information rules
nobody out.
"""

from __future__ import annotations

from collections.abc import Sequence

from matchgate.decisions import Reason
from matchgate.match.rules import MATCH_RULES, MatchContext, MatchRule, Verdict
from matchgate.match.values import (
    AT_REQUESTED_ADDRESS,
    Candidate,
    MatchDecision,
    MatchPolicy,
    RequestFacts,
)

__all__ = [
    "AT_REQUESTED_ADDRESS",
    "Candidate",
    "MatchDecision",
    "MatchPolicy",
    "RequestFacts",
    "decide",
    "evidence_footnotes",
]

_FOOTNOTES: dict[tuple[str, str], tuple[str, str]] = {
    ("first_name", "nickname"): ("first_name_nickname", "First names agree as a nickname."),
    ("first_name", "nickname_shared"): (
        "first_name_shared_form",
        "First names are two forms of one name, neither a nickname of the other.",
    ),
    ("first_name", "spelling"): ("first_name_spelling", "First names differ in spelling."),
    ("first_name", "close"): (
        "first_name_close",
        "First names are two typos apart, or one in a name of 3 letters (the request's is "
        "nobody's name).",
    ),
    ("first_name", "swapped"): ("names_swapped", "First and last names are swapped."),
    # one code, one meaning: the evidence's level (swapped_close) says one name is two typos off
    ("first_name", "swapped_close"): ("names_swapped", "First and last names are swapped."),
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
    ("surname", "close"): ("surname_close", "Surnames are two typos apart."),
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
    ("address", "written_differently"): (
        "address_written_differently",
        "Number, street and ZIP or city are in the filing history, written differently "
        "(a typo, words joined or split, extra building or locality words).",
    ),
    ("address", "unit_differs"): (
        "address_unit_differs",
        "The building is in the filing history, but not the unit requested.",
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
    """How each field of the candidate agreed, where that needs saying (nickname, typo...)."""
    notes = []
    for comparison, level in candidate.levels.items():
        footnote = _FOOTNOTES.get((comparison, level))
        if footnote:
            code, message = footnote
            notes.append(Reason(code=code, message=message, field=comparison))
    return notes


def _capped_notes(facts: RequestFacts, policy: MatchPolicy) -> list[Reason]:
    return [
        Reason(
            code="block_capped",
            message=f"Candidate block '{rule}' was larger than {policy.block_cap}; "
            "only the most similar candidates were compared.",
            field=rule,
        )
        for rule in facts.capped_rules
    ]


def decide(
    candidates: Sequence[Candidate], facts: RequestFacts, policy: MatchPolicy
) -> MatchDecision:
    """Apply ``MATCH_RULES`` in order to the request's scored candidates.

    A note rule adds its reasons and the next rule goes on; the first rule with an outcome
    decides. ``MatchDecision.fired_rules`` names the rules that fired, the deciding one last.
    """
    context = MatchContext.build(candidates, facts, policy)
    notes = evidence_footnotes(context.best) if context.ranked else []
    notes.extend(_capped_notes(facts, policy))
    fired: list[str] = []
    for rule in MATCH_RULES:
        verdict = rule.check(context)
        if verdict is None:
            continue
        fired.append(rule.name)
        if rule.outcome is None:
            notes.extend(verdict.reasons)
            continue
        return _decision(rule, verdict, notes, context, tuple(fired))
    raise AssertionError("the last rule in MATCH_RULES always decides")


def _decision(
    rule: MatchRule,
    verdict: Verdict,
    notes: list[Reason],
    context: MatchContext,
    fired: tuple[str, ...],
) -> MatchDecision:
    """The deciding rule's reasons first, then the notes, without repeating its codes."""
    assert rule.outcome is not None
    decisive = {reason.code for reason in verdict.reasons}
    reasons = (*verdict.reasons, *(r for r in notes if r.code not in decisive))
    return MatchDecision(
        rule.outcome,
        reasons,
        context.ranked[0] if context.ranked else None,
        context.runner_up,
        competitors=verdict.competitors,
        fired_rules=fired,
    )
