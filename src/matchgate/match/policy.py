"""The ``[match]`` table of the policy file: when a match is certain enough to disclose.

Defaults come from measurements on generated worlds (see ``benchmarks/bench_matching.py``):
the threshold and margin are set where wrong-person disclosures were zero with recall still
high. A policy file may make these stricter; :data:`MATCH_FLOORS` says how far it may relax
them, and the address-in-history rule cannot be relaxed at all.
"""

from __future__ import annotations

from dataclasses import fields, replace
from pathlib import Path
from typing import Any

from matchgate.errors import PolicyError
from matchgate.match.decide import MatchPolicy
from matchgate.policy_file import Bound, read_policy_table

__all__ = ["MATCH_FLOORS", "MATCH_POLICY_DOCS", "load_match_policy", "match_policy_toml"]

MATCH_POLICY_DOCS: dict[str, str] = {
    "disclose_threshold": "Disclose only at or above this match probability.",
    "review_threshold": "Between this and disclose_threshold a person reviews the row.",
    "margin_weight": "Any other possible taxpayer must score this many bits (log2) lower.",
    "require_address_in_history": "The request's address must be one the taxpayer filed from.",
    "block_cap": "At most this many candidates per request and blocking rule.",
}

# Limits no policy file can pass: the gate may be made stricter, never switched off.
MATCH_FLOORS: dict[str, Bound] = {
    # A match probability taken at its word is wrong (1 - p) of the time. At 0.99 that is one
    # disclosure in a hundred to the wrong person, each a felony (26 U.S.C. 7213) and at least
    # $1,000 in damages (7431); the default 0.999 is ten times stricter. Below 0.99 the
    # threshold no longer means "certainly the right person".
    "disclose_threshold": Bound(
        "match.disclose_threshold",
        "floor",
        0.99,
        "below 0.99 one disclosure in a hundred or more goes to the wrong person",
    ),
    # Rows between review_threshold and disclose_threshold go to a person who may approve
    # them. Below 0.9 the best candidate is the wrong person one time in ten or more; a review
    # queue of such rows invites approving coin tosses, and a dob_conflict only goes to review
    # (rather than no_match) above this threshold.
    "review_threshold": Bound(
        "match.review_threshold",
        "floor",
        0.9,
        "below 0.9 a reviewer is asked to approve candidates wrong one time in ten",
    ),
    # The runner-up must be this many bits less likely than the best. 7 bits is a factor of
    # 128: the runner-up then holds under 1% of the two candidates' odds, matching the 0.99
    # floor above. At 0 the rule never fires and two equally good candidates could be split
    # by noise.
    "margin_weight": Bound(
        "match.margin_weight",
        "floor",
        7.0,
        "below 7 bits (a factor of 128) another taxpayer could be the person",
    ),
    # 6103(i)(2)(B)(i) asks for the taxpayer's own address; the request's address in the
    # taxpayer's filing history is the check that it is theirs. Without it a name and a ZIP
    # code are enough, which is the 2025 failure (DOMAIN.md). It cannot be switched off.
    "require_address_in_history": Bound(
        "match.require_address_in_history",
        "fixed",
        True,
        "the request's address must be one the taxpayer filed from (6103(i)(2)(B)(i))",
    ),
    # Only the candidates kept in a capped block are compared, and the margin and household
    # rules only see those. Below 100 an apartment complex or a common name (GARCIA) can
    # leave out people who could be confused with the requested person.
    "block_cap": Bound(
        "match.block_cap",
        "floor",
        100,
        "below 100 candidates people who could be the requested person go uncompared",
    ),
}

# What a value can mean at all; the floors above are the limits that protect people.
_RANGES: dict[str, tuple[float, float]] = {
    "disclose_threshold": (0.0, 1.0),
    "review_threshold": (0.0, 1.0),
    "margin_weight": (0.0, 100.0),
    "block_cap": (1, 100_000),
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
        if key in MATCH_FLOORS:
            MATCH_FLOORS[key].check(value, path)
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
        bound = MATCH_FLOORS.get(item.name)
        if bound is not None:
            lines.append(f"# Bound (no policy may pass): {bound.describe()}; {bound.why}.")
        lines.append(f"{item.name} = {text}")
    return "\n".join(lines) + "\n"
