"""The one place errors become exit codes.

0  success
1  unexpected internal error (a bug: please report it with the command line)
2  bad input: a file, row, field or option is unusable (InputError and subclasses)
3  integrity failure: the ledger's chain or signatures do not verify
4  workspace problem: missing, locked or corrupted
5  model problem: a saved model is missing, corrupt or incompatible
6  ledger cannot be opened or written
"""

from __future__ import annotations

from matchgate.errors import (
    InputError,
    LedgerError,
    LedgerIntegrityError,
    MatchgateError,
    ModelError,
    WorkspaceError,
)

__all__ = ["EXIT_CODES", "exit_code_for"]

# Most specific first.
EXIT_CODES: tuple[tuple[type[MatchgateError], int], ...] = (
    (LedgerIntegrityError, 3),
    (LedgerError, 6),
    (InputError, 2),
    (WorkspaceError, 4),
    (ModelError, 5),
    (MatchgateError, 1),
)


def exit_code_for(error: MatchgateError) -> int:
    for kind, code in EXIT_CODES:
        if isinstance(error, kind):
            return code
    return 1
