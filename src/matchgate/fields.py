"""The fields of a request row, named once.

Every list of request fields in matchgate is built from the groups here: the intake record
(:class:`matchgate.intake.RequestRecord`), the server's look-up body
(:class:`matchgate.server.schemas.LookupCreate`), the staging table's columns, the fields
matching reads (:class:`matchgate.match.MatchInput`) and the master file's identity columns.
Adding or renaming a field is one edit here.

    REQUEST_FIELDS  = request_id, NAME_FIELDS, dob, ADDRESS_FIELDS, tin, LETTER_FIELDS
    MATCH_FIELDS    = NAME_FIELDS, dob, ADDRESS_FIELDS, tin  (the person's identity)
"""

from __future__ import annotations

__all__ = [
    "ADDRESS_FIELDS",
    "LETTER_FIELDS",
    "MATCH_FIELDS",
    "NAME_FIELDS",
    "REQUEST_FIELDS",
]

# The person's name, as the request and the master file both write it.
NAME_FIELDS: tuple[str, ...] = ("first_name", "middle_name", "last_name", "suffix")
# The address the request gives (in the master file: the address filed from).
ADDRESS_FIELDS: tuple[str, ...] = ("street", "city", "state", "zip")
# Everything that says who the person is: what matching reads, and nothing else.
MATCH_FIELDS: tuple[str, ...] = (*NAME_FIELDS, "dob", *ADDRESS_FIELDS, "tin")
# What the letter asks for the row: the legal review reads these, matching never does.
LETTER_FIELDS: tuple[str, ...] = ("tax_periods", "statute", "case_number", "reason")
# A request row's fields in file order: the agency's own id, the identity, the letter.
REQUEST_FIELDS: tuple[str, ...] = ("request_id", *MATCH_FIELDS, *LETTER_FIELDS)
