"""The ledger: a permanent, tamper-evident account of every request and disclosure.

26 U.S.C. 6103(p)(3)(A) asks for an accounting of every disclosure made at the time it is
made; (p)(3)(C) for a yearly report per agency. Entries are only ever appended, each one
carries the SHA-256 hash of the one before it, and periodic checkpoints are signed with an
Ed25519 key kept outside the database and, by default, outside the workspace
(:func:`key_directory`). :func:`verify_export` lets an auditor check an export with nothing
but the public key, and a :class:`SignedCheckpoint` the auditor keeps catches a ledger cut
short or rolled back. :class:`AccessLog` is the log of who read which taxpayer data, a hash
chain of its own in the same database.
"""

from matchgate.ledger._access import (
    AccessLog,
    AccessQuery,
    AccessRecord,
    AccessUser,
    AccessVerifyReport,
)
from matchgate.ledger._checkpoint import SignedCheckpoint
from matchgate.ledger._disclosures import DisclosureRecord
from matchgate.ledger._entries import GENESIS_HASH, EntryKind, LedgerEntry, NewEntry
from matchgate.ledger._export import verify_export
from matchgate.ledger._files import check_key_location
from matchgate.ledger._keys import KEY_ENV_VAR, LedgerKeyWarning, key_directory
from matchgate.ledger._ledger import DEFAULT_CHECKPOINT_EVERY, Ledger
from matchgate.ledger._oversight import AgencyOversight, OversightReport
from matchgate.ledger._payloads import ALLOWED_FIELDS
from matchgate.ledger._retraction import RetractionNotice
from matchgate.ledger._verify import VerifyReport

__all__ = [
    "ALLOWED_FIELDS",
    "AccessLog",
    "AccessQuery",
    "AccessRecord",
    "AccessUser",
    "AccessVerifyReport",
    "AgencyOversight",
    "DEFAULT_CHECKPOINT_EVERY",
    "DisclosureRecord",
    "EntryKind",
    "GENESIS_HASH",
    "KEY_ENV_VAR",
    "Ledger",
    "LedgerEntry",
    "LedgerKeyWarning",
    "NewEntry",
    "OversightReport",
    "RetractionNotice",
    "SignedCheckpoint",
    "VerifyReport",
    "check_key_location",
    "key_directory",
    "verify_export",
]
