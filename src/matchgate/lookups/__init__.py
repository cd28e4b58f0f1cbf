"""Look-ups: one request row at a time under a signed look-up letter, answered at once.

:func:`run_lookup` is what ``matchgate lookup`` and ``POST /api/lookups`` call;
:func:`open_master` is the one place a look-up reaches the master file. See docs/LOOKUPS.md.
"""

from matchgate.lookups.master import OpenMaster, forget_masters, open_master
from matchgate.lookups.run import (
    LOOKUP_REQUIRED_FIELDS,
    LookupAnswer,
    checked_fields,
    file_letter,
    lookup_fields_from_json,
    run_lookup,
)
from matchgate.lookups.store import LetterNotOnFileError

__all__ = [
    "LOOKUP_REQUIRED_FIELDS",
    "LetterNotOnFileError",
    "LookupAnswer",
    "OpenMaster",
    "checked_fields",
    "file_letter",
    "forget_masters",
    "lookup_fields_from_json",
    "open_master",
    "run_lookup",
]
