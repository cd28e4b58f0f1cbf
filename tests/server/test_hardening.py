"""What every request passes before a route runs: body size, content type, rate and
lock-out; and what every response carries: security headers, ``{"error","message"}``."""

from __future__ import annotations

import asyncio
import json
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from matchgate.server import ServerSettings, create_app
from matchgate.server.app import limiter_for
from matchgate.server.security_headers import SECURITY_HEADERS

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

TOKEN = "hardening-token-7d1e"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
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
        "reviewer_token": TOKEN,
        "max_upload_bytes": LIMIT,
        "max_body_bytes": LIMIT,
        **overrides,
    }
    return ServerSettings(**values)


def _app(tmp_path: Path, clock: FakeClock | None = None, **overrides: Any) -> FastAPI:
    settings = _settings(tmp_path, **overrides)
    (tmp_path / "ws").mkdir(exist_ok=True)
    app = create_app(settings, limiter=limiter_for(settings, clock=clock or FakeClock()))

    @app.get("/api/bug")
    def bug() -> None:
        raise RuntimeError("secret internals at /srv/matchgate")

    return app


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(_app(tmp_path), raise_server_exceptions=False) as client:
        yield client


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
    status, headers, body, pulled = _asgi(
        _app(tmp_path),
        method="POST",
        path="/api/batches",
        headers=[
            (b"content-type", b"multipart/form-data; boundary=x"),
            (b"content-length", str(400 * 1024 * 1024).encode()),
        ],  # no token either: the size is refused first, nothing is read
        chunks=_never(),
    )
    assert status == 413
    assert pulled == 0
    assert json.loads(body)["error"] == "PayloadTooLargeError"
    assert headers["x-frame-options"] == "DENY"


def test_a_streamed_body_is_cut_off_at_the_limit(tmp_path: Path) -> None:
    def endless() -> Iterator[bytes]:
        preamble = (
            b'--x\r\nContent-Disposition: form-data; name="requests"; filename="r.csv"\r\n\r\n'
        )
        yield preamble
        while True:
            yield b"a" * 1000

    status, _, body, pulled = _asgi(
        _app(tmp_path),
        method="POST",
        path="/api/batches",
        headers=[(b"content-type", b"multipart/form-data; boundary=x"), *_token_header()],
        chunks=endless(),
    )
    assert status == 413
    assert set(json.loads(body)) == {"error", "message"}
    assert LIMIT < pulled <= LIMIT + 1000  # stopped at the first chunk past the limit


def _token_header() -> list[tuple[bytes, bytes]]:
    return [(b"authorization", f"Bearer {TOKEN}".encode())]


def test_a_json_body_over_its_limit_is_413(client: TestClient) -> None:
    body = {"letter_id": "0000000000000000", "last_name": "x" * (LIMIT + 10)}
    response = client.post("/api/lookups", json=body, headers=AUTH)
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
    client: TestClient, path: str, content_type: str, wanted: str
) -> None:
    headers = {**AUTH, "Content-Type": content_type} if content_type else AUTH
    response = client.post(path, content=b"{}", headers=headers)
    assert response.status_code == 415, response.text
    assert wanted in response.text
    assert response.headers["x-content-type-options"] == "nosniff"


def test_the_right_content_type_passes_the_guard(client: TestClient) -> None:
    # Past the guard the route answers: here 404, the letter's batch does not exist.
    body = {"letter_id": "0000000000000000", "first_name": "A", "last_name": "B"}
    response = client.post(
        "/api/lookups", json={**body, "street": "1 A ST", "zip": "1"}, headers=AUTH
    )
    assert response.status_code == 404
    page = client.post(
        "/batches/abc/rows/1/review",
        data={"reviewer_token": TOKEN, "action": "note"},
        follow_redirects=False,
    )
    assert page.status_code != 415


def test_ten_wrong_tokens_lock_the_address_out_for_fifteen_minutes(tmp_path: Path) -> None:
    clock = FakeClock()
    app = _app(tmp_path, clock=clock)
    with TestClient(app) as client:
        wrong = {"Authorization": "Bearer guess"}
        url = "/api/batches/abc/response.csv"
        for _ in range(10):
            assert client.get(url, headers=wrong).status_code == 403
            clock.now += 1
        locked = client.get(url, headers=AUTH)  # the right token too
        assert locked.status_code == 429
        assert locked.json()["error"] == "TooManyRequestsError"
        assert 890 <= int(locked.headers["retry-after"]) <= 900
        # A locked-out client cannot even send an upload: refused before the body.
        upload = client.post("/api/batches", files={"requests": ("r.csv", b"x")}, headers=AUTH)
        assert upload.status_code == 429
        page = client.get("/")
        assert page.status_code == 429 and "text/html" in page.headers["content-type"]
        clock.now += 900
        assert client.get(url, headers=AUTH).status_code == 404  # let through: no such batch


def test_form_token_failures_count_too(tmp_path: Path) -> None:
    app = _app(tmp_path, auth_max_failures=3)
    with TestClient(app) as client:
        for _ in range(3):
            response = client.post("/batches/abc/rows/1/review", data={"reviewer_token": "no"})
            assert response.status_code == 403
        assert client.get("/healthz").status_code == 429


def test_missing_tokens_are_not_failures(tmp_path: Path) -> None:
    app = _app(tmp_path, auth_max_failures=2)
    with TestClient(app) as client:
        for _ in range(5):
            assert client.get("/api/accounting?tin=1").status_code == 401
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
            headers=_token_header(),
            chunks=iter(()),
            client=f"192.0.2.{n + 1}",
        )
        assert status == (200 if n < 5 else 429), n


def test_security_headers_on_every_kind_of_response(client: TestClient) -> None:
    responses = {
        "page": client.get("/"),
        "api": client.get("/api/batches"),
        "schema": client.get("/openapi.json"),
        "404 api": client.get("/api/nothing-here"),
        "404 page": client.get("/nothing-here"),
        "405": client.delete("/api/batches"),
        "422": client.get("/api/batches/-not-an-id-", headers=AUTH),
        "415": client.post("/api/lookups", content=b"x", headers=AUTH),
        "500": client.get("/api/bug"),
    }
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
    client: TestClient, method: str, path: str, status: int, kind: str
) -> None:
    body = {} if method == "POST" else None
    response = client.request(method, path, headers=AUTH, json=body)
    assert response.status_code == status
    assert response.json()["error"] == kind
    assert set(response.json()) == {"error", "message"}
    assert "/srv" not in response.text and "secret internals" not in response.text
    if status == 405:
        assert response.headers["allow"]


def test_a_body_that_cannot_be_parsed_is_422(client: TestClient) -> None:
    # Found by schemathesis: bytes that are not UTF-8 were a bare 400.
    response = client.post(
        "/api/lookups",
        content=b"O\xff\xfe\x0e\x00",
        headers={**AUTH, "Content-Type": "application/json"},
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


def test_the_interactive_docs_are_off(client: TestClient) -> None:
    # They load scripts from a CDN, which the content security policy refuses.
    assert client.get("/docs").status_code == 404
    assert client.get("/redoc").status_code == 404


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
