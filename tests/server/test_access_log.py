"""Every read of taxpayer data leaves exactly one access-log record with the right user and
subject, before its body is returned; a refused read is recorded as denied; the auditor finds
the reads of one taxpayer, and only those."""

from __future__ import annotations

import csv
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from matchgate.errors import LedgerError
from matchgate.ledger import AccessLog, AccessRecord
from matchgate.lookups.run import LOOKUP_REQUIRED_FIELDS
from matchgate.server import ServerSettings, create_app
from workspace_copy import copy_workspace

from .conftest import USERS, Served, bearer

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.slow  # the served fixture runs a whole batch through the server


@dataclass
class Reads:
    client: TestClient
    workspace: Path
    served: Served
    flagged: dict[str, str]
    disclosed: dict[str, str]
    request: dict[str, str]

    def as_(self, key: str, url: str, method: str = "GET", **options: object) -> httpx.Response:
        return self.client.request(
            method,
            url,
            headers=bearer(self.served.tokens[key]),
            follow_redirects=False,
            **options,  # type: ignore[arg-type]
        )

    def records(self) -> list[AccessRecord]:
        with AccessLog.open(self.workspace, read_only=True) as log:
            return list(log.records())

    def digest(self, tin: str) -> str:
        with AccessLog.open(self.workspace, read_only=True) as log:
            return log.tin_digest(tin)

    def one_new(self, call: Callable[[], httpx.Response], status: int) -> AccessRecord:
        """Make the call; exactly one record is added, and it is returned."""
        before = len(self.records())
        response = call()
        assert response.status_code == status, response.text
        added = self.records()[before:]
        assert len(added) == 1, [r.what for r in added]
        return added[0]


@pytest.fixture(scope="module")
def reads(served: Served, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Reads]:
    """A copy of the served workspace, so the counts here are this module's own."""
    workspace = tmp_path_factory.mktemp("access") / "workspace"
    copy_workspace(served.workspace, workspace)
    app = create_app(ServerSettings(workspace=workspace, master=served.world / "master.parquet"))
    with served.decisions.open(encoding="utf-8", newline="") as stream:
        decisions = list(csv.DictReader(stream))
    flagged = next(r for r in decisions if r["outcome"] == "needs_review" and r["runner_up_tin"])
    with (served.world / "requests.csv").open(encoding="utf-8", newline="") as stream:
        with_tin = {r["request_id"]: r for r in csv.DictReader(stream) if r["tin"]}
    disclosed = next(
        r for r in decisions if r["outcome"] == "disclosed" and r["request_id"] in with_tin
    )
    request = with_tin[disclosed["request_id"]]
    with TestClient(app) as client:
        yield Reads(client, workspace, served, flagged, disclosed, request)


def _is(record: AccessRecord, reads: Reads, key: str, what: str, outcome: str) -> dict:
    content = record.content_dict()
    name, role, agency = USERS[key]
    assert content["user"]["name"] == name and record.user_name == name
    assert content["user"]["role"] == role and record.role == role
    assert content["user"]["agency"] == agency
    assert isinstance(content["user"]["id"], int)
    assert record.what == what and record.outcome == outcome
    assert content["client"]
    return dict(content["subject"])


def test_a_row_page_read_names_the_reviewer_the_row_and_its_taxpayers(reads: Reads) -> None:
    batch, row = reads.served.batch_id, reads.flagged["row_number"]
    record = reads.one_new(lambda: reads.as_("reviewer", f"/batches/{batch}/rows/{row}"), 200)
    subject = _is(record, reads, "reviewer", "row_page", "allowed")
    assert record.content_dict()["route"] == "GET /batches/{batch_id}/rows/{row_number}"
    assert subject["batch_id"] == batch and subject["row_number"] == int(row)
    assert record.batch_id == batch and record.row_number == int(row)
    assert subject["tin"] == reads.digest(reads.flagged["tin"])
    assert subject["runner_up_tin"] == reads.digest(reads.flagged["runner_up_tin"])
    assert subject["request_tin"] is None or len(str(subject["request_tin"])) == 64
    assert reads.flagged["tin"] not in record.content


