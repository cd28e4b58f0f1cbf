"""Agency signing keys and the Ed25519 signature a letter carries.

An agency signs its letter with its private key (``matchgate letter sign``); the office holds
only the public key, registered in the workspace's agency registry. The signature covers the
letter's content and the SHA-256 of the request file (:func:`letter_signing_material`) -- for a
look-up letter (``kind = "lookups"``) its declared scope instead of a file's digest -- and is
written into the letter as a ``[signature]`` table at its end, so the letter and its signature
travel as one file (through the server's upload too).
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from enum import StrEnum
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from matchgate import ed25519_files
from matchgate.errors import InputError, LetterError
from matchgate.review.letter import (
    SIGNATURE_ALGORITHM,
    LetterSignature,
    RequestLetter,
    letter_signing_material,
    load_letter,
)

__all__ = [
    "SignatureCheck",
    "check_signature",
    "file_sha256",
    "load_private_key",
    "load_public_key_pem",
    "public_key_pem",
    "public_key_sha256",
    "sign_letter_file",
    "write_private_key",
]


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with Path(path).open("rb") as stream:
            for block in iter(lambda: stream.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror or exc}", path=path) from exc
    return digest.hexdigest()


def public_key_pem(key: Ed25519PublicKey) -> str:
    return ed25519_files.public_key_pem(key).decode("ascii")


def public_key_sha256(key: Ed25519PublicKey) -> str:
    """The key's fingerprint: SHA-256 of its 32 raw bytes, as a letter's signature names it."""
    return ed25519_files.public_key_sha256(key)


def load_public_key_pem(
    text: str, *, path: Path | None = None, field: str = ""
) -> Ed25519PublicKey:
    try:
        data = text.encode("ascii")
    except UnicodeEncodeError as exc:
        raise InputError(f"not a PEM public key: {exc}", path=path, field=field) from exc
    return ed25519_files.parse_public_key(
        data, what="the public key", error=InputError, path=path, field=field
    )


def write_private_key(path: Path, key: Ed25519PrivateKey) -> None:
    """Write ``key`` as PKCS8 PEM with mode 0600; an existing file is never replaced."""
    ed25519_files.write_private_key(path, key, what="a key file", error=InputError)


def load_private_key(path: Path) -> Ed25519PrivateKey:
    return ed25519_files.read_private_key(path, what="the key", error=InputError)


def _without_signature_table(text: str) -> str:
    """The letter text with any ``[signature]`` table removed (to sign a letter again)."""
    kept: list[str] = []
    skipping = False
    for line in text.splitlines():
        header = line.strip()
        if header.startswith("["):
            skipping = header.replace(" ", "") == "[signature]"
        if not skipping:
            kept.append(line)
    return "\n".join(kept).rstrip("\n") + "\n"


def sign_letter_file(
    *, key: Ed25519PrivateKey, letter: Path, requests: Path | None
) -> LetterSignature:
    """Sign ``letter`` for the request file ``requests`` (a bulk letter) or for its declared
    scope (a look-up letter, ``requests=None``) and write the signature into it.

    The letter is read as review reads it (so a malformed letter is refused here, not at the
    office), signed, and replaced atomically with its text plus a ``[signature]`` table.
    """
    letter = Path(letter)
    content = load_letter(letter)
    if content.is_lookups and requests is not None:
        raise LetterError(
            "is a look-up letter: it covers single look-ups, not a request file (sign it"
            " without --requests)",
            path=letter,
            field="letter.kind",
        )
    if not content.is_lookups and requests is None:
        raise LetterError(
            "is a bulk letter: it is signed for the request file it covers (--requests FILE)",
            path=letter,
            field="letter.kind",
        )
    requests_sha256 = file_sha256(requests) if requests is not None else ""
    raw = key.sign(letter_signing_material(content, requests_sha256))
    signature = LetterSignature(
        public_key_sha256=public_key_sha256(key.public_key()),
        requests_sha256=requests_sha256,
        value=base64.b64encode(raw).decode("ascii"),
    )
    text = _without_signature_table(letter.read_text(encoding="utf-8"))
    text += (
        "\n[signature]\n"
        f'algorithm = "{signature.algorithm}"\n'
        f'public_key_sha256 = "{signature.public_key_sha256}"\n'
        + (f'requests_sha256 = "{signature.requests_sha256}"\n' if requests_sha256 else "")
        + f'value = "{signature.value}"\n'
    )
    temporary = letter.with_name(f".{letter.name}.{uuid.uuid4().hex}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        if load_letter(temporary).signature != signature:  # pragma: no cover - a bug guard
            raise LetterError("the signed letter does not read back as signed", path=letter)
        temporary.replace(letter)
    finally:
        temporary.unlink(missing_ok=True)
    return signature


class SignatureCheck(StrEnum):
    """What checking a letter's signature against a public key found."""

    VALID = "valid"
    UNSIGNED = "unsigned"
    BAD_SIGNATURE = "bad_signature"  # the content (or the signed request digest) was altered
    REQUESTS_DIFFER = "requests_differ"  # authentic, but signed for another request file


def check_signature(
    letter: RequestLetter, *, public_key: Ed25519PublicKey, requests_sha256: str
) -> SignatureCheck:
    signature = letter.signature
    if signature is None:
        return SignatureCheck.UNSIGNED
    if signature.algorithm.lower() != SIGNATURE_ALGORITHM:
        return SignatureCheck.BAD_SIGNATURE
    try:
        raw = base64.b64decode(signature.value.encode("ascii"), validate=True)
        public_key.verify(raw, letter_signing_material(letter, signature.requests_sha256))
    except (InvalidSignature, ValueError, UnicodeEncodeError):
        return SignatureCheck.BAD_SIGNATURE
    if letter.is_lookups:
        return SignatureCheck.VALID  # its scope, not a file, is what the signature covers
    if signature.requests_sha256 != requests_sha256.strip().lower():
        return SignatureCheck.REQUESTS_DIFFER
    return SignatureCheck.VALID
