"""Web sign-in: the session cookie's attributes, CSRF on every form, sign-out."""

from __future__ import annotations

import csv
import re
import uuid
import warnings
from pathlib import Path

import httpx
import pytest

from matchgate.server import ServerSettings, create_app

from .conftest import Served

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.slow  # the served fixture runs a whole batch through the server


def _hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert match, name
    return match.group(1)


def _sign_in(client: TestClient, name: str, token: str) -> httpx.Response:
    form = client.get("/sign-in")
    assert form.status_code == 200
    data = {"name": name, "token": token, "csrf_token": _hidden(form.text, "csrf_token")}
    return client.post("/sign-in", data=data, follow_redirects=False)


def _browser(served: Served) -> TestClient:
    return TestClient(served.anonymous.app)


def _set_cookie(response: httpx.Response, name: str) -> str:
    headers = response.headers.get_list("set-cookie")
    return next(header for header in headers if header.startswith(f"{name}="))


def test_sign_in_sets_a_strict_httponly_session_cookie(served: Served) -> None:
    browser = _browser(served)
    assert browser.get("/", follow_redirects=False).headers["location"] == "/sign-in"
    signed_in = _sign_in(browser, served.name("reviewer"), served.tokens["reviewer"])
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/"
    cookie = _set_cookie(signed_in, "mg_session").lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert "secure" not in cookie  # the server listens on loopback (plain http)
    assert served.tokens["reviewer"] not in cookie
    page = browser.get("/")
    assert page.status_code == 200 and served.name("reviewer") in page.text
    # A signed-in browser reads the API; it cannot write through it with the cookie alone.
    assert browser.get("/api/ledger/verify").status_code == 200
    assert browser.post("/api/lookups", json={"letter_batch_id": "x"}).status_code == 401


def test_the_cookie_is_secure_off_loopback(served: Served) -> None:
    settings = ServerSettings(
        workspace=served.workspace, master=served.world / "master.parquet", host="0.0.0.0"
    )
    browser = TestClient(create_app(settings), base_url="https://testserver")
    signed_in = _sign_in(browser, served.name("auditor"), served.tokens["auditor"])
    assert signed_in.status_code == 303
    assert "secure" in _set_cookie(signed_in, "mg_session").lower()


@pytest.mark.parametrize(
    ("name", "token_of"),
    [("Rev Reviewer", "auditor"), ("Nobody Here", "reviewer"), ("Rev Reviewer", None)],
)
def test_a_wrong_name_or_token_signs_nobody_in(
    served: Served, name: str, token_of: str | None
) -> None:
    browser = _browser(served)
    token = served.tokens[token_of] if token_of else "mg_0123456789abcdef_" + "x" * 43
    response = _sign_in(browser, name, token)
    assert response.status_code == 401
    assert "The name or the token is not correct" in response.text
    assert "mg_session" not in browser.cookies
    assert browser.get("/", follow_redirects=False).status_code == 303


def test_the_sign_in_form_needs_its_own_csrf_token(served: Served) -> None:
    browser = _browser(served)
    browser.get("/sign-in")
    data = {"name": served.name("reviewer"), "token": served.tokens["reviewer"]}
    response = browser.post("/sign-in", data={**data, "csrf_token": "forged"})
    assert response.status_code == 403
    assert "mg_session" not in browser.cookies


def _review_form(served: Served, browser: TestClient) -> tuple[str, dict[str, str]]:
    with served.decisions.open(encoding="utf-8", newline="") as stream:
        row = next(r for r in csv.DictReader(stream) if r["outcome"] == "ambiguous")
    url = f"/batches/{served.batch_id}/rows/{row['row_number']}"
    page = browser.get(url).text
    data = {
        "action": "note",
        "reason": "CSRF test.",
        "form_key": uuid.uuid4().hex,
        "csrf_token": _hidden(page, "csrf_token"),
    }
    return f"{url}/review", data


@pytest.mark.parametrize("csrf", ["", "not-this-sessions"])
def test_a_form_without_the_sessions_csrf_token_is_refused(served: Served, csrf: str) -> None:
    browser = _browser(served)
    _sign_in(browser, served.name("reviewer"), served.tokens["reviewer"])
    url, data = _review_form(served, browser)
    before = served.client.get("/api/ledger/verify").json()["last_sequence"]
    refused = browser.post(url, data={**data, "csrf_token": csrf}, follow_redirects=False)
    assert refused.status_code == 403
    assert "CSRF" in refused.text
    assert served.client.get("/api/ledger/verify").json()["last_sequence"] == before
    accepted = browser.post(url, data=data, follow_redirects=False)
    assert accepted.status_code == 303
    assert served.client.get("/api/ledger/verify").json()["last_sequence"] == before + 1


def test_sign_out_ends_the_session(served: Served, tmp_path: Path) -> None:
    browser = _browser(served)
    _sign_in(browser, served.name("supervisor"), served.tokens["supervisor"])
    page = browser.get("/").text
    cookie = browser.cookies["mg_session"]
    assert browser.post("/sign-out", data={}, follow_redirects=False).status_code == 403
    signed_out = browser.post(
        "/sign-out", data={"csrf_token": _hidden(page, "csrf_token")}, follow_redirects=False
    )
    assert signed_out.status_code == 303 and signed_out.headers["location"] == "/sign-in"
    assert "mg_session" not in browser.cookies
    # The old cookie, replayed, opens nothing: the session ended in the store.
    replay = TestClient(served.anonymous.app, cookies={"mg_session": cookie})
    assert replay.get("/", follow_redirects=False).headers["location"] == "/sign-in"
    assert replay.get("/api/batches").status_code == 401
