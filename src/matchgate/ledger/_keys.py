"""The Ed25519 key that signs checkpoints, kept outside the database.

Someone who can write the database but not read the key file can rewrite entries, but
cannot make the signed checkpoints that cover them agree again.
"""

from __future__ import annotations

import base64
import hashlib
import os
import stat
import uuid
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from matchgate.errors import LedgerError
from matchgate.ledger._entries import canonical_json

__all__ = [
    "KEY_ENV_VAR",
    "LEGACY_KEY_PATH",
    "CheckpointVerifier",
    "LedgerKeyWarning",
    "LedgerSigner",
    "create_key",
    "default_key_path",
    "key_directory",
    "key_from_environment",
    "load_private_key",
    "load_public_key",
    "public_key_pem",
    "public_key_sha256",
    "signing_material",
]

KEY_ENV_VAR = "MATCHGATE_LEDGER_KEY"
LEGACY_KEY_PATH = Path("keys") / "ledger.key"  # inside the workspace: matchgate < 0.2


class LedgerKeyWarning(UserWarning):
    """The signing key is used from a place it should not be (inside the workspace)."""


def key_directory() -> Path:
    """Where ledger signing keys live by default: ``$XDG_CONFIG_HOME/matchgate/keys``
    (``~/.config/matchgate/keys``), outside every workspace."""
    configured = os.environ.get("XDG_CONFIG_HOME", "").strip()
    base = Path(configured) if configured and Path(configured).is_absolute() else None
    if base is None:
        try:
            base = Path.home() / ".config"
        except RuntimeError as exc:
            raise LedgerError(
                f"cannot find a home folder for the ledger signing key; set {KEY_ENV_VAR}"
                " to the key file or XDG_CONFIG_HOME to a private folder"
            ) from exc
    return base / "matchgate" / "keys"


def default_key_path(fingerprint: str) -> Path:
    """The default key file of the ledger whose public key has this SHA-256 fingerprint:
    one file per ledger, so two workspaces never share a key unless told to."""
    return key_directory() / f"ledger-{fingerprint}.key"


def key_from_environment() -> Path | None:
    from_env = os.environ.get(KEY_ENV_VAR, "").strip()
    return Path(from_env).expanduser() if from_env else None


def signing_material(kind: str, fields: dict[str, object]) -> bytes:
    """What a signature covers: a domain tag plus canonical JSON of the signed fields."""
    return canonical_json({"signed": kind, "fields": fields}).encode("utf-8")


def public_key_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def public_key_sha256(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def create_key(path: Path, key: Ed25519PrivateKey | None = None) -> Ed25519PrivateKey:
    """A new private key written with mode 0600 (its folder 0700); never overwrites."""
    key = key or Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    # Written in full to a private temporary file, then linked into place: a crash never
    # leaves a half-written key, and an existing key is never replaced.
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(pem)
            stream.flush()
            os.fsync(stream.fileno())
        os.link(temporary, path)
    except OSError as exc:
        raise LedgerError(f"cannot create the ledger signing key: {exc}", path=path) from exc
    finally:
        temporary.unlink(missing_ok=True)
    return key


def load_private_key(path: Path) -> Ed25519PrivateKey:
    try:
        mode = path.stat().st_mode
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise LedgerError(
            "the ledger signing key is missing; it is needed to sign checkpoints of an"
            f" existing ledger (pass --key-file or set {KEY_ENV_VAR} to point at it)",
            path=path,
        ) from exc
    except OSError as exc:
        raise LedgerError(f"cannot read the ledger signing key: {exc}", path=path) from exc
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise LedgerError(
            f"the ledger signing key is readable by others (mode {stat.S_IMODE(mode):o});"
            f" run: chmod 600 {path}",
            path=path,
        )
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise LedgerError(f"the ledger signing key is not a PEM key: {exc}", path=path) from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise LedgerError("the ledger signing key is not an Ed25519 key", path=path)
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LedgerError(f"cannot read the ledger public key: {exc}", path=path) from exc
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError) as exc:
        raise LedgerError(f"the ledger public key is not a PEM key: {exc}", path=path) from exc
    if not isinstance(key, Ed25519PublicKey):
        raise LedgerError("the ledger public key is not an Ed25519 key", path=path)
    return key


@dataclass(frozen=True)
class CheckpointVerifier:
    """Checks signatures made by :class:`LedgerSigner` with one public key."""

    public_key: Ed25519PublicKey

    @property
    def fingerprint(self) -> str:
        return public_key_sha256(self.public_key)

    def is_valid(self, kind: str, fields: dict[str, object], signature: str) -> bool:
        try:
            raw = base64.b64decode(signature.encode("ascii"), validate=True)
            self.public_key.verify(raw, signing_material(kind, fields))
        except (InvalidSignature, ValueError, UnicodeEncodeError):
            return False
        return True


@dataclass(frozen=True)
class LedgerSigner:
    private_key: Ed25519PrivateKey

    @property
    def verifier(self) -> CheckpointVerifier:
        return CheckpointVerifier(self.private_key.public_key())

    def sign(self, kind: str, fields: dict[str, object]) -> str:
        raw = self.private_key.sign(signing_material(kind, fields))
        return base64.b64encode(raw).decode("ascii")
