"""Run the real ``matchgate`` command in a subprocess, as a user would (shared by tests)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_matchgate(
    *args: object,
    env: dict[str, str] | None = None,
    timeout: float = 600,
    input_text: str | None = None,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "matchgate", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        input=input_text,
    )


def register_world_agency(world: Path, workspace: Path, url: str | None = None) -> None:
    """The office's act before a batch: register the world's agency (and its public key) in
    the workspace, as ``matchgate agency add --workspace WS WORLD/agency.toml`` does (or in
    the server's database ``url``: ``matchgate agency add --database-url URL ...``)."""
    from matchgate.review.registry import AgencyRegistryStore

    with AgencyRegistryStore.open(workspace, url=url) as registry:
        registry.add_file(world / "agency.toml", actor="test office")


def run_args(
    world: Path,
    out: Path,
    *,
    master: Path | None = None,
    requests: Path | None = None,
    letter: Path | None = None,
    register: bool = True,
) -> list[object]:
    """``matchgate run`` on a generated world, with any of its three inputs replaced.

    Unless ``register=False``, the world's agency is registered first in OUT/workspace (the
    workspace ``run`` uses by default), so the world's signed letter can pass review."""
    if register:
        register_world_agency(world, out / "workspace")
    return [
        "run",
        "--master", master or world / "master.parquet",
        "--requests", requests or world / "requests.csv",
        "--letter", letter or world / "letter.toml",
        "--out", out,
    ]  # fmt: skip
