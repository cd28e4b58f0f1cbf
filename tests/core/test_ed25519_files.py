"""The one reader and writer of Ed25519 key files, for letter keys and ledger keys alike."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from matchgate import ed25519_files
from matchgate.errors import InputError, LedgerError


def test_a_written_key_reads_back_with_mode_0600(tmp_path: Path) -> None:
    key = Ed25519PrivateKey.generate()
    path = tmp_path / "deep" / "k.key"
    ed25519_files.write_private_key(path, key, what="the key", error=InputError, folder_mode=0o700)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    again = ed25519_files.read_private_key(path, what="the key", error=InputError)
    assert ed25519_files.public_key_sha256(again.public_key()) == ed25519_files.public_key_sha256(
        key.public_key()
    )
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]


def test_an_existing_key_is_never_replaced(tmp_path: Path) -> None:
    path = tmp_path / "k.key"
    first = Ed25519PrivateKey.generate()
    ed25519_files.write_private_key(path, first, what="the ledger key", error=LedgerError)
    before = path.read_bytes()
    with pytest.raises(LedgerError, match="the ledger key is already there"):
        ed25519_files.write_private_key(
            path, Ed25519PrivateKey.generate(), what="the ledger key", error=LedgerError
        )
    assert path.read_bytes() == before


def test_a_key_others_can_read_is_refused_with_the_chmod_to_run(tmp_path: Path) -> None:
    path = tmp_path / "k.key"
    ed25519_files.write_private_key(
        path, Ed25519PrivateKey.generate(), what="the key", error=InputError
    )
    os.chmod(path, 0o644)
    with pytest.raises(InputError, match=r"readable by others \(mode 644\); run: chmod 600"):
        ed25519_files.read_private_key(path, what="the key", error=InputError)


def test_a_missing_key_says_where_it_should_come_from(tmp_path: Path) -> None:
    with pytest.raises(LedgerError, match="pass --key-file") as caught:
        ed25519_files.read_private_key(
            tmp_path / "gone.key",
            what="the ledger key",
            error=LedgerError,
            when_missing="the ledger key is missing (pass --key-file)",
        )
    assert caught.value.path == str(tmp_path / "gone.key")
    with pytest.raises(InputError, match="cannot read the key"):
        ed25519_files.read_private_key(tmp_path / "gone.key", what="the key", error=InputError)


def test_garbage_and_other_key_types_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "k.key"
    path.write_bytes(b"not a key")
    os.chmod(path, 0o600)
    with pytest.raises(InputError, match="the key is not a PEM private key"):
        ed25519_files.read_private_key(path, what="the key", error=InputError)
    other = ec.generate_private_key(ec.SECP256R1())
    path.write_bytes(
        other.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    with pytest.raises(InputError, match="not an Ed25519 private key"):
        ed25519_files.read_private_key(path, what="the key", error=InputError)
    public_other = other.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with pytest.raises(LedgerError, match="not an Ed25519 public key") as caught:
        ed25519_files.parse_public_key(
            public_other, what="the public key", error=LedgerError, path=path, field="public_key"
        )
    assert caught.value.field == "public_key"
    with pytest.raises(LedgerError, match="not a PEM public key"):
        ed25519_files.parse_public_key(b"junk", what="the public key", error=LedgerError)
