"""Run the real ``matchgate`` command in a subprocess, as a user would (shared by tests)."""

from __future__ import annotations

import os
import subprocess
import sys


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
