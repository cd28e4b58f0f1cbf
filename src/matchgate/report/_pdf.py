"""A written page printed to PDF by headless Chromium (playwright), network cut off.

Chromium prints the same self-contained ``index.html`` a person opens, so the PDF shows
exactly the page's tables and charts. Debian's Chromium (``/usr/bin/chromium``) is used,
not a browser playwright would download; without it the error says how to install it.
"""

from __future__ import annotations

import os
from pathlib import Path

from matchgate.errors import InputError

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "chromium_path", "print_pdf"]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
PDF_NAME = "report.pdf"


def chromium_path() -> Path:
    """The Chromium to print with: $MATCHGATE_CHROMIUM, else /usr/bin/chromium."""
    configured = os.environ.get("MATCHGATE_CHROMIUM", "").strip()
    return Path(configured) if configured else CHROMIUM


def print_pdf(page: Path, out: Path | None = None) -> Path:
    """Print ``page`` (an index.html) to ``out`` (default: report.pdf beside it), A4-wide
    Letter paper, backgrounds kept; the page may load nothing but itself."""
    browser_path = chromium_path()
    if not browser_path.is_file():
        raise InputError(
            "--format pdf needs Chromium, which is not installed here (Debian: apt-get install"
            " chromium; or set MATCHGATE_CHROMIUM to a Chromium binary); the HTML, CSV and PNG"
            " files were written",
            path=browser_path,
        )
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # pragma: no cover - playwright is a declared dependency
        raise InputError("--format pdf needs the playwright package") from exc
    target = out or page.parent / PDF_NAME
    outside: list[str] = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(browser_path), args=list(CHROMIUM_ARGS)
            )
            try:
                context = browser.new_context(offline=True)
                tab = context.new_page()
                tab.on(
                    "request",
                    lambda request: (
                        None
                        if request.url.startswith(("file:", "data:"))
                        else outside.append(request.url)
                    ),
                )
                tab.goto(page.resolve().as_uri(), wait_until="load")
                tab.emulate_media(media="print")
                tab.pdf(
                    path=str(target),
                    format="Letter",
                    print_background=True,
                    margin={"top": "12mm", "bottom": "12mm", "left": "10mm", "right": "10mm"},
                )
            finally:
                browser.close()
    except PlaywrightError as exc:
        raise InputError(f"Chromium could not print the page: {exc}", path=page) from exc
    if outside:
        target.unlink(missing_ok=True)
        raise InputError(f"the page asked for {outside[0]}; it must be self-contained", path=page)
    return target
