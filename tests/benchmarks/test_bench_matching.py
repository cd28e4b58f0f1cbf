"""``benchmarks/bench_matching.py``: a batch review refuses whole is said to be one, not a crash.

A generated world of 100,000 requests or more has its letter refused under the default policy
(``batch_exceeds_caseload``): nothing is matched, and the script failed reading a
``candidate_pairs`` table no stage made. It now says so and names ``--admit-batch``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "bench_matching.py"


def _bench(*args: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_a_batch_review_refuses_whole_is_named_not_a_crash(tmp_path: Path) -> None:
    from matchgate.synth import generate_world

    world = tmp_path / "world"
    generate_world(world, people=200, requests=30, seed=3, request_mix="census")
    letter = world / "letter.toml"
    text = letter.read_text(encoding="utf-8")
    # Signed by someone else than the agency's signer: the letter is refused, every row with it.
    assert text.count('signer_name = "') == 1
    letter.write_text(text.replace('signer_name = "', 'signer_name = "Not '), encoding="utf-8")
    result = _bench("--world", world)
    assert result.returncode != 0
    assert "no row reached matching" in result.stderr, result.stderr
    assert "--admit-batch" in result.stderr
    assert "Traceback" not in result.stderr


def test_admit_batch_and_a_policy_are_refused_together(tmp_path: Path) -> None:
    result = _bench("--world", tmp_path, "--policy", tmp_path / "p.toml", "--admit-batch")
    assert result.returncode == 2
    assert "--admit-batch writes its own policy" in result.stderr
