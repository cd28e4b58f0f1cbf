"""The one value intake produces per input row: :class:`RequestRecord`."""

from __future__ import annotations

from dataclasses import dataclass

from matchgate.decisions import Reason

__all__ = ["REQUEST_FIELDS", "REQUIRED_FIELDS", "RequestRecord"]

REQUEST_FIELDS: tuple[str, ...] = (
    "request_id",
    "first_name",
    "middle_name",
    "last_name",
    "suffix",
    "dob",
    "street",
    "city",
    "state",
    "zip",
    "tin",
    "tax_periods",
    "statute",
    "case_number",
    "reason",
)

# Without a name there is nobody to look up, so a file without name columns is unusable as a
# whole. Every other field may be absent: its absence is a legal finding the review makes per
# row (with the citation), not a reason to refuse to read the file.
REQUIRED_FIELDS: tuple[str, ...] = ("first_name", "last_name")


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One request row, exactly once, in input order.

    Text fields are stripped, internal whitespace collapsed, ``""`` when absent. ``dob`` is
    ISO ``YYYY-MM-DD`` when it could be read, ``tin`` nine digits, ``state`` a USPS code.
    A non-empty ``problems`` means the row is ``invalid``. ``duplicate_of`` is the row number
    of the first identical row (ignoring ``request_id``): the row is still answered once, and
    it is not invalid.
    """

    row_number: int
    request_id: str = ""
    first_name: str = ""
    middle_name: str = ""
    last_name: str = ""
    suffix: str = ""
    dob: str = ""
    street: str = ""
    city: str = ""
    state: str = ""
    zip: str = ""
    tin: str = ""
    tax_periods: str = ""
    statute: str = ""
    case_number: str = ""
    reason: str = ""
    problems: tuple[Reason, ...] = ()
    duplicate_of: int | None = None

    @property
    def is_invalid(self) -> bool:
        return bool(self.problems)

    @property
    def duplicate_reason(self) -> Reason | None:
        """The ``duplicate`` reason for this row, or ``None`` if it is the first of its kind."""
        if self.duplicate_of is None:
            return None
        return Reason(
            code="duplicate",
            message=(
                f"Row {self.row_number} repeats row {self.duplicate_of}; "
                "it is answered once, with that row."
            ),
        )
