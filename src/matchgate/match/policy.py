"""The ``[match]`` table of the policy file: when a match is certain enough to disclose.

Defaults come from measurements on generated worlds (see ``benchmarks/bench_matching.py``):
the threshold and margin are set where wrong-person disclosures were zero with recall still
high. Relaxing the address rule must be written in the file; it is never a default.
"""

from __future__ import annotations

from dataclasses import fields, replace
from pathlib import Path
from typing import Any

from matchgate.errors import PolicyError
from matchgate.match.decide import MatchPolicy
from matchgate.policy_file import read_policy_table

__all__ = ["MATCH_POLICY_DOCS", "load_match_policy", "match_policy_toml"]

MATCH_POLICY_DOCS: dict[str, str] = {
    "disclose_threshold": "Disclose only at or above this match probability.",
    "review_threshold": "Between this and disclose_threshold a person reviews the row.",
    "margin_weight": "Any other possible taxpayer must score this many bits (log2) lower.",
    "require_address_in_history": "The request's address must be one the taxpayer filed from.",
    "block_cap": "At most this many candidates per request and blocking rule.",
}

_RANGES: dict[str, tuple[float, float]] = {
    "disclose_threshold": (0.5, 1.0),
    "review_threshold": (0.0, 1.0),
    "margin_weight": (0.0, 100.0),
    "block_cap": (10, 100_000),
}


def load_match_policy(path: Path | None) -> MatchPolicy:
    if path is None:
        return MatchPolicy()
    table = read_policy_table(path, "match")
    defaults = MatchPolicy()
    known = {f.name for f in fields(MatchPolicy)}
    values: dict[str, Any] = {}
    for key, value in table.items():
        where: dict[str, Any] = {"path": path, "field": f"match.{key}"}
        if key not in known:
            raise PolicyError(f"unknown setting; known: {', '.join(sorted(known))}", **where)
        default = getattr(defaults, key)
        if isinstance(default, bool):
            if not isinstance(value, bool):
                raise PolicyError("must be true or false", **where)
        else:
            low, high = _RANGES[key]
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise PolicyError(f"must be a number, not {value!r}", **where)
            if isinstance(default, int) and not isinstance(value, int):
                raise PolicyError(f"must be a whole number, not {value!r}", **where)
            if not low <= value <= high:
                raise PolicyError(f"must be between {low} and {high}, not {value}", **where)
        values[key] = value
    policy = replace(defaults, **values)
    if policy.review_threshold > policy.disclose_threshold:
        raise PolicyError(
            "review_threshold must not exceed disclose_threshold",
            path=path,
            field="match.review_threshold",
        )
    return policy


def match_policy_toml(policy: MatchPolicy) -> str:
    lines = ["# matchgate match policy (when a match is certain enough to disclose)", "[match]"]
    for item in fields(policy):
        value = getattr(policy, item.name)
        text = ("true" if value else "false") if isinstance(value, bool) else repr(value)
        lines.append(f"# {MATCH_POLICY_DOCS[item.name]}")
        lines.append(f"{item.name} = {text}")
    return "\n".join(lines) + "\n"
