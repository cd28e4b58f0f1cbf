"""Intake: read a request file of any supported format into one record per row.

Nothing is lost: every input row becomes exactly one :class:`RequestRecord`, in order;
rows that cannot be used carry their problems (row, field, message) and are answered
``invalid``. See :func:`read_requests`.
"""

from matchgate.intake.columns import load_mapping, normalize_header
from matchgate.intake.read import FORMATS, RequestFile, read_requests
from matchgate.intake.record import REQUEST_FIELDS, REQUIRED_FIELDS, RequestRecord

__all__ = [
    "FORMATS",
    "REQUEST_FIELDS",
    "REQUIRED_FIELDS",
    "RequestFile",
    "RequestRecord",
    "load_mapping",
    "normalize_header",
    "read_requests",
]
