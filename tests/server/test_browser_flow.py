"""The service end to end in headless Chromium, against a real ``matchgate serve``.

A requester signs in, uploads a batch from the upload page and watches its progress; a
reviewer releases a grey-zone row with a written reason; a supervisor (another person)
confirms it and refuses whatever else waits, so the response is final; the requester
downloads the response (the released row disclosed in it); an auditor finds the disclosure
in the accounting and the reviewer's read of that row in the access log.

A small world of its own (seed 2: two rows wait for review, one of them in the grey zone),
so every step goes through the pages in well under a minute and a half. Each page the
test passes through is saved as a screenshot in ``tmp_path/screenshots`` and, when
``MATCHGATE_SCREENSHOTS`` names a folder, there too. The same rules for Chromium as
:mod:`tests.server.test_browser`: a missing browser fails the test, it is never skipped.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from matchgate.synth import generate_world
from matchgate_cli import register_world_agency

from .conftest import USERS, add_users
from .test_browser import CHROMIUM, CHROMIUM_ARGS, INSTALL_CHROMIUM, serving

pytestmark = pytest.mark.slow  # a real server, a batch through it, and headless Chromium

SEED = 2  # 500 people, 30 requests: two rows need review, one of them in the grey zone
GREY_ZONE = "probability_grey_zone"


@dataclass(frozen=True)
class Office:
    base: str
    world: Path
    workspace: Path
    tokens: dict[str, str]


@pytest.fixture
def office(tmp_path: Path) -> Iterator[Office]:
    world, workspace = tmp_path / "world", tmp_path / "workspace"
    generate_world(world, people=500, requests=30, seed=SEED)
    register_world_agency(world, workspace)
    tokens = add_users(workspace)
    with serving(world, workspace, tmp_path / "server.log") as base:
        yield Office(base=base, world=world, workspace=workspace, tokens=tokens)


class Shots:
    """Numbered full-page screenshots, in the test's folder and $MATCHGATE_SCREENSHOTS."""

    def __init__(self, folder: Path) -> None:
        self.folders = [folder]
        extra = os.environ.get("MATCHGATE_SCREENSHOTS", "").strip()
        if extra:
            self.folders.append(Path(extra))
        for target in self.folders:
            target.mkdir(parents=True, exist_ok=True)
        self.taken: list[Path] = []

    def __call__(self, page: Any, name: str) -> None:
        path = self.folders[0] / f"{len(self.taken) + 1:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        for target in self.folders[1:]:
            shutil.copyfile(path, target / path.name)
        self.taken.append(path)


def _sign_in(page: Any, office: Office, key: str, shots: Shots) -> None:
    page.goto(f"{office.base}/")
    page.wait_for_url(f"{office.base}/sign-in")
    page.fill("#name", USERS[key][0])
    page.fill("#token", office.tokens[key])
    shots(page, f"{key}-sign-in")
    page.click("#sign-in-form button[type=submit]")
    page.wait_for_url(f"{office.base}/")
    assert USERS[key][0] in page.inner_text("#signed-in")
    assert USERS[key][1] in page.inner_text("#signed-in")


def _sign_out(page: Any, office: Office) -> None:
    page.click("#sign-out-form button[type=submit]")
    page.wait_for_url(f"{office.base}/sign-in")


def _record_step(page: Any, action: str, reason: str) -> str:
    """Record a step on the open case page; the confirmation's text."""
    page.select_option("#action", action)
    page.fill("#reason", reason)
    page.click("#step-form button[type=submit]")
    page.wait_for_selector("#recorded")
    return str(page.inner_text("#recorded"))


