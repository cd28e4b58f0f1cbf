"""Every route the app serves is sorted here into those that show taxpayer data and those
that do not. Each one that does leaves an access record naming its route before its body
exists, and shows nothing when the record cannot be written. A route the app serves that is
in neither list fails (so a new route cannot ship without deciding whether it reads
taxpayer data), and so does an entry for a route that no longer exists."""

from __future__ import annotations

import csv
import uuid
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi.routing import iter_route_contexts

from matchgate.errors import LedgerError
from matchgate.ledger import AccessLog, AccessRecord
from matchgate.lookups.run import LOOKUP_REQUIRED_FIELDS
from matchgate.server import ServerSettings, create_app
from workspace_copy import copy_workspace

from .conftest import USERS, Served, bearer

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.slow  # the served fixture runs a whole batch through the server


@dataclass
class Office:
    """A copy of the served batch whose waiting rows are all refused: its response is final,
    so every read can be made and answer 200."""

    client: TestClient
    workspace: Path
    world: Path
    tokens: dict[str, str]
    batch_id: str
    row_number: str
    tin: str
    request: dict[str, str]

    def call(self, who: str, method: str, url: str, **options: object) -> httpx.Response:
        return self.client.request(
            method,
            url,
            headers=bearer(self.tokens[who]),
            follow_redirects=False,
            **options,  # type: ignore[arg-type]
        )

    def records(self) -> list[AccessRecord]:
        with AccessLog.open(self.workspace, read_only=True) as log:
            return list(log.records())


Read = Callable[[Office, str], httpx.Response]


def _lookup(office: Office, who: str) -> httpx.Response:
    letter = (office.world / "lookup_letter.toml").read_text(encoding="utf-8")
    return office.call(who, "POST", "/api/lookups", json={**office.request, "letter": letter})


# (method, path) -> (what the record says was read, a user allowed to, the call as that user).
TAXPAYER_READS: dict[tuple[str, str], tuple[str, str, Read]] = {
    ("GET", "/batches/{batch_id}"): (
        "batch_page",
        "supervisor",
        lambda o, w: o.call(w, "GET", f"/batches/{o.batch_id}"),
    ),
    ("GET", "/batches/{batch_id}/rows/{row_number}"): (
        "row_page",
        "reviewer",
        lambda o, w: o.call(w, "GET", f"/batches/{o.batch_id}/rows/{o.row_number}"),
    ),
    ("GET", "/api/batches/{batch_id}/response.csv"): (
        "response_download",
        "requester",
        lambda o, w: o.call(w, "GET", f"/api/batches/{o.batch_id}/response.csv"),
    ),
    ("POST", "/api/lookups"): ("lookup", "requester", _lookup),
    ("GET", "/api/accounting"): (
        "accounting",
        "auditor",
        lambda o, w: o.call(w, "GET", "/api/accounting", params={"tin": o.tin}),
    ),
    ("GET", "/api/access-log"): (
        "access_log",
        "auditor",
        lambda o, w: o.call(w, "GET", "/api/access-log", params={"tin": o.tin}),
    ),
    ("GET", "/audit/accounting"): (
        "accounting_page",
        "auditor",
        lambda o, w: o.call(w, "GET", "/audit/accounting", params={"tin": o.tin}),
    ),
    ("GET", "/audit/access"): (
        "access_log_page",
        "auditor",
        lambda o, w: o.call(w, "GET", "/audit/access", params={"batch_id": o.batch_id}),
    ),
    ("GET", "/api/review/queue"): (
        "review_queue",
        "reviewer",
        lambda o, w: o.call(w, "GET", "/api/review/queue"),
    ),
    ("GET", "/review"): (
        "review_queue",
        "supervisor",
        lambda o, w: o.call(w, "GET", "/review"),
    ),
    ("GET", "/api/review/batches/{batch_id}/rows/{row_number}"): (
        "review_case",
        "reviewer",
        lambda o, w: o.call(w, "GET", f"/api/review/batches/{o.batch_id}/rows/{o.row_number}"),
    ),
    ("GET", "/review/batches/{batch_id}/rows/{row_number}"): (
        "review_case",
        "supervisor",
        lambda o, w: o.call(w, "GET", f"/review/batches/{o.batch_id}/rows/{o.row_number}"),
    ),
}

# (method, path) -> why what it answers is not taxpayer data.
NO_TAXPAYER_DATA: dict[tuple[str, str], str] = {
    ("GET", "/healthz"): "whether the workspace and the master are there",
    ("GET", "/sign-in"): "the sign-in form",
    ("POST", "/sign-in"): "a session cookie, or the form again",
    ("POST", "/sign-out"): "a redirect to the sign-in page",
    ("GET", "/openapi.json"): "the API's schema",
    ("GET", "/"): "the batches' ids, agencies and outcome counts",
    ("GET", "/api/batches"): "the batches' ids, agencies and outcome counts",
    ("POST", "/api/batches"): "the requester's own upload; answers its batch's counts",
    ("GET", "/api/batches/{batch_id}"): "one batch's counts and progress",
    ("GET", "/api/ledger/verify"): "the chain's report: counts and hashes",
    ("GET", "/batches/new"): "the upload form",
    ("POST", "/batches/new"): "the requester's own upload; redirects to its batch's page",
    ("POST", "/api/batches/{batch_id}/rows/{row_number}/review-actions"): (
        "answers the ledger entry of the action (sequence, id, time, action, actor)"
    ),
    ("POST", "/batches/{batch_id}/rows/{row_number}/review"): (
        "redirects to the row page, whose read is recorded"
    ),
    ("POST", "/api/review/batches/{batch_id}/rows/{row_number}/steps"): (
        "answers the step recorded and the row's outcome"
    ),
    ("POST", "/api/review/batches/{batch_id}/rows/{row_number}/release/confirm"): (
        "answers the step recorded and the row's outcome"
    ),
    ("POST", "/api/review/batches/{batch_id}/rows/{row_number}/release/reject"): (
        "answers the step recorded and the row's outcome"
    ),
    ("POST", "/review/batches/{batch_id}/rows/{row_number}/steps"): (
        "redirects to the case page, whose read is recorded"
    ),
    ("POST", "/review/batches/{batch_id}/rows/{row_number}/release/confirm"): (
        "redirects to the case page, whose read is recorded"
    ),
    ("POST", "/review/batches/{batch_id}/rows/{row_number}/release/reject"): (
        "redirects to the case page, whose read is recorded"
    ),
}


