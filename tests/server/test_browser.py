"""End to end: the real ``matchgate serve`` in a subprocess, driven by headless Chromium.

Needs Debian's Chromium at /usr/bin/chromium (``scripts/install-system-packages.sh``
installs it) and the ``playwright`` Python package; never a browser Playwright downloads.
A missing browser fails the test with the command that installs it: it is never skipped.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from matchgate.ledger import Ledger

from .conftest import Served

pytestmark = pytest.mark.slow  # a real server and headless Chromium

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
INSTALL_CHROMIUM = (
    "sudo apt-get install -y chromium   (or: sudo scripts/install-system-packages.sh)"
)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _serve_command() -> list[str]:
    """``matchgate serve`` once the command is wired into the app; the module until then."""
    from matchgate.cli import app

    if any(command.name == "serve" for command in app.registered_commands):
        return [sys.executable, "-m", "matchgate", "serve"]
    return [sys.executable, "-m", "matchgate.cli.serve_commands", "serve"]


@contextmanager
def serving(world: Path, workspace: Path, log_path: Path) -> Iterator[str]:
    """A real ``matchgate serve`` on a free loopback port over ``workspace`` (its output in
    ``log_path``); yields its base URL once ``/healthz`` answers, stops it afterwards."""
    port = _free_port()
    log = log_path.open("w+", encoding="utf-8")
    command = [
        *_serve_command(),
        "--master",
        str(world / "master.parquet"),
        "--workspace",
        str(workspace),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    env = dict(os.environ)
    env.pop("MATCHGATE_LEDGER_URL", None)
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                pytest.fail(f"matchgate serve did not start:\n{log.read()}")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture
def server(served: Served, tmp_path: Path) -> Iterator[str]:
    with serving(served.world, served.workspace, tmp_path / "server.log") as base:
        yield base


def test_reviewer_records_an_action_in_a_real_browser(
    served: Served, server: str, tmp_path: Path
) -> None:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing; install Debian's Chromium: {INSTALL_CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("the playwright package is missing: pip install 'playwright>=1.44'")

    screenshot = tmp_path / "review-recorded.png"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.set_default_timeout(15_000)
            page.goto(f"{server}/")
            # Nothing but the sign-in page without a session.
            page.wait_for_url(f"{server}/sign-in")
            page.fill("#name", served.name("reviewer"))
            page.fill("#token", served.tokens["reviewer"])
            page.click("#sign-in-form button[type=submit]")
            page.wait_for_url(f"{server}/")
            assert page.title() == "Batches - matchgate"
            assert served.name("reviewer") in page.inner_text("#signed-in")
            cookie = next(c for c in page.context.cookies() if c["name"] == "mg_session")
            assert cookie["httpOnly"] is True and cookie["sameSite"] == "Strict"
            page.click(f"#batches a:text('{served.batch_id}')")
            page.wait_for_url(f"{server}/batches/{served.batch_id}")
            first_row = page.locator("#flagged tbody tr").first
            outcome = first_row.locator("td").nth(2).inner_text()
            assert outcome in {"needs_review", "ambiguous"}
            first_row.locator("a").click()
            page.wait_for_selector("#waterfall")
            assert page.inner_text("#outcome") == outcome
            page.select_option("#action", "confirm_not_disclosed")
            page.fill("#reason", "Two taxpayers at the address share the name; no DOB given.")
            page.click("#review-form button[type=submit]")
            page.wait_for_selector("#recorded")
            assert "confirm_not_disclosed" in page.inner_text("#recorded")
            page.screenshot(path=str(screenshot), full_page=True)
            page.click("#sign-out-form button[type=submit]")
            page.wait_for_url(f"{server}/sign-in")
            page.goto(f"{server}/batches/{served.batch_id}")
            page.wait_for_url(f"{server}/sign-in")  # signed out: the session is gone
        finally:
            browser.close()

    data = screenshot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 1_000
    report = httpx.get(
        f"{server}/api/ledger/verify", headers=served.auth("auditor"), timeout=10
    ).json()
    assert report["ok"] is True
    with Ledger.open(served.workspace, read_only=True) as ledger:
        last = list(ledger.entries())[-1]
    assert last.actor == served.name("reviewer")  # the signed-in user, not form text
