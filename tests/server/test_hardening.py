"""What every request passes before a route runs: a credential for a POST, body size,
content type, rate and lock-out (refused API tokens and sign-ins, per address and per token
id); and what every response carries: security headers, ``{"error","message"}``."""

from __future__ import annotations

import asyncio
import json
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from matchgate.accounts import parse_token
from matchgate.server import ServerSettings, create_app
from matchgate.server.app import limiter_for
from matchgate.server.security_headers import SECURITY_HEADERS
from matchgate.server.sessions import SIGN_IN_COOKIE

from .conftest import USERS, add_users, bearer

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

LIMIT = 4096  # bytes, for uploads and other bodies alike in these tests


class FakeClock:
    def __init__(self) -> None:
        self.now = 50_000.0

    def __call__(self) -> float:
        return self.now


def _settings(tmp_path: Path, **overrides: Any) -> ServerSettings:
    values: dict[str, Any] = {
        "workspace": tmp_path / "ws",
        "master": tmp_path / "master.parquet",
        "max_upload_bytes": LIMIT,
        "max_body_bytes": LIMIT,
        **overrides,
    }
    return ServerSettings(**values)


def _app(tmp_path: Path, clock: FakeClock | None = None, **overrides: Any) -> FastAPI:
    """An app over an empty workspace with the users of conftest's USERS (their tokens in
    ``app.state.test_tokens``)."""
    settings = _settings(tmp_path, **overrides)
    (tmp_path / "ws").mkdir(exist_ok=True)
    tokens = add_users(tmp_path / "ws")
    app = create_app(settings, limiter=limiter_for(settings, clock=clock or FakeClock()))
    app.state.test_tokens = tokens

    @app.get("/api/bug")
    def bug() -> None:
        raise RuntimeError("secret internals at /srv/matchgate")

    return app


def _token(app: FastAPI, key: str = "requester") -> str:
    return str(app.state.test_tokens[key])


def _auth(app: FastAPI, key: str = "requester") -> dict[str, str]:
    return bearer(_token(app, key))


@pytest.fixture
def app(tmp_path: Path) -> FastAPI:
    return _app(tmp_path)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def auth(app: FastAPI) -> dict[str, str]:
    """A requester's credential (the role that submits batches and look-ups)."""
    return _auth(app)


def _asgi(
    app: FastAPI,
    *,
    method: str,
    path: str,
    headers: list[tuple[bytes, bytes]],
    chunks: Any,
    client: str = "192.0.2.10",
) -> tuple[int, dict[str, str], bytes, int]:
    """One raw ASGI request; returns status, headers, body and how many body bytes the
    server pulled from the client."""
    pulled = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        chunk = next(chunks, None)
        if chunk is None:
            return {"type": "http.request", "body": b"", "more_body": False}
        pulled += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": (client, 5000),
        "server": ("127.0.0.1", 8000),
    }

    async def run() -> None:
        async with app.router.lifespan_context(app):
            await app(scope, receive, send)

    asyncio.run(run())
    [start] = [m for m in sent if m["type"] == "http.response.start"]
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    names = {k.decode().lower(): v.decode() for k, v in start["headers"]}
    return start["status"], names, body, pulled


def _never() -> Iterator[bytes]:
    raise AssertionError("the body was read")
    yield b""  # pragma: no cover


def test_a_declared_length_over_the_limit_is_refused_before_the_body_is_read(
    tmp_path: Path,
) -> None:
    app = _app(tmp_path)
    status, headers, body, pulled = _asgi(
        app,
        method="POST",
        path="/api/batches",
        headers=[
            (b"content-type", b"multipart/form-data; boundary=x"),
            (b"content-length", str(400 * 1024 * 1024).encode()),
            *_token_header(app),
        ],
        chunks=_never(),
    )
    assert status == 413
    assert pulled == 0
    assert json.loads(body)["error"] == "PayloadTooLargeError"
    assert headers["x-frame-options"] == "DENY"


