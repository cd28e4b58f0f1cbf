"""Shared fixtures. The PostgreSQL fixture lives in conftest_postgres (a plugin module)."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from suite_order import heavy_rank

# The checkout's own code, for this process (pyproject's pythonpath) and for every process a
# test starts (`python -m matchgate`, a server): an installed matchgate elsewhere (another
# checkout's editable install) is never the one tested.
_SRC = str(Path(__file__).resolve().parent.parent / "src")
os.environ["PYTHONPATH"] = os.pathsep.join(
    [_SRC, *[p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and p != _SRC]]
)

pytest_plugins = ["conftest_postgres"]


@pytest.fixture(scope="session", autouse=True)
def session_environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Ledger signing keys go to their real default place, ``$XDG_CONFIG_HOME/matchgate/keys``,
    with XDG_CONFIG_HOME pointed into the test run's temporary folder, so the many
    workspaces the tests make never write keys into the home folder of whoever runs them.
    Session-wide (and inherited by ``matchgate`` subprocesses) so that workspaces made by
    session fixtures and copied by tests still find their key. Trained models are kept in
    the run's model cache (``$MATCHGATE_MODEL_CACHE``), prepared masters in its master cache
    (``$MATCHGATE_MASTER_CACHE``)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("config")))
        # Many tests run fresh workspaces on the same generated world: each would train the
        # same model again (tests/match/test_model_cache.py shows it is the same model).
        patch.setenv("MATCHGATE_MODEL_CACHE", str(_shared_cache(tmp_path_factory, "models")))
        # And prepare the same master file again (tests/master/test_master_cache.py shows a
        # cached master is used only under its own key; tests/master prepares uncached).
        patch.setenv("MATCHGATE_MASTER_CACHE", str(_shared_cache(tmp_path_factory, "masters")))
        patch.delenv("MATCHGATE_LEDGER_KEY", raising=False)
        yield


def _shared_cache(tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    """One cache folder for the whole run: with pytest-xdist each worker has its own
    temporary folder under the run's, and the workers share the cache beside them (models
    and prepared masters are filed by an atomic rename, so two workers making the same one
    both write it whole)."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return tmp_path_factory.mktemp(name)
    shared = tmp_path_factory.getbasetemp().parent / name
    shared.mkdir(exist_ok=True)
    return shared


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Two tests with one node id would be one test to pytest-xdist, which then runs only
    one of them and says nothing: refuse to run such a collection. The heaviest files
    (``suite_order.HEAVY_FIRST``) run first, so that the workers finish together."""
    counts = Counter(item.nodeid for item in items)
    repeated = sorted(nodeid for nodeid, count in counts.items() if count > 1)
    if repeated:
        raise pytest.UsageError(
            "tests share a node id (give each parametrized case an id): " + ", ".join(repeated[:5])
        )
    items.sort(key=lambda item: heavy_rank(item.nodeid))  # stable: a file's order stays
