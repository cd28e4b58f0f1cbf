"""The review policy: the limits the law leaves to judgment, in one TOML file.

The policy file may hold tables for other stages; the review reads only ``[review]`` and
refuses keys it does not know there, so a typo cannot silently leave a default in force.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from matchgate.errors import PolicyError
from matchgate.policy_file import read_policy_table

__all__ = ["Policy"]

_DOCS: dict[str, str] = {
    "period_span_years": "Tax periods may reach back this many years before the letter's date.",
    "max_batch_rows": "A batch with more rows goes to a person (the TIN Matching bulk limit).",
    "max_cases_per_officer": "An officer named for more cases than this needs a person's review.",
    "safeguards_max_age_years": "The safeguards report must be at most this old at signing.",
    "reason_boilerplate_share": "One reason text on more than this share of a batch is flagged.",
    "reason_boilerplate_min_rows": "Boilerplate is judged only in batches of at least this size.",
    "min_reason_words": "A specific reason has at least this many words.",
    "allow_po_box": "Accept a PO box as the taxpayer's address.",
    "allow_institution": "Accept an institution (jail, detention centre, shelter) as an address.",
    "allow_acting_officials": "Accept 'Acting <title>' for an authorized signer's title.",
    "tax_statutes": "Rows citing only title 26 offenses: 'refuse' (deficient) or 'review'.",
    "foreign_addresses": "Rows with a foreign address: 'review' or 'refuse'.",
    "repeat_window_days": "Disclosed to the same agency within this many days: a repeat request.",
    "repeat_requests": "Repeat requests: 'flag' (disclosed and flagged) or 'review' (to a person).",
}

_CHOICES: dict[str, tuple[str, ...]] = {
    "tax_statutes": ("refuse", "review"),
    "foreign_addresses": ("review", "refuse"),
    "repeat_requests": ("flag", "review"),
}


@dataclass(frozen=True)
class Policy:
    """Review limits; :meth:`defaults` documents each one (see also ``matchgate policy show``)."""

    period_span_years: int = 6
    max_batch_rows: int = 100_000
    max_cases_per_officer: int = 500
    safeguards_max_age_years: int = 3
    reason_boilerplate_share: float = 0.20
    reason_boilerplate_min_rows: int = 50
    min_reason_words: int = 4
    allow_po_box: bool = True
    allow_institution: bool = False
    allow_acting_officials: bool = True
    tax_statutes: str = "refuse"
    foreign_addresses: str = "review"
    repeat_window_days: int = 365
    repeat_requests: str = "flag"

    @classmethod
    def defaults(cls) -> Policy:
        return cls()

    @classmethod
    def load(cls, path: Path | None) -> Policy:
        """The policy in ``path`` (its ``[review]`` table), or the defaults when ``None``."""
        if path is None:
            return cls.defaults()
        return cls.from_mapping(read_policy_table(path, "review"), source=path)

    @classmethod
    def from_mapping(cls, table: dict[str, Any], *, source: Path | str = "") -> Policy:
        known = {f.name: f for f in fields(cls)}
        defaults = cls.defaults()
        values: dict[str, Any] = {}
        for key, value in table.items():
            if key not in known:
                raise PolicyError(
                    f"unknown setting; known: {', '.join(sorted(known))}",
                    path=source or None,
                    field=f"review.{key}",
                )
            values[key] = _check(key, value, getattr(defaults, key), source)
        return replace(defaults, **values)

    def to_toml(self) -> str:
        """The policy as a TOML ``[review]`` table, each setting with its meaning."""
        lines = ["# matchgate review policy (26 U.S.C. 6103(i)(2) legal review)", "[review]"]
        for item in fields(self):
            value = getattr(self, item.name)
            lines.append(f"# {_DOCS[item.name]}")
            lines.append(f"{item.name} = {_toml_value(value)}")
        return "\n".join(lines) + "\n"


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, int):
        return f"{value:_}" if value >= 10_000 else str(value)
    return repr(value)


def _check(key: str, value: Any, default: Any, source: Path | str) -> Any:
    def error(message: str) -> PolicyError:
        return PolicyError(message, path=source or None, field=f"review.{key}")

    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise error("must be true or false")
        return value
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise error(f"must be a whole number of at least 1, not {value!r}")
        return value
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
            raise error(f"must be a share between 0 and 1, not {value!r}")
        return float(value)
    if value not in _CHOICES[key]:
        raise error(f"must be one of {', '.join(_CHOICES[key])}, not {value!r}")
    return value