def test_a_post_without_any_credential_is_refused_before_the_body_is_read(
    tmp_path: Path,
) -> None:
    app = _app(tmp_path)
    multipart = [
        (b"content-type", b"multipart/form-data; boundary=x"),
        (b"content-length", b"1000"),  # under the limit: the guard alone stops it
    ]
    status, headers, body, pulled = _asgi(
        app, method="POST", path="/api/batches", headers=multipart, chunks=_never()
    )
    assert (status, pulled) == (401, 0)
    assert json.loads(body)["error"] == "NotSignedInError"
    assert headers["www-authenticate"] == "Bearer"
    assert headers["cache-control"] == "no-store"
    json_body = [(b"content-type", b"application/json"), (b"content-length", b"2")]
    for path in ("/api/lookups", "/api/batches/abc/rows/1/review-actions"):
        status, _, _, pulled = _asgi(
            app, method="POST", path=path, headers=json_body, chunks=_never()
        )
        assert (status, pulled) == (401, 0), path
    # A page's form goes to the sign-in page, as its route would send it, unread too.
    form = [(b"content-type", b"application/x-www-form-urlencoded"), (b"content-length", b"9")]
    for path in ("/batches/abc/rows/1/review", "/sign-out"):
        status, headers, _, pulled = _asgi(
            app, method="POST", path=path, headers=form, chunks=_never()
        )
        assert (status, pulled, headers["location"]) == (303, 0, "/sign-in"), path
    # A cookie that is no session is a credential to check (the route does: 401), and so
    # is any Authorization header; only the sign-in form is posted with none.
    status, _, _, pulled = _asgi(
        app,
        method="POST",
        path="/api/lookups",
        headers=[*json_body, (b"cookie", b"other=1; mg_session=stale")],
        chunks=iter([b"{}"]),
    )
    assert (status, pulled) == (401, 2)
    status, _, _, pulled = _asgi(
        app, method="POST", path="/sign-in", headers=form, chunks=iter([b"name=x&to"])
    )
    assert status == 403 and pulled == 9  # read: no sign-in cookie, a cross-site post


def test_a_streamed_body_is_cut_off_at_the_limit(tmp_path: Path) -> None:
    def endless() -> Iterator[bytes]:
        preamble = (
            b'--x\r\nContent-Disposition: form-data; name="requests"; filename="r.csv"\r\n\r\n'
        )
        yield preamble
        while True:
            yield b"a" * 1000

    app = _app(tmp_path)
    status, _, body, pulled = _asgi(
        app,
        method="POST",
        path="/api/batches",
        headers=[(b"content-type", b"multipart/form-data; boundary=x"), *_token_header(app)],
        chunks=endless(),
    )
    assert status == 413
    assert set(json.loads(body)) == {"error", "message"}
    assert LIMIT < pulled <= LIMIT + 1000  # stopped at the first chunk past the limit


def _token_header(app: FastAPI, key: str = "requester") -> list[tuple[bytes, bytes]]:
    return [(b"authorization", f"Bearer {_token(app, key)}".encode())]


def test_a_json_body_over_its_limit_is_413(client: TestClient, auth: dict[str, str]) -> None:
    body = {"letter_id": "0000000000000000", "last_name": "x" * (LIMIT + 10)}
    response = client.post("/api/lookups", json=body, headers=auth)
    assert response.status_code == 413
    assert response.json()["error"] == "PayloadTooLargeError"


@pytest.mark.parametrize(
    ("path", "content_type", "wanted"),
    [
        ("/api/batches", "application/json", "multipart/form-data"),
        ("/api/batches", "application/x-www-form-urlencoded", "multipart/form-data"),
        ("/api/lookups", "text/plain", "application/json"),
        ("/api/lookups", "multipart/form-data; boundary=x", "application/json"),
        ("/api/lookups", "", "application/json"),
        ("/api/batches/abc/rows/1/review-actions", "application/xml", "application/json"),
        ("/batches/abc/rows/1/review", "application/json", "application/x-www-form-urlencoded"),
    ],
)
def test_every_post_takes_only_its_content_type(
    client: TestClient, auth: dict[str, str], path: str, content_type: str, wanted: str
) -> None:
    headers = {**auth, "Content-Type": content_type} if content_type else auth
    response = client.post(path, content=b"{}", headers=headers)
    assert response.status_code == 415, response.text
    assert wanted in response.text
    assert response.headers["x-content-type-options"] == "nosniff"


