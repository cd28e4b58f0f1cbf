"""The review queue that decides: the queue and its filters, one row's case, release with a
supervisor's confirmation by a second person, rejection, refusal, mandatory reasons, and the
response becoming final, on the grey-zone rows of a generated world."""

from __future__ import annotations

import csv
import re
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from matchgate.accounts import AccountStore
from matchgate.batch import review_decisions
from matchgate.batch.ledger_entries import disclosure_id
from matchgate.errors import LedgerError
from matchgate.ledger import AccessLog, AccessRecord, Ledger
from matchgate.server import ServerSettings, create_app
from workspace_copy import copy_workspace

from .conftest import CHEAP_HASHER, Served, bearer

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.slow  # the served fixture runs a whole batch through the server


@dataclass
class Desk:
    """A copy of the served workspace (its users and a second supervisor): the decisions
    made here stay here."""

    client: TestClient
    workspace: Path
    batch_id: str
    tokens: dict[str, str]
    names: dict[str, str]

    def h(self, key: str = "reviewer") -> dict[str, str]:
        return bearer(self.tokens[key])

    def url(self, row: int, tail: str = "") -> str:
        return f"/api/review/batches/{self.batch_id}/rows/{row}{tail}"

    def step(self, who: str, row: int, action: str, reason: str = "Checked.") -> httpx.Response:
        body = {"action": action, "reason": reason, "idempotency_key": uuid.uuid4().hex}
        return self.client.post(self.url(row, "/steps"), json=body, headers=self.h(who))

    def supervise(self, who: str, row: int, verb: str, reason: str = "Agreed.") -> httpx.Response:
        body = {"reason": reason, "idempotency_key": uuid.uuid4().hex}
        return self.client.post(self.url(row, f"/release/{verb}"), json=body, headers=self.h(who))

    def queue(self, who: str = "reviewer", **params: object) -> httpx.Response:
        return self.client.get("/api/review/queue", params=params, headers=self.h(who))

    def case(self, row: int, who: str = "reviewer") -> dict[str, Any]:
        response = self.client.get(self.url(row), headers=self.h(who))
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    @property
    def output(self) -> Path:
        return self.workspace / "batches" / self.batch_id / "output"

    def response_row(self, row: int) -> dict[str, str]:
        with (self.output / "response.csv").open(encoding="utf-8", newline="") as stream:
            return next(r for r in csv.DictReader(stream) if r["row_number"] == str(row))

    def review_entries(self) -> list[Any]:
        with Ledger.open(self.workspace, read_only=True) as ledger:
            return [e for e in ledger.entries() if e.kind == "review_action"]


