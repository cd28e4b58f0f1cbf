"""Settings refuse the default token off loopback; the CLI refuses to start with it."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from matchgate.cli.serve_commands import serve
from matchgate.errors import InputError
from matchgate.server import DEFAULT_REVIEWER_TOKEN, ServerSettings
from matchgate.server.masking import mask_tin
from matchgate.server.settings import is_loopback


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.1", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("10.1.2.3", False),
        ("matchgate.example.gov", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_default_token_is_fine_on_loopback(tmp_path: Path) -> None:
    settings = ServerSettings(workspace=tmp_path, master=tmp_path / "m.parquet")
    assert settings.uses_default_token
    assert settings.reviewer_token.get_secret_value() == DEFAULT_REVIEWER_TOKEN


@pytest.mark.parametrize("host", ["0.0.0.0", "10.1.2.3"])
def test_default_token_is_refused_off_loopback(tmp_path: Path, host: str) -> None:
    with pytest.raises(ValidationError, match="MATCHGATE_REVIEWER_TOKEN"):
        ServerSettings(workspace=tmp_path, master=tmp_path / "m.parquet", host=host)
    ServerSettings(
        workspace=tmp_path, master=tmp_path / "m.parquet", host=host, reviewer_token="long-secret"
    )


def test_empty_token_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="empty"):
        ServerSettings(workspace=tmp_path, master=tmp_path / "m.parquet", reviewer_token=" ")


def test_settings_come_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MATCHGATE_WORKSPACE", str(tmp_path / "ws"))
    monkeypatch.setenv("MATCHGATE_MASTER", str(tmp_path / "m.parquet"))
    monkeypatch.setenv("MATCHGATE_LEDGER_URL", "postgresql+psycopg://db/ledger")
    monkeypatch.setenv("MATCHGATE_REVIEWER_TOKEN", "from-env")
    settings = ServerSettings()  # type: ignore[call-arg]
    assert settings.workspace == tmp_path / "ws"
    assert settings.ledger_url == "postgresql+psycopg://db/ledger"
    assert settings.reviewer_token.get_secret_value() == "from-env"
    assert "from-env" not in repr(settings)


def test_serve_refuses_the_default_token_off_loopback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MATCHGATE_REVIEWER_TOKEN", raising=False)
    master = tmp_path / "m.parquet"
    master.write_bytes(b"")
    with pytest.raises(InputError, match="default reviewer token"):
        serve(master=master, workspace=tmp_path, host="0.0.0.0", port=8000)


@pytest.mark.parametrize(
    ("tin", "masked"),
    [
        ("123456789", "*****6789"),
        ("123-45-6789", "*****6789"),
        ("9123", "****"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_tin(tin: str | None, masked: str) -> None:
    assert mask_tin(tin) == masked
