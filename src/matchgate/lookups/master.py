"""The master file as look-ups read it: the workspace's prepared master, shared by every look-up.

:func:`open_master` is the one place a look-up reaches the taxpayer file. It attaches the
prepared master (``matchgate master prepare``, stored once in the workspace) read-only into
one DuckDB connection per process and prepared master; nothing per look-up copies or grows
with the master: a look-up only scores its own candidates.

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
from matchgate.disclose import DisclosedAddress
from matchgate.errors import MasterFileError, ModelError
from matchgate.master import attach_prepared, ensure_prepared, open_prepared
from matchgate.master.store import current_key, folder_for
from matchgate.match import MatchDecision, MatchInput, MatchModel, MatchPolicy
from matchgate.match.compiled import CompiledScorer

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
    _scorers: dict[MatchPolicy, CompiledScorer] = field(default_factory=dict)

    def decide(
        self, request: MatchInput, *, years: Sequence[int], policy: MatchPolicy
    ) -> tuple[MatchDecision, DisclosedAddress | None]:
        """The decision on one request and, when it discloses, the latest address filed in
        ``years`` (None when nothing was filed in them)."""
        with self.lock:
            if self._model is None:
                self._model = _trained_model(self.model_path)
            scorer = self._scorers.get(policy)
            if scorer is None:
                # One scorer per policy for the life of the master: it builds the Splink
                # linker and compiles its predict once (matchgate.match.compiled).
                scorer = CompiledScorer(
                    self.con, model=self._model, taxpayers=self.taxpayers, policy=policy
                )
                self._scorers[policy] = scorer
            decision = scorer.decide(request)
            address = None
            if decision.best is not None:
                address = latest_address_in_periods(self.con, decision.best.tin, years)
        return decision, address


# ``latest_addresses_in_periods`` for one taxpayer, by parameters: that function registers
# its rows as an Arrow view and creates a TEMP table, catalog changes after which DuckDB
# plans the look-ups' prepared statements again (matchgate.match.compiled).
_LATEST_ADDRESS = """
    SELECT street, city, state, zip, tax_year FROM taxpayer_addresses
    WHERE tin = ? AND list_contains(?::INTEGER[], tax_year)
    ORDER BY tax_year DESC LIMIT 1
"""


def latest_address_in_periods(
    con: duckdb.DuckDBPyConnection, tin: str, years: Sequence[int]
) -> DisclosedAddress | None:
    """The address of the latest tax year in ``years`` that taxpayer ``tin`` filed (None
    when nothing was filed in them), as :func:`latest_addresses_in_periods` gives it."""
    row = sql.fetch_one(con, _LATEST_ADDRESS, [tin, list(years)], label="lookups.latest_address")
    if row is None:
        return None
    street, city, state, zip_code, tax_year = row
    return DisclosedAddress(
        street=street, city=city, state=state, zip=zip_code, tax_year=int(tax_year)
    )


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


_OPEN: dict[tuple[str, str, str], OpenMaster] = {}
_OPEN_GUARD = threading.Lock()


def open_master(workspace: Path, *, master: Path | None) -> OpenMaster:
    """The workspace's prepared master (``matchgate master prepare``), attached read-only
    once per process and shared by every look-up.

    ``master`` is a master file (prepared first if the workspace does not hold it yet) or a
    prepared master's folder; without it, the workspace's current prepared master."""
    space = Workspace.open(workspace)
    if master is None:
        key = current_key(space.root)
        if key is None:
            raise MasterFileError(
                "this workspace holds no prepared master yet: pass --master, or run"
                " `matchgate master prepare --master FILE --workspace WS` first"
            )
        prepared = open_prepared(folder_for(space.root, key))
    else:
        prepared = ensure_prepared(master, space.root)
    model_path = space.model_path if space.model_path.is_file() else prepared.model_path
    cache_key = (prepared.key, str(prepared.folder), str(model_path))
    with _OPEN_GUARD:
        opened = _OPEN.get(cache_key)
        if opened is None:
            con = connect_duckdb()
            try:
                attach_prepared(con, prepared)
            except BaseException:
                con.close()
                raise
            opened = OpenMaster(
                con=con,
                taxpayers=prepared.taxpayers,
                report=prepared.report(),
                model_path=model_path,
            )
            _OPEN[cache_key] = opened
    return opened


def forget_masters() -> None:
    """Close every master this process opened (tests; a server shutting down)."""
    with _OPEN_GUARD:
        for opened in _OPEN.values():
            with opened.lock:
                opened.con.close()
        _OPEN.clear()
