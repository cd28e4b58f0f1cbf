"""Signed checkpoints an auditor keeps outside the workspace (in the spirit of the signed
tree heads of Certificate Transparency, RFC 6962 section 3.5).

A checkpoint states how many entries the ledger held, the hash of the last one and when,
signed with the ledger key. The chain alone cannot show that entries were cut from its end
(a shorter chain is valid in itself), nor that the end was rolled back and written again by
someone holding the key; ``ledger.head.json`` in the workspace helps only as long as nobody
deletes it. A checkpoint held by the auditor can't be deleted by whoever controls the
workspace: a ledger or export that is shorter than it, or differs at its position, fails.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matchgate.errors import InputError
from matchgate.ledger._entries import canonical_json, is_valid_timestamp
from matchgate.ledger._files import write_atomically
from matchgate.ledger._keys import CheckpointVerifier, LedgerSigner
from matchgate.ledger._verify import ChainVerifier

__all__ = ["SignedCheckpoint", "compare_checkpoint"]

_KEY = "matchgate_ledger_checkpoint"
_SIGNED_AS = "ledger_checkpoint"  # domain tag: never valid as an entry or export signature
_VERSION = 1
_FIELDS = ("version", "entries", "head_sequence", "head_hash", "issued_at", "public_key_sha256")


@dataclass(frozen=True, slots=True)
class SignedCheckpoint:
    """How many entries the ledger held and the hash of the last one, signed."""

    entries: int
    head_sequence: int
    head_hash: str
    issued_at: str
    public_key_sha256: str
    signature: str
    version: int = _VERSION

    def fields(self) -> dict[str, object]:
        return {
            "version": self.version,
            "entries": self.entries,
            "head_sequence": self.head_sequence,
            "head_hash": self.head_hash,
            "issued_at": self.issued_at,
            "public_key_sha256": self.public_key_sha256,
        }

    @classmethod
    def sign(
        cls,
        signer: LedgerSigner,
        *,
        entries: int,
        head_sequence: int,
        head_hash: str,
        issued_at: str,
    ) -> SignedCheckpoint:
        unsigned = cls(
            entries=entries,
            head_sequence=head_sequence,
            head_hash=head_hash,
            issued_at=issued_at,
            public_key_sha256=signer.verifier.fingerprint,
            signature="",
        )
        signature = signer.sign(_SIGNED_AS, unsigned.fields())
        return cls(**{**unsigned.fields(), "signature": signature})  # type: ignore[arg-type]

    def as_dict(self) -> dict[str, Any]:
        return {_KEY: self.fields(), "signature": self.signature}

    def to_json(self) -> str:
        return canonical_json(self.as_dict()) + "\n"

    def write(self, path: Path) -> Path:
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"cannot create the folder: {exc}", path=path.parent) from exc
        write_atomically(path, self.to_json().encode("utf-8"), mode=0o644)
        return path

    @classmethod
    def read(cls, path: Path) -> SignedCheckpoint:
        """Read a checkpoint file; a file that is not one is bad input (names the field)."""
        path = Path(path)
        try:
            value = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise InputError(
                f"cannot read the checkpoint: {exc.strerror or exc}", path=path
            ) from exc
        except (UnicodeDecodeError, ValueError) as exc:
            raise InputError(f"the checkpoint is not JSON: {exc}", path=path) from exc
        if not isinstance(value, dict) or set(value) != {_KEY, "signature"}:
            raise InputError(
                f"not a matchgate ledger checkpoint (expected the keys {_KEY!r} and"
                " 'signature'; write one with: matchgate ledger checkpoint --out FILE)",
                path=path,
            )
        fields = value[_KEY]
        if not isinstance(fields, dict) or set(fields) != set(_FIELDS):
            raise InputError(
                f"the checkpoint must hold exactly the fields {', '.join(_FIELDS)}",
                path=path,
                field=_KEY,
            )
        if fields["version"] != _VERSION:
            raise InputError(
                f"checkpoint version {fields['version']!r} is not {_VERSION}",
                path=path,
                field="version",
            )
        for name in ("entries", "head_sequence"):
            if type(fields[name]) is not int or fields[name] < 0:
                raise InputError("must be a whole number of 0 or more", path=path, field=name)
        for name in ("head_hash", "public_key_sha256"):
            text = fields[name]
            if not isinstance(text, str) or len(text) != 64 or text.strip("0123456789abcdef"):
                raise InputError("must be 64 lowercase hex digits", path=path, field=name)
        if not isinstance(fields["issued_at"], str) or not is_valid_timestamp(fields["issued_at"]):
            raise InputError("must be a UTC timestamp", path=path, field="issued_at")
        if not isinstance(value["signature"], str):
            raise InputError("must be text (base64)", path=path, field="signature")
        return cls(**{**fields, "signature": value["signature"]})

    def signature_problem(self, verifier: CheckpointVerifier) -> str:
        """Why the checkpoint can't be trusted with this public key ("" when it can)."""
        if self.public_key_sha256 != verifier.fingerprint:
            return (
                "the checkpoint was signed for another ledger key (key sha256"
                f" {self.public_key_sha256[:16]}... vs {verifier.fingerprint[:16]}...): it"
                " is not a checkpoint of this ledger"
            )
        if not verifier.is_valid(_SIGNED_AS, self.fields(), self.signature):
            return (
                "the checkpoint's signature does not verify with the public key: the"
                " checkpoint was altered or not made with this ledger's key"
            )
        return ""

    def describe(self) -> str:
        return (
            f"{self.entries:,} entries up to sequence {self.head_sequence}, head"
            f" {self.head_hash[:16]}..., issued {self.issued_at}"
        )


def compare_checkpoint(chain: ChainVerifier, checkpoint: SignedCheckpoint, *, what: str) -> None:
    """Fail ``chain`` (fed to its end) if it is shorter than ``checkpoint`` or differs at
    its position. ``chain.watch_sequences`` must have held ``checkpoint.head_sequence``."""
    sequence = checkpoint.head_sequence
    if sequence == 0:
        return
    if chain.last_sequence < sequence:
        chain.fail(
            chain.last_sequence + 1,
            f"the {what} holds {chain.entries_checked:,} entries up to sequence"
            f" {chain.last_sequence}, but the auditor's checkpoint (issued"
            f" {checkpoint.issued_at}) covers {checkpoint.entries:,} entries up to sequence"
            f" {sequence}: entries were cut from the end (truncation)",
        )
    elif chain.hash_at.get(sequence) != checkpoint.head_hash:
        chain.fail(
            sequence,
            f"entry {sequence} is not the entry the auditor's checkpoint (issued"
            f" {checkpoint.issued_at}) signed (head hash {checkpoint.head_hash[:16]}...):"
            f" the {what} was rolled back or its tail rewritten",
        )
