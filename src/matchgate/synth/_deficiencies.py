"""Rows a reviewer must reject under 26 U.S.C. 6103(i)(2)(B), planted on purpose.

Each kind breaks exactly one requirement the way real batches did (docs/SOURCES.md, "Real
batches"): placeholder text
in the address, a ZIP code standing in for an address, a jail as the taxpayer's address, a civil
statute, or a missing reason, period, name or case number.
"""

from __future__ import annotations

import random

from matchgate.synth._cases import CIVIL_STATUTE

__all__ = ["DEFICIENCY_KINDS", "make_deficient"]

DEFICIENCY_KINDS: tuple[str, ...] = (
    "placeholder_address",
    "zip_only",
    "institution_address",
    "civil_statute",
    "missing_reason",
    "missing_periods",
    "missing_name",
    "missing_case",
)
ADDRESS_KINDS = frozenset({"placeholder_address", "zip_only", "institution_address"})

_PLACEHOLDERS = (
    "UNKNOWN ADDRESS",
    "FAILED TO PROVIDE",
    "NA NA",
    "N/A",
    "Unknown Address",
    "Failed to Provide",
)
_INSTITUTIONS = (
    "{county} COUNTY JAIL {number} W JAIL ST",
    "{county} COUNTY JAIL, {number} E MAIN ST",
    "{number} DETENTION CENTER RD",
    "FEDERAL CORRECTIONAL INSTITUTION {number} PRISON RD",
    "{county} COUNTY DETENTION FACILITY {number} N 1ST AVE",
    "STATE PRISON {number} CORRECTIONS WAY",
)
_COUNTIES = (
    "HIDALGO",
    "HARRIS",
    "MARICOPA",
    "COOK",
    "DADE",
    "ORANGE",
    "BEXAR",
    "TRAVIS",
    "CAMERON",
    "WEBB",
    "FRESNO",
    "KERN",
    "PIMA",
    "OTERO",
)


def make_deficient(rng: random.Random, kind: str, row: dict[str, str]) -> None:
    """Break one legal requirement of the request row, in place."""
    if kind == "placeholder_address":
        row["street"] = rng.choice(_PLACEHOLDERS)
        if rng.random() < 0.5:
            row["city"] = row["state"] = ""
        if rng.random() < 0.4:
            row["zip"] = ""
    elif kind == "zip_only":
        row["street"] = row["city"] = row["state"] = ""
        row["zip"] = row["zip"] or f"{rng.randrange(10_000, 99_999)}"
    elif kind == "institution_address":
        row["street"] = rng.choice(_INSTITUTIONS).format(
            county=rng.choice(_COUNTIES), number=rng.randrange(100, 9_999)
        )
    elif kind == "civil_statute":
        row["statute"] = CIVIL_STATUTE
    elif kind == "missing_reason":
        row["reason"] = ""
    elif kind == "missing_periods":
        row["tax_periods"] = ""
    elif kind == "missing_name":
        row["first_name"] = row["middle_name"] = row["last_name"] = row["suffix"] = ""
    elif kind == "missing_case":
        row["case_number"] = ""
    else:
        raise ValueError(f"unknown deficiency kind {kind!r}")
