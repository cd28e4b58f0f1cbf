"""The review policy: the limits the law leaves to judgment, in one TOML file.

The policy file may hold tables for other stages; the review reads only ``[review]`` and
refuses keys it does not know there, so a typo cannot silently leave a default in force.
Settings that are safeguards have a bound in :data:`REVIEW_FLOORS` that no file can pass; the
others (PO boxes, acting officials, title 26 and foreign rows) choose between two outcomes a
person stands behind, so either value keeps the gate shut.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from matchgate.errors import PolicyError
from matchgate.policy_file import Bound, read_policy_table

__all__ = ["REVIEW_FLOORS", "Policy"]

_DOCS: dict[str, str] = {
    "period_span_years": "Tax periods may reach back this many years before the letter's date.",
    "max_batch_rows": "A batch with more rows goes to a person (default: the TIN Matching bulk "
    "limit; raise it only in a policy file, explicitly).",
    "max_cases_per_officer": "An officer named for more open cases than this makes the letter "
    "deficient.",
    "max_caseload_share": "A batch about more people than this share of the agency's plausible "
    "criminal caseload is deficient.",
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

# Limits no policy file can pass: a policy may make the review stricter, never switch a rule
# off. Keys not listed here (allow_po_box, allow_acting_officials, tax_statutes,
# foreign_addresses, repeat_requests) pick between outcomes that both keep the gate shut or
# are lawful either way.
REVIEW_FLOORS: dict[str, Bound] = {
    # 6103(i)(2)(B)(ii) asks for the periods; a period older than any prosecution could reach
    # is not relevant to an open investigation. The general federal limitation period is five
    # years (18 U.S.C. 3282); the longest general ones are ten (18 U.S.C. 3291 for passport,
    # visa and naturalization offenses, 3293 for financial-institution fraud).
    "period_span_years": Bound(
        "review.period_span_years",
        "ceiling",
        10,
        "no federal limitation period for these offenses reaches back more than 10 years",
    ),
    # A batch with more rows than max_batch_rows goes to a person (batch_too_large) before any
    # row is answered. The default, 100,000, is the IRS's own bulk TIN Matching limit
    # (Publication 2108-A): larger is not ordinary work. The setting is a tripwire on volume,
    # not the rule on scope: whether a batch is a set of investigations is judged per agency
    # by batch_exceeds_caseload (people asked about against max_caseload_share of the agency's
    # plausible caseload) and max_cases_per_officer, which no size setting loosens. An office
    # that processes large lawful batches (the 2025 files held 1.28 million and 7.3 million
    # rows) may raise the tripwire in its policy file, explicitly, to at most 10,000,000: the
    # order of the largest files ever sent, and far below a national master file (over 150
    # million taxpayers), so no setting turns the tripwire off or admits a census of the file.
    "max_batch_rows": Bound(
        "review.max_batch_rows",
        "ceiling",
        10_000_000,
        "a batch of over 10,000,000 rows, the order of the largest files ever sent, always "
        "goes to a person",
    ),
    # 6103(i)(2)(A): only officers "personally and directly engaged" in the investigation may
    # receive. DOJ OIG Audit Report 03-37 (2003) counted 1,799,198 FBI case records opened or
    # worked over Oct 1995 - Jun 2002 (about 270,000 a year) for a force of about 11,000
    # agents: some 25 cases per agent a year. HSI has about 7,100 special agents for the
    # investigations of DHS's largest criminal component. The default, 50, is twice that
    # figure; no policy may name one officer on more than 100 cases (a policy judgement: a
    # hundred open investigations is beyond what one person can personally and directly work).
    "max_cases_per_officer": Bound(
        "review.max_cases_per_officer",
        "ceiling",
        100,
        "no officer can be personally and directly engaged in more than 100 open cases",
    ),
    # A batch about more people than half of everything the agency could plausibly be
    # investigating at once is a census of a population, not a set of investigations.
    "max_caseload_share": Bound(
        "review.max_caseload_share",
        "ceiling",
        0.5,
        "a batch beyond half the agency's plausible caseload is not a set of investigations",
    ),
    # IRS Publication 1075: safeguards are reviewed on a three-year cycle; a report older than
    # that says nothing about the safeguards in place now (6103(p)(4)).
    "safeguards_max_age_years": Bound(
        "review.safeguards_max_age_years",
        "ceiling",
        3,
        "safeguards are reviewed on a three-year cycle (IRS Publication 1075)",
    ),
    # 6103(i)(2)(B)(iv) asks for the specific reason for each taxpayer; one text on more than
    # half the rows is boilerplate by any reading, so the flag may not be set higher.
    "reason_boilerplate_share": Bound(
        "review.reason_boilerplate_share",
        "ceiling",
        0.5,
        "one reason text on over half a batch is boilerplate",
    ),
    # Boilerplate is judged from this batch size up; set to 100,000,000 it would never be.
    "reason_boilerplate_min_rows": Bound(
        "review.reason_boilerplate_min_rows",
        "ceiling",
        1_000,
        "a batch of 1,000 rows or more is always checked for boilerplate",
    ),
    # A reason must name a subject, an offense and a need; fewer than three words cannot.
    "min_reason_words": Bound(
        "review.min_reason_words",
        "floor",
        3,
        "fewer than 3 words cannot state a specific reason (6103(i)(2)(B)(iv))",
    ),
    # A jail, detention centre or shelter is not the taxpayer's address (6103(i)(2)(B)(i));
    # accepting such addresses was part of the 2025 failure (DOMAIN.md). Fixed off.
    "allow_institution": Bound(
        "review.allow_institution",
        "fixed",
        False,
        "an institution is not the taxpayer's address (6103(i)(2)(B)(i))",
    ),
    # A repeat request (the same taxpayer disclosed to the same agency again) must be seen for
    # at least 90 days: set to a day, sending the same file again in another format would go
    # unnoticed, as it did in 2025. repeat_requests ('flag' or 'review') is free: both record it.
    "repeat_window_days": Bound(
        "review.repeat_window_days",
        "floor",
        90,
        "a repeat request within 90 days is always seen",
    ),
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
    # Tens, not hundreds: see REVIEW_FLOORS["max_cases_per_officer"] for the reasoning.
    max_cases_per_officer: int = 50
    max_caseload_share: float = 0.25
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
            if key in REVIEW_FLOORS:
                REVIEW_FLOORS[key].check(values[key], source)
        return replace(defaults, **values)

    def to_toml(self) -> str:
        """The policy as a TOML ``[review]`` table, each setting with its meaning."""
        lines = ["# matchgate review policy (26 U.S.C. 6103(i)(2) legal review)", "[review]"]
        for item in fields(self):
            value = getattr(self, item.name)
            lines.append(f"# {_DOCS[item.name]}")
            bound = REVIEW_FLOORS.get(item.name)
            if bound is not None:
                lines.append(f"# Bound (no policy may pass): {bound.describe()}; {bound.why}.")
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