def test_an_empty_post_has_no_wrong_content_type(app: FastAPI, client: TestClient) -> None:
    # No body, no content type: the route answers (sign-out's form fields all have defaults).
    sign_out = client.post("/sign-out", headers=_auth(app), follow_redirects=False)
    assert sign_out.status_code == 303
    # An empty look-up lacks its fields (422), not a content type; a body does need one.
    assert client.post("/api/lookups", headers=_auth(app)).status_code == 422
    typeless = client.post("/api/lookups", content=b"{}", headers=_auth(app))
    assert typeless.status_code == 415
    chunked = {**_auth(app), "Transfer-Encoding": "chunked"}
    assert client.post("/sign-out", content=iter([b"x=1"]), headers=chunked).status_code == 415


def test_the_right_content_type_passes_the_guard(app: FastAPI, client: TestClient) -> None:
    # Past the guard the route answers: here 404, the letter's batch does not exist.
    body = {"letter_id": "0000000000000000", "first_name": "A", "last_name": "B"}
    response = client.post(
        "/api/lookups", json={**body, "street": "1 A ST", "zip": "1"}, headers=_auth(app)
    )
    assert response.status_code == 404
    page = client.post(
        "/batches/abc/rows/1/review",
        data={"action": "note"},
        headers=_auth(app, "reviewer"),
        follow_redirects=False,
    )
    assert page.status_code == 404  # the route ran: there is no batch abc


def _wrong_secret(token: str) -> str:
    """The same token id with a secret that is not its own."""
    parsed = parse_token(token)
    assert parsed is not None
    return f"mg_{parsed[0]}_{'w' * 43}"


def test_ten_wrong_tokens_lock_the_address_out_for_fifteen_minutes(tmp_path: Path) -> None:
    clock = FakeClock()
    app = _app(tmp_path, clock=clock)
    right = _auth(app)
    with TestClient(app) as client:
        url = "/api/batches/abc/response.csv"
        # Malformed, unknown and wrong-secret tokens all count (each a 401, none locked yet).
        wrong = ["guess", f"mg_{'0' * 16}_{'x' * 30}"] + [
            _wrong_secret(_token(app, key)) for key in USERS
        ]
        for n in range(10):
            response = client.get(url, headers=bearer(wrong[n % len(wrong)]))
            assert response.status_code == 401, n
            assert response.json()["error"] == "NotSignedInError"
            clock.now += 1
        locked = client.get(url, headers=right)  # the right token too
        assert locked.status_code == 429
        assert locked.json()["error"] == "TooManyRequestsError"
        assert 890 <= int(locked.headers["retry-after"]) <= 900
        # A locked-out client cannot even send an upload: refused before the body.
        upload = client.post("/api/batches", files={"requests": ("r.csv", b"x")}, headers=right)
        assert upload.status_code == 429
        page = client.get("/", headers=right)
        assert page.status_code == 429 and "text/html" in page.headers["content-type"]
        assert "retry-after" in page.headers
        clock.now += 900
        assert client.get(url, headers=right).status_code == 404  # let through: no such batch


def test_wrong_secrets_for_one_token_id_lock_that_token_from_every_address(
    tmp_path: Path,
) -> None:
    clock = FakeClock()
    app = _app(tmp_path, clock=clock, auth_max_failures=3)
    token = _token(app, "supervisor")
    for n in range(3):  # three addresses, one guess each: no address reaches its limit
        status, _, _, _ = _asgi(
            app,
            method="GET",
            path="/api/batches",
            headers=[(b"authorization", f"Bearer {_wrong_secret(token)}".encode())],
            chunks=iter(()),
            client=f"198.51.100.{n + 1}",
        )
        assert status == 401, n
    # The token's id is locked: the right secret from a fresh address is refused too, ...
    status, headers, body, _ = _asgi(
        app,
        method="GET",
        path="/api/batches",
        headers=[(b"authorization", f"Bearer {token}".encode())],
        chunks=iter(()),
        client="198.51.100.99",
    )
    assert status == 429 and int(headers["retry-after"]) > 0
    assert json.loads(body)["error"] == "TooManyRequestsError"
    # ... while another user's token from that address goes through, and the secret is
    # nowhere in the limiter's keys.
    status, _, _, _ = _asgi(
        app,
        method="GET",
        path="/api/batches",
        headers=_token_header(app, "auditor"),
        chunks=iter(()),
        client="198.51.100.99",
    )
    assert status == 200
    keys = " ".join(app.state.limiter._keys)
    parsed = parse_token(token)
    assert parsed is not None and parsed[0] in keys and parsed[1] not in keys


