"""Ed25519 key files: the one way matchgate writes, reads and names them.

Two kinds of key use this: an agency's letter-signing key (``matchgate letter sign``) and the
office's ledger key that signs checkpoints. Both are PKCS8 PEM with mode 0600, written in full
to a private temporary file and linked into place, so a crash never leaves half a key and an
existing key is never replaced. Each caller says what the key is (``what``) and which error a
person should see, so messages stay specific: "the ledger signing key is readable by others".
"""

from __future__ import annotations

import hashlib
import os
import stat
import uuid
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from matchgate.errors import MatchgateError

__all__ = [
    "parse_public_key",
    "public_key_pem",
    "public_key_sha256",
    "read_private_key",
    "write_private_key",
]


def public_key_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def public_key_sha256(key: Ed25519PublicKey) -> str:
    """The key's fingerprint: SHA-256 of its 32 raw bytes."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def write_private_key(
    path: Path,
    key: Ed25519PrivateKey,
    *,
    what: str,
    error: type[MatchgateError],
    folder_mode: int = 0o777,
) -> None:
    """Write ``key`` to ``path`` as PKCS8 PEM, mode 0600; an existing file is never replaced."""
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=folder_mode)
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(pem)
            stream.flush()
            os.fsync(stream.fileno())
        os.link(temporary, path)
    except FileExistsError as exc:
        raise error(f"{what} is already there; it is never overwritten", path=path) from exc
    except OSError as exc:
        raise error(f"cannot write {what}: {exc.strerror or exc}", path=path) from exc
    finally:
        temporary.unlink(missing_ok=True)


def read_private_key(
    path: Path,
    *,
    what: str,
    error: type[MatchgateError],
    when_missing: str | None = None,
) -> Ed25519PrivateKey:
    """Read an Ed25519 private key that only its owner may read (group/other bits refused).

    ``when_missing`` replaces the plain "cannot read" message when the file does not exist,
    to tell a person where the key should come from."""
    try:
        mode = path.stat().st_mode
        data = path.read_bytes()
    except FileNotFoundError as exc:
        message = when_missing or f"cannot read {what}: {exc.strerror or exc}"
        raise error(message, path=path) from exc
    except OSError as exc:
        raise error(f"cannot read {what}: {exc.strerror or exc}", path=path) from exc
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise error(
            f"{what} is readable by others (mode {stat.S_IMODE(mode):o}); run: chmod 600 {path}",
            path=path,
        )
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise error(f"{what} is not a PEM private key: {exc}", path=path) from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise error(f"{what} is not an Ed25519 private key", path=path)
    return key


def parse_public_key(
    data: bytes,
    *,
    what: str,
    error: type[MatchgateError],
    path: Path | None = None,
    field: str | None = None,
) -> Ed25519PublicKey:
    """An Ed25519 public key from PEM bytes, or ``error`` naming the file and field."""
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError) as exc:
        raise error(f"{what} is not a PEM public key: {exc}", path=path, field=field) from exc
    if not isinstance(key, Ed25519PublicKey):
        raise error(f"{what} is not an Ed25519 public key", path=path, field=field)
    return key
