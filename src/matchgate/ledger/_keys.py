"""The Ed25519 key that signs checkpoints, kept outside the database.

Someone who can write the database but not read the key file can rewrite entries, but
cannot make the signed checkpoints that cover them agree again.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from matchgate import ed25519_files
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
    return ed25519_files.public_key_pem(key)


def public_key_sha256(key: Ed25519PublicKey) -> str:
    return ed25519_files.public_key_sha256(key)


def create_key(path: Path, key: Ed25519PrivateKey | None = None) -> Ed25519PrivateKey:
    """A new private key written with mode 0600 (its folder 0700); never overwrites."""
    key = key or Ed25519PrivateKey.generate()
    ed25519_files.write_private_key(
        path, key, what="the ledger signing key", error=LedgerError, folder_mode=0o700
    )
    return key


def load_private_key(path: Path) -> Ed25519PrivateKey:
    return ed25519_files.read_private_key(
        path,
        what="the ledger signing key",
        error=LedgerError,
        when_missing=(
            "the ledger signing key is missing; it is needed to sign checkpoints of an"
            f" existing ledger (pass --key-file or set {KEY_ENV_VAR} to point at it)"
        ),
    )


def load_public_key(path: Path) -> Ed25519PublicKey:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LedgerError(f"cannot read the ledger public key: {exc}", path=path) from exc
    return ed25519_files.parse_public_key(
        data, what="the ledger public key", error=LedgerError, path=path
    )


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
