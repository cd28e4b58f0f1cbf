"""The master file as look-ups read it: opened once per process, shared by every look-up.

:func:`open_master` is the one place a look-up reaches the taxpayer file. Today it does what
``run_batch`` does -- load and standardize the master file into DuckDB (``prepare_master``) --
but once per process and per master file, not once per look-up: the first look-up pays for it,
every later one only scores its own candidates. The prepared master (``matchgate master
prepare``, stored once in the workspace) plugs in here: ``open_master`` then attaches the
workspace's prepared tables instead of standardizing the file, and nothing else changes.

The model is the workspace's trained one (``WORKSPACE/model.json``, as a batch run or
``matchgate train`` leaves it); a look-up never trains one.

Scoring uses the tables of one connection (``request_features``, ``candidate_pairs``, ...), so
one look-up scores at a time per master (:attr:`OpenMaster.lock`); the look-ups' own review,
ledger and store work runs outside it.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from matchgate import sql
from matchgate.batch.workspace import Workspace, connect_duckdb
from matchgate.disclose import DisclosedAddress, latest_addresses_in_periods
from matchgate.errors import MasterFileError, ModelError
from matchgate.match import (
    BatchScorer,
    MatchDecision,
    MatchInput,
    MatchModel,
    MatchPolicy,
    load_requests_for_matching,
    prepare_master,
)
from matchgate.match.blocking import build_candidate_pairs

__all__ = ["OpenMaster", "forget_masters", "open_master"]


@dataclass
class OpenMaster:
    """A standardized master in an in-memory DuckDB connection, with its model."""

    con: duckdb.DuckDBPyConnection
    taxpayers: int
    report: dict[str, object]
    model_path: Path
    lock: threading.Lock = field(default_factory=threading.Lock)
    _model: MatchModel | None = None
    _scorers: dict[MatchPolicy, _LookupScorer] = field(default_factory=dict)

    def decide(
        self, request: MatchInput, *, years: Sequence[int], policy: MatchPolicy
    ) -> tuple[MatchDecision, DisclosedAddress | None]:
        """The decision on one request and, when it discloses, the latest address filed in
        ``years`` (None when nothing was filed in them)."""
        with self.lock:
            load_requests_for_matching(self.con, [request])
            if self._model is None:
                self._model = _trained_model(self.model_path)
            scorer = self._scorers.get(policy)
            if scorer is None:
                # One Splink linker per policy for the life of the master: building one
                # (settings, validation) costs more than scoring a look-up.
                scorer = _LookupScorer(
                    self.con, model=self._model, taxpayers=self.taxpayers, policy=policy
                )
                self._scorers[policy] = scorer
            else:
                scorer.refresh()
            decision = scorer.score([request.row_number])[request.row_number]
            address = None
            if decision.best is not None:
                wanted = [(request.row_number, decision.best.tin, list(years))]
                address = latest_addresses_in_periods(self.con, wanted).get(request.row_number)
        return decision, address


def _trained_model(path: Path) -> MatchModel:
    """The workspace's trained model. A look-up never trains one: one request row is far too
    little to estimate a model from, and the model it saved would serve every later batch."""
    if not path.is_file():
        raise ModelError(
            "no trained match model in this workspace: run a batch into it first, or"
            f" `matchgate train --master ... --requests ... --out {path}`",
            path=path,
        )
    return MatchModel.load(path)


class _LookupScorer(BatchScorer):
    """A :class:`BatchScorer` kept across look-ups: :meth:`refresh` rebuilds what it read
    from the requests (candidate pairs, capped blocks, TIN and first-name facts) for the
    request now in ``request_features``."""

    def refresh(self) -> None:
        self.stats = dict(build_candidate_pairs(self.con, block_cap=self.policy.block_cap))
        self._capped = {}
        for rid, rule in sql.fetch_all(
            self.con,
            "SELECT rid, rule FROM capped_blocks ORDER BY rid, rule",
            label="lookups.capped",
        ):
            self._capped.setdefault(int(rid), []).append(rule)
        self._has_tin = self._request_ids("tin IS NOT NULL")
        self._unrecognised_first = self._request_ids("first_name_unrecognised IS TRUE")


_OPEN: dict[tuple[str, int, int, str], OpenMaster] = {}
_OPEN_GUARD = threading.Lock()


def open_master(workspace: Path, *, master: Path | None) -> OpenMaster:
    """The workspace's master, standardized, shared by every look-up of this process.

    ``master`` is the master file until the workspace holds a prepared master; a file that
    changes (size or modification time) is opened afresh."""
    if master is None:
        raise MasterFileError(
            "no master file given (this workspace holds no prepared master yet): pass --master"
        )
    if not master.is_file():
        raise MasterFileError("file not found", path=master)
    space = Workspace.open(workspace)
    stat = master.stat()
    key = (str(master.resolve()), stat.st_size, stat.st_mtime_ns, str(space.model_path))
    with _OPEN_GUARD:
        opened = _OPEN.get(key)
        if opened is None:
            con = connect_duckdb()
            try:
                report, taxpayers = prepare_master(con, master)
            except BaseException:
                con.close()
                raise
            opened = OpenMaster(
                con=con,
                taxpayers=taxpayers,
                report=report.as_dict(),
                model_path=space.model_path,
            )
            for stale in [k for k in _OPEN if k[0] == key[0] and k[3] == key[3]]:
                old = _OPEN.pop(stale)
                with old.lock:
                    old.con.close()
            _OPEN[key] = opened
    return opened


def forget_masters() -> None:
    """Close every master this process opened (tests; a server shutting down)."""
    with _OPEN_GUARD:
        for opened in _OPEN.values():
            with opened.lock:
                opened.con.close()
        _OPEN.clear()
