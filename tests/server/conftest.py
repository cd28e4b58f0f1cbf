"""A real synthetic world and one workspace that ran it through the server, shared by the
server tests (generated once per session: the pipeline and its model take seconds)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from matchgate.server import DEFAULT_REVIEWER_TOKEN, ServerSettings, create_app
from matchgate.synth import generate_world
from matchgate_cli import register_world_agency

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette's note about httpx2; httpx is what we have
    from fastapi.testclient import TestClient

TOKEN = "test-reviewer-token-4f1c2e"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
REQUESTS = 200


@dataclass(frozen=True)
class Served:
    world: Path
    workspace: Path
    client: TestClient
    batch: dict[str, object]

    @property
    def batch_id(self) -> str:
        return str(self.batch["batch_id"])

    @property
    def decisions(self) -> Path:
        return self.workspace / "batches" / self.batch_id / "output" / "internal" / "decisions.csv"


def upload(client: TestClient, world: Path, **overrides: object) -> httpx.Response:
    files: dict[str, object] = {
        "requests": ("requests.csv", (world / "requests.csv").read_bytes(), "text/csv"),
        "letter": ("letter.toml", (world / "letter.toml").read_bytes(), "application/toml"),
    }
    for name, value in overrides.items():
        if value is None:
            files.pop(name, None)
        else:
            files[name] = value
    return client.post("/api/batches", headers=AUTH, files=files)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("server-world")
    generate_world(out, people=2000, requests=REQUESTS, seed=3)
    return out


@pytest.fixture(scope="session")
def served(world: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    workspace = tmp_path_factory.mktemp("server-workspace")
    register_world_agency(world, workspace)
    # Every test's requests come from the one test client's address: no rate limit here
    # (the limiter has tests of its own, tests/server/test_limits.py and test_hardening.py).
    settings = ServerSettings(
        workspace=workspace,
        master=world / "master.parquet",
        reviewer_token=TOKEN,
        rate_limit_requests=0,
    )
    assert TOKEN != DEFAULT_REVIEWER_TOKEN
    with TestClient(create_app(settings)) as client:
        response = upload(client, world)
        assert response.status_code == 200, response.text
        yield Served(world=world, workspace=workspace, client=client, batch=response.json())
