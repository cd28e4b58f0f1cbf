"""Run the real ``matchgate`` command in a subprocess, as a user would (shared by tests)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_matchgate(
    *args: object, env: dict[str, str] | None = None, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "matchgate", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def run_args(
    world: Path,
    out: Path,
    *,
    master: Path | None = None,
    requests: Path | None = None,
    letter: Path | None = None,
) -> list[object]:
    """``matchgate run`` on a generated world, with any of its three inputs replaced."""
    return [
        "run",
        "--master", master or world / "master.parquet",
        "--requests", requests or world / "requests.csv",
        "--letter", letter or world / "letter.toml",
        "--out", out,
    ]  # fmt: skip
