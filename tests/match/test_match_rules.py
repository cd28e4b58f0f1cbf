"""MATCH_RULES itself: every rule is named, documented, listed in docs/MATCH_RULES.md and
exercised by the adversarial tables; the loop in decide() applies them in order."""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest

from matchgate.decisions import Outcome, Reason
from matchgate.match import Candidate, MatchDecision, MatchPolicy, RequestFacts, decide
from matchgate.match.rules import (
    MATCH_RULES,
    MatchContext,
    Verdict,
    match_rule,
    rule_named,
    rules_markdown,
)

# The module, not the function of the same name that matchgate.match exports.
decide_module = importlib.import_module("matchgate.match.decide")
POLICY = MatchPolicy()
HERE = Path(__file__).parent
DOC = HERE.parents[1] / "docs" / "MATCH_RULES.md"
FULL = {
    "first_name": "exact",
    "surname": "exact",
    "middle_name": "missing",
    "suffix": "missing",
    "dob": "missing",
    "address": "in_history",
    "tin": "missing",
}


def _load(name: str) -> ModuleType:
    """A sibling test module, for its table (tests/match is not a package)."""
    spec = importlib.util.spec_from_file_location(f"_tables_{name}", HERE / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _rules_named_by_the_tables() -> set[str]:
    decide_table = _load("test_decide").ADVERSARIAL
    records_table = _load("test_adversarial_records").REQUESTS
    named = {param.values[3] for param in decide_table}
    named |= {request[13] for request in records_table}
    return named


def test_every_rule_is_exercised_by_the_adversarial_tables() -> None:
    # Each row of those tables asserts that its rule decided (or, for a note, fired).
    named = _rules_named_by_the_tables()
    for name in named:
        rule_named(name)  # a table naming a rule that does not exist fails here
    never = [rule.name for rule in MATCH_RULES if rule.name not in named]
    assert never == [], f"rules no adversarial case exercises: {never}"


def test_rules_have_unique_names_codes_hazards_and_docstrings() -> None:
    names = [rule.name for rule in MATCH_RULES]
    assert len(names) == len(set(names))
    for rule in MATCH_RULES:
        assert rule.hazard.strip(), rule.name
        assert len(rule.doc) > 40, f"{rule.name} needs a docstring saying what it protects"
        for code in rule.codes:
            assert f"``{code}``" in rule.doc, f"{rule.name}'s docstring must name {code}"
        if rule.outcome is not Outcome.DISCLOSED:
            assert rule.codes, f"{rule.name} refuses without a registered reason code"


def test_the_last_rule_always_decides() -> None:
    last = MATCH_RULES[-1]
    assert last.outcome is not None
    for probability in (0.0, 0.5, 0.97, 1.0):
        context = MatchContext.build(
            [Candidate("A", probability, 1.0, dict(FULL))], RequestFacts(), MatchPolicy()
        )
        assert last(context) is not None


def test_docs_list_every_rule_with_its_codes() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert rules_markdown() in text, (
        "docs/MATCH_RULES.md is out of date; regenerate the table with\n"
        "PYTHONPATH=src python -c 'from matchgate.match.rules import rules_markdown as r; "
        "print(r())'"
    )
    rows = [line for line in text.splitlines() if line.startswith("| ") and "`" in line]
    for rule in MATCH_RULES:
        (row,) = [line for line in rows if f"| `{rule.name}` |" in line]
        for code in rule.codes:
            assert f"`{code}`" in row


def test_the_rule_names_stay_out_of_the_stored_json() -> None:
    decision = decide([Candidate("A", 0.99999, 30.0, dict(FULL))], RequestFacts(), MatchPolicy())
    assert decision.decided_by == "disclose_above_threshold"
    assert "disclose_above_threshold" not in decision.to_json()
    assert set(json.loads(decision.to_json())) == {
        "outcome",
        "reasons",
        "best",
        "runner_up",
        "competitors",
    }
    again = MatchDecision.from_json(decision.to_json())
    assert again == decision and again.to_json() == decision.to_json()
    assert again.decided_by == ""


def test_a_household_rival_and_a_close_rival_elsewhere_name_both_reasons() -> None:
    best = Candidate("A", 0.99999, 30.0, dict(FULL))
    elsewhere = Candidate("B", 0.999, 28.0, {**FULL, "address": "different"})
    at_home = Candidate("C", 0.5, 5.0, dict(FULL))
    decision = decide([best, elsewhere, at_home], RequestFacts(), MatchPolicy())
    assert decision.decided_by == "household_namesake"
    assert [r.code for r in decision.reasons[:2]] == ["runner_up_close", "household_conflict"]
    assert decision.competitors == ("B", "C")


def test_a_note_rule_adds_its_reason_after_the_footnotes_and_the_next_rule_decides() -> None:
    misspelt = Candidate(
        "A", 0.99999, 30.0, {**FULL, "first_name": "spelling"}, first_name_own_spelling=True
    )
    facts = RequestFacts(capped_rules=("name",), first_name_unrecognised=True)
    decision = decide([misspelt], facts, POLICY)
    assert decision.fired_rules == ("first_name_misspelt", "disclose_above_threshold")
    assert [r.code for r in decision.reasons] == [
        "first_name_spelling",
        "dob_missing",
        "block_capped",
        "first_name_misspelt",
    ]
    # A spelling of a nickname of the taxpayer's name only (CHRSI through CHRIS for
    # CHRISTIAN) is no misspelling of the name: as the nickname itself, it needs review.
    nickname_misspelt = dataclasses.replace(misspelt, first_name_own_spelling=False)
    decision = decide([nickname_misspelt], facts, POLICY)
    assert decision.fired_rules == ("first_name_unconfirmed",)
    assert decision.outcome is Outcome.NEEDS_REVIEW


def test_a_new_rule_is_one_function_in_the_tuple(monkeypatch: pytest.MonkeyPatch) -> None:
    @match_rule("middle_name_differs", outcome=Outcome.NO_MATCH, hazard="A test hazard.")
    def middle_name_conflict(context: MatchContext) -> Verdict | None:
        """Refuses a differing middle name: ``middle_name_differs``."""
        if context.best.levels.get("middle_name") != "different":
            return None
        return Verdict((Reason("middle_name_differs", "Middle names conflict.", field="x"),))

    rules = list(MATCH_RULES)
    rules.insert(rules.index(rule_named("suffix_conflict")), middle_name_conflict)
    monkeypatch.setattr(decide_module, "MATCH_RULES", tuple(rules))
    candidate = Candidate("A", 0.99999, 30.0, {**FULL, "middle_name": "different"})
    decision = decide([candidate], RequestFacts(), POLICY)
    assert decision.outcome is Outcome.NO_MATCH
    assert decision.decided_by == "middle_name_conflict"
    # its reason first; the footnote of the same code is not repeated
    assert [(r.code, r.message) for r in decision.reasons] == [
        ("middle_name_differs", "Middle names conflict."),
        ("dob_missing", "No date of birth to compare."),
    ]


def test_rule_named_names_the_missing_rule() -> None:
    with pytest.raises(KeyError, match="no_such_rule"):
        rule_named("no_such_rule")