def test_a_refused_row_page_is_recorded_as_denied(reads: Reads) -> None:
    batch, row = reads.served.batch_id, reads.flagged["row_number"]
    record = reads.one_new(lambda: reads.as_("requester", f"/batches/{batch}/rows/{row}"), 403)
    subject = _is(record, reads, "requester", "row_page", "denied")
    assert record.content_dict()["status"] == 403
    assert subject == {"batch_id": batch, "row_number": int(row)}  # no TIN was read


def test_a_row_that_does_not_exist_is_recorded_as_denied(reads: Reads) -> None:
    batch = reads.served.batch_id
    record = reads.one_new(lambda: reads.as_("reviewer", f"/batches/{batch}/rows/99999"), 404)
    assert _is(record, reads, "reviewer", "row_page", "denied")["row_number"] == 99999


def test_another_agencys_batch_page_is_recorded_as_denied(reads: Reads) -> None:
    batch = reads.served.batch_id
    record = reads.one_new(lambda: reads.as_("other_requester", f"/batches/{batch}"), 404)
    subject = _is(record, reads, "other_requester", "batch_page", "denied")
    assert subject["batch_id"] == batch and record.content_dict()["status"] == 404
    record = reads.one_new(lambda: reads.as_("supervisor", f"/batches/{batch}"), 200)
    assert _is(record, reads, "supervisor", "batch_page", "allowed")["page"] == 1


def test_accounting_by_tin_is_recorded_with_the_tin_hashed(reads: Reads) -> None:
    tin = reads.disclosed["tin"]
    call = lambda: reads.as_("auditor", "/api/accounting", params={"tin": tin})  # noqa: E731
    record = reads.one_new(call, 200)
    subject = _is(record, reads, "auditor", "accounting", "allowed")
    assert subject == {"tin": reads.digest(tin), "agency": None, "year": None}
    call = lambda: reads.as_("requester", "/api/accounting", params={"tin": tin})  # noqa: E731
    record = reads.one_new(call, 403)
    assert _is(record, reads, "requester", "accounting", "denied")["tin"] == reads.digest(tin)


def test_a_lookup_is_recorded_with_its_letter_and_ledger_batch(reads: Reads) -> None:
    letter = (reads.served.world / "lookup_letter.toml").read_text(encoding="utf-8")
    with (reads.served.world / "requests.csv").open(encoding="utf-8", newline="") as stream:
        request = next(
            r
            for r in csv.DictReader(stream)
            if r["tin"] and all(r[name] for name in LOOKUP_REQUIRED_FIELDS)
        )
    body = {**request, "letter": letter}
    record = reads.one_new(lambda: reads.as_("requester", "/api/lookups", "POST", json=body), 200)
    subject = _is(record, reads, "requester", "lookup", "allowed")
    assert subject["tin"] == reads.digest(request["tin"])
    assert request["tin"] not in record.content
    answer = reads.as_("requester", "/api/lookups", "POST", json=body).json()
    lookup_batch = str(subject["batch_id"])
    assert lookup_batch.startswith("lk") and lookup_batch != reads.served.batch_id
    assert subject["letter_id"] == answer["letter_id"]
    assert isinstance(subject["row_number"], int) and subject["row_number"] >= 1
    # Another agency's requester under DHS's letter: refused, and on record as denied.
    record = reads.one_new(
        lambda: reads.as_("other_requester", "/api/lookups", "POST", json=body), 403
    )
    denied = _is(record, reads, "other_requester", "lookup", "denied")
    assert "batch_id" not in denied and denied["tin"] == reads.digest(request["tin"])


def test_a_response_not_final_is_a_denied_download(reads: Reads) -> None:
    url = f"/api/batches/{reads.served.batch_id}/response.csv"
    record = reads.one_new(lambda: reads.as_("requester", url), 409)
    _is(record, reads, "requester", "response_download", "denied")
    assert record.content_dict()["status"] == 409


