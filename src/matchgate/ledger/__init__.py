"""The ledger: a permanent, tamper-evident account of every request and disclosure.

26 U.S.C. 6103(p)(3)(A) asks for an accounting of every disclosure made at the time it is
made; (p)(3)(C) for a yearly report per agency. Entries are only ever appended, each one
carries the SHA-256 hash of the one before it, and periodic checkpoints are signed with an
Ed25519 key kept outside the database. :func:`verify_export` lets an auditor check an
export with nothing but the public key.
"""

from matchgate.ledger._disclosures import DisclosureRecord
from matchgate.ledger._entries import GENESIS_HASH, EntryKind, LedgerEntry, NewEntry
from matchgate.ledger._export import verify_export
from matchgate.ledger._ledger import DEFAULT_CHECKPOINT_EVERY, Ledger
from matchgate.ledger._oversight import AgencyOversight, OversightReport
from matchgate.ledger._payloads import ALLOWED_FIELDS
from matchgate.ledger._retraction import RetractionNotice
from matchgate.ledger._verify import VerifyReport

__all__ = [
    "ALLOWED_FIELDS",
    "AgencyOversight",
    "DEFAULT_CHECKPOINT_EVERY",
    "DisclosureRecord",
    "EntryKind",
    "GENESIS_HASH",
    "Ledger",
    "LedgerEntry",
    "NewEntry",
    "OversightReport",
    "RetractionNotice",
    "VerifyReport",
    "verify_export",
]
