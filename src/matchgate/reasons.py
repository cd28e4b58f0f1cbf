"""The registry of every reason code matchgate emits: what it means, who may see it.

Each code is registered once in ``reason_codes.toml`` (beside this module) with the stage that
emits it, its meaning, the citation where there is one, and its *audience*:

- ``requester``: the code may appear in ``response.csv``. It says something about the request,
  the letter or the policy, never about what the taxpayer file holds.
- ``internal``: decisions, the review queue and the ledger only.

``matchgate reasons`` prints the registry; the review stage takes its citations from here.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources

__all__ = ["Audience", "ReasonInfo", "registry", "unregistered"]


class Audience(StrEnum):
    REQUESTER = "requester"
    INTERNAL = "internal"


@dataclass(frozen=True, slots=True)
class ReasonInfo:
    code: str
    stage: str
    audience: Audience
    meaning: str
    citation: str = ""

    def as_dict(self) -> dict[str, str]:
        return {
            "code": self.code,
            "stage": self.stage,
            "audience": self.audience.value,
            "meaning": self.meaning,
            "citation": self.citation,
        }


@cache
def registry() -> dict[str, ReasonInfo]:
    """Every registered code, in the order of the registry file (stage by stage)."""
    text = resources.files("matchgate").joinpath("reason_codes.toml").read_text("utf-8")
    entries: dict[str, ReasonInfo] = {}
    for stage, codes in tomllib.loads(text).items():
        for code, item in codes.items():
            if code in entries:
                raise ValueError(f"reason code {code!r} is registered twice")
            entries[code] = ReasonInfo(
                code=code,
                stage=stage,
                audience=Audience(item["audience"]),
                meaning=item["meaning"],
                citation=item.get("citation", ""),
            )
    return entries


def unregistered(codes: Iterable[str]) -> set[str]:
    """The codes among ``codes`` that the registry does not know."""
    known = registry()
    return {code for code in codes if code and code not in known}


def audience(code: str) -> Audience:
    """The audience of a registered code; ``KeyError`` for an unregistered one."""
    return registry()[code].audience
