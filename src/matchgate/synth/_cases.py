"""Investigations behind a batch: case numbers, statutes, specific reasons, tax periods.

Several rows may share a case (a household, a smuggling ring); every case has one statute and
one reason sentence written for it, so the reasons vary the way real ones do instead of one
boilerplate line repeated a million times.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np

__all__ = ["CRIMINAL_STATUTES", "CIVIL_STATUTE", "Case", "draw_cases", "render_tax_periods"]

CRIMINAL_STATUTES: tuple[str, ...] = (
    "18 U.S.C. 1001",
    "18 U.S.C. 1028",
    "18 U.S.C. 1341",
    "18 U.S.C. 1343",
    "18 U.S.C. 1546",
    "18 U.S.C. 1956",
    "21 U.S.C. 841",
    "8 U.S.C. 1324",
    "8 U.S.C. 1326",
)
_STATUTE_WEIGHTS = (8, 10, 6, 10, 12, 10, 12, 16, 16)
# removal grounds: civil, so outside 6103(i)(2), which covers criminal investigations only
CIVIL_STATUTE = "8 U.S.C. 1227(a)(1)(B)"

_MATTERS: dict[str, tuple[str, ...]] = {
    "18 U.S.C. 1001": (
        "false statements on a federal benefits application",
        "false statements made to a federal agent",
        "a false employment-eligibility attestation",
    ),
    "18 U.S.C. 1028": (
        "production of fraudulent identity documents",
        "use of another person's identification documents",
        "a document-vendor operation",
    ),
    "18 U.S.C. 1341": (
        "a mail-fraud scheme targeting elderly victims",
        "mailed counterfeit checks",
        "a mail-order lottery scam",
    ),
    "18 U.S.C. 1343": (
        "wire-fraud proceeds",
        "a romance-scam wire transfer network",
        "fraudulent pandemic-loan applications",
    ),
    "18 U.S.C. 1546": (
        "counterfeit permanent resident cards",
        "fraudulent visa applications",
        "forged employment authorization documents",
    ),
    "18 U.S.C. 1956": (
        "laundering of narcotics proceeds through money service businesses",
        "structured cash deposits linked to a trade-based laundering scheme",
        "funnel accounts used to move criminal proceeds",
    ),
    "21 U.S.C. 841": (
        "distribution of fentanyl",
        "a methamphetamine distribution cell",
        "possession with intent to distribute cocaine",
    ),
    "8 U.S.C. 1324": (
        "alien smuggling for financial gain",
        "harboring of unlawfully present workers",
        "transportation of smuggled persons from the border",
    ),
    "8 U.S.C. 1326": (
        "reentry after removal following a felony conviction",
        "illegal reentry after removal",
        "reentry after removal under an alias",
    ),
}
_PURPOSES = (
    "address needed to serve a grand-jury subpoena",
    "address needed to execute an arrest warrant",
    "address needed to locate the subject for a criminal complaint",
    "address needed to identify property for a search warrant application",
    "address needed to interview the subject as a witness",
    "address needed to serve a target letter",
    "address needed to corroborate residence stated in sworn testimony",
)
_OPENINGS = (
    "Subject is a target of investigation {case}: {purpose} regarding {matter}.",
    "In case {case} the subject is under criminal investigation for {matter}; {purpose}.",
    "Investigation {case} concerns {matter}. The subject's {purpose_noun}.",
    "{case}: subject identified through financial records in an inquiry into {matter}; {purpose}.",
)


@dataclass(frozen=True)
class Case:
    number: str
    statute: str
    reason: str


def _reason(rng: random.Random, number: str, statute: str) -> str:
    matter = rng.choice(_MATTERS[statute])
    purpose = rng.choice(_PURPOSES)
    opening = rng.choice(_OPENINGS)
    return opening.format(
        case=number,
        matter=matter,
        purpose=purpose,
        purpose_noun=purpose.replace("address needed", "current address is needed", 1),
    )


def draw_cases(
    rng: np.random.Generator, text_rng: random.Random, requests: int, as_of_year: int
) -> tuple[list[Case], np.ndarray]:
    """The cases of a batch and, per request row, the index of its case."""
    # 1 to 6 rows per case, most cases with one or two rows
    sizes = np.minimum(rng.geometric(0.6, size=requests), 6)
    sizes = sizes[: int(np.searchsorted(np.cumsum(sizes), requests)) + 1]
    case_of_row = np.repeat(np.arange(sizes.size), sizes)[:requests]
    rng.shuffle(case_of_row)
    count = int(case_of_row.max()) + 1 if requests else 0
    serials = rng.choice(999_999, size=count, replace=False) + 1
    years = np.where(rng.random(count) < 0.7, as_of_year, as_of_year - 1)
    statute_p = np.array(_STATUTE_WEIGHTS) / sum(_STATUTE_WEIGHTS)
    statutes = rng.choice(len(CRIMINAL_STATUTES), size=count, p=statute_p)
    cases = []
    for serial, year, statute_index in zip(serials, years, statutes, strict=True):
        number = f"HSI-{year}-{serial:06d}"
        statute = CRIMINAL_STATUTES[statute_index]
        cases.append(
            Case(number=number, statute=statute, reason=_reason(text_rng, number, statute))
        )
    return cases, case_of_row


def render_tax_periods(rng: random.Random, as_of_year: int) -> str:
    """Periods within the six years before the as-of year: "2023-2025", "2024", "2022;2024"."""
    earliest, latest = as_of_year - 6, as_of_year - 1
    roll = rng.random()
    if roll < 0.5:
        start = rng.randint(earliest, latest - 1)
        return f"{start}-{rng.randint(start + 1, latest)}"
    if roll < 0.8:
        return str(rng.randint(earliest, latest))
    chosen = sorted(rng.sample(range(earliest, latest + 1), rng.randint(2, 3)))
    return ";".join(str(year) for year in chosen)
