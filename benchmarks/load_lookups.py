"""Load on loopback: concurrent requesters doing look-ups against ``matchgate serve``.

    PYTHONPATH=src python benchmarks/load_lookups.py --clients 20 --seconds 60 --people 20000

Starts ``matchgate serve`` on a free port of 127.0.0.1 (never another interface) over a
fresh workspace: the world's agency registered, a model trained on the world's requests, one
requester account per client (each client signs in with its own token, as officers do).
Every client posts distinct request rows of the world to ``/api/lookups`` under the world's
look-up letter, one after another, until the time is up. Then the server is stopped and the
ledger is read: every look-up answered must have its ``batch_received`` entry, every
disclosed answer its disclosure, and the chain must verify.

Prints the throughput, p50/p95/p99 latency, answers per status, and the ledger check. Exits
1 if a request was lost (no answer, or an answer other than 200) or a look-up is missing
from the ledger. The per-address rate limit is raised for the run (all clients share
127.0.0.1) and said so; the per-token limit stays.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
LOOPBACK = "127.0.0.1"
AGENCY = "DHS"  # the agency of every generated world's letters


@dataclass
class LoadResult:
    clients: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    answered: list[dict[str, object]] = field(default_factory=list)
    rows_left_over: int = 0
    ledger_missing: list[str] = field(default_factory=list)
    disclosures_missing: list[str] = field(default_factory=list)
    ledger_verified: bool = False
    ledger_entries: int = 0

    @property
    def lost(self) -> int:
        return sum(count for status, count in self.statuses.items() if status != "200")

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile(self, share: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]

    def ok(self) -> bool:
        return (
            bool(self.answered)
            and self.lost == 0
            and not self.ledger_missing
            and not self.disclosures_missing
            and self.ledger_verified
        )

    def lines(self) -> list[str]:
        outcomes = Counter(str(a["outcome"]) for a in self.answered)
        return [
            f"clients {self.clients}, {self.seconds:.1f} s, {len(self.latencies)} requests, "
            f"{self.throughput:.1f} look-ups/s",
            f"latency p50 {self.percentile(0.5) * 1000:.0f} ms, "
            f"p95 {self.percentile(0.95) * 1000:.0f} ms, "
            f"p99 {self.percentile(0.99) * 1000:.0f} ms, "
            f"max {max(self.latencies, default=0) * 1000:.0f} ms",
            "answers per status: " + json.dumps(dict(sorted(self.statuses.items()))),
            "outcomes: " + json.dumps(dict(sorted(outcomes.items()))),
            f"lost requests: {self.lost}",
            f"ledger: {self.ledger_entries} entries, chain verified: {self.ledger_verified}, "
            f"look-ups missing: {len(self.ledger_missing)}, "
            f"disclosures missing: {len(self.disclosures_missing)}",
        ]


def complete_rows(world: Path) -> list[dict[str, str]]:
    """The world's request rows that carry every field a look-up needs, one per request."""
    with (world / "requests.csv").open(encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))
    return [r for r in rows if r["first_name"] and r["last_name"] and r["street"] and r["zip"]]


