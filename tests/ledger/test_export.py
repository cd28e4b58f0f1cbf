"""An auditor checks an export with only the file and ``ledger.pub``."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matchgate.errors import LedgerError
from matchgate.ledger import VerifyReport, verify_export
from matchgate.ledger._entries import canonical_json, compute_entry_hash
from matchgate.ledger._keys import public_key_pem, signing_material

from .conftest import Backend, filled_ledger

ENTRIES = 26


@pytest.fixture(scope="module")
def export_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes]:
    """One export for the whole module: the public key and the file's bytes."""
    backend = Backend(name="sqlite", workspace=tmp_path_factory.mktemp("export") / "ws", url=None)
    with filled_ledger(backend) as ledger:
        out = backend.workspace / "ledger.jsonl"
        assert ledger.export(out) == ENTRIES
    return backend.workspace / "ledger.pub", out.read_bytes()


@pytest.fixture
def exported(export_template: tuple[Path, bytes], tmp_path: Path) -> tuple[Path, Path, bytes]:
    """Where to write a (tampered) copy, the public key, and the untouched bytes."""
    public_key, data = export_template
    return tmp_path / "audit" / "ledger.jsonl", public_key, data


def lines_of(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True)


def check(path: Path, public_key: Path, data: bytes) -> VerifyReport:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return verify_export(path, public_key=public_key)


def test_an_untouched_export_verifies(backend: Backend, tmp_path: Path) -> None:
    ledger = filled_ledger(backend)
    out = tmp_path / "ledger.jsonl"
    assert ledger.export(out) == ENTRIES
    report = verify_export(out, public_key=backend.workspace / "ledger.pub")
    assert report.ok, report.summary()
    assert (report.entries_checked, report.checkpoints_checked) == (ENTRIES, 5)
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == ENTRIES + 1
    first = json.loads(lines[0])
    assert first["sequence"] == 1 and first["previous_hash"] == "0" * 64
    assert "export_trailer" in json.loads(lines[-1])


def test_an_empty_ledger_exports_and_verifies(sqlite_backend: Backend, tmp_path: Path) -> None:
    ledger = sqlite_backend.open()
    assert ledger.export(tmp_path / "empty.jsonl") == 0
    report = verify_export(tmp_path / "empty.jsonl", public_key=ledger.public_key_path)
    assert report.ok and report.entries_checked == 0


@pytest.mark.parametrize("line", range(1, ENTRIES + 2))
@pytest.mark.parametrize("where", ["first", "middle", "last", "newline"])
def test_a_changed_byte_anywhere_names_its_line(
    exported: tuple[Path, Path, bytes], line: int, where: str
) -> None:
    path, public_key, data = exported
    lines = lines_of(data)
    target = bytearray(lines[line - 1])
    index = {"first": 0, "middle": len(target) // 2, "last": len(target) - 2}.get(
        where, len(target) - 1
    )
    target[index] = ord("x") if target[index] != ord("x") else ord("y")
    lines[line - 1] = bytes(target)
    report = check(path, public_key, b"".join(lines))
    assert not report.ok
    assert report.first_bad_line == line, report.summary()


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(position=st.integers(min_value=0), replacement=st.integers(min_value=0, max_value=255))
def test_any_changed_byte_is_found(
    exported: tuple[Path, Path, bytes], position: int, replacement: int
) -> None:
    path, public_key, data = exported
    position %= len(data)
    if data[position] == replacement:
        replacement = (replacement + 1) % 256
    tampered = data[:position] + bytes([replacement]) + data[position + 1 :]
    report = check(path, public_key, tampered)
    assert not report.ok
    line = data[:position].count(b"\n") + 1
    assert report.first_bad_line is not None and report.first_bad_line <= line + 1


@pytest.mark.parametrize("line", [1, 8, 12, 17, ENTRIES])
def test_a_deleted_line_is_found(exported: tuple[Path, Path, bytes], line: int) -> None:
    path, public_key, data = exported
    lines = lines_of(data)
    del lines[line - 1]
    report = check(path, public_key, b"".join(lines))
    assert (report.ok, report.first_bad_line, report.first_bad_sequence) == (False, line, line)


