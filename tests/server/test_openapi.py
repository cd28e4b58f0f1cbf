"""The OpenAPI schema says how to authenticate and every status each route can answer."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest

from matchgate.server import ServerSettings, create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


@pytest.fixture(scope="module")
def schema(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root: Path = tmp_path_factory.mktemp("openapi")
    app = create_app(ServerSettings(workspace=root, master=root / "m.parquet"))
    with TestClient(app) as client:
        body: dict[str, Any] = client.get("/openapi.json").json()
    return body


def _operations(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        f"{method.upper()} {path}": operation
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
    }


def test_the_security_schemes_are_declared(schema: dict[str, Any]) -> None:
    schemes = schema["components"]["securitySchemes"]
    assert schemes["reviewerToken"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "Authorization: Bearer TOKEN",
    }
    assert schemes["reviewerTokenHeader"]["in"] == "header"
    assert schemes["reviewerTokenHeader"]["name"] == "X-Reviewer-Token"


PROTECTED = {
    "POST /api/batches",
    "GET /api/batches/{batch_id}/response.csv",
    "POST /api/batches/{batch_id}/rows/{row_number}/review-actions",
    "GET /api/accounting",
    "POST /api/lookups",
}


def test_protected_routes_require_a_token_and_say_401_and_403(schema: dict[str, Any]) -> None:
    operations = _operations(schema)
    assert PROTECTED <= set(operations)
    for name, operation in operations.items():
        if name in PROTECTED:
            assert {"reviewerToken": []} in operation["security"], name
            assert {"401", "403"} <= set(operation["responses"]), name
        else:
            assert "security" not in operation, name
            assert "401" not in operation["responses"], name


def test_every_route_declares_its_error_statuses(schema: dict[str, Any]) -> None:
    for name, operation in _operations(schema).items():
        statuses = set(operation["responses"])
        assert {"200", "429", "500"} <= statuses, name
        if name.startswith("POST "):
            assert {"413", "415", "422"} <= statuses, name
        if "{batch_id}" in name:
            assert {"404", "422"} <= statuses, name
        for status, response in operation["responses"].items():
            if status.startswith(("4", "5")) and name != "GET /api/ledger/verify":
                ref = response["content"]["application/json"]["schema"]["$ref"]
                assert ref.endswith("/ErrorPublic"), (name, status)
        assert "Retry-After" in operation["responses"]["429"]["headers"], name


def test_pages_are_not_in_the_schema(schema: dict[str, Any]) -> None:
    assert not [path for path in schema["paths"] if not path.startswith(("/api/", "/healthz"))]
