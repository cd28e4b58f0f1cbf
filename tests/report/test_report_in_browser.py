"""The report's page opened in headless Chromium, with the network cut off: it must show its
tables and every chart from the page alone. Needs Debian's Chromium at /usr/bin/chromium
(``scripts/install-system-packages.sh``); a missing browser fails the test, never skips it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from matchgate.report import LedgerSource, write_report

from .conftest import Office

pytestmark = pytest.mark.slow  # headless Chromium

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def test_the_report_page_renders_offline_with_every_chart(office: Office, tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: sudo apt-get install -y chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("the playwright package is missing: pip install 'playwright>=1.44'")
    out = tmp_path / "rep"
    write_report(LedgerSource(workspace=office.workspace), year=office.year, out=out)
    screenshot = tmp_path / "report.png"
    requested: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900}, offline=True)
            page = context.new_page()
            page.on("request", lambda request: requested.append(request.url))
            page.goto((out / "index.html").as_uri())
            assert page.title() == f"Disclosures under 26 U.S.C. 6103(i)(2) in {office.year}"
            images = page.locator("figure img")
            assert images.count() == 5
            for index in range(images.count()):
                # naturalWidth is 0 for an image that did not load.
                assert images.nth(index).evaluate("img => img.naturalWidth") > 300
            assert page.locator("table#agencies tbody tr").count() >= 1
            assert "Department" in page.inner_text("table#agencies")
            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    # The page asked for nothing but itself (the charts are data: URIs).
    assert [url for url in requested if not url.startswith(("file:", "data:"))] == []
    data = screenshot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10_000
    keep = os.environ.get("MATCHGATE_REPORT_SCREENSHOT")  # to look at the page yourself
    if keep:
        Path(keep).write_bytes(data)
