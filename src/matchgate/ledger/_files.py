"""The ledger's files in the workspace: the public key and the head file.

``ledger.pub`` is the Ed25519 public key auditors verify with. ``ledger.head.json`` remembers
the newest signed checkpoint outside the database, so entries cut from the end of the chain
(which leaves a shorter chain that is valid in itself) are still noticed.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

from matchgate.errors import LedgerError, WorkspaceError
from matchgate.ledger._entries import LedgerEntry, canonical_json
from matchgate.ledger._keys import (
    CheckpointVerifier,
    LedgerSigner,
    create_key,
    default_key_path,
    load_private_key,
    load_public_key,
    public_key_pem,
)
from matchgate.ledger._verify import ChainVerifier

__all__ = [
    "HEAD_FILE",
    "LEDGER_FILE",
    "PUBLIC_KEY_FILE",
    "compare_head",
    "load_keys",
    "prepare_workspace",
    "read_head",
    "write_atomically",
    "write_head",
]

LEDGER_FILE = "ledger.sqlite"
PUBLIC_KEY_FILE = "ledger.pub"
HEAD_FILE = "ledger.head.json"


def prepare_workspace(workspace: Path, *, create: bool) -> None:
    if workspace.exists() and not workspace.is_dir():
        raise WorkspaceError("the workspace is not a folder", path=workspace)
    if not workspace.exists():
        if not create:
            raise WorkspaceError("the workspace folder does not exist", path=workspace)
        try:
            workspace.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise WorkspaceError(f"cannot create the workspace: {exc}", path=workspace) from exc


def load_keys(
    workspace: Path, *, key_path: Path | None, read_only: bool, ledger_is_new: bool
) -> tuple[LedgerSigner | None, CheckpointVerifier]:
    public_path = workspace / PUBLIC_KEY_FILE
    if read_only:
        return None, CheckpointVerifier(load_public_key(public_path))
    private_path = Path(key_path) if key_path is not None else default_key_path(workspace)
    if private_path.exists() or public_path.exists() or not ledger_is_new:
        private_key = load_private_key(private_path)
    else:
        private_key = create_key(private_path)
    signer = LedgerSigner(private_key)
    if public_path.exists():
        published = CheckpointVerifier(load_public_key(public_path))
        if published.fingerprint != signer.verifier.fingerprint:
            raise LedgerError(
                f"the signing key {private_path} does not belong to the workspace's public"
                " key; use the key this ledger was created with",
                path=public_path,
            )
    else:
        write_atomically(public_path, public_key_pem(private_key.public_key()), mode=0o644)
    return signer, signer.verifier


def write_atomically(path: Path, data: bytes, *, mode: int = 0o644) -> None:
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with temporary.open("wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise WorkspaceError(f"cannot write {path.name}: {exc}", path=path) from exc


def read_head(path: Path) -> tuple[int, str] | None:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
        return int(value["sequence"]), str(value["entry_hash"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise WorkspaceError(f"the ledger head file is unreadable: {exc}", path=path) from exc


def compare_head(chain: ChainVerifier, head: tuple[int, str]) -> None:
    sequence, entry_hash = head
    if chain.last_sequence < sequence:
        chain.fail(
            chain.last_sequence + 1,
            f"the ledger ends at sequence {chain.last_sequence}, but a signed checkpoint at"
            f" sequence {sequence} was recorded in {HEAD_FILE}: entries were removed from"
            " the end",
        )
    elif chain.hash_at.get(sequence) != entry_hash:
        chain.fail(
            sequence,
            f"entry {sequence} is not the signed checkpoint recorded in {HEAD_FILE}",
        )


def write_head(workspace: Path, checkpoint: LedgerEntry) -> None:
    """Remember the newest signed checkpoint; never moves backwards."""
    path = workspace / HEAD_FILE
    try:
        current = read_head(path)
    except WorkspaceError:
        current = None  # verify reports a damaged head file; appending replaces it
    if current is not None and current[0] >= checkpoint.sequence:
        return  # another writer already recorded a later checkpoint
    head = {"sequence": checkpoint.sequence, "entry_hash": checkpoint.entry_hash}
    write_atomically(path, canonical_json(head).encode("utf-8"))
