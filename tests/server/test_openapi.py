"""The OpenAPI schema says how to authenticate (a user's bearer token, the session cookie on
reads) and every status each route can answer; it is served to signed-in users only."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from matchgate.accounts import AccountStore
from matchgate.server import ServerSettings, create_app
from matchgate.server.accounts import SESSION_COOKIE

from .conftest import CHEAP_HASHER

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    root: Path = tmp_path_factory.mktemp("openapi")
    return create_app(ServerSettings(workspace=root, master=root / "m.parquet"))


@pytest.fixture(scope="module")
def schema(app: FastAPI) -> dict[str, Any]:
    return app.openapi()


def _operations(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        f"{method.upper()} {path}": operation
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
    }


def test_the_schema_is_served_to_signed_in_users_only(app: FastAPI, tmp_path: Path) -> None:
    with AccountStore.open(app.state.settings.workspace, hasher=CHEAP_HASHER) as store:
        token = store.add_user("Schema Reader", role="requester", agency_code="DHS", actor="t")
    with TestClient(app) as client:
        anonymous = client.get("/openapi.json")
        assert anonymous.status_code == 401
        assert set(anonymous.json()) == {"error", "message"}
        served = client.get("/openapi.json", headers={"Authorization": f"Bearer {token.token}"})
    assert served.status_code == 200
    assert served.json() == app.openapi()


def test_the_security_schemes_are_the_users_bearer_token_and_session(
    schema: dict[str, Any],
) -> None:
    schemes = schema["components"]["securitySchemes"]
    assert set(schemes) == {"bearerToken", "sessionCookie"}
    assert schemes["bearerToken"]["type"] == "http"
    assert schemes["bearerToken"]["scheme"] == "bearer"
    assert schemes["sessionCookie"]["type"] == "apiKey"
    assert schemes["sessionCookie"]["in"] == "cookie"
    assert schemes["sessionCookie"]["name"] == SESSION_COOKIE
    # The shared reviewer token is gone, from the schema too.
    assert "X-Reviewer-Token" not in json.dumps(schema)
    assert "reviewerToken" not in json.dumps(schema)


OPEN = {"GET /healthz"}
# Routes every signed-in role may call: no 403 can come from them.
EVERY_ROLE = {"GET /api/batches", "GET /api/batches/{batch_id}"}
# Routes naming a batch another agency's requester may not see: 404, as for none.
NAMING_A_BATCH = {
    "GET /api/batches/{batch_id}",
    "GET /api/batches/{batch_id}/response.csv",
    "POST /api/batches/{batch_id}/rows/{row_number}/review-actions",
    "POST /api/lookups",
}


def test_every_route_but_healthz_needs_a_user_and_says_401(schema: dict[str, Any]) -> None:
    operations = _operations(schema)
    assert NAMING_A_BATCH <= set(operations) and OPEN <= set(operations)
    for name, operation in operations.items():
        statuses = set(operation["responses"])
        if name in OPEN:
            assert "security" not in operation, name
            assert not {"401", "403"} & statuses, name
            continue
        assert "401" in statuses, name
        assert "WWW-Authenticate" in operation["responses"]["401"]["headers"], name
        # Reads take the bearer token or the session cookie; writes the bearer token only.
        expected = [{"bearerToken": []}]
        if name.startswith("GET "):
            expected.append({"sessionCookie": []})
        assert operation["security"] == expected, name
        assert ("403" in statuses) == (name not in EVERY_ROLE), name
        if name in NAMING_A_BATCH:
            assert "404" in statuses, name


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
