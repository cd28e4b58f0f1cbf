"""The one exception hierarchy of matchgate.

Domain code raises these; the CLI (``matchgate.cli``) and the HTTP API map them to exit
codes and status codes in one place each. Errors from libraries are translated at the
boundary with ``raise OurError(...) from exc`` so a user never sees a bare traceback.

    MatchgateError                 base; carries a message a person can act on
    ├── InputError                 a file or value given to matchgate is unusable
    │   ├── IntakeError            a request file cannot be read at all (names file, row, field)
    │   ├── MasterFileError        the taxpayer master file is unusable
    │   ├── LetterError            the request letter is missing, unreadable or malformed
    │   ├── PolicyError            the policy file is malformed
    │   └── MappingError           a column-mapping file is malformed or names unknown fields
    ├── ModelError                 a saved match model is missing, corrupt or incompatible
    ├── WorkspaceError             the workspace folder is missing, locked or corrupted
    └── LedgerError                the ledger cannot be opened or written
        └── LedgerIntegrityError   the hash chain or a signature does not verify
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "InputError",
    "IntakeError",
    "LedgerError",
    "LedgerIntegrityError",
    "LetterError",
    "MappingError",
    "MasterFileError",
    "MatchgateError",
    "ModelError",
    "PolicyError",
    "WorkspaceError",
]


class MatchgateError(Exception):
    """Base of every error matchgate raises on purpose."""

    def __init__(
        self,
        message: str,
        *,
        path: Path | str | None = None,
        row: int | None = None,
        field: str | None = None,
    ) -> None:
        self.message = message
        self.path = str(path) if path is not None else None
        self.row = row
        self.field = field
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = []
        if self.path:
            where.append(self.path)
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.field:
            where.append(f"field '{self.field}'")
        prefix = ", ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message


class InputError(MatchgateError):
    """A file or value handed to matchgate cannot be used."""


class IntakeError(InputError):
    """A request file cannot be read at all (as opposed to one bad row)."""


class MasterFileError(InputError):
    """The taxpayer master file is missing, unreadable or lacks required columns."""


class LetterError(InputError):
    """The signed request letter is missing, unreadable or malformed."""


class PolicyError(InputError):
    """The policy file is malformed or holds a value outside its allowed range."""


class MappingError(InputError):
    """A column-mapping file is malformed or maps to a field matchgate does not know."""


class ModelError(MatchgateError):
    """A saved match model is missing, corrupt, or from an incompatible version."""


class WorkspaceError(MatchgateError):
    """The workspace folder is missing, locked by another run, or corrupted."""


class LedgerError(MatchgateError):
    """The ledger cannot be opened or appended to."""


class LedgerIntegrityError(LedgerError):
    """The ledger's hash chain or a checkpoint signature does not verify."""
