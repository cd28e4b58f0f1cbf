"""What authenticating a caller costs: an argon2 check of a new token, a warm token, a session.

    .venv/bin/python benchmarks/bench_accounts.py [--calls 50] [--url URL]

Adds one user with the store's default argon2 parameters (argon2-cffi's RFC 9106 low-memory
profile: 64 MiB, 3 passes), then times ``authenticate`` for a token seen for the first time
(the argon2 check), for the same token again (within ``VERIFIED_SECONDS``: a SHA-256 compare
plus the database reads of expiry and revocation) and ``session_user`` for a web session.
``--url`` runs against PostgreSQL instead of a SQLite file. Prints one JSON object (ms).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from matchgate.accounts import AccountStore


def _ms(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 3),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        with AccountStore.open(Path(folder), url=args.url) as store:
            cold: list[float] = []
            tokens = [
                store.add_user(f"Bench User {n}", role="reviewer", actor="bench").token
                for n in range(min(args.calls, 10))
            ]
            for token in tokens:
                started = time.perf_counter()
                assert store.authenticate(token) is not None
                cold.append(time.perf_counter() - started)
            warm: list[float] = []
            for _ in range(args.calls):
                started = time.perf_counter()
                found = store.authenticate(tokens[0])
                warm.append(time.perf_counter() - started)
            assert found is not None
            session = store.start_session(*found)
            sessions: list[float] = []
            for _ in range(args.calls):
                started = time.perf_counter()
                assert store.session_user(session.cookie) is not None
                sessions.append(time.perf_counter() - started)
    print(
        json.dumps(
            {
                "backend": "postgresql" if args.url else "sqlite",
                "first_check_argon2": _ms(cold),
                "same_token_again": _ms(warm),
                "session_cookie": _ms(sessions),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