def prepare_workspace(
    world: Path, workspace: Path, clients: int, *, priors_model: bool = False
) -> list[str]:
    """Register the agency, train the model (or, with ``priors_model``, save the untrained
    one, for a test that counts answers, not their quality), add one requester per client;
    their tokens."""
    sys.path.insert(0, str(ROOT / "tests"))
    from matchgate.accounts import AccountStore
    from matchgate.batch.training import train_from_files
    from matchgate.match import MatchModel
    from matchgate_cli import register_world_agency

    register_world_agency(world, workspace)
    if priors_model:
        MatchModel.from_priors().save(workspace / "model.json")
    if not (workspace / "model.json").exists():
        train_from_files(
            master=world / "master.parquet",
            requests=world / "requests.csv",
            out=workspace / "model.json",
        )
    tokens = []
    with AccountStore.open(workspace) as store:
        for number in range(clients):
            issued = store.add_user(
                f"Load Officer {number + 1:02d}",
                role="requester",
                agency_code=AGENCY,
                actor="load test",
            )
            tokens.append(issued.token)
    return tokens


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def start_server(world: Path, workspace: Path) -> tuple[subprocess.Popen[bytes], str]:
    """``matchgate serve`` on a free loopback port; its output goes to WORKSPACE/../serve.log."""
    port = _free_port()
    log = (workspace.parent / "serve.log").open("wb")
    env = {
        **os.environ,
        # All clients come from 127.0.0.1: the per-address limit would be the clients' sum.
        "MATCHGATE_RATE_LIMIT_REQUESTS": "1000000",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "matchgate", "serve", "--workspace", str(workspace),
         "--master", str(world / "master.parquet"), "--host", LOOPBACK, "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    log.close()
    base = f"http://{LOOPBACK}:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            error = (workspace.parent / "serve.log").read_text(errors="replace")
            raise RuntimeError(f"matchgate serve stopped: {error[-2000:]}")
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return server, base
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    server.kill()
    raise RuntimeError("matchgate serve did not answer /healthz within 120 s")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def file_letter(
    base: str, token: str, world: Path, workspace: Path, row: dict[str, str]
) -> tuple[str, dict]:
    """The first look-up sends the letter's text, which files it; the rest name its id.

    A letter larger than the server's body limit (``MATCHGATE_MAX_BODY_BYTES``, 64 KiB: a
    generated world's letter lists every case number) is filed by the office in the
    workspace instead, as ``matchgate lookup --letter`` files it, and named by its id."""
    from matchgate.lookups import file_letter as file_in_workspace

    path = world / "lookup_letter.toml"
    body: dict[str, str] = {**row, "letter": path.read_text(encoding="utf-8")}
    if len(json.dumps(body).encode("utf-8")) > 60_000:
        body = {**row, "letter_id": file_in_workspace(workspace, path)}
    answer = httpx.post(
        f"{base}/api/lookups",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=120,
    )
    answer.raise_for_status()
    body = answer.json()
    return str(body["letter_id"]), body


def run_load(
    base: str, tokens: list[str], letter_id: str, rows: list[dict[str, str]], seconds: float
) -> LoadResult:
    clients = len(tokens)
    result = LoadResult(clients=clients, seconds=seconds)
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)
    stop_at: list[float] = []

    def client(number: int) -> None:
        mine = rows[number::clients]
        headers = {"Authorization": f"Bearer {tokens[number]}"}
        with httpx.Client(base_url=base, headers=headers, timeout=300) as session:
            start.wait()
            used = 0
            for row in mine:
                if time.monotonic() >= stop_at[0]:
                    break
                used += 1
                began = time.perf_counter()
                try:
                    answer = session.post("/api/lookups", json={**row, "letter_id": letter_id})
                    status = str(answer.status_code)
                except httpx.HTTPError as exc:
                    answer, status = None, type(exc).__name__
                took = time.perf_counter() - began
                with lock:
                    result.latencies.append(took)
                    result.statuses[status] += 1
                    if answer is not None and status == "200":
                        body = answer.json()
                        result.answered.append(
                            {
                                "batch_id": body["batch_id"],
                                "outcome": body["response"]["outcome"],
                                "request_id": body["response"]["request_id"],
                            }
                        )
            with lock:
                result.rows_left_over += len(mine) - used

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    began = time.monotonic()
    stop_at.append(began + seconds)
    start.wait()
    for thread in threads:
        thread.join()
    result.seconds = time.monotonic() - began
    return result


def check_ledger(workspace: Path, result: LoadResult) -> None:
    """Every answered look-up has its batch in the ledger; every disclosure its entry."""
    from matchgate.ledger import Ledger

    received: set[str] = set()
    disclosed: set[str] = set()
    with Ledger.open(workspace) as ledger:
        report = ledger.verify()
        result.ledger_verified = bool(report.ok)
        for entry in ledger.entries():
            result.ledger_entries += 1
            payload = entry.payload_dict()
            if entry.kind == "batch_received":
                received.add(str(payload.get("batch_id")))
            elif entry.kind == "disclosure":
                disclosed.add(str(payload.get("batch_id")))
    for answer in result.answered:
        batch = str(answer["batch_id"])
        if batch not in received:
            result.ledger_missing.append(batch)
        if answer["outcome"] == "disclosed" and batch not in disclosed:
            result.disclosures_missing.append(batch)


def load_test(
    world: Path, workspace: Path, *, clients: int, seconds: float, priors_model: bool = False
) -> tuple[LoadResult, dict]:
    """The whole test: workspace, server, letter, load, server stopped, ledger read."""
    rows = complete_rows(world)
    tokens = prepare_workspace(world, workspace, clients, priors_model=priors_model)
    server, base = start_server(world, workspace)
    try:
        letter_id, first = file_letter(base, tokens[0], world, workspace, rows[0])
        result = run_load(base, tokens, letter_id, rows[1:], seconds)
    finally:
        stop_server(server)
    result.answered.append(
        {
            "batch_id": first["batch_id"],
            "outcome": first["response"]["outcome"],
            "request_id": first["response"]["request_id"],
        }
    )
    check_ledger(workspace, result)
    return result, first


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=6_000)
    parser.add_argument("--seed", type=int, default=21)
    parser.add_argument("--world", type=Path, help="reuse (or write) the world here")
    args = parser.parse_args()
    from matchgate.synth import generate_world

    scratch = Path(tempfile.mkdtemp(prefix="load-lookups-"))
    world = args.world or scratch / "world"
    if not (world / "lookup_letter.toml").exists():
        generate_world(world, people=args.people, requests=args.requests, seed=args.seed)
    print(f"world {world}; workspace {scratch / 'workspace'}; server on {LOOPBACK} only")
    print("per-address rate limit raised for the run (every client is 127.0.0.1)")
    result, _ = load_test(world, scratch / "workspace", clients=args.clients, seconds=args.seconds)
    for line in result.lines():
        print(line)
    if result.rows_left_over == 0:
        print("note: the clients ran out of distinct rows before the time was up")
    print("PASS" if result.ok() else "FAIL")
    return 0 if result.ok() else 1


if __name__ == "__main__":
    sys.exit(main())
