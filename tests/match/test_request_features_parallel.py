"""Request features in several processes: the same table, in the same order, as in one.

A large batch (and training on a large request file) standardizes its requests in one
process per core (:func:`matchgate.match.features.request_feature_rows`); the chunk size
and the threshold are made small here so a small world spans several processes' tasks.
"""

from __future__ import annotations

import csv
import fcntl
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, ClassVar

import pytest

from matcher_runs import stored_decisions
from matchgate.batch.pipeline import match_batch
from matchgate.fields import MATCH_FIELDS, REQUEST_FIELDS
from matchgate.intake.read import record_from_fields
from matchgate.match import MatchInput
from matchgate.match import features as features_module
from matchgate.match.features import request_feature_rows
from matchgate.match.model import MatchModel
from matchgate.synth import generate_world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("parallel") / "world"
    generate_world(folder, people=600, requests=200, seed=41, request_mix="noisy")
    return folder


def _inputs(world: Path) -> list[MatchInput]:
    with (world / "requests.csv").open(encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))
    return [
        MatchInput.from_record(
            record_from_fields(number, {name: row.get(name, "") for name in REQUEST_FIELDS})
        )
        for number, row in enumerate(rows, start=1)
    ]


class _CountedPool(ProcessPoolExecutor):
    """The pool ``_in_processes`` uses, recording how it was made."""

    contexts: ClassVar[list[str]] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        _CountedPool.contexts.append(kwargs["mp_context"].get_start_method())
        super().__init__(*args, **kwargs)


def test_features_in_two_processes_are_the_features_in_one(
    world: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(features_module, "REQUEST_CHUNK", 40)
    monkeypatch.setattr(features_module, "PARALLEL_FROM_REQUESTS", 80)
    monkeypatch.setattr(features_module, "ProcessPoolExecutor", _CountedPool)
    _CountedPool.contexts.clear()
    inputs = _inputs(world)
    one = request_feature_rows(inputs)
    assert _CountedPool.contexts == []
    two = request_feature_rows(iter(inputs), workers=2)  # any iterable, as in one
    assert _CountedPool.contexts == ["fork"]  # see test_a_killed_parents_workers_...
    assert two.num_rows == len(inputs) == 200
    assert two.to_batches()[0].num_rows == 40  # several tasks, put back in order
    assert two.equals(one)
    # below the threshold one process does it all: the same table
    assert request_feature_rows(inputs[:79], workers=2).equals(one.slice(0, 79))
    assert _CountedPool.contexts == ["fork"]


def test_an_error_in_a_worker_reaches_the_caller(
    world: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(features_module, "REQUEST_CHUNK", 40)
    monkeypatch.setattr(features_module, "PARALLEL_FROM_REQUESTS", 80)
    inputs = _inputs(world)
    broken = list(inputs[169].values)
    broken[MATCH_FIELDS.index("street")] = 170  # type: ignore[call-overload]
    inputs[169] = MatchInput(inputs[169].row_number, tuple(broken))  # raises in its worker
    with pytest.raises((TypeError, AttributeError)):
        request_feature_rows(inputs[160:180])  # as it does in one process
    with pytest.raises((TypeError, AttributeError)):
        request_feature_rows(inputs, workers=2)


_HOLD_THE_LOCK_AND_STANDARDIZE = """
import fcntl, multiprocessing, sys, threading, time
from matchgate.match.features import _in_processes
lock = open(sys.argv[1], "w")
fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
work = threading.Thread(target=lambda: list(_in_processes(time.sleep, [30.0] * 4, 2)))
work.start()
while len(multiprocessing.active_children()) < 2:
    time.sleep(0.1)
time.sleep(1.0)  # the workers are in their tasks
print(" ".join(str(p.pid) for p in multiprocessing.active_children()), flush=True)
work.join()
"""


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"  # a zombie has ended


def test_a_killed_parents_workers_do_not_keep_its_lock(tmp_path: Path) -> None:
    # a batch (or preparation) holds its lock while its workers standardize; killed (kill
    # -9), the run that resumes it must get the lock, and its workers must not stay behind:
    # forked workers that did not watch their parent held the lock and waited for tasks
    # for ever
    lock_file = tmp_path / "batch.lock"
    parent = subprocess.Popen(
        [sys.executable, "-c", _HOLD_THE_LOCK_AND_STANDARDIZE, str(lock_file)],
        stdout=subprocess.PIPE,
        text=True,
    )
    workers: list[int] = []
    try:
        assert parent.stdout is not None
        workers = [int(pid) for pid in parent.stdout.readline().split()]
        assert len(workers) == 2
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=30)
        with lock_file.open("w") as stream:
            deadline = time.monotonic() + 10
            while True:
                try:
                    fcntl.flock(stream, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    assert time.monotonic() < deadline, "the killed process's workers hold its lock"
                    time.sleep(0.2)
        deadline = time.monotonic() + 10
        while any(_running(pid) for pid in workers):
            assert time.monotonic() < deadline, "the killed process's workers are still running"
            time.sleep(0.2)
    finally:
        if parent.poll() is None:
            parent.kill()
        for pid in workers:
            if _running(pid):
                os.kill(pid, signal.SIGKILL)


def test_a_batch_standardizing_in_two_processes_decides_as_in_one(
    world: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = tmp_path / "model.json"
    MatchModel.from_priors().save(model)
    arguments = {
        "master": world / "master.parquet",
        "requests": world / "requests.csv",
        "model_path": model,
    }
    match_batch(**arguments, out_dir=tmp_path / "one")
    monkeypatch.setenv("MATCHGATE_PREPARE_WORKERS", "2")
    monkeypatch.setattr(features_module, "REQUEST_CHUNK", 40)
    monkeypatch.setattr("matchgate.batch.stages.PARALLEL_FROM_REQUESTS", 80)
    monkeypatch.setattr(features_module, "PARALLEL_FROM_REQUESTS", 80)
    tasks: list[int] = []
    submitted = features_module._in_processes

    def spying(make, chunks, workers):  # type: ignore[no-untyped-def]
        chunks = list(chunks)
        tasks.extend(len(chunk) for chunk in chunks)
        assert workers == 2
        return submitted(make, chunks, workers)

    monkeypatch.setattr(features_module, "_in_processes", spying)
    match_batch(**arguments, out_dir=tmp_path / "two")
    assert len(tasks) >= 3 and max(tasks) == 40
    one, two = stored_decisions(tmp_path / "one"), stored_decisions(tmp_path / "two")
    assert one == two and len(one) > 150
