"""Every error class maps to its status code in one table, with no traceback in any body."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from fastapi import FastAPI

from matchgate.errors import (
    InputError,
    IntakeError,
    LedgerError,
    LedgerIntegrityError,
    LetterError,
    MappingError,
    MasterFileError,
    MatchgateError,
    ModelError,
    PolicyError,
    WorkspaceError,
)
from matchgate.server import ServerSettings, create_app
from matchgate.server.error_handlers import STATUS_CODES, status_code_for
from matchgate.server.errors import MissingTokenError, NotFoundError, WrongTokenError

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

CASES: list[tuple[type[MatchgateError], int]] = [
    (InputError, 422),
    (IntakeError, 422),
    (MasterFileError, 422),
    (LetterError, 422),
    (PolicyError, 422),
    (MappingError, 422),
    (LedgerIntegrityError, 409),
    (WorkspaceError, 409),
    (ModelError, 500),
    (LedgerError, 500),
    (MatchgateError, 500),
    (NotFoundError, 404),
    (MissingTokenError, 401),
    (WrongTokenError, 403),
]


# Errors about the server's own files: the client reads a fixed sentence, never their text.
SERVER_STATE = {MasterFileError, LedgerIntegrityError, WorkspaceError, ModelError, LedgerError}
HIDDEN = SERVER_STATE | {MatchgateError}  # a bare MatchgateError is a 500: a bug


def _app(tmp_path: Path) -> FastAPI:
    app = create_app(ServerSettings(workspace=tmp_path, master=tmp_path / "master.parquet"))
    by_name = {kind.__name__: kind for kind, _ in CASES}

    @app.get("/api/raise/{name}")
    def raise_api(name: str) -> None:
        raise by_name[name]("cannot use it", path="requests.csv", row=7, field="dob")

    @app.get("/raise/{name}")
    def raise_page(name: str) -> None:
        raise by_name[name]("cannot use it", path="requests.csv", row=7, field="dob")

    @app.get("/api/bug")
    def bug() -> None:
        raise RuntimeError("secret internals")

    return app


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    return TestClient(_app(tmp_path_factory.mktemp("errors")), raise_server_exceptions=False)


@pytest.mark.parametrize(("kind", "status"), CASES, ids=[kind.__name__ for kind, _ in CASES])
def test_api_status_and_body(client: TestClient, kind: type[MatchgateError], status: int) -> None:
    response = client.get(f"/api/raise/{kind.__name__}")
    assert response.status_code == status
    body = response.json()
    assert set(body) == {"error", "message"}
    assert body["error"] == kind.__name__
    if kind in HIDDEN:
        assert "cannot use it" not in body["message"]
        assert "requests.csv" not in body["message"]
        assert "server log" in body["message"]
    else:
        assert body["message"] == "requests.csv, row 7, field 'dob': cannot use it"
    assert status_code_for(kind("x")) == status


@pytest.mark.parametrize(("kind", "status"), CASES, ids=[kind.__name__ for kind, _ in CASES])
def test_pages_show_the_error_page(
    client: TestClient, kind: type[MatchgateError], status: int
) -> None:
    response = client.get(f"/raise/{kind.__name__}")
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    if kind in HIDDEN:
        assert "cannot use it" not in response.text
    else:
        assert "field &#39;dob&#39;: cannot use it" in response.text
    assert "Traceback" not in response.text


def test_unexpected_errors_hide_their_details(client: TestClient) -> None:
    response = client.get("/api/bug")
    assert response.status_code == 500
    assert response.json()["error"] == "InternalError"
    assert "secret internals" not in response.text
    assert "Traceback" not in response.text


def test_every_library_error_class_is_in_the_table() -> None:
    import matchgate.errors as errors

    mapped = {kind for kind, _ in STATUS_CODES}
    for name in errors.__all__:
        kind = getattr(errors, name)
        assert any(issubclass(kind, base) for base in mapped), name
