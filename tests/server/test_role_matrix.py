"""Every route of the app, called by every kind of caller: the exact status of each cell.

The callers: nobody (no credential), the batch's agency's requester (DHS), another agency's
requester (DOJ), a reviewer, a supervisor, an auditor and an admin, each with its own API
token. The table below is the role matrix as tested; a route the app serves that has no
row here fails the test (so a new route cannot ship without deciding who may call it), and
so does a row for a route that no longer exists.

Reading a cell: 200/303 the call did what it asks (303: a page form's redirect), 401 no
credential, 403 the role may not, 404 the batch is another agency's (exactly as for an id
that does not exist), 409 allowed, but the batch's response is not final yet.
"""

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

from matchgate.server import ServerSettings, create_app
from matchgate.server.batch_jobs import JobRunner
from workspace_copy import copy_workspace

from .conftest import Served, bearer

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.slow  # the served fixture runs a whole batch through the server

CALLERS = (
    "anonymous",
    "requester",
    "other_requester",
    "reviewer",
    "supervisor",
    "auditor",
    "admin",
)


@dataclass
class Context:
    client: TestClient
    world: Path
    batch_id: str
    row_number: str
    tin: str
    request: dict[str, str]
    headers: dict[str, str]
    reviewer: dict[str, str]
    pending_release: str | None = None

    @property
    def lookup_letter(self) -> str:
        """The world's look-up letter (DHS's), as a requester sends it."""
        return (self.world / "lookup_letter.toml").read_text(encoding="utf-8")

    def call(self, method: str, url: str, **options: object) -> httpx.Response:
        return self.client.request(
            method,
            url,
            headers=self.headers,
            follow_redirects=False,
            **options,  # type: ignore[arg-type]
        )


def _upload(ctx: Context) -> httpx.Response:
    files = {
        "requests": ("requests.csv", (ctx.world / "requests.csv").read_bytes(), "text/csv"),
        "letter": ("letter.toml", (ctx.world / "letter.toml").read_bytes(), "application/toml"),
    }
    headers = {**ctx.headers, "Prefer": "wait=600"}  # waits for the background job
    return ctx.client.post("/api/batches", files=files, headers=headers, follow_redirects=False)


def _upload_page(ctx: Context) -> httpx.Response:
    """The upload page's form (a bearer token: no session, so no CSRF token to carry)."""
    files = {
        "requests": ("requests.csv", (ctx.world / "requests.csv").read_bytes(), "text/csv"),
        "letter": ("letter.toml", (ctx.world / "letter.toml").read_bytes(), "application/toml"),
    }
    response = ctx.call("POST", "/batches/new", files=files)
    JobRunner.wait(ctx.batch_id, 600)  # the job it started ends before the next cell
    return response


def _review_api(ctx: Context) -> httpx.Response:
    body = {"action": "note", "reason": "Role matrix.", "idempotency_key": uuid.uuid4().hex}
    url = f"/api/batches/{ctx.batch_id}/rows/{ctx.row_number}/review-actions"
    return ctx.call("POST", url, json=body)


def _review_page(ctx: Context) -> httpx.Response:
    data = {"action": "note", "reason": "Role matrix.", "form_key": uuid.uuid4().hex}
    return ctx.call("POST", f"/batches/{ctx.batch_id}/rows/{ctx.row_number}/review", data=data)


def _review_url(ctx: Context, row: str, tail: str = "", *, page: bool = False) -> str:
    return f"{'' if page else '/api'}/review/batches/{ctx.batch_id}/rows/{row}{tail}"


def _released_row(ctx: Context) -> str:
    """A row with the reviewer's release waiting for a supervisor: made now unless one waits
    already (a confirmation uses it up, a rejection returns it to the queue)."""
    if ctx.pending_release is None:
        queue = ctx.client.get("/api/review/queue", headers=ctx.reviewer).json()
        answers = []
        for item in queue["items"]:
            body = {"action": "release", "reason": "Matrix.", "idempotency_key": uuid.uuid4().hex}
            url = _review_url(ctx, str(item["row_number"]), "/steps")
            answer = ctx.client.post(url, json=body, headers=ctx.reviewer)
            if answer.status_code == 200:
                ctx.pending_release = str(item["row_number"])
                break
            answers.append(answer.text)
        else:
            raise AssertionError(f"no row of the world is left to release: {answers}")
    return ctx.pending_release


def _supervise(verb: str, *, page: bool) -> Callable[[Context], httpx.Response]:
    def call(ctx: Context) -> httpx.Response:
        url = _review_url(ctx, _released_row(ctx), f"/release/{verb}", page=page)
        body = {"reason": "Matrix.", ("form_key" if page else "idempotency_key"): uuid.uuid4().hex}
        response = ctx.call("POST", url, **({"data": body} if page else {"json": body}))
        if response.status_code == 200 or (
            response.status_code == 303 and response.headers["location"] != "/sign-in"
        ):
            ctx.pending_release = None
        return response

    return call


