"""schemathesis generates requests from the app's own OpenAPI schema and checks that no
answer is a server error, and that every status, content type, header and body is the
one the schema documents.

The app serves a workspace with a ledger and no batch (so look-ups and uploads are refused
for their inputs, not for a missing ledger); the rate limit and the lock-out are off, or
the generated wrong tokens would lock the test client out after ten requests (both have
their own tests). Examples are bounded so the whole run stays well under a minute.
"""

from __future__ import annotations

import shutil
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks

from matchgate.ledger import Ledger
from matchgate.server import ServerSettings, create_app

pytestmark = pytest.mark.slow  # tens of seconds: hundreds of generated requests

TOKEN = "schemathesis-token-0b8a"
MAX_EXAMPLES = 15

warnings.filterwarnings("ignore", module="schemathesis")


def _app(root: Path):  # type: ignore[no-untyped-def]
    workspace = root / "ws"
    workspace.mkdir(parents=True, exist_ok=True)
    key = root / "keys" / "ledger.key"
    key.parent.mkdir(exist_ok=True)
    with Ledger.open(workspace, key_path=key):
        pass  # an empty ledger with its key outside the workspace
    return create_app(
        ServerSettings(
            workspace=workspace,
            master=root / "master.parquet",
            ledger_key=key,
            reviewer_token=TOKEN,
            rate_limit_requests=0,
            auth_max_failures=0,
        )
    )


# The schema is loaded when the module is collected (parametrize needs it then), so the app
# and its folder are made then too; the folder goes when the module's tests are done.
_ROOT = Path(tempfile.mkdtemp(prefix="matchgate-schemathesis-"))
schema = schemathesis.openapi.from_asgi("/openapi.json", _app(_ROOT))


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


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_the_api_answers_only_what_its_schema_documents(case: schemathesis.Case) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {TOKEN}"}, checks=CHECKS)