def _sign_in(client: TestClient, name: str, token: str) -> Any:
    client.get("/sign-in")
    csrf = client.cookies.get(SIGN_IN_COOKIE)
    return client.post(
        "/sign-in",
        data={"name": name, "token": token, "csrf_token": csrf},
        follow_redirects=False,
    )


def test_refused_sign_ins_count_too(tmp_path: Path) -> None:
    app = _app(tmp_path, auth_max_failures=3)
    name = USERS["reviewer"][0]
    token = _token(app, "reviewer")
    with TestClient(app) as client:
        # The right token under another's name, a wrong secret, a malformed token.
        for wrong_name, wrong_token in (
            (USERS["auditor"][0], token),
            (name, _wrong_secret(token)),
            (name, "guess"),
        ):
            assert _sign_in(client, wrong_name, wrong_token).status_code == 401
        assert client.get("/healthz").status_code == 429
        refused = _sign_in_direct(client, name, token)
        assert refused.status_code == 429 and "retry-after" in refused.headers


def _sign_in_direct(client: TestClient, name: str, token: str) -> Any:
    """A sign-in post without first asking for the form (which a locked address cannot)."""
    return client.post(
        "/sign-in", data={"name": name, "token": token, "csrf_token": "x"}, follow_redirects=False
    )


def test_a_locked_out_token_id_cannot_sign_in(tmp_path: Path) -> None:
    app = _app(tmp_path, auth_max_failures=2)
    name = USERS["reviewer"][0]
    token = _token(app, "reviewer")
    for n in range(2):
        _asgi(
            app,
            method="GET",
            path="/api/batches",
            headers=[(b"authorization", f"Bearer {_wrong_secret(token)}".encode())],
            chunks=iter(()),
            client=f"203.0.113.{n + 1}",
        )
    with TestClient(app) as client:  # another address (the test client's)
        response = _sign_in(client, name, token)
        assert response.status_code == 429
        assert "text/html" in response.headers["content-type"]
        assert "retry-after" in response.headers
        assert _sign_in(client, USERS["auditor"][0], _token(app, "auditor")).status_code == 303


def test_missing_credentials_and_ended_sessions_are_not_failures(tmp_path: Path) -> None:
    app = _app(tmp_path, auth_max_failures=2)
    with TestClient(app) as client:
        for _ in range(5):
            assert client.get("/api/accounting?tin=1").status_code == 401
        client.cookies.set("mg_session", "ended-long-ago")
        for _ in range(5):  # a browser whose session ended is sent to sign in, not locked
            assert client.get("/", follow_redirects=False).status_code == 303
        assert client.get("/healthz").status_code == 200


def test_rate_limit_per_address_and_per_token(tmp_path: Path) -> None:
    clock = FakeClock()
    app = _app(tmp_path, clock=clock, rate_limit_requests=5, rate_limit_window_seconds=60)
    with TestClient(app) as client:
        for _ in range(5):
            assert client.get("/healthz").status_code == 200
        refused = client.get("/healthz")
        assert refused.status_code == 429
        assert refused.headers["retry-after"] == "60"
        assert set(refused.json()) == {"error", "message"}
        clock.now += 60
        assert client.get("/healthz").status_code == 200
    # One token from many addresses is limited as one token.
    for n in range(6):
        status, _, _, _ = _asgi(
            app,
            method="GET",
            path="/healthz",
            headers=_token_header(app),
            chunks=iter(()),
            client=f"192.0.2.{n + 1}",
        )
        assert status == (200 if n < 5 else 429), n


