"""The standardizer's version must change when standardization changes."""

from __future__ import annotations

from pathlib import Path

import pytest

from matchgate.master.version import (
    STANDARDIZER_FINGERPRINT,
    STANDARDIZER_VERSION,
    standardizer_fingerprint,
)


def test_the_fingerprint_is_the_one_recorded_for_this_version() -> None:
    # If this fails, matchgate/standardize (code or data tables) changed: masters prepared
    # before would hold the old standardized forms. Raise STANDARDIZER_VERSION in
    # matchgate/master/version.py and set STANDARDIZER_FINGERPRINT to the value printed.
    assert standardizer_fingerprint() == STANDARDIZER_FINGERPRINT, (
        f"matchgate.standardize changed: raise STANDARDIZER_VERSION (now "
        f"{STANDARDIZER_VERSION!r}) and set STANDARDIZER_FINGERPRINT = "
        f"{standardizer_fingerprint()!r}"
    )


def test_the_fingerprint_covers_the_data_tables(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A changed data table (a new nickname) changes the fingerprint."""
    import shutil
    from importlib import resources

    import matchgate.master.version as version

    source = resources.files("matchgate.standardize")
    copy = tmp_path / "standardize"
    shutil.copytree(str(source), copy)

    def files(package: str):
        assert package == "matchgate.standardize"
        return copy

    monkeypatch.setattr(version.resources, "files", files)
    version.standardizer_fingerprint.cache_clear()
    try:
        same = version.standardizer_fingerprint()
        with (copy / "data" / "hypocorisms.csv").open("a", encoding="utf-8") as stream:
            stream.write("ZEBEDIAH,ZEB\n")
        version.standardizer_fingerprint.cache_clear()
        changed = version.standardizer_fingerprint()
    finally:
        version.standardizer_fingerprint.cache_clear()
    assert same == STANDARDIZER_FINGERPRINT
    assert changed != same
