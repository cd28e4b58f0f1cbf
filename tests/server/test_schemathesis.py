"""schemathesis generates requests from the app's own OpenAPI schema and checks that no
answer is a server error, and that every status, content type, header and body is the
one the schema documents.

The schema is fetched from ``/openapi.json`` with a user's bearer token (it is served to
signed-in users only), and every generated request is sent twice, as a requester and as a
supervisor, so the routes answer past authentication (200, 403, 404, 422, ...) rather than
401 alone; the last test checks that they did. The app serves a workspace with a ledger
and no batch (so look-ups and uploads are refused for their inputs, not for a missing
ledger); the rate limit and the lock-out are off, or the client's one address would be
limited after a few hundred requests (both have their own tests). Examples are bounded so
the whole run stays well under a minute. Each operation gets valid and invalid requests
(schemathesis' positive and negative modes); unexpected methods and media types (405, 415)
are tested in test_hardening.py.
"""

from __future__ import annotations

import shutil
import tempfile
import warnings
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode, checks

from matchgate.ledger import Ledger
from matchgate.server import ServerSettings, create_app

from .conftest import add_users, bearer

pytestmark = pytest.mark.slow  # tens of seconds: hundreds of generated requests

MAX_EXAMPLES = 40
ROLES = ("requester", "supervisor")

warnings.filterwarnings("ignore", module="schemathesis")


def _app(root: Path):  # type: ignore[no-untyped-def]
    workspace = root / "ws"
    workspace.mkdir(parents=True, exist_ok=True)
    key = root / "keys" / "ledger.key"
    key.parent.mkdir(exist_ok=True)
    with Ledger.open(workspace, key_path=key):
        pass  # an empty ledger with its key outside the workspace
    app = create_app(
        ServerSettings(
            workspace=workspace,
            master=root / "master.parquet",
            ledger_key=key,
            rate_limit_requests=0,
            auth_max_failures=0,
        )
    )
    return app, add_users(workspace)


# The schema is loaded when the module is collected (parametrize needs it then), so the app
# and its folder are made then too; the folder goes when the module's tests are done.
_ROOT = Path(tempfile.mkdtemp(prefix="matchgate-schemathesis-"))
_APP, _TOKENS = _app(_ROOT)
schema = schemathesis.openapi.from_asgi("/openapi.json", _APP, headers=bearer(_TOKENS["requester"]))
# Status codes answered, per role, over the whole run.
_SEEN: dict[str, Counter[int]] = {role: Counter() for role in ROLES}


@pytest.fixture(scope="module", autouse=True)
def _remove_the_folder_afterwards() -> Iterator[None]:
    yield
    shutil.rmtree(_ROOT, ignore_errors=True)


CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]


# One test per operation, each with its own id. (``schema.parametrize()`` gives every
# operation's item the same node id, and pytest-xdist then runs only one of them.)
OPERATIONS = [result.ok() for result in schema.get_all_operations()]


@pytest.mark.parametrize("operation", OPERATIONS, ids=[op.label for op in OPERATIONS])
def test_the_api_answers_only_what_its_schema_documents(operation: Any) -> None:
    @given(case=st.one_of(*(operation.as_strategy(mode) for mode in GenerationMode)))
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def answers(case: schemathesis.Case) -> None:
        generated = dict(case.headers or {})
        for role in ROLES:
            # On the case itself: schemathesis drops a call's extra headers for multipart
            # bodies.
            case.headers = {**generated, **bearer(_TOKENS[role])}
            response = case.call_and_validate(checks=CHECKS)
            _SEEN[role][response.status_code] += 1

    answers()


def test_every_operation_of_the_schema_is_tested() -> None:
    labels = [op.label for op in OPERATIONS]
    assert len(labels) == len(set(labels)) >= 15, labels
    assert "POST /api/batches" in labels and "GET /api/access-log" in labels


def test_the_generated_requests_got_past_authentication() -> None:
    """Run after the generated requests (pytest keeps the file's order): as both roles the
    routes answered what the role may do, not a 401 for the credential."""
    for role in ROLES:
        seen = _SEEN[role]
        assert seen, f"no generated request ran as {role}"
        assert seen[401] == 0, (role, seen)
        assert seen[200] > 0 and seen[422] > 0, (role, seen)
    # The requester may not verify the ledger or read the accounting; the supervisor may not
    # submit: each role met the role matrix's refusals too.
    assert _SEEN["requester"][403] > 0 and _SEEN["supervisor"][403] > 0, _SEEN