@pytest.fixture(scope="module")
def desk(served: Served, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    workspace = tmp_path_factory.mktemp("review-desk") / "workspace"

    def only_the_served_batch(folder: str, names: list[str]) -> set[str]:
        # Earlier test modules upload more batches into the shared workspace; the desk
        # reviews the world's own batch only, so its queue is that batch's waiting rows.
        if Path(folder) == served.workspace / "batches":
            return {name for name in names if name != served.batch_id}
        return set()

    copy_workspace(served.workspace, workspace, ignore=only_the_served_batch)
    tokens = dict(served.tokens)
    with AccountStore.open(workspace, hasher=CHEAP_HASHER) as store:
        issued = store.add_user("Sam Second", role="supervisor", actor="test office")
    tokens["supervisor2"] = issued.token
    names = {key: served.name(key) for key in served.tokens} | {"supervisor2": "Sam Second"}
    app = create_app(ServerSettings(workspace=workspace, master=served.world / "master.parquet"))
    with TestClient(app) as client:
        yield Desk(client, workspace, served.batch_id, tokens, names)


def _pending_rows(desk: Desk) -> list[dict[str, Any]]:
    response = desk.queue(page_size=200)
    assert response.status_code == 200, response.text
    return response.json()["items"]  # type: ignore[no-any-return]


def _releasable(desk: Desk) -> list[int]:
    """Open rows whose best candidate filed in the requested periods, no release waiting."""
    rows = []
    for item in _pending_rows(desk):
        case = desk.case(item["row_number"])
        best = case["candidates"][0] if case["candidates"] else None
        if (
            case["pending_release_by"] is None
            and best
            and any(a["released"] for a in best["addresses"])
        ):
            rows.append(int(item["row_number"]))
    return rows


def _codes(desk: Desk, row: int) -> set[str]:
    return {reason["code"] for reason in desk.case(row)["reasons"]}


# -- the queue ------------------------------------------------------------------------------


def test_the_queue_lists_the_grey_zone_rows_of_the_world(desk: Desk, served: Served) -> None:
    body = desk.queue().json()
    waiting = int(served.batch["outcomes"]["needs_review"])  # type: ignore[index]
    assert waiting > 0
    assert body["total"] == waiting == len(body["items"])
    assert {item["batch_id"] for item in body["items"]} == {desk.batch_id}
    assert all(item["agency_code"] == "DHS" and item["age_days"] == 0 for item in body["items"])
    with (desk.output / "internal" / "decisions.csv").open(encoding="utf-8") as stream:
        expected = [
            int(r["row_number"]) for r in csv.DictReader(stream) if r["outcome"] == "needs_review"
        ]
    assert [item["row_number"] for item in body["items"]] == expected


def test_queue_filters_and_paging(desk: Desk) -> None:
    everything = desk.queue().json()["items"]
    code = "probability_grey_zone"
    grey = desk.queue(reason_code=code).json()
    assert grey["total"] == sum(code in item["reason_codes"] for item in everything) > 0
    assert all(code in item["reason_codes"] for item in grey["items"])
    assert desk.queue(batch_id=desk.batch_id).json()["total"] == len(everything)
    assert desk.queue(batch_id="no-such-batch").json()["total"] == 0
    assert desk.queue(agency="dhs").json()["total"] == len(everything)
    assert desk.queue(agency="DOJ").json()["total"] == 0
    assert desk.queue(max_age_days=0).json()["total"] == len(everything)
    assert desk.queue(min_age_days=1).json()["total"] == 0
    first = desk.queue(page_size=2, page=1).json()
    second = desk.queue(page_size=2, page=2).json()
    assert first["pages"] == -(-len(everything) // 2)
    assert [i["row_number"] for i in first["items"] + second["items"]] == [
        i["row_number"] for i in everything[:4]
    ]
    beyond = desk.queue(page=500).json()
    assert beyond["items"] == [] and beyond["total"] == len(everything)


@pytest.mark.parametrize(
    "params",
    [
        {"reason_code": "no_such_code"},
        {"reason_code": "DROP TABLE"},
        {"page_size": 201},
        {"page": 0},
        {"page": 10**30},
        {"min_age_days": "-1"},
        {"max_age_days": "123456"},
        {"min_age_days": 5, "max_age_days": 1},
        {"batch_id": "../etc"},
    ],
)
def test_bad_queue_parameters_answer_422_in_the_error_form(
    desk: Desk, params: dict[str, object]
) -> None:
    response = desk.queue(**params)
    assert response.status_code == 422, response.text
    assert set(response.json()) == {"error", "message"}
    assert "/" not in response.json()["message"].replace("'/'", "")  # no paths


def test_the_queue_is_for_reviewers_and_supervisors_only(desk: Desk) -> None:
    assert desk.queue("supervisor").status_code == 200
    for who in ("requester", "auditor", "admin"):
        assert desk.queue(who).status_code == 403


# -- one row's case -------------------------------------------------------------------------


def _access_records(desk: Desk) -> list[AccessRecord]:
    with AccessLog.open(desk.workspace, read_only=True) as log:
        return list(log.records())


def test_the_case_shows_each_candidates_record_masked_and_is_recorded(desk: Desk) -> None:
    row = _pending_rows(desk)[0]["row_number"]
    before = len(_access_records(desk))
    case = desk.case(row)
    [read] = _access_records(desk)[before:]
    assert (read.user_name, read.what, read.outcome) == (
        desk.names["reviewer"],
        "review_case",
        "allowed",
    )
    assert (read.batch_id, read.row_number) == (desk.batch_id, row)
    assert case["request"]["last_name"]
    assert re.fullmatch(r"\*{5}\d{4}|", case["request"]["tin"])
    best = case["candidates"][0]
    assert best["role"] == "best candidate"
    assert re.fullmatch(r"\*{5}\d{4}", best["tin_masked"])
    assert best["surname"] and re.fullmatch(r"\d{4}-\d{2}-\d{2}", best["dob"])
    years = [a["tax_year"] for a in best["addresses"]]
    assert years == sorted(years, reverse=True) and len(years) >= 1
    assert sum(a["released"] for a in best["addresses"]) <= 1
    # The waterfall adds up to the candidate's match weight, prior first.
    steps = best["waterfall"]
    assert steps[0]["name"] == "prior"
    assert steps[-1]["running"] == pytest.approx(best["match_weight"], abs=1e-2)
    assert {r["code"] for r in case["reasons"]} >= set(_pending_rows(desk)[0]["reason_codes"])
    # No full TIN anywhere in the body: the decisions file has them, the case does not.
    with (desk.output / "internal" / "decisions.csv").open(encoding="utf-8") as stream:
        tins = {r["tin"] for r in csv.DictReader(stream) if r["row_number"] == str(row)}
    assert tins and not any(tin in str(case) for tin in tins if tin)
    # The access record names the best candidate by the keyed hash of its TIN, not in clear.
    with AccessLog.open(desk.workspace, read_only=True) as log:
        best_tin = next(iter(tins - {""}))
        assert read.content_dict()["subject"]["tin"] == log.tin_digest(best_tin)
    assert not any(tin in read.content for tin in tins if tin)


def test_the_case_page_draws_the_waterfall_without_script(desk: Desk) -> None:
    row = _pending_rows(desk)[0]["row_number"]
    page = desk.client.get(f"/review/batches/{desk.batch_id}/rows/{row}", headers=desk.h())
    assert page.status_code == 200
    assert "<script" not in page.text and 'style="' not in page.text
    assert re.search(r'class="(for|against|prior) c\d+ s\d+"', page.text)
    assert 'id="step-form"' in page.text and "date of birth" in page.text
    for who in ("requester", "auditor", "admin"):
        url = f"/review/batches/{desk.batch_id}/rows/{row}"
        assert desk.client.get(url, headers=desk.h(who)).status_code == 403


# -- deciding -------------------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "   \n ", "x" * 2001])
def test_every_step_needs_a_written_reason(desk: Desk, reason: str) -> None:
    row = _pending_rows(desk)[0]["row_number"]
    before = len(desk.review_entries())
    for action in ("release", "refuse", "note"):
        response = desk.step("reviewer", row, action, reason=reason)
        assert response.status_code == 422, response.text
        assert set(response.json()) == {"error", "message"}
        assert "reason" in response.json()["message"]
    assert desk.supervise("supervisor", row, "confirm", reason=reason).status_code == 422
    assert len(desk.review_entries()) == before


def test_a_client_cannot_name_the_actor(desk: Desk) -> None:
    row = _pending_rows(desk)[0]["row_number"]
    body = {"action": "note", "reason": "x", "idempotency_key": "k", "reviewer": "Someone Else"}
    response = desk.client.post(desk.url(row, "/steps"), json=body, headers=desk.h())
    assert response.status_code == 422


def test_a_note_is_recorded_under_the_signed_in_user(desk: Desk) -> None:
    row = _pending_rows(desk)[0]["row_number"]
    response = desk.step("reviewer", row, "note", reason="Called the agency.")
    assert response.status_code == 200, response.text
    assert response.json()["actor"] == desk.names["reviewer"]
    assert response.json()["outcome"] == "needs_review"
    entry = desk.review_entries()[-1]
    assert entry.actor == desk.names["reviewer"]
    assert entry.payload_dict()["action"] == "note"
    assert any(a["reason"] == "Called the agency." for a in desk.case(row)["actions"])


def test_the_same_form_twice_records_one_step(desk: Desk) -> None:
    row = _pending_rows(desk)[0]["row_number"]
    body = {"action": "note", "reason": "Sent twice.", "idempotency_key": uuid.uuid4().hex}
    first = desk.client.post(desk.url(row, "/steps"), json=body, headers=desk.h())
    again = desk.client.post(desk.url(row, "/steps"), json=body, headers=desk.h())
    assert first.status_code == again.status_code == 200
    assert first.json()["sequence"] == again.json()["sequence"]
    assert [a["reason"] for a in desk.case(row)["actions"]].count("Sent twice.") == 1


def test_the_two_person_rule(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    releasable = _releasable(desk)
    grey = [r for r in releasable if "probability_grey_zone" in _codes(desk, r)]
    assert grey, "the world has a grey-zone row to release"
    first = grey[0]
    second = next(r for r in releasable if r != first)
    before = desk.response_row(first)
    assert before["outcome"] == "pending_review" and before["disclosed_street"] == ""
    released = desk.step("reviewer", first, "release", reason="DOB and address agree.")
    assert released.status_code == 200, released.text
    assert released.json()["outcome"] == "needs_review"  # nothing disclosed yet
    assert desk.response_row(first) == before
    assert desk.case(first)["pending_release_by"] == desk.names["reviewer"]
    # A reviewer cannot confirm, not even someone else's release; a second release waits.
    assert desk.supervise("reviewer", first, "confirm").status_code == 403
    assert desk.step("supervisor", first, "release").status_code == 409
    assert desk.step("supervisor", first, "refuse").status_code == 409
    # The same person cannot release and confirm, supervisor or not.
    assert desk.step("supervisor", second, "release").status_code == 200
    refused = desk.supervise("supervisor", second, "confirm")
    assert refused.status_code == 403, refused.text
    assert "two-person" in refused.json()["message"]
    assert desk.response_row(second)["outcome"] == "pending_review"
    # A second supervisor confirms: the ledger holds the disclosure before any file has it.
    seen: list[bool] = []
    original = review_decisions.stages.outputs

    def outputs_after_the_ledger(*args: Any, **kwargs: Any) -> int:
        with Ledger.open(desk.workspace, read_only=True) as ledger:
            seen.append(ledger.disclosure(disclosure_id(desk.batch_id, first)) is not None)
        assert desk.response_row(first)["disclosed_street"] == ""
        return original(*args, **kwargs)

    monkeypatch.setattr(review_decisions.stages, "outputs", outputs_after_the_ledger)
    confirmed = desk.supervise("supervisor2", first, "confirm", reason="Second look agrees.")
    assert confirmed.status_code == 200, confirmed.text
    assert seen == [True]
    assert confirmed.json()["outcome"] == "disclosed"
    assert confirmed.json()["actor"] == "Sam Second"
    with Ledger.open(desk.workspace, read_only=True) as ledger:
        record = ledger.disclosure(disclosure_id(desk.batch_id, first))
    assert record is not None
    line = desk.response_row(first)
    assert line["outcome"] == "disclosed"
    assert (line["disclosed_street"], line["disclosed_zip"]) == (
        record.disclosed_street,
        record.disclosed_zip,
    )
    best = desk.case(first)["candidates"][0]
    shown = next(a for a in best["addresses"] if a["released"])
    assert (shown["street"], str(shown["tax_year"])) == (line["disclosed_street"], record.tax_year)
    # Internal codes never reach the requester's line.
    assert "released_on_review" not in line["reason_codes"]
    entries = desk.review_entries()
    steps = [(e.payload_dict()["action"], e.actor) for e in entries]
    assert ("release", desk.names["reviewer"]) in steps
    assert ("confirm_release", "Sam Second") in steps
    confirm_entry = next(e for e in entries if e.payload_dict()["action"] == "confirm_release")
    assert confirm_entry.sequence < record.sequence
    # Decided: no further release, refusal or confirmation.
    assert desk.step("reviewer", first, "refuse").status_code == 409
    assert desk.supervise("supervisor", first, "confirm").status_code == 409
    # Leave the second row as we found it: back in the queue.
    assert desk.supervise("supervisor2", second, "reject").status_code == 200


def test_a_failed_ledger_write_discloses_nothing(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    row = _releasable(desk)[0]
    assert desk.step("reviewer", row, "release").status_code == 200
    before = (desk.output / "response.csv").read_bytes()

    def broken(self: Ledger, *args: object, **kwargs: object) -> None:
        raise LedgerError("the ledger database is not writable")

    monkeypatch.setattr(Ledger, "append_many", broken)
    response = desk.supervise("supervisor", row, "confirm")
    assert response.status_code == 500
    assert (desk.output / "response.csv").read_bytes() == before
    monkeypatch.undo()
    assert desk.case(row)["pending_release_by"] == desk.names["reviewer"]
    assert desk.supervise("supervisor", row, "reject", reason="Not now.").status_code == 200


def test_a_rejected_release_returns_the_row_to_the_queue(desk: Desk) -> None:
    row = _releasable(desk)[0]
    assert desk.step("reviewer", row, "release", reason="Looks right.").status_code == 200
    assert desk.supervise("reviewer", row, "reject").status_code == 403
    rejected = desk.supervise("supervisor", row, "reject", reason="Surname differs; ask DHS.")
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["outcome"] == "needs_review"
    case = desk.case(row)
    assert case["pending_release_by"] is None and case["open"]
    assert case["actions"][-1]["action"] == "reject_release"
    assert case["actions"][-1]["reason"] == "Surname differs; ask DHS."
    assert row in [item["row_number"] for item in _pending_rows(desk)]
    assert desk.supervise("supervisor", row, "reject").status_code == 409  # nothing pending


def test_a_release_without_an_address_in_the_periods_is_refused(desk: Desk) -> None:
    releasable = set(_releasable(desk))
    stuck = [i["row_number"] for i in _pending_rows(desk) if i["row_number"] not in releasable]
    if not stuck:
        pytest.skip("every waiting row of this world has an address in its periods")
    response = desk.step("reviewer", stuck[0], "release")
    assert response.status_code == 409
    assert "refuse it" in response.json()["message"]


def test_refusing_every_waiting_row_makes_the_response_final(desk: Desk) -> None:
    response_url = f"/api/batches/{desk.batch_id}/response.csv"
    assert desk.client.get(response_url, headers=desk.h("requester")).status_code == 409
    waiting = [item["row_number"] for item in _pending_rows(desk)]
    assert waiting
    for row in waiting:
        refused = desk.step("reviewer", row, "refuse", reason="Cannot be sure it is them.")
        assert refused.status_code == 200, refused.text
        assert refused.json()["outcome"] == "no_match"
        assert refused.json()["response_final"] is (row == waiting[-1])
        line = desk.response_row(row)
        assert line["outcome"] == "not_disclosed" and line["disclosed_street"] == ""
        assert "refused_on_review" not in line["reason_codes"]
    assert desk.queue().json()["total"] == 0
    final = desk.client.get(response_url, headers=desk.h("requester"))
    assert final.status_code == 200, final.text
    batch = desk.client.get(f"/api/batches/{desk.batch_id}", headers=desk.h()).json()
    assert batch["outcomes"]["needs_review"] == 0
    refusals = [e for e in desk.review_entries() if e.payload_dict()["action"] == "refuse"]
    assert {e.actor for e in refusals} == {desk.names["reviewer"]}
    assert all(e.payload_dict()["previous_outcome"] == "needs_review" for e in refusals)


# -- page forms -----------------------------------------------------------------------------


def _hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert match, name
    return match.group(1)


def _browser(desk: Desk, key: str) -> TestClient:
    browser = TestClient(desk.client.app)
    form = browser.get("/sign-in")
    data = {"name": desk.names[key], "token": desk.tokens[key]}
    signed = browser.post(
        "/sign-in",
        data={**data, "csrf_token": _hidden(form.text, "csrf_token")},
        follow_redirects=False,
    )
    assert signed.status_code == 303
    return browser


def test_page_forms_release_and_confirm_with_the_sessions_csrf_token(
    served: Served, tmp_path: Path
) -> None:
    workspace = tmp_path / "workspace"
    copy_workspace(served.workspace, workspace)
    with AccountStore.open(workspace, hasher=CHEAP_HASHER) as store:
        token = store.add_user("Sam Second", role="supervisor", actor="test office").token
    app = create_app(ServerSettings(workspace=workspace, master=served.world / "master.parquet"))
    with TestClient(app) as client:
        desk = Desk(
            client,
            workspace,
            served.batch_id,
            {**served.tokens, "supervisor2": token},
            {key: served.name(key) for key in served.tokens} | {"supervisor2": "Sam Second"},
        )
        row = _releasable(desk)[0]
        url = f"/review/batches/{desk.batch_id}/rows/{row}"
        reviewer = _browser(desk, "reviewer")
        page = reviewer.get(url)
        assert page.status_code == 200
        form = {
            "action": "release",
            "reason": "Agrees.",
            "form_key": _hidden(page.text, "form_key"),
        }
        forged = reviewer.post(url + "/steps", data={**form, "csrf_token": "forged"})
        assert forged.status_code == 403
        done = reviewer.post(
            url + "/steps",
            data={**form, "csrf_token": _hidden(page.text, "csrf_token")},
            follow_redirects=False,
        )
        assert done.status_code == 303
        shown = reviewer.get(done.headers["location"])
        assert 'id="recorded"' in shown.text and 'id="pending-release"' in shown.text
        # A made-up entry number shows no confirmation.
        assert 'id="recorded"' not in reviewer.get(url + "?recorded=999").text
        supervisor = _browser(desk, "supervisor")
        page = supervisor.get(url)
        assert 'id="confirm-form"' in page.text
        confirmed = supervisor.post(
            url + "/release/confirm",
            data={
                "reason": "Agreed.",
                "form_key": _hidden(page.text, "form_key"),
                "csrf_token": _hidden(page.text, "csrf_token"),
            },
            follow_redirects=False,
        )
        assert confirmed.status_code == 303, confirmed.text
        assert desk.response_row(row)["outcome"] == "disclosed"
        queue = supervisor.get("/review")
        assert queue.status_code == 200
        assert f'/batches/{desk.batch_id}/rows/{row}"' not in queue.text