def _review_step(*, page: bool) -> Callable[[Context], httpx.Response]:
    def call(ctx: Context) -> httpx.Response:
        # A note: the role cells are the route's; release and refuse are in
        # test_review_decisions (a release here would use up the world's few grey rows).
        body = {
            "action": "note",
            "reason": "Matrix.",
            ("form_key" if page else "idempotency_key"): uuid.uuid4().hex,
        }
        url = _review_url(ctx, ctx.row_number, "/steps", page=page)
        return ctx.call("POST", url, **({"data": body} if page else {"json": body}))

    return call


Call = Callable[[Context], httpx.Response]

# (method, path) -> (how to call it, expected status for each of CALLERS in order):
#   anonymous, requester, other_requester, reviewer, supervisor, auditor, admin
MATRIX: dict[tuple[str, str], tuple[Call, tuple[int, ...]]] = {
    ("GET", "/healthz"): (
        lambda c: c.call("GET", "/healthz"),
        (200, 200, 200, 200, 200, 200, 200),
    ),
    ("GET", "/sign-in"): (
        lambda c: c.call("GET", "/sign-in"),
        (200, 200, 200, 200, 200, 200, 200),
    ),
    # Posted without the sign-in form's cookie: refused as a cross-site post, whoever calls.
    ("POST", "/sign-in"): (
        lambda c: c.call("POST", "/sign-in", data={"name": "x", "token": "y"}),
        (403, 403, 403, 403, 403, 403, 403),
    ),
    ("POST", "/sign-out"): (
        lambda c: c.call("POST", "/sign-out", data={}),
        (303, 303, 303, 303, 303, 303, 303),
    ),
    ("GET", "/openapi.json"): (
        lambda c: c.call("GET", "/openapi.json"),
        (401, 200, 200, 200, 200, 200, 200),
    ),
    ("GET", "/api/batches"): (
        lambda c: c.call("GET", "/api/batches"),
        (401, 200, 200, 200, 200, 200, 200),
    ),
    ("POST", "/api/batches"): (
        _upload,
        (401, 200, 403, 403, 403, 403, 403),
    ),
    ("GET", "/api/batches/{batch_id}"): (
        lambda c: c.call("GET", f"/api/batches/{c.batch_id}"),
        (401, 200, 404, 200, 200, 200, 200),
    ),
    ("GET", "/api/batches/{batch_id}/response.csv"): (
        lambda c: c.call("GET", f"/api/batches/{c.batch_id}/response.csv"),
        (401, 409, 404, 409, 409, 409, 403),
    ),
    ("POST", "/api/batches/{batch_id}/rows/{row_number}/review-actions"): (
        _review_api,
        (401, 403, 403, 200, 200, 403, 403),
    ),
    ("POST", "/api/lookups"): (
        lambda c: c.call("POST", "/api/lookups", json={**c.request, "letter": c.lookup_letter}),
        (401, 200, 403, 403, 403, 403, 403),
    ),
    ("GET", "/api/ledger/verify"): (
        lambda c: c.call("GET", "/api/ledger/verify"),
        (401, 403, 403, 200, 200, 200, 200),
    ),
    ("GET", "/api/accounting"): (
        lambda c: c.call("GET", "/api/accounting", params={"tin": c.tin}),
        (401, 403, 403, 200, 200, 200, 403),
    ),
    # The access log: auditors and admins (an admin by user, batch or date, not by TIN:
    # test_access_log.py); nobody who reads taxpayer data for the work reads who read it.
    ("GET", "/api/access-log"): (
        lambda c: c.call("GET", "/api/access-log", params={"user": "Rev Reviewer"}),
        (401, 403, 403, 403, 403, 200, 200),
    ),
    ("GET", "/audit/accounting"): (
        lambda c: c.call("GET", "/audit/accounting", params={"tin": c.tin}),
        (303, 403, 403, 200, 200, 200, 403),
    ),
    ("GET", "/audit/access"): (
        lambda c: c.call("GET", "/audit/access", params={"batch_id": c.batch_id}),
        (303, 403, 403, 403, 403, 200, 200),
    ),
    ("GET", "/"): (
        lambda c: c.call("GET", "/"),
        (303, 200, 200, 200, 200, 200, 200),
    ),
    # The upload page: requesters only; another agency's requester may not send DHS's letter.
    ("GET", "/batches/new"): (
        lambda c: c.call("GET", "/batches/new"),
        (303, 200, 200, 403, 403, 403, 403),
    ),
    ("POST", "/batches/new"): (
        _upload_page,
        (303, 303, 403, 403, 403, 403, 403),
    ),
    ("GET", "/batches/{batch_id}"): (
        lambda c: c.call("GET", f"/batches/{c.batch_id}"),
        (303, 200, 404, 200, 200, 200, 200),
    ),
    ("GET", "/batches/{batch_id}/rows/{row_number}"): (
        lambda c: c.call("GET", f"/batches/{c.batch_id}/rows/{c.row_number}"),
        (303, 403, 403, 200, 200, 200, 403),
    ),
    ("POST", "/batches/{batch_id}/rows/{row_number}/review"): (
        _review_page,
        (303, 403, 403, 303, 303, 403, 403),
    ),
    # The review queue that decides: reviewers view, release, refuse and note; only a
    # supervisor confirms or rejects a release (and never one of its own).
    ("GET", "/api/review/queue"): (
        lambda c: c.call("GET", "/api/review/queue"),
        (401, 403, 403, 200, 200, 403, 403),
    ),
    ("GET", "/api/review/batches/{batch_id}/rows/{row_number}"): (
        lambda c: c.call("GET", _review_url(c, c.row_number)),
        (401, 403, 403, 200, 200, 403, 403),
    ),
    ("POST", "/api/review/batches/{batch_id}/rows/{row_number}/steps"): (
        _review_step(page=False),
        (401, 403, 403, 200, 200, 403, 403),
    ),
    ("POST", "/api/review/batches/{batch_id}/rows/{row_number}/release/confirm"): (
        _supervise("confirm", page=False),
        (401, 403, 403, 403, 200, 403, 403),
    ),
    ("POST", "/api/review/batches/{batch_id}/rows/{row_number}/release/reject"): (
        _supervise("reject", page=False),
        (401, 403, 403, 403, 200, 403, 403),
    ),
    ("GET", "/review"): (
        lambda c: c.call("GET", "/review"),
        (303, 403, 403, 200, 200, 403, 403),
    ),
    ("GET", "/review/batches/{batch_id}/rows/{row_number}"): (
        lambda c: c.call("GET", _review_url(c, c.row_number, page=True)),
        (303, 403, 403, 200, 200, 403, 403),
    ),
    ("POST", "/review/batches/{batch_id}/rows/{row_number}/steps"): (
        _review_step(page=True),
        (303, 403, 403, 303, 303, 403, 403),
    ),
    ("POST", "/review/batches/{batch_id}/rows/{row_number}/release/confirm"): (
        _supervise("confirm", page=True),
        (303, 403, 403, 403, 303, 403, 403),
    ),
    ("POST", "/review/batches/{batch_id}/rows/{row_number}/release/reject"): (
        _supervise("reject", page=True),
        (303, 403, 403, 403, 303, 403, 403),
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
def matrix_client(served: Served, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Context]:
    """A copy of the served workspace (its users included): the matrix's writes stay there."""
    workspace = tmp_path_factory.mktemp("matrix") / "workspace"
    copy_workspace(served.workspace, workspace)
    app = create_app(ServerSettings(workspace=workspace, master=served.world / "master.parquet"))
    with served.decisions.open(encoding="utf-8", newline="") as stream:
        decisions = list(csv.DictReader(stream))
    flagged = next(r for r in decisions if r["outcome"] == "needs_review")
    disclosed = next(r for r in decisions if r["outcome"] == "disclosed")
    with (served.world / "requests.csv").open(encoding="utf-8", newline="") as stream:
        request = next(csv.DictReader(stream))
    with TestClient(app) as client:
        yield Context(
            client=client,
            world=served.world,
            batch_id=served.batch_id,
            row_number=flagged["row_number"],
            tin=disclosed["tin"],
            request=request,
            headers={},
            reviewer=bearer(served.tokens["reviewer"]),
        )


def test_every_route_has_a_row_in_the_matrix(matrix_client: Context) -> None:
    served_routes = _app_routes(matrix_client.client.app)
    assert served_routes - set(MATRIX) == set(), "routes without an entry in MATRIX"
    assert set(MATRIX) - served_routes == set(), "MATRIX rows for routes the app lacks"


def test_a_route_missing_from_the_matrix_is_caught(matrix_client: Context) -> None:
    app = matrix_client.client.app

    @app.get("/api/new-thing")  # type: ignore[attr-defined,untyped-decorator]
    def _new_thing() -> dict[str, str]:
        return {}

    try:
        assert ("GET", "/api/new-thing") in _app_routes(app) - set(MATRIX)
    finally:
        app.router.routes.pop()  # type: ignore[attr-defined]
    assert ("GET", "/api/new-thing") not in _app_routes(app)


@pytest.mark.parametrize("route", sorted(MATRIX), ids=lambda r: f"{r[0]} {r[1]}")
def test_role_matrix(route: tuple[str, str], matrix_client: Context, served: Served) -> None:
    call, expected = MATRIX[route]
    assert len(expected) == len(CALLERS)
    got = {}
    for caller in CALLERS:
        matrix_client.headers = {} if caller == "anonymous" else bearer(served.tokens[caller])
        response = call(matrix_client)
        got[caller] = response.status_code
        if response.status_code == 303 and caller == "anonymous":
            assert response.headers["location"] == "/sign-in"
        if response.status_code in {401, 403, 404} and route[1].startswith("/api/"):
            assert set(response.json()) == {"error", "message"}
    assert got == dict(zip(CALLERS, expected, strict=True))
