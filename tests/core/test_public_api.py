"""Each package re-exports a small public API with a sorted __all__ (the httpx habit)."""

from __future__ import annotations

import importlib

import pytest

PACKAGES = [
    "matchgate",
    "matchgate.intake",
    "matchgate.review",
    "matchgate.standardize",
    "matchgate.match",
    "matchgate.disclose",
    "matchgate.ledger",
    "matchgate.synth",
    "matchgate.errors",
    "matchgate.decisions",
]


@pytest.mark.parametrize("name", PACKAGES)
def test_all_is_sorted_and_every_name_exists(name: str) -> None:
    module = importlib.import_module(name)
    exported = list(module.__all__)
    assert exported == sorted(exported)
    missing = [n for n in exported if not hasattr(module, n)]
    assert not missing


def test_every_error_is_a_matchgate_error_and_has_an_exit_code() -> None:
    from matchgate import errors
    from matchgate.cli.exit_codes import exit_code_for

    for name in errors.__all__:
        kind = getattr(errors, name)
        assert issubclass(kind, errors.MatchgateError)
        code = exit_code_for(kind("x"))
        assert code in {1, 2, 3, 4, 5, 6}
    assert exit_code_for(errors.LedgerIntegrityError("x")) == 3
    assert exit_code_for(errors.IntakeError("x")) == 2
    assert exit_code_for(errors.WorkspaceError("x")) == 4
