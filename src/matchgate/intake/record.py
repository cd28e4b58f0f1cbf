"""The one value intake produces per input row: :class:`RequestRecord`."""

from __future__ import annotations

from dataclasses import field, make_dataclass
from typing import TYPE_CHECKING, Any

from matchgate.decisions import Reason
from matchgate.fields import REQUEST_FIELDS

__all__ = ["REQUEST_FIELDS", "REQUIRED_FIELDS", "RequestRecord"]

# Without a name there is nobody to look up, so a file without name columns is unusable as a
# whole. Every other field may be absent: its absence is a legal finding the review makes per
# row (with the citation), not a reason to refuse to read the file.
REQUIRED_FIELDS: tuple[str, ...] = ("first_name", "last_name")

_DOCSTRING = """One request row, exactly once, in input order.

    Fields: ``row_number``, then every name in :data:`matchgate.fields.REQUEST_FIELDS` (text),
    then ``problems`` and ``duplicate_of``.

    Text fields are stripped, internal whitespace collapsed, ``""`` when absent. ``dob`` is
    ISO ``YYYY-MM-DD`` when it could be read, ``tin`` nine digits, ``state`` a USPS code.
    A non-empty ``problems`` means the row is ``invalid``. ``duplicate_of`` is the row number
    of the first identical row (ignoring ``request_id``): the row is still answered once, and
    it is not invalid.
    """


class _RequestRecordMethods:
    """What a request record does beyond holding its fields."""

    __slots__ = ()
    row_number: int
    problems: tuple[Reason, ...]
    duplicate_of: int | None

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


if TYPE_CHECKING:
    # The fields are made from REQUEST_FIELDS at run time, which a type checker cannot
    # follow; to it a record has the three typed fields above and any request field as
    # text, and is made from keyword arguments (the dataclass refuses unknown names).
    class RequestRecord(_RequestRecordMethods):
        __slots__: tuple[str, ...]

        def __init__(self, row_number: int, **fields: Any) -> None: ...

        def __getattr__(self, name: str) -> str: ...

else:
    RequestRecord = make_dataclass(
        "RequestRecord",
        [
            ("row_number", int),
            *[(name, str, field(default="")) for name in REQUEST_FIELDS],
            ("problems", tuple[Reason, ...], field(default=())),
            ("duplicate_of", int | None, field(default=None)),
        ],
        bases=(_RequestRecordMethods,),
        namespace={"__doc__": _DOCSTRING, "__module__": __name__},
        frozen=True,
        slots=True,
    )
