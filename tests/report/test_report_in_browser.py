"""The report's and the assessment's pages opened in headless Chromium, with the network cut
off: they must show their tables and every chart from the page alone; ``--format pdf``
prints them. Needs Debian's Chromium at /usr/bin/chromium
(``scripts/install-system-packages.sh``); a missing browser fails the test, never skips it."""

from __future__ import annotations

import csv
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from matchgate.report import LedgerSource, write_report

from .conftest import Assessed, Office
from .pdf_text import page_count, pdf_text_contains, text_runs
from .test_yearly_report import cli

if TYPE_CHECKING:
    from playwright.sync_api import Page

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


def _screenshot(page_path: Path, shot: Path, check: Callable[[Page], None]) -> list[str]:
    """Open ``page_path`` offline in Chromium, run ``check``, screenshot the whole page;
    the URLs the page asked for beyond itself."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: sudo apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    requested: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900}, offline=True)
            page = context.new_page()
            page.on("request", lambda request: requested.append(request.url))
            page.goto(page_path.as_uri())
            check(page)
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10_000
    return [url for url in requested if not url.startswith(("file:", "data:"))]


def test_the_assessment_page_renders_offline_with_every_chart(
    assessed: Assessed, tmp_path: Path
) -> None:
    def check(page: Page) -> None:
        assert page.title() == "Accuracy assessment of the deployed matching model"
        images = page.locator("figure img")
        assert images.count() == 4
        for index in range(images.count()):
            assert images.nth(index).evaluate("img => img.naturalWidth") > 300
        disclosures = next(
            row for row in _csv(assessed.out / "accuracy.csv") if row[0] == "disclosures"
        )[1]
        cells = page.locator("table#accuracy tbody tr").all_inner_texts()
        assert any(line.split("\t")[:2] == ["disclosures", disclosures] for line in cells)
        assert page.locator("#s-limits").is_visible()

    shot = tmp_path / "assessment.png"
    assert _screenshot(assessed.out / "index.html", shot, check) == []
    keep = os.environ.get("MATCHGATE_ASSESS_SCREENSHOT")
    if keep:
        Path(keep).write_bytes(shot.read_bytes())


def _csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as stream:
        return list(csv.reader(stream))


def test_report_oversight_format_pdf_prints_the_page(office: Office, tmp_path: Path) -> None:
    out = tmp_path / "rep"
    code, output = cli(
        "report", "oversight", "--year", office.year, "--workspace", office.workspace,
        "--out", out, "--format", "pdf",
    )  # fmt: skip
    assert code == 0, output
    pdf = out / "report.pdf"
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    assert page_count(pdf) >= 2
    agencies = _csv(out / "agencies.csv")
    header, first = agencies[0], agencies[1]
    # a known table figure, as drawn on the page: the agency and its request rows
    assert pdf_text_contains(pdf, first[0])
    rows_cell = first[header.index("request_rows")]
    assert any(
        first[0].replace(" ", "") in run.replace(" ", "") and rows_cell in run
        for run in text_runs(pdf)
    )
    assert pdf_text_contains(pdf, f"Disclosures under 26 U.S.C. 6103(i)(2) in {office.year}")
    assert not pdf_text_contains(pdf, "this sentence is on no page of the report")
    # the report still verifies: the PDF is an extra file, not a changed one
    code, output = cli("report", "verify", out, "--workspace", office.workspace)
    assert code == 0, output


def test_assess_format_pdf_prints_the_page(assessed: Assessed, tmp_path: Path) -> None:
    from matchgate.report import print_pdf

    copy = tmp_path / "assessment"
    copy.mkdir()
    (copy / "index.html").write_bytes((assessed.out / "index.html").read_bytes())
    pdf = print_pdf(copy / "index.html")
    assert pdf == copy / "report.pdf" and pdf.read_bytes().startswith(b"%PDF-")
    assert page_count(pdf) >= 2
    assert pdf_text_contains(pdf, "What this assessment cannot show")
    wrong = next(r for r in _csv(assessed.out / "accuracy.csv") if r[0] == "precision")[1]
    assert pdf_text_contains(pdf, wrong)
