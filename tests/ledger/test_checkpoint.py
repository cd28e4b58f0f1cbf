"""A signed checkpoint the auditor keeps catches truncation, rollback and a rewritten tail,
through the API and the ``matchgate ledger`` commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner, Result

from matchgate.cli.ledger_commands import register
from matchgate.errors import InputError, LedgerIntegrityError
from matchgate.ledger import EntryKind, Ledger, SignedCheckpoint, verify_export

from .conftest import Backend, batch_entries, filled_ledger


def cut_tail(backend: Backend, keep: int) -> None:
    """What someone with the database and the workspace does: drop entries from the end,
    their index rows and the head file, leaving a shorter chain that is valid in itself."""
    backend.drop_triggers()
    backend.execute(
        ("DELETE FROM ledger_disclosures WHERE sequence > :k", {"k": keep}),
        ("DELETE FROM ledger_entries WHERE sequence > :k", {"k": keep}),
    )
    (backend.workspace / "ledger.head.json").unlink()


@pytest.fixture
def held(filled_sqlite: Backend, tmp_path: Path) -> SignedCheckpoint:
    with filled_sqlite.open() as ledger:
        return SignedCheckpoint.read(ledger.signed_checkpoint().write(tmp_path / "head.json"))


def test_a_checkpoint_states_count_head_and_time_and_verifies(
    filled_sqlite: Backend, held: SignedCheckpoint
) -> None:
    assert (held.entries, held.head_sequence) == (26, 26)
    report = filled_sqlite.open(read_only=True).verify(held)
    assert report.ok, report.problem
    with filled_sqlite.open() as ledger:
        ledger.append_many(batch_entries("B3", rows=2, disclosed=()), actor="pipeline")
        assert ledger.verify(held).ok  # a ledger that grew on still agrees with it


def test_a_cut_tail_with_the_head_file_deleted_is_caught_only_with_a_checkpoint(
    filled_sqlite: Backend, held: SignedCheckpoint
) -> None:
    cut_tail(filled_sqlite, keep=19)
    ledger = filled_sqlite.open(read_only=True)
    assert ledger.verify().ok  # without a checkpoint nobody can tell: documented
    report = ledger.verify(held)
    assert (report.ok, report.first_bad_sequence) == (False, 20)
    assert "cut from the end (truncation)" in report.problem
    assert "covers 26 entries up to sequence 26" in report.problem


def test_a_rolled_back_and_rewritten_tail_is_caught(
    filled_sqlite: Backend, held: SignedCheckpoint
) -> None:
    cut_tail(filled_sqlite, keep=19)
    with filled_sqlite.open() as ledger:  # written anew with the real key: signatures verify
        ledger.append_many(batch_entries("B9", rows=9, disclosed=()), actor="pipeline")
        assert ledger.verify().ok and ledger.verify().last_sequence > 26
        report = ledger.verify(held)
    assert (report.ok, report.first_bad_sequence) == (False, 26)
    assert "rolled back or its tail rewritten" in report.problem


@pytest.mark.parametrize("change", ["entries", "head_hash", "signature", "other_key"])
def test_a_checkpoint_whose_signature_is_bad_is_refused(
    filled_sqlite: Backend, held: SignedCheckpoint, tmp_path: Path, change: str
) -> None:
    fields = {**held.fields(), "signature": held.signature}
    if change == "entries":
        fields["entries"] = 30
    elif change == "head_hash":
        fields["head_hash"] = "f" * 64
    elif change == "signature":
        fields["signature"] = held.signature[:-4] + "AAA="
    else:
        with Ledger.open(tmp_path / "other") as other:
            other.append(EntryKind.REVIEW_ACTION, {"action": "x"}, actor="r", idempotency_key="k")
            fields = {**(s := other.signed_checkpoint()).fields(), "signature": s.signature}
    forged = SignedCheckpoint(**fields)  # type: ignore[arg-type]
    report = filled_sqlite.open(read_only=True).verify(forged)
    assert not report.ok
    expected = "another ledger key" if change == "other_key" else "signature does not verify"
    assert expected in report.problem


def test_a_truncated_export_signed_anew_is_caught_with_the_checkpoint(
    filled_sqlite: Backend, held: SignedCheckpoint, tmp_path: Path
) -> None:
    public_key = filled_sqlite.workspace / "ledger.pub"
    cut_tail(filled_sqlite, keep=19)
    out = tmp_path / "cut.jsonl"
    with filled_sqlite.open() as ledger:
        ledger.export(out)
    assert verify_export(out, public_key=public_key).ok  # its trailer is genuinely signed
    report = verify_export(out, public_key=public_key, checkpoint=held)
    assert not report.ok and "truncation" in report.problem
    assert report.first_bad_sequence == 20


def test_lines_cut_from_an_export_name_the_checkpoint(
    filled_sqlite: Backend, held: SignedCheckpoint, tmp_path: Path
) -> None:
    out = tmp_path / "audit.jsonl"
    with filled_sqlite.open() as ledger:
        ledger.export(out)
    lines = out.read_bytes().splitlines(keepends=True)
    out.write_bytes(b"".join(lines[:10] + lines[-1:]))
    report = verify_export(out, public_key=filled_sqlite.workspace / "ledger.pub", checkpoint=held)
    assert not report.ok and "truncation" in report.problem


def test_a_ledger_that_fails_is_never_vouched_for(filled_sqlite: Backend) -> None:
    filled_sqlite.drop_triggers()
    filled_sqlite.execute("UPDATE ledger_entries SET actor = 'x' WHERE sequence = 8")
    with pytest.raises(LedgerIntegrityError, match="refusing to sign a checkpoint"):
        filled_sqlite.open().signed_checkpoint()


@pytest.mark.parametrize(
    ("content", "field"),
    [
        ("not json", None),
        ('{"x": 1}', None),
        ('{"matchgate_ledger_checkpoint": {"version": 1}, "signature": ""}', "matchgate_ledger"),
    ],
)
def test_a_file_that_is_not_a_checkpoint_is_bad_input(
    tmp_path: Path, content: str, field: str | None
) -> None:
    path = tmp_path / "head.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError) as raised:
        SignedCheckpoint.read(path)
    assert str(path) in str(raised.value)
    if field:
        assert field in str(raised.value)


def test_a_checkpoint_field_of_the_wrong_kind_is_named(
    held: SignedCheckpoint, tmp_path: Path
) -> None:
    value = held.as_dict()
    value["matchgate_ledger_checkpoint"]["entries"] = "26"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(value), encoding="utf-8")
    with pytest.raises(InputError, match="field 'entries'"):
        SignedCheckpoint.read(path)


# -- through the command line ---------------------------------------------------------------


@pytest.fixture
def app() -> typer.Typer:
    application = typer.Typer()
    register(application)
    return application


def run(app: typer.Typer, *args: str | Path) -> Result:
    return CliRunner(env={"COLUMNS": "240"}).invoke(app, [str(a) for a in args])


def test_checkpoint_then_verify_a_workspace_and_an_export(
    app: typer.Typer, sqlite_backend: Backend, tmp_path: Path
) -> None:
    filled_ledger(sqlite_backend).close()
    ws, head = sqlite_backend.workspace, tmp_path / "auditor" / "head.json"
    result = run(app, "ledger", "checkpoint", "--workspace", ws, "--out", head)
    assert result.exit_code == 0, result.output
    assert "signed checkpoint of 26 entries up to sequence 26" in result.output
    result = run(app, "ledger", "verify", "--workspace", ws, "--checkpoint", head)
    assert result.exit_code == 0, result.output
    assert "agrees with the checkpoint" in result.output
    out, public_key = tmp_path / "audit.jsonl", tmp_path / "ledger.pub"
    public_key.write_bytes((ws / "ledger.pub").read_bytes())
    assert run(app, "ledger", "export", "--workspace", ws, "--out", out).exit_code == 0
    args = ["ledger", "verify", "--file", out, "--public-key", public_key, "--checkpoint", head]
    assert run(app, *args).exit_code == 0

    cut_tail(sqlite_backend, keep=15)
    assert run(app, "ledger", "verify", "--workspace", ws).exit_code == 0  # the blind spot
    result = run(app, "ledger", "verify", "--workspace", ws, "--checkpoint", head)
    assert isinstance(result.exception, LedgerIntegrityError)  # exit 3 in matchgate.cli
    assert "truncation" in str(result.exception) and "sequence 16" in str(result.exception)
    assert run(app, "ledger", "export", "--workspace", ws, "--out", out).exit_code == 0
    result = run(app, *args)
    assert isinstance(result.exception, LedgerIntegrityError)
    assert "truncation" in str(result.exception)

    head.write_text(head.read_text().replace('"entries":26', '"entries":15'), encoding="utf-8")
    result = run(app, "ledger", "verify", "--workspace", ws, "--checkpoint", head)
    assert isinstance(result.exception, LedgerIntegrityError)
    assert "signature does not verify" in str(result.exception)


def test_checkpoint_and_key_file_options_are_documented(app: typer.Typer) -> None:
    help_text = run(app, "ledger", "checkpoint", "--help").output
    assert "--out" in help_text and "--key-file" in help_text
    assert "--checkpoint" in run(app, "ledger", "verify", "--help").output
