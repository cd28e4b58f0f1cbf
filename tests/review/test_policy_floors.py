"""No policy file can switch the gate off: every safeguard setting has a bound it cannot pass.

Each bound is tried at the bound (loads), just past it and far past it (refused, naming the
key, the value and the bound), through the loaders and through ``matchgate policy show``.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from matchgate.cli import app
from matchgate.cli.exit_codes import exit_code_for
from matchgate.errors import PolicyError
from matchgate.match import MatchPolicy
from matchgate.match.policy import MATCH_FLOORS, load_match_policy
from matchgate.review import Policy
from matchgate.review.policy import REVIEW_FLOORS
from matchgate_cli import run_matchgate

# key: (at the bound, just past it, far past it)
CASES: dict[str, tuple[Any, Any, Any]] = {
    "match.disclose_threshold": (0.99, 0.9899, 0.5),
    "match.review_threshold": (0.9, 0.8999, 0.0),
    "match.margin_weight": (7.0, 6.99, 0),
    "match.require_address_in_history": (True, False, False),
    "match.block_cap": (100, 99, 1),
    "review.period_span_years": (10, 11, 100),
    "review.max_batch_rows": (10_000_000, 10_000_001, 100_000_000),
    "review.max_cases_per_officer": (100, 101, 1_000_000),
    "review.max_caseload_share": (0.5, 0.51, 1.0),
    "review.safeguards_max_age_years": (3, 4, 50),
    "review.reason_boilerplate_share": (0.5, 0.51, 1.0),
    "review.reason_boilerplate_min_rows": (1_000, 1_001, 100_000_000),
    "review.repeat_window_days": (90, 89, 1),
    "review.min_reason_words": (3, 2, 1),
    "review.allow_institution": (False, True, True),
}
# Review settings with no bound: each value is lawful and keeps the gate shut (a person
# decides, or the rule is stricter either way). A new setting must be placed in one list.
UNBOUNDED_REVIEW = {
    "allow_po_box",
    "allow_acting_officials",
    "tax_statutes",
    "foreign_addresses",
    "repeat_requests",
}

BOUNDS = {**MATCH_FLOORS, **REVIEW_FLOORS}


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)


def _policy_file(tmp_path: Path, key: str, value: Any) -> Path:
    table, setting = key.split(".")
    path = tmp_path / "policy.toml"
    path.write_text(f"[{table}]\n{setting} = {_toml(value)}\n", encoding="utf-8")
    return path


def _load(path: Path, key: str) -> Any:
    table, setting = key.split(".")
    if table == "match":
        return getattr(load_match_policy(path), setting)
    return getattr(Policy.load(path), setting)


def test_every_setting_is_bounded_or_deliberately_free() -> None:
    assert set(CASES) == {bound.key for bound in BOUNDS.values()}
    assert {f.name for f in dataclasses.fields(MatchPolicy)} == set(MATCH_FLOORS)
    review = {f.name for f in dataclasses.fields(Policy)}
    assert review - set(REVIEW_FLOORS) == UNBOUNDED_REVIEW
    for name, bound in BOUNDS.items():
        assert bound.key.endswith(f".{name}") and bound.why


def test_the_defaults_are_within_every_bound() -> None:
    for name, bound in MATCH_FLOORS.items():
        assert bound.admits(getattr(MatchPolicy(), name)), name
    for name, bound in REVIEW_FLOORS.items():
        assert bound.admits(getattr(Policy.defaults(), name)), name


@pytest.mark.parametrize("key", CASES)
def test_a_value_at_the_bound_loads(tmp_path: Path, key: str) -> None:
    at, _, _ = CASES[key]
    assert _load(_policy_file(tmp_path, key, at), key) == at


@pytest.mark.parametrize("where", ["just past", "far past"])
@pytest.mark.parametrize("key", CASES)
def test_a_value_past_the_bound_is_refused_naming_key_value_and_bound(
    tmp_path: Path, key: str, where: str
) -> None:
    _, just_past, far_past = CASES[key]
    value = just_past if where == "just past" else far_past
    path = _policy_file(tmp_path, key, value)
    with pytest.raises(PolicyError) as caught:
        _load(path, key)
    error = caught.value
    assert exit_code_for(error) == 2
    assert error.field == key and error.path == str(path)
    bound = BOUNDS[key.split(".")[1]]
    message = str(error)
    assert f"field '{key}'" in message
    assert _toml(value) in message or f"{value:_}" in message
    limit = bound.describe().split(" ", 2)[-1]  # "0.99", "100_000", "true"
    assert limit in message and "no policy may pass" in message


@pytest.mark.parametrize("key", CASES)
def test_policy_show_refuses_past_the_bound_and_accepts_at_it(tmp_path: Path, key: str) -> None:
    at, just_past, _ = CASES[key]
    runner = CliRunner()
    ok = runner.invoke(app, ["policy", "show", "--policy", str(_policy_file(tmp_path, key, at))])
    assert ok.exit_code == 0, ok.output
    assert f"{key.split('.')[1]} = " in ok.output
    refused = runner.invoke(
        app, ["policy", "show", "--policy", str(_policy_file(tmp_path, key, just_past))]
    )
    assert isinstance(refused.exception, PolicyError)
    assert exit_code_for(refused.exception) == 2


def test_policy_show_lists_every_bound() -> None:
    result = CliRunner().invoke(app, ["policy", "show"])
    assert result.exit_code == 0
    for bound in BOUNDS.values():
        assert f"Bound (no policy may pass): {bound.describe()}; {bound.why}." in result.output


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("[match]\ndisclose_threshold = 0.5\n", "0.5 is below the floor of 0.99"),
        ("[match]\nmargin_weight = 0\n", "0 is below the floor of 7.0"),
        ("[match]\nrequire_address_in_history = false\n", "false is not allowed; it must be true"),
        (
            "[review]\nmax_batch_rows = 100000000\n",
            "100_000_000 is above the ceiling of 10_000_000",
        ),
    ],
)
def test_the_real_command_exits_2_naming_the_key_value_and_bound(
    tmp_path: Path, text: str, shown: str
) -> None:
    """The four settings of issue 10, as a user would meet them: exit 2 and one clear line."""
    path = tmp_path / "policy.toml"
    path.write_text(text, encoding="utf-8")
    done = run_matchgate("policy", "show", "--policy", path)
    assert done.returncode == 2, done.stderr
    assert shown in done.stderr and str(path) in done.stderr
    assert "Traceback" not in done.stderr