def test_the_auditor_finds_the_reads_of_one_taxpayer_only(reads: Reads) -> None:
    tin = reads.flagged["runner_up_tin"]
    batch, row = reads.served.batch_id, reads.flagged["row_number"]
    assert reads.as_("supervisor", f"/batches/{batch}/rows/{row}").status_code == 200
    digest = reads.digest(tin)
    expected = [
        r.sequence
        for r in reads.records()
        if digest in {v for k, v in r.content_dict()["subject"].items() if k.endswith("tin")}
    ]
    assert len(expected) >= 2  # the reviewer's and the supervisor's row page at least
    call = lambda: reads.as_("auditor", "/api/access-log", params={"tin": tin})  # noqa: E731
    record = reads.one_new(call, 200)  # the auditor's search is on record too
    assert _is(record, reads, "auditor", "access_log", "allowed")["tin"] == digest
    found = reads.as_("auditor", "/api/access-log", params={"tin": tin}).json()
    sequences = [r["sequence"] for r in found["records"]]
    assert sorted(sequences) == sorted([*expected, record.sequence])
    assert found["total"] == len(sequences)
    for item in found["records"]:
        assert digest in item["subject"].values()
    names = {item["user"]["name"] for item in found["records"]}
    assert {"Rev Reviewer", "Sue Supervisor"} <= names
    by_user = reads.as_("auditor", "/api/access-log", params={"user": "Sue Supervisor"}).json()
    assert by_user["total"] >= 1
    assert {item["user"]["name"] for item in by_user["records"]} == {"Sue Supervisor"}


def test_an_admin_may_not_search_by_tin_and_that_is_recorded(reads: Reads) -> None:
    tin = reads.disclosed["tin"]
    call = lambda: reads.as_("admin", "/api/access-log", params={"tin": tin})  # noqa: E731
    record = reads.one_new(call, 403)
    assert _is(record, reads, "admin", "access_log", "denied")["tin"] == reads.digest(tin)
    assert reads.as_("admin", "/api/access-log").status_code == 200


def test_the_access_log_page_lists_the_reads(reads: Reads) -> None:
    batch = reads.served.batch_id
    page = reads.as_("auditor", "/audit/access", params={"batch_id": batch})
    assert page.status_code == 200
    assert "access-records" in page.text and "row_page" in page.text
    assert "Rev Reviewer" in page.text
    assert reads.flagged["tin"] not in page.text
    bad = reads.as_("auditor", "/api/access-log", params={"since": "last week"})
    assert bad.status_code == 422


def test_the_access_log_form_sent_with_empty_fields_searches_by_the_filled_ones(
    reads: Reads,
) -> None:
    # A browser sends every field of the search form, the empty ones as "name=".
    batch = reads.served.batch_id
    fields = {"user": "Rev Reviewer", "tin": "", "batch_id": batch, "since": "", "until": ""}
    page = reads.as_("auditor", "/audit/access", params=fields)
    assert page.status_code == 200, page.text
    assert "access-records" in page.text and "Rev Reviewer (reviewer)" in page.text
    assert "Aud Auditor (auditor)" not in page.text.split('id="access-records"', 1)[1]
    bad = reads.as_("auditor", "/audit/access", params={**fields, "since": "last week"})
    assert bad.status_code == 422


def test_a_read_that_cannot_be_recorded_shows_nothing(
    reads: Reads, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object, **_kwargs: object) -> AccessRecord:
        raise LedgerError("the access log is unavailable")

    monkeypatch.setattr(AccessLog, "append", broken)
    batch, row = reads.served.batch_id, reads.flagged["row_number"]
    response = reads.as_("reviewer", f"/batches/{batch}/rows/{row}")
    assert response.status_code == 500
    assert reads.flagged["request_id"] not in response.text
    tin = reads.disclosed["tin"]
    accounting = reads.as_("auditor", "/api/accounting", params={"tin": tin})
    assert accounting.status_code == 500 and set(accounting.json()) == {"error", "message"}


def test_the_chain_of_every_read_here_verifies(reads: Reads) -> None:
    with AccessLog.open(reads.workspace, read_only=True) as log:
        report = log.verify()
    assert report.ok, report.problem
    assert report.records_checked == len(reads.records()) > 10
