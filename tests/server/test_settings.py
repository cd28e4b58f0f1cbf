"""Settings (no shared token any more), loopback detection, TIN masking, the serve warning."""

from __future__ import annotations

from pathlib import Path

import pytest

from matchgate.cli.serve_commands import serve
from matchgate.server import ServerSettings
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


def test_there_is_no_shared_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The shared reviewer token is gone: a leftover variable neither sets nor opens anything.
    monkeypatch.setenv("MATCHGATE_REVIEWER_TOKEN", "changethis")
    settings = ServerSettings(workspace=tmp_path, master=tmp_path / "m.parquet", host="0.0.0.0")
    assert "reviewer_token" not in ServerSettings.model_fields
    assert "changethis" not in repr(settings)


def test_settings_come_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MATCHGATE_WORKSPACE", str(tmp_path / "ws"))
    monkeypatch.setenv("MATCHGATE_MASTER", str(tmp_path / "m.parquet"))
    monkeypatch.setenv("MATCHGATE_LEDGER_URL", "postgresql+psycopg://db/ledger")
    monkeypatch.setenv("MATCHGATE_ACCOUNTS_URL", "postgresql+psycopg://db/accounts")
    settings = ServerSettings()  # type: ignore[call-arg]
    assert settings.workspace == tmp_path / "ws"
    assert settings.ledger_url == "postgresql+psycopg://db/ledger"
    assert settings.accounts_url == "postgresql+psycopg://db/accounts"


def test_serve_warns_when_nobody_can_sign_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import uvicorn

    started: list[object] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: started.append(app))
    master = tmp_path / "m.parquet"
    master.write_bytes(b"")
    serve(master=master, workspace=tmp_path / "ws", host="127.0.0.1", port=8000)
    assert started
    assert "no users" in capsys.readouterr().err
    assert (tmp_path / "ws" / "accounts.sqlite").is_file()


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