def test_the_whole_service_in_a_browser(office: Office, tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing; install Debian's Chromium: {INSTALL_CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("the playwright package is missing: pip install 'playwright>=1.44'")

    shots = Shots(tmp_path / "screenshots")
    base = office.base
    release_reason = "Grey zone: name, address and year agree; the DOB is missing, not different."
    confirm_reason = "Second look: the filing history supports the same person."
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(accept_downloads=True)
            page = context.new_page()
            page.set_default_timeout(20_000)

            # 1. The requester uploads the batch and watches it run.
            _sign_in(page, office, "requester", shots)
            assert "No batch in this workspace yet" in page.inner_text("main")
            shots(page, "requester-index")
            page.click("#upload-link")
            page.wait_for_url(f"{base}/batches/new")
            assert page.inner_text("h1") == "Upload a batch"
            page.set_input_files("#requests", str(office.world / "requests.csv"))
            page.set_input_files("#letter", str(office.world / "letter.toml"))
            shots(page, "requester-upload-form")
            page.click("#upload-form button[type=submit]")
            page.wait_for_url(f"{base}/batches/*")
            batch_id = page.url.rsplit("/", 1)[1]
            assert batch_id != "new" and batch_id in page.inner_text("h1")
            first_state = page.inner_text("#job-state")
            assert first_state in {"queued", "running", "finished"}
            if first_state != "finished":
                assert "this page refreshes itself" in page.inner_text("#progress")
                assert page.locator('meta[http-equiv="refresh"]').count() == 1
            shots(page, f"requester-batch-{first_state}")
            # The page reloads itself every few seconds until the job has ended.
            page.wait_for_selector("#job-state:text-is('finished')", timeout=60_000)
            assert page.locator('meta[http-equiv="refresh"]').count() == 0
            counts = page.inner_text("#job-counts")
            assert "30" in counts  # rows read
            not_final = page.inner_text("#response-not-final")
            assert "2 row(s) wait for a person's review" in not_final
            assert page.locator("#download-response").count() == 0
            shots(page, "requester-batch-finished-not-final")
            _sign_out(page, office)

            # 2. The reviewer releases the grey-zone row, with a written reason.
            _sign_in(page, office, "reviewer", shots)
            page.click("#review-queue-link")
            page.wait_for_url(f"{base}/review")
            assert "2 row(s) waiting" in page.inner_text("main")
            shots(page, "reviewer-queue")
            grey = page.locator("#queue tbody tr", has_text=GREY_ZONE)
            assert grey.count() == 1
            grey.locator("a").click()
            page.wait_for_url(f"{base}/review/batches/{batch_id}/rows/*")
            case_url = page.url.split("?", 1)[0]
            row_number = int(case_url.rsplit("/", 1)[1])
            request_id = page.inner_text("h1").split("(", 1)[1].split(",", 1)[0]
            assert page.inner_text("#outcome") == "needs_review"
            assert GREY_ZONE in page.inner_text("#reasons")
            shots(page, "reviewer-case")
            recorded = _record_step(page, "release", release_reason)
            assert "release" in recorded and USERS["reviewer"][0] in recorded
            assert "waits for a supervisor" in page.inner_text("#pending-release")
            assert release_reason in page.inner_text("#actions")
            shots(page, "reviewer-released")
            _sign_out(page, office)

            # 3. The supervisor confirms it, then refuses what else waits.
            _sign_in(page, office, "supervisor", shots)
            page.goto(case_url)
            assert USERS["reviewer"][0] in page.inner_text("#pending-release")
            page.fill("#confirm-reason", confirm_reason)
            shots(page, "supervisor-case")
            page.click("#confirm-form button[type=submit]")
            page.wait_for_selector("#recorded")
            assert "confirm_release" in page.inner_text("#recorded")
            assert page.inner_text("#outcome") == "disclosed"
            shots(page, "supervisor-confirmed")
            refused = 0
            while True:
                page.goto(f"{base}/review")
                rows = page.locator("#queue tbody tr a")
                if rows.count() == 0:
                    break
                assert refused < 5, "the queue does not empty"
                rows.first.click()
                page.wait_for_selector("#step-form")
                text = _record_step(page, "refuse", "TIN one digit off and no DOB: not certain.")
                assert "refuse" in text
                refused += 1
            assert refused == 1
            assert "0 row(s) waiting" in page.inner_text("main")
            shots(page, "supervisor-queue-empty")
            _sign_out(page, office)

            # 4. The requester downloads the final response.
            _sign_in(page, office, "requester", shots)
            page.click(f"#batches a:text('{batch_id}')")
            page.wait_for_url(f"{base}/batches/{batch_id}")
            assert page.locator("#response-not-final").count() == 0
            shots(page, "requester-batch-final")
            with page.expect_download() as download_info:
                page.click("#download-response")
            download = download_info.value
            assert download.suggested_filename == f"response-{batch_id}.csv"
            saved = tmp_path / download.suggested_filename
            download.save_as(str(saved))
            _sign_out(page, office)

            # 5. The auditor: the disclosure in the accounting, the reviewer's read in the log.
            _sign_in(page, office, "auditor", shots)
            page.click("#accounting-link")
            page.wait_for_url(f"{base}/audit/accounting")
            assert page.locator("#disclosures").count() == 0  # nothing before a search
            page.fill("#agency", "DHS")
            page.click("#accounting-filters button[type=submit]")
            page.wait_for_selector("#disclosures")
            accounted = page.locator("#disclosures tbody tr").filter(
                has_text=f"{batch_id} / {row_number}"
            )
            assert accounted.count() == 1
            disclosure = accounted.inner_text()
            assert request_id in disclosure and "DHS" in disclosure
            tin = _tin_of(office, batch_id, row_number)
            assert tin not in page.inner_text("main") and f"*****{tin[-4:]}" in disclosure
            shots(page, "auditor-accounting")
            page.goto(f"{base}/")
            page.click("#access-log-link")
            page.wait_for_url(f"{base}/audit/access")
            page.fill("#user", USERS["reviewer"][0])
            page.fill("#batch_id", batch_id)
            page.click("#access-filters button[type=submit]")
            page.wait_for_selector("#access-records")
            reads = page.locator("#access-records tbody tr", has_text="review_case").filter(
                has_text=f"{batch_id} / {row_number}"
            )
            assert reads.count() >= 1
            assert f"{USERS['reviewer'][0]} (reviewer)" in reads.first.inner_text()
            assert "allowed" in reads.first.inner_text()
            shots(page, "auditor-access-log")
            _sign_out(page, office)
        except Exception:
            shots(page, "failed-here")  # the page the flow stopped on, for the report
            raise
        finally:
            browser.close()

    rows = list(csv.DictReader(io.StringIO(saved.read_text(encoding="utf-8"))))
    assert [int(r["row_number"]) for r in rows] == list(range(1, 31))
    with (office.world / "requests.csv").open(encoding="utf-8", newline="") as stream:
        assert [r["request_id"] for r in rows] == [r["request_id"] for r in csv.DictReader(stream)]
    released = rows[row_number - 1]
    assert released["request_id"] == request_id and released["outcome"] == "disclosed"
    assert released["disclosed_street"] in disclosure and released["disclosed_zip"] in disclosure
    assert "needs_review" not in {r["outcome"] for r in rows}
    assert "tin" not in rows[0]  # nothing from the master file but the disclosed address
    for shot in shots.taken:
        data = shot.read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 1_000
    assert len(shots.taken) >= 18, [shot.name for shot in shots.taken]


def _tin_of(office: Office, batch_id: str, row_number: int) -> str:
    """The matched TIN of a row, as the office's own records hold it (the auditor asks the
    accounting about one taxpayer)."""
    decisions = office.workspace / "batches" / batch_id / "output" / "internal" / "decisions.csv"
    with decisions.open(encoding="utf-8", newline="") as stream:
        row = next(r for r in csv.DictReader(stream) if int(r["row_number"]) == row_number)
    assert row["tin"]
    return str(row["tin"])
