"""The ledger's files in the workspace: the public key and the head file.

``ledger.pub`` is the Ed25519 public key auditors verify with. ``ledger.head.json`` remembers
the newest signed checkpoint outside the database, so entries cut from the end of the chain
(which leaves a shorter chain that is valid in itself) are still noticed.
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
import warnings
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from matchgate.errors import LedgerError, WorkspaceError
from matchgate.ledger._entries import LedgerEntry, canonical_json
from matchgate.ledger._keys import (
    KEY_ENV_VAR,
    LEGACY_KEY_PATH,
    CheckpointVerifier,
    LedgerKeyWarning,
    LedgerSigner,
    create_key,
    default_key_path,
    key_directory,
    key_from_environment,
    load_private_key,
    load_public_key,
    public_key_pem,
    public_key_sha256,
)
from matchgate.ledger._verify import ChainVerifier

__all__ = [
    "HEAD_FILE",
    "LEDGER_FILE",
    "PUBLIC_KEY_FILE",
    "check_key_location",
    "compare_head",
    "load_keys",
    "locate_key",
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


def _inside(path: Path, folder: Path) -> bool:
    try:
        return path.resolve().is_relative_to(folder.resolve())
    except OSError:
        return False


def locate_key(workspace: Path, key_path: Path | None) -> tuple[Path | None, bool]:
    """Where the signing key of ``workspace``'s ledger is, and whether it is known to exist.

    ``key_path`` (``--key-file``), else ``$MATCHGATE_LEDGER_KEY``, else the per-user key of
    this ledger (:func:`default_key_path`, found by the fingerprint of ``ledger.pub``), else
    the in-workspace key of an older workspace. None: a new ledger's key is still to be made.
    """
    given = Path(key_path) if key_path is not None else key_from_environment()
    if given is not None:
        return given, given.exists()
    public_path = workspace / PUBLIC_KEY_FILE
    legacy = workspace / LEGACY_KEY_PATH
    if public_path.exists():
        fingerprint = public_key_sha256(load_public_key(public_path))
        per_user = default_key_path(fingerprint)
        if per_user.exists() or not legacy.exists():
            return per_user, per_user.exists()
    if legacy.exists():
        return legacy, True
    return None, False


def check_key_location(workspace: Path, key_path: Path | None, *, server: bool) -> Path | None:
    """Refuse (server) or warn about (command line) a signing key inside the workspace.

    Whoever can write the workspace can then rewrite the ledger and sign it again, so the
    server never runs with one; on the command line an older workspace's key is still
    read, with a warning that says how to move it. Returns the key's path (None: new).
    """
    path, exists = locate_key(workspace, key_path)
    if path is None or not _inside(path, workspace):
        return path
    outside = (
        default_key_path(public_key_sha256(load_public_key(workspace / PUBLIC_KEY_FILE)))
        if (workspace / PUBLIC_KEY_FILE).exists()
        else key_directory() / "ledger.key"
    )
    move = f"mkdir -p -m 700 {outside.parent} && mv {path} {outside}"
    if server:
        raise LedgerError(
            f"the ledger signing key {path} is inside the workspace {workspace}: the server"
            " refuses to run with it, because whoever can write the workspace could then"
            f" rewrite the ledger and sign it again. Move it out ({move}) or pass --key-file"
            f" / set {KEY_ENV_VAR} to a key outside the workspace",
            path=path,
        )
    if not exists:
        raise LedgerError(
            f"refusing to create the ledger signing key inside the workspace {workspace};"
            f" pass --key-file or set {KEY_ENV_VAR} to a path outside it, or leave both unset"
            f" for the default ({key_directory()})",
            path=path,
        )
    warnings.warn(
        LedgerKeyWarning(
            f"the ledger signing key {path} is inside the workspace, where it protects"
            f" nothing; move it out: {move} (the server refuses to run with it)"
        ),
        stacklevel=3,
    )
    return path


def load_keys(
    workspace: Path,
    *,
    key_path: Path | None,
    read_only: bool,
    ledger_is_new: bool,
    server: bool = False,
) -> tuple[LedgerSigner | None, CheckpointVerifier]:
    public_path = workspace / PUBLIC_KEY_FILE
    if read_only:
        return None, CheckpointVerifier(load_public_key(public_path))
    private_path = check_key_location(workspace, key_path, server=server)
    if private_path is None:
        if not ledger_is_new:
            raise LedgerError(
                f"the ledger's public key {PUBLIC_KEY_FILE} is missing, so its signing key"
                f" cannot be found in {key_directory()}; pass --key-file or set"
                f" {KEY_ENV_VAR} to the key this ledger was created with",
                path=public_path,
            )
        key = Ed25519PrivateKey.generate()
        private_path = default_key_path(public_key_sha256(key.public_key()))
        private_key = create_key(private_path, key)
    elif private_path.exists() or public_path.exists() or not ledger_is_new:
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
        # Cleaning up can fail as the write did (no folder there): the cause is the write's.
        with contextlib.suppress(OSError):
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
