"""Exports an auditor can check on another machine, with only the public key.

One entry per line as canonical JSON (so any changed byte, even outside a field, is
caught), then one trailer line signed with the ledger key that states how many entries
the export holds and the hash of the last one, so a cut-short or extended file is caught
too.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from matchgate.errors import LedgerError
from matchgate.ledger._checkpoint import SignedCheckpoint, compare_checkpoint
from matchgate.ledger._entries import LedgerEntry, canonical_json
from matchgate.ledger._keys import CheckpointVerifier, LedgerSigner, load_public_key
from matchgate.ledger._verify import ChainVerifier, VerifyReport

__all__ = ["verify_export", "write_export"]

_ENTRY_FIELDS = frozenset(
    {
        "sequence",
        "entry_id",
        "kind",
        "actor",
        "recorded_at",
        "payload",
        "idempotency_key",
        "previous_hash",
        "entry_hash",
    }
)
_TRAILER_KEY = "export_trailer"


def write_export(
    out: Path, entries: Iterable[LedgerEntry], *, signer: LedgerSigner, exported_at: str
) -> int:
    """Write entries and the signed trailer; the file appears only when complete."""
    temporary = out.with_name(f".{out.name}.{uuid.uuid4().hex}.tmp")
    count = 0
    last_sequence = 0
    last_hash = ""
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with temporary.open("w", encoding="utf-8", newline="\n") as stream:
            for entry in entries:
                stream.write(canonical_json(entry.as_export_dict()) + "\n")
                count += 1
                last_sequence = entry.sequence
                last_hash = entry.entry_hash
            fields: dict[str, object] = {
                "entries": count,
                "last_sequence": last_sequence,
                "last_hash": last_hash,
                "exported_at": exported_at,
                "public_key_sha256": signer.verifier.fingerprint,
            }
            trailer = {_TRAILER_KEY: fields, "signature": signer.sign("export", fields)}
            stream.write(canonical_json(trailer) + "\n")
        os.replace(temporary, out)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise LedgerError(f"cannot write the ledger export: {exc}", path=out) from exc
    return count


def _entry_from_line(value: Any) -> LedgerEntry | str:
    if not isinstance(value, dict) or set(value) != _ENTRY_FIELDS:
        return "line is not a ledger entry (wrong or missing fields)"
    text_fields = ("entry_id", "kind", "actor", "recorded_at", "idempotency_key")
    if not all(isinstance(value[name], str) for name in text_fields + ("previous_hash",)):
        return "a text field of the entry holds something other than text"
    if not isinstance(value["sequence"], int) or not isinstance(value["payload"], dict):
        return "sequence or payload has the wrong type"
    if not isinstance(value["entry_hash"], str):
        return "entry_hash is not text"
    return LedgerEntry(
        sequence=value["sequence"],
        entry_id=value["entry_id"],
        kind=value["kind"],
        actor=value["actor"],
        recorded_at=value["recorded_at"],
        payload=canonical_json(value["payload"]),
        idempotency_key=value["idempotency_key"],
        previous_hash=value["previous_hash"],
        entry_hash=value["entry_hash"],
    )


def verify_export(
    path: Path, *, public_key: Path, checkpoint: SignedCheckpoint | None = None
) -> VerifyReport:
    """Check an export's chain, checkpoint signatures and signed trailer.

    Needs only the file and the ledger's public key (``ledger.pub``). The report names
    the first bad line (1-based) and sequence. With an auditor's ``checkpoint`` the export
    must also reach it and agree with it (a truncated or rolled-back ledger exported and
    signed anew by whoever holds the key still fails).
    """
    started = time.perf_counter()
    path = Path(path)
    verifier = CheckpointVerifier(load_public_key(Path(public_key)))
    chain = ChainVerifier(verifier, collect_index=True)
    bad_line: int | None = None
    trailer: dict[str, Any] | None = None
    line_number = 0
    if checkpoint is not None:
        chain.watch_sequences.add(checkpoint.head_sequence)
        problem = checkpoint.signature_problem(verifier)
        if problem:
            chain.fail(None, problem)
    try:
        stream = path.open("rb")
    except OSError as exc:
        raise LedgerError(f"cannot read the ledger export: {exc}", path=path) from exc
    with stream:
        if chain.failed:
            return _report(chain, started, None, path)
        for line_number, raw in enumerate(stream, start=1):
            problem = ""
            if trailer is not None:
                problem = "there is more data after the signed trailer"
            else:
                problem, parsed = _parse_line(raw)
                if not problem and isinstance(parsed, dict) and _TRAILER_KEY in parsed:
                    trailer = parsed
                    continue
                if not problem:
                    entry = _entry_from_line(parsed)
                    if isinstance(entry, str):
                        problem = entry
                    elif not chain.feed(entry):
                        bad_line = line_number
                        break
            if problem:
                chain.fail(chain.last_sequence + 1, problem)
                bad_line = line_number
                break
    if not chain.failed and checkpoint is not None:
        compare_checkpoint(chain, checkpoint, what="export")
        if chain.failed:
            bad_line = line_number if trailer is not None else line_number + 1
    if not chain.failed:
        problem = _check_trailer(trailer, chain, verifier)
        if problem:
            chain.fail(chain.last_sequence + 1, problem)
            bad_line = line_number if trailer is not None else line_number + 1
    return _report(chain, started, bad_line, path)


def _report(chain: ChainVerifier, started: float, bad_line: int | None, path: Path) -> VerifyReport:
    return VerifyReport(
        ok=not chain.failed,
        entries_checked=chain.entries_checked,
        checkpoints_checked=chain.checkpoints_checked,
        first_bad_sequence=chain.first_bad_sequence,
        problem=chain.problem,
        seconds=time.perf_counter() - started,
        last_sequence=chain.last_sequence,
        unsigned_tail=chain.unsigned_tail,
        first_bad_line=bad_line,
        source=str(path),
    )


def _parse_line(raw: bytes) -> tuple[str, Any]:
    if not raw.endswith(b"\n"):
        return "the line is cut short (no line end)", None
    try:
        text = raw[:-1].decode("utf-8")
        value = json.loads(text)
    except (UnicodeDecodeError, ValueError):
        return "the line is not valid UTF-8 JSON", None
    try:
        canonical = canonical_json(value)
    except LedgerError:
        return "the line holds a value JSON cannot represent exactly", None
    if canonical != text:
        return "the line is not in canonical form (it was edited)", None
    return "", value


def _check_trailer(
    trailer: dict[str, Any] | None, chain: ChainVerifier, verifier: CheckpointVerifier
) -> str:
    if trailer is None:
        return "the export has no signed trailer: it was cut short or is not a matchgate export"
    fields = trailer.get(_TRAILER_KEY)
    signature = trailer.get("signature")
    if set(trailer) != {_TRAILER_KEY, "signature"} or not isinstance(fields, dict):
        return "the trailer is malformed"
    if not isinstance(signature, str) or not verifier.is_valid("export", fields, signature):
        return "the trailer's signature does not verify with the public key"
    if fields.get("entries") != chain.entries_checked or (
        fields.get("last_sequence") != chain.last_sequence
    ):
        return (
            f"the trailer says the export holds {fields.get('entries')} entries up to sequence"
            f" {fields.get('last_sequence')}, but the file holds {chain.entries_checked} up to"
            f" {chain.last_sequence}: entries were removed or added"
        )
    if chain.entries_checked and fields.get("last_hash") != chain.last_hash:
        return "the trailer's last hash does not match the last entry"
    return ""
