"""Agencies that may ask, who may sign for them, and their safeguards report on file."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources

__all__ = ["Agency", "AgencyRegistry", "SafeguardsReport", "agency_registry", "normalize_title"]

_NON_WORD = re.compile(r"[^a-z0-9]+")


def normalize_title(text: str) -> str:
    """Lower-case words only; ``U.S.`` spelled out and a leading ``the`` dropped."""
    folded = text.casefold().replace("u.s.", "united states ").replace("&", " and ")
    words = _NON_WORD.sub(" ", folded).split()
    return " ".join(word for word in words if word != "the")


@dataclass(frozen=True)
class SafeguardsReport:
    report_id: str
    report_date: date


@dataclass(frozen=True)
class Agency:
    code: str
    name: str
    aliases: tuple[str, ...]
    authorized_titles: tuple[str, ...]
    authorized_title_prefixes: tuple[str, ...]
    safeguards_report: SafeguardsReport | None
    # Open criminal investigations the agency can plausibly hold at once (see agencies.toml).
    plausible_caseload: int | None = None

    def names(self) -> set[str]:
        return {normalize_title(n) for n in (self.name, self.code, *self.aliases)}

    def authorizes(self, title: str, *, allow_acting: bool) -> bool:
        wanted = normalize_title(title)
        if allow_acting and wanted.startswith("acting "):
            wanted = wanted.removeprefix("acting ")
        if wanted in {normalize_title(t) for t in self.authorized_titles}:
            return True
        return any(
            wanted == prefix or wanted.startswith(prefix + " ")
            for prefix in (normalize_title(p) for p in self.authorized_title_prefixes)
        )


class AgencyRegistry:
    def __init__(self, agencies: list[Agency]) -> None:
        self._by_code = {a.code.casefold(): a for a in agencies}

    def __iter__(self) -> Iterator[Agency]:
        return iter(self._by_code.values())

    def by_code(self, code: str) -> Agency | None:
        return self._by_code.get(code.strip().casefold())

    def by_name(self, name: str) -> Agency | None:
        wanted = normalize_title(name)
        for agency in self._by_code.values():
            if wanted in agency.names():
                return agency
        return None


@cache
def agency_registry() -> AgencyRegistry:
    raw = (
        resources.files("matchgate.review")
        .joinpath("data")
        .joinpath("agencies.toml")
        .read_text("utf-8")
    )
    agencies = []
    for item in tomllib.loads(raw)["agency"]:
        report = item.get("safeguards_report")
        agencies.append(
            Agency(
                code=item["code"],
                name=item["name"],
                aliases=tuple(item.get("aliases", ())),
                authorized_titles=tuple(item.get("authorized_titles", ())),
                authorized_title_prefixes=tuple(item.get("authorized_title_prefixes", ())),
                safeguards_report=(
                    SafeguardsReport(report["id"], report["date"]) if report else None
                ),
                plausible_caseload=item.get("plausible_caseload"),
            )
        )
    return AgencyRegistry(agencies)
