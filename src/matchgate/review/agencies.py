"""Agencies that may ask, who may sign for them, their safeguards report and signing keys.

The packaged ``data/agencies.toml`` seeds each workspace's registry
(:mod:`matchgate.review.registry`); the office maintains the registry from then on. Packaged
entries carry no keys: an agency's letters pass only once the office has registered its key.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Any

__all__ = [
    "Agency",
    "AgencyKey",
    "AgencyRegistry",
    "SafeguardsReport",
    "agency_from_table",
    "agency_registry",
    "normalize_title",
]

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
class AgencyKey:
    """An Ed25519 public key the office registered for an agency's letters."""

    public_key_sha256: str
    public_key_pem: str
    registered_at: str = ""
    registered_by: str = ""
    revoked_at: str = ""
    revoked_by: str = ""
    revoked_reason: str = ""

    @property
    def revoked(self) -> bool:
        return bool(self.revoked_at)


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
    keys: tuple[AgencyKey, ...] = ()

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

    def key(self, public_key_sha256: str) -> AgencyKey | None:
        """The registered key with this fingerprint (revoked or not), if any."""
        wanted = public_key_sha256.strip().lower()
        return next((k for k in self.keys if k.public_key_sha256 == wanted), None)


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


def _texts(item: Mapping[str, Any], key: str) -> tuple[str, ...]:
    return tuple(str(value) for value in item.get(key, ()))


def agency_from_table(item: Mapping[str, Any]) -> Agency:
    """An agency from one ``[[agency]]`` table. Keys not known here are ignored, so data
    files may carry fields a newer reader uses; :mod:`registry` checks files it is given."""
    report = item.get("safeguards_report")
    caseload = item.get("plausible_caseload")
    return Agency(
        code=str(item["code"]),
        name=str(item["name"]),
        aliases=_texts(item, "aliases"),
        authorized_titles=_texts(item, "authorized_titles"),
        authorized_title_prefixes=_texts(item, "authorized_title_prefixes"),
        safeguards_report=SafeguardsReport(str(report["id"]), report["date"]) if report else None,
        plausible_caseload=int(caseload) if caseload is not None else None,
    )


@cache
def agency_registry() -> AgencyRegistry:
    """The packaged registry (no keys): what a new workspace's registry is seeded from."""
    raw = (
        resources.files("matchgate.review")
        .joinpath("data")
        .joinpath("agencies.toml")
        .read_text("utf-8")
    )
    return AgencyRegistry([agency_from_table(item) for item in tomllib.loads(raw)["agency"]])
