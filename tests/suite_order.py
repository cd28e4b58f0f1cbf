"""The test files that take longest, heaviest first (from ``--durations`` of full runs).

``tests/conftest.py`` runs them before every other file: pytest-xdist (``--dist loadfile``)
hands files to workers in collection order, so a heavy file collected last would keep one
worker busy for minutes after the other has finished. Started first, the light files fill
in around them. A file missing from this list only loses its place, never its run.
"""

from __future__ import annotations

HEAVY_FIRST = (
    "tests/cli/test_resume.py",
    "tests/match/test_spark_engine.py",
    "tests/cli/test_end_to_end.py",
    "tests/lookups/test_compiled_scoring.py",
    "tests/core/test_reason_registry.py",
    "tests/disclose/test_refusals_reveal_nothing.py",
    "tests/lookups/test_point_reads.py",
    "tests/benchmarks/test_benchmark_run.py",
    "tests/server/test_browser_flow.py",
    "tests/benchmarks/test_load_lookups.py",
    "tests/server/test_role_matrix.py",
    "tests/report/test_assess.py",
    "tests/match/test_model_cache.py",
    "tests/batch/test_repeat_requests.py",
)


def heavy_rank(nodeid: str) -> int:
    """Where the test ``nodeid`` (``tests/x/test_y.py::test_z[...]``) goes: its file's place
    in :data:`HEAVY_FIRST`, every other file after them (in collection order)."""
    path = nodeid.split("::", 1)[0]
    try:
        return HEAVY_FIRST.index(path)
    except ValueError:
        return len(HEAVY_FIRST)