def _app_routes(app: object) -> set[tuple[str, str]]:
    routes = set()
    for route in iter_route_contexts(app.routes):  # type: ignore[attr-defined]
        for method in route.methods or ():
            if method != "HEAD":
                routes.add((method, route.path))
    return routes


@pytest.fixture(scope="module")
def office(served: Served, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Office]:
    workspace = tmp_path_factory.mktemp("reads") / "workspace"

    def only_the_served_batch(folder: str, names: list[str]) -> set[str]:
        if Path(folder) == served.workspace / "batches":
            return {name for name in names if name != served.batch_id}
        return set()

    copy_workspace(served.workspace, workspace, ignore=only_the_served_batch)
    with served.decisions.open(encoding="utf-8", newline="") as stream:
        decisions = list(csv.DictReader(stream))
    flagged = next(r for r in decisions if r["outcome"] == "needs_review")
    disclosed = next(r for r in decisions if r["outcome"] == "disclosed")
    with (served.world / "requests.csv").open(encoding="utf-8", newline="") as stream:
        request = next(
            r
            for r in csv.DictReader(stream)
            if r["tin"] and all(r[name] for name in LOOKUP_REQUIRED_FIELDS)
        )
    settings = ServerSettings(
        workspace=workspace, master=served.world / "master.parquet", rate_limit_requests=0
    )
    with TestClient(create_app(settings)) as client:
        reviewer = bearer(served.tokens["reviewer"])
        waiting = [r["row_number"] for r in decisions if r["outcome"] == "needs_review"]
        for row in waiting:
            body = {"action": "refuse", "reason": "On record.", "idempotency_key": uuid.uuid4().hex}
            url = f"/api/review/batches/{served.batch_id}/rows/{row}/steps"
            refused = client.post(url, json=body, headers=reviewer)
            assert refused.status_code == 200, refused.text
        yield Office(
            client=client,
            workspace=workspace,
            world=served.world,
            tokens=served.tokens,
            batch_id=served.batch_id,
            row_number=flagged["row_number"],
            tin=disclosed["tin"],
            request=request,
        )


def test_every_route_is_sorted_into_reads_or_not(office: Office) -> None:
    served_routes = _app_routes(office.client.app)
    assert set(TAXPAYER_READS).isdisjoint(NO_TAXPAYER_DATA)
    sorted_routes = set(TAXPAYER_READS) | set(NO_TAXPAYER_DATA)
    assert served_routes - sorted_routes == set(), "routes not sorted: taxpayer data or not?"
    assert sorted_routes - served_routes == set(), "entries for routes the app lacks"


@pytest.mark.parametrize("route", sorted(TAXPAYER_READS), ids=lambda r: f"{r[0]} {r[1]}")
def test_a_taxpayer_data_route_leaves_one_record(route: tuple[str, str], office: Office) -> None:
    what, who, call = TAXPAYER_READS[route]
    before = len(office.records())
    response = call(office, who)
    assert response.status_code == 200, response.text
    added = office.records()[before:]
    assert len(added) == 1, [(r.what, r.content_dict()["route"]) for r in added]
    [record] = added
    content = record.content_dict()
    assert content["route"] == f"{route[0]} {route[1]}"
    assert (record.what, record.outcome, content["status"]) == (what, "allowed", 200)
    assert record.user_name == USERS[who][0]
    for value in office.request.values():
        if value.isdigit() and len(value) == 9:
            assert value not in record.content  # TINs only as keyed hashes


@pytest.mark.parametrize("route", sorted(TAXPAYER_READS), ids=lambda r: f"{r[0]} {r[1]}")
def test_a_taxpayer_data_route_shows_nothing_unrecorded(
    route: tuple[str, str], office: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, who, call = TAXPAYER_READS[route]
    shown = call(office, who)
    assert shown.status_code == 200, shown.text

    def broken(*_args: object, **_kwargs: object) -> AccessRecord:
        raise LedgerError("the access log is unavailable")

    monkeypatch.setattr(AccessLog, "append", broken)
    refused = call(office, who)
    assert refused.status_code == 500, refused.text
    if route[1].startswith("/api/"):
        assert set(refused.json()) == {"error", "message"}
    assert shown.content not in refused.content
    assert office.tin not in refused.text
    assert office.request["last_name"] not in refused.text
