from __future__ import annotations

from pathlib import Path

import pytest

from matchgate.errors import PolicyError
from matchgate.match import MatchPolicy
from matchgate.match.policy import load_match_policy, match_policy_toml


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_file() -> None:
    assert load_match_policy(None) == MatchPolicy()


def test_round_trip_of_the_documented_defaults(tmp_path: Path) -> None:
    assert load_match_policy(write(tmp_path, match_policy_toml(MatchPolicy()))) == MatchPolicy()


def test_the_address_rule_cannot_be_switched_off(tmp_path: Path) -> None:
    # Floors and ceilings of every key are tested in tests/review/test_policy_floors.py.
    with pytest.raises(PolicyError, match="no policy may pass"):
        load_match_policy(write(tmp_path, "[match]\nrequire_address_in_history = false\n"))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[match]\ndisclose_threshold = 0.2\n", "match.disclose_threshold"),
        ("[match]\ndisclose_treshold = 0.99\n", "unknown setting"),
        ("[match]\nblock_cap = 1.5\n", "whole number"),
        ("[match]\nrequire_address_in_history = 'no'\n", "true or false"),
        ("[match]\nreview_threshold = 0.9999\ndisclose_threshold = 0.99\n", "must not exceed"),
        ("[match\n", "not valid TOML"),
        ("match = 3\n", "must be a table"),
    ],
)
def test_bad_values_name_the_file_and_field(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(PolicyError, match=message) as info:
        load_match_policy(write(tmp_path, text))
    assert "policy.toml" in str(info.value)
