"""``/batches/new``: a requester uploads a batch from the browser (a session, its CSRF
token, multipart), through the same code as ``POST /api/batches``."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from matchgate.server import ServerSettings, create_app
from matchgate.server.batch_jobs import JobRunner
from workspace_copy import copy_workspace

from .conftest import Served

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.slow  # the served fixture runs a whole batch through the server


def _hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert match, name
    return match.group(1)


def _signed_in(app: object, served: Served, key: str) -> TestClient:
    browser = TestClient(app)  # type: ignore[arg-type]
    form = browser.get("/sign-in")
    data = {
        "name": served.name(key),
        "token": served.tokens[key],
        "csrf_token": _hidden(form.text, "csrf_token"),
    }
    signed_in = browser.post("/sign-in", data=data, follow_redirects=False)
    assert signed_in.status_code == 303, signed_in.text
    return browser


def _files(world: Path, *, without: str = "") -> dict[str, tuple[str, bytes, str]]:
    files = {
        "requests": ("requests.csv", (world / "requests.csv").read_bytes(), "text/csv"),
        "letter": ("letter.toml", (world / "letter.toml").read_bytes(), "application/toml"),
    }
    if without:
        # What a browser sends for a file input left empty: a part with no file name.
        files[without] = ("", b"", "application/octet-stream")
    return files


@pytest.fixture(scope="module")
def office(served: Served, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A copy of the served workspace: the uploads here stay out of the shared one."""
    workspace = tmp_path_factory.mktemp("upload-page") / "workspace"
    copy_workspace(served.workspace, workspace)
    yield workspace


def _app(served: Served, workspace: Path, **limits: int) -> object:
    settings = ServerSettings(
        workspace=workspace,
        master=served.world / "master.parquet",
        rate_limit_requests=0,
        **limits,  # type: ignore[arg-type]
    )
    return create_app(settings)


def _batches(workspace: Path) -> set[str]:
    folder = workspace / "batches"
    return {p.name for p in folder.iterdir()} if folder.is_dir() else set()


def test_a_requester_uploads_a_batch_and_lands_on_its_page(served: Served, office: Path) -> None:
    browser = _signed_in(_app(served, office), served, "requester")
    index = browser.get("/")
    assert 'href="/batches/new"' in index.text
    form = browser.get("/batches/new")
    assert form.status_code == 200
    assert 'enctype="multipart/form-data"' in form.text
    csrf = _hidden(form.text, "csrf_token")
    answer = browser.post(
        "/batches/new",
        data={"csrf_token": csrf},
        files=_files(served.world),
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    # The same files as the served batch: the recorded batch, as the API answers it.
    assert answer.headers["location"] == f"/batches/{served.batch_id}"
    JobRunner.wait(served.batch_id, 600)
    page = browser.get(answer.headers["location"])
    assert page.status_code == 200
    assert "finished" in page.text and "200 rows" in page.text


@pytest.mark.parametrize("csrf", ["", "forged"])
def test_an_upload_without_the_sessions_csrf_token_is_refused(
    served: Served, office: Path, csrf: str
) -> None:
    browser = _signed_in(_app(served, office), served, "requester")
    before = _batches(office)
    data = {"csrf_token": csrf} if csrf else {}
    refused = browser.post(
        "/batches/new", data=data, files=_files(served.world), follow_redirects=False
    )
    assert refused.status_code == 403
    assert "CSRF token" in refused.text
    assert _batches(office) == before


@pytest.mark.parametrize("missing", ["requests", "letter"])
def test_a_missing_file_shows_the_form_again_naming_the_field(
    served: Served, office: Path, missing: str
) -> None:
    browser = _signed_in(_app(served, office), served, "requester")
    csrf = _hidden(browser.get("/batches/new").text, "csrf_token")
    before = _batches(office)
    answer = browser.post(
        "/batches/new",
        data={"csrf_token": csrf},
        files=_files(served.world, without=missing),
        follow_redirects=False,
    )
    assert answer.status_code == 422
    assert 'id="upload-problem"' in answer.text
    assert f"field &#39;{missing}&#39;" in answer.text
    assert 'id="upload-form"' in answer.text  # the form again, to send the file
    assert _batches(office) == before


@pytest.mark.parametrize("key", ["reviewer", "supervisor", "auditor", "admin"])
def test_only_a_requester_has_the_upload_page(served: Served, office: Path, key: str) -> None:
    browser = _signed_in(_app(served, office), served, key)
    assert 'href="/batches/new"' not in browser.get("/").text
    shown = browser.get("/batches/new")
    assert shown.status_code == 403
    csrf = _hidden(browser.get("/").text, "csrf_token")
    before = _batches(office)
    refused = browser.post(
        "/batches/new",
        data={"csrf_token": csrf},
        files=_files(served.world),
        follow_redirects=False,
    )
    assert refused.status_code == 403
    assert "submit batches" in refused.text
    assert _batches(office) == before


def test_another_agencys_requester_cannot_upload_this_letter(served: Served, office: Path) -> None:
    browser = _signed_in(_app(served, office), served, "other_requester")
    csrf = _hidden(browser.get("/batches/new").text, "csrf_token")
    refused = browser.post(
        "/batches/new",
        data={"csrf_token": csrf},
        files=_files(served.world),
        follow_redirects=False,
    )
    assert refused.status_code == 403
    assert "DHS" in refused.text


def test_an_upload_above_the_limit_is_413(served: Served, office: Path) -> None:
    browser = _signed_in(_app(served, office, max_upload_bytes=4_096), served, "requester")
    csrf = _hidden(browser.get("/batches/new").text, "csrf_token")
    before = _batches(office)
    refused = browser.post(
        "/batches/new",
        data={"csrf_token": csrf},
        files=_files(served.world),
        follow_redirects=False,
    )
    assert refused.status_code == 413
    assert "4096 bytes" in refused.text
    assert _batches(office) == before


def test_an_upload_that_is_not_multipart_is_415(served: Served, office: Path) -> None:
    browser = _signed_in(_app(served, office), served, "requester")
    refused = browser.post(
        "/batches/new",
        content=b'{"requests": "x"}',
        headers={"Content-Type": "application/json"},
        follow_redirects=False,
    )
    assert refused.status_code == 415


def test_the_upload_form_names_no_actor(served: Served, office: Path) -> None:
    browser = _signed_in(_app(served, office), served, "requester")
    csrf = _hidden(browser.get("/batches/new").text, "csrf_token")
    refused = browser.post(
        "/batches/new",
        data={"csrf_token": csrf, "submitted_by": "Someone Else"},
        files=_files(served.world),
        follow_redirects=False,
    )
    assert refused.status_code == 422
    assert "submitted_by" in refused.text


def test_signed_out_the_upload_page_sends_to_sign_in(served: Served, office: Path) -> None:
    browser = TestClient(_app(served, office))  # type: ignore[arg-type]
    answer = browser.get("/batches/new", follow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (303, "/sign-in")
    posted = browser.post("/batches/new", files=_files(served.world), follow_redirects=False)
    assert (posted.status_code, posted.headers["location"]) == (303, "/sign-in")
    assert isinstance(posted, httpx.Response)
