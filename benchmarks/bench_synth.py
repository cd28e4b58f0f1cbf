"""Time to generate a synthetic world with ``generate_world``.

    .venv/bin/python benchmarks/bench_synth.py [--people 100000] [--requests 10000] [--seed 1]

Writes the world into a temporary folder and prints one JSON object: wall and CPU seconds,
people per second, peak memory and what was written. The target is a 100,000-person world
with 10,000 requests in under 30 s; exit status 1 when the wall time is over it.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

from matchgate.synth import generate_world

TARGET_SECONDS = 30.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--mix", default="stress", choices=("stress", "census"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-synth-") as scratch:
        cpu, wall = time.process_time(), time.perf_counter()
        summary = generate_world(
            Path(scratch),
            people=args.people,
            requests=args.requests,
            seed=args.seed,
            request_mix=args.mix,
        )
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        files_mb = sum(path.stat().st_size for path in Path(scratch).iterdir()) / 1e6
    figures = {
        "people": summary.people,
        "requests": summary.requests,
        "mix": args.mix,
        "seed": args.seed,
        "master_rows": summary.master_rows,
        "wall_seconds": round(wall, 2),
        "cpu_seconds": round(cpu, 2),
        "people_per_wall_second": round(summary.people / max(wall, 1e-9)),
        "files_mb": round(files_mb, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "target_seconds": TARGET_SECONDS,
        "within_target": wall < TARGET_SECONDS,
    }
    print(json.dumps(figures, indent=2))
    return 0 if figures["within_target"] else 1


if __name__ == "__main__":
    sys.exit(main())