def test_a_missing_trailer_is_found(exported: tuple[Path, Path, bytes]) -> None:
    path, public_key, data = exported
    report = check(path, public_key, b"".join(lines_of(data)[:-1]))
    assert (report.ok, report.first_bad_line) == (False, ENTRIES + 1)
    assert "no signed trailer" in report.problem


@pytest.mark.parametrize("line", [1, 9, 20])
def test_a_duplicated_line_is_found(exported: tuple[Path, Path, bytes], line: int) -> None:
    path, public_key, data = exported
    lines = lines_of(data)
    lines.insert(line, lines[line - 1])
    report = check(path, public_key, b"".join(lines))
    assert (report.ok, report.first_bad_line) == (False, line + 1), report.summary()


@pytest.mark.parametrize("line", [1, 9, 16, ENTRIES - 1])
def test_swapped_lines_are_found(exported: tuple[Path, Path, bytes], line: int) -> None:
    path, public_key, data = exported
    lines = lines_of(data)
    lines[line - 1], lines[line] = lines[line], lines[line - 1]
    report = check(path, public_key, b"".join(lines))
    assert (report.ok, report.first_bad_line) == (False, line), report.summary()


def test_data_after_the_trailer_is_found(exported: tuple[Path, Path, bytes]) -> None:
    path, public_key, data = exported
    report = check(path, public_key, data + lines_of(data)[3])
    assert (report.ok, report.first_bad_line) == (False, ENTRIES + 2)


def test_a_file_cut_mid_line_is_found(exported: tuple[Path, Path, bytes]) -> None:
    path, public_key, data = exported
    cut = data.index(b"\n", len(data) // 2) - 10
    report = check(path, public_key, data[:cut])
    assert not report.ok
    assert report.first_bad_line == data[:cut].count(b"\n") + 1


def test_a_rechained_export_with_a_forged_signature_is_found(
    exported: tuple[Path, Path, bytes],
) -> None:
    """Rewrite line 8, recompute every hash after it and re-sign with another key."""
    path, public_key, data = exported
    intruder = Ed25519PrivateKey.generate()
    entries = [json.loads(line) for line in data.splitlines()[:-1]]
    entries[7]["payload"]["outcome"] = "disclosed"
    previous = entries[6]["entry_hash"]
    for entry in entries[7:]:
        entry["previous_hash"] = previous
        if entry["kind"] == "checkpoint":
            fields = {"covers_sequence": entry["sequence"] - 1, "covers_hash": previous}
            signature = intruder.sign(signing_material("checkpoint", fields))
            entry["payload"].update(
                covers_hash=previous, signature=base64.b64encode(signature).decode()
            )
        hashed = {k: v for k, v in entry.items() if k != "entry_hash"}
        hashed["payload"] = canonical_json(entry["payload"])
        entry["entry_hash"] = compute_entry_hash(**hashed)
        previous = entry["entry_hash"]
    body = "".join(canonical_json(entry) + "\n" for entry in entries).encode()
    report = check(path, public_key, body + lines_of(data)[-1])
    assert (report.ok, report.first_bad_line) == (False, 12), report.summary()
    assert "signature" in report.problem


def test_the_wrong_public_key_is_found(exported: tuple[Path, Path, bytes], tmp_path: Path) -> None:
    path, _, data = exported
    other = tmp_path / "other.pub"
    other.write_bytes(public_key_pem(Ed25519PrivateKey.generate().public_key()))
    report = check(path, other, data)
    assert (report.ok, report.first_bad_line) == (False, 6)


def test_a_missing_public_key_is_a_clear_error(exported: tuple[Path, Path, bytes]) -> None:
    path, public_key, _ = exported
    with pytest.raises(LedgerError, match="nope.pub"):
        verify_export(path, public_key=public_key.with_name("nope.pub"))


def test_a_read_only_ledger_cannot_sign_an_export(sqlite_backend: Backend, tmp_path: Path) -> None:
    filled_ledger(sqlite_backend).close()
    with pytest.raises(LedgerError, match="read-only"):
        sqlite_backend.open(read_only=True).export(tmp_path / "x.jsonl")
