"""A real synthetic world and one workspace that ran it through the server, shared by the
server tests (generated once per session: the pipeline and its model take seconds)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher

from matchgate.accounts import AccountStore
from matchgate.server import ServerSettings, create_app
from matchgate.synth import generate_world
from matchgate_cli import register_world_agency

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette's note about httpx2; httpx is what we have
    from fastapi.testclient import TestClient

REQUESTS = 200

# The people of the test workspace: key -> (name, role, agency). "other_requester" is a
# requester of another agency than the world's (DHS).
USERS: dict[str, tuple[str, str, str | None]] = {
    "requester": ("Rita Requester", "requester", "DHS"),
    "other_requester": ("Otto Other", "requester", "DOJ"),
    "reviewer": ("Rev Reviewer", "reviewer", None),
    "supervisor": ("Sue Supervisor", "supervisor", None),
    "auditor": ("Aud Auditor", "auditor", None),
    "admin": ("Adam Admin", "admin", None),
}
# Tests hash with cheap argon2 parameters (the hash carries them, so the server verifies
# cheaply too); the store's default is argon2-cffi's RFC 9106 low-memory profile.
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def add_users(workspace: Path, url: str | None = None) -> dict[str, str]:
    """Every user of :data:`USERS` in the workspace's account store; key -> API token."""
    tokens = {}
    with AccountStore.open(workspace, url=url, hasher=CHEAP_HASHER) as store:
        for key, (name, role, agency) in USERS.items():
            issued = store.add_user(name, role=role, agency_code=agency, actor="test office")
            tokens[key] = issued.token
    return tokens


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass(frozen=True)
class Served:
    """``client`` calls as the reviewer (a default bearer header); ``anonymous`` has no
    credential; ``auth(key)`` is the header of any user of :data:`USERS`."""

    world: Path
    workspace: Path
    client: TestClient
    anonymous: TestClient
    tokens: dict[str, str]
    batch: dict[str, object]

    def auth(self, key: str = "reviewer") -> dict[str, str]:
        return bearer(self.tokens[key])

    def name(self, key: str) -> str:
        return USERS[key][0]

    @property
    def batch_id(self) -> str:
        return str(self.batch["batch_id"])

    @property
    def decisions(self) -> Path:
        return self.workspace / "batches" / self.batch_id / "output" / "internal" / "decisions.csv"


def upload(
    client: TestClient, world: Path, auth: dict[str, str], **overrides: object
) -> httpx.Response:
    """Upload the world's batch with ``auth``'s credential (a requester's, to succeed)."""
    files: dict[str, object] = {
        "requests": ("requests.csv", (world / "requests.csv").read_bytes(), "text/csv"),
        "letter": ("letter.toml", (world / "letter.toml").read_bytes(), "application/toml"),
    }
    for name, value in overrides.items():
        if value is None:
            files.pop(name, None)
        else:
            files[name] = value
    # Waits for the background job (RFC 7240 Prefer: wait), as a script would poll for it.
    headers = {**auth, "Prefer": "wait=600"}
    return client.post("/api/batches", headers=headers, files=files)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("server-world")
    generate_world(out, people=2000, requests=REQUESTS, seed=3)
    return out


@pytest.fixture(scope="session")
def served(world: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    workspace = tmp_path_factory.mktemp("server-workspace")
    register_world_agency(world, workspace)
    tokens = add_users(workspace)
    # Every test's requests come from the one test client's address: no rate limit here
    # (the limiter has tests of its own, tests/server/test_limits.py and test_hardening.py).
    settings = ServerSettings(
        workspace=workspace, master=world / "master.parquet", rate_limit_requests=0
    )
    app = create_app(settings)
    with TestClient(app, headers=bearer(tokens["reviewer"])) as client:
        response = upload(client, world, bearer(tokens["requester"]))
        assert response.status_code == 200, response.text
        yield Served(
            world=world,
            workspace=workspace,
            client=client,
            anonymous=TestClient(app),
            tokens=tokens,
            batch=response.json(),
        )