def test_security_headers_on_every_kind_of_response(
    client: TestClient, auth: dict[str, str]
) -> None:
    responses = {
        "page": client.get("/", headers=auth),
        "api": client.get("/api/batches", headers=auth),
        "schema": client.get("/openapi.json", headers=auth),
        "sign-in page": client.get("/sign-in"),
        "sign-in refused": client.post("/sign-in", data={"name": "x"}),
        "to sign-in": client.get("/", follow_redirects=False),
        "401": client.get("/api/batches"),
        "401 before the body": client.post("/api/lookups", json={}),
        "404 api": client.get("/api/nothing-here"),
        "404 page": client.get("/nothing-here"),
        "405": client.delete("/api/batches"),
        "422": client.get("/api/batches/-not-an-id-", headers=auth),
        "415": client.post("/api/lookups", content=b"x", headers=auth),
        "500": client.get("/api/bug"),
    }
    assert [r.status_code for r in responses.values()] == [
        *(200, 200, 200, 200, 403, 303, 401, 401, 404, 404, 405, 422, 415, 500)
    ]
    for name, response in responses.items():
        for header, value in SECURITY_HEADERS.items():
            assert response.headers.get(header) == value, (name, header)
    csp = SECURITY_HEADERS["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert (
        "script-src 'self'" in csp
        and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    )


def test_the_templates_need_no_script(client: TestClient) -> None:
    templates = Path(__file__).parents[2] / "src" / "matchgate" / "server" / "templates"
    for template in templates.glob("*.html"):
        text = template.read_text(encoding="utf-8").lower()
        assert "<script" not in text and "onclick" not in text and "javascript:" not in text


@pytest.mark.parametrize(
    ("method", "path", "status", "kind"),
    [
        ("GET", "/api/nothing-here", 404, "NotFoundError"),
        ("DELETE", "/api/batches", 405, "MethodNotAllowedError"),
        ("PUT", "/api/lookups", 405, "MethodNotAllowedError"),
        ("GET", "/api/batches/-not-an-id-", 422, "InputError"),
        ("GET", "/api/batches/..%2Fetc", 404, "NotFoundError"),
        ("GET", "/api/ledger/verify", 409, "NoLedgerYetError"),  # no batch recorded yet
        ("POST", "/api/batches/abc/rows/0/review-actions", 422, "InputError"),
        ("GET", "/api/bug", 500, "InternalError"),
    ],
)
def test_every_error_is_error_and_message(
    app: FastAPI, client: TestClient, method: str, path: str, status: int, kind: str
) -> None:
    body = {} if method == "POST" else None
    response = client.request(method, path, headers=_auth(app, "supervisor"), json=body)
    assert response.status_code == status
    assert response.json()["error"] == kind
    assert set(response.json()) == {"error", "message"}
    assert "/srv" not in response.text and "secret internals" not in response.text
    if status == 405:
        assert response.headers["allow"]


def test_a_body_that_cannot_be_parsed_is_422(client: TestClient, auth: dict[str, str]) -> None:
    # Found by schemathesis: bytes that are not UTF-8 were a bare 400.
    response = client.post(
        "/api/lookups",
        content=b"O\xff\xfe\x0e\x00",
        headers={**auth, "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json() == {
        "error": "InputError",
        "message": "body: cannot be parsed as the content type it declares",
    }


def test_a_missing_page_is_the_error_page(client: TestClient) -> None:
    response = client.get("/nothing-here")
    assert response.status_code == 404
    assert "text/html" in response.headers["content-type"]
    assert "NotFoundError" in response.text


def test_the_interactive_docs_are_off(client: TestClient, auth: dict[str, str]) -> None:
    # They load scripts from a CDN, which the content security policy refuses.
    assert client.get("/docs", headers=auth).status_code == 404
    assert client.get("/redoc", headers=auth).status_code == 404


def test_settings_refuse_limits_that_make_no_sense(tmp_path: Path) -> None:
    from pydantic import ValidationError

    for bad in (
        {"max_upload_bytes": 0},
        {"max_body_bytes": -1},
        {"rate_limit_requests": -1},
        {"auth_lockout_seconds": 0},
    ):
        with pytest.raises(ValidationError):
            _settings(tmp_path, **bad)


def test_settings_read_limits_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MATCHGATE_MAX_UPLOAD_BYTES", "12345")
    monkeypatch.setenv("MATCHGATE_AUTH_MAX_FAILURES", "4")
    settings = ServerSettings(workspace=tmp_path, master=tmp_path / "m.parquet")
    assert settings.max_upload_bytes == 12345
    assert settings.auth_max_failures == 4
    assert limiter_for(settings).rules.max_failures == 4
