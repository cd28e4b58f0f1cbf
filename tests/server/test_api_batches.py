"""The batch API against a real world: upload, list, fetch, and uploads it must refuse."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from matchgate.decisions import Outcome
from matchgate.disclose import RESPONSE_COLUMNS

from .conftest import REQUESTS, Served, upload

pytestmark = pytest.mark.slow  # the served fixture runs a whole batch through the server


def _entries(served: Served) -> int:
    report = served.client.get("/api/ledger/verify").json()
    assert report["ok"], report
    return int(report["entries_checked"])


def _batch_folders(served: Served) -> set[str]:
    return {path.name for path in (served.workspace / "batches").iterdir()}


def test_upload_runs_the_whole_pipeline(served: Served) -> None:
    batch = served.batch
    assert batch["rows_in"] == batch["rows_out"] == REQUESTS
    outcomes = batch["outcomes"]
    assert isinstance(outcomes, dict)
    assert set(outcomes) == {o.value for o in Outcome}
    assert sum(outcomes.values()) == REQUESTS
    assert outcomes["disclosed"] > 0
    assert batch["letter_outcome"] == "accepted"
    assert batch["agency"] == "Department of Homeland Security"
    assert batch["response_url"] == f"/api/batches/{served.batch_id}/response.csv"


def test_list_and_get(served: Served) -> None:
    listed = {item["batch_id"]: item for item in served.client.get("/api/batches").json()}
    assert listed[served.batch_id]["complete"] is True
    assert listed[served.batch_id]["outcomes"] == served.batch["outcomes"]
    one = served.client.get(f"/api/batches/{served.batch_id}").json()
    assert one["outcomes"] == served.batch["outcomes"]


def test_response_csv_is_the_requesters_file(served: Served) -> None:
    url = f"/api/batches/{served.batch_id}/response.csv"
    assert served.anonymous.get(url).status_code == 401
    response = served.client.get(url, headers=served.auth())
    # Not final while rows wait for review: the server hands out nothing (409, no rows).
    assert served.batch["outcomes"]["needs_review"] > 0
    assert response.status_code == 409
    assert response.json()["error"] and "row_number" not in response.text
    on_disk = served.workspace / "batches" / served.batch_id / "output" / "response.csv"
    reader = csv.DictReader(io.StringIO(on_disk.read_text(encoding="utf-8")))
    rows = list(reader)
    assert tuple(reader.fieldnames or ()) == RESPONSE_COLUMNS
    assert len(rows) == REQUESTS
    assert "tin" not in (reader.fieldnames or ())


def test_uploading_the_same_files_again_records_nothing_new(served: Served) -> None:
    before = _entries(served)
    again = upload(served.client, served.world, served.auth("requester"))
    assert again.status_code == 200
    assert again.json()["batch_id"] == served.batch_id
    assert again.json()["outcomes"] == served.batch["outcomes"]
    assert _entries(served) == before


def test_upload_needs_the_token(served: Served) -> None:
    files = {"requests": ("r.csv", b"x"), "letter": ("l.toml", b"x")}
    missing = served.anonymous.post("/api/batches", files=files)
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == "Bearer"
    for token in ("nope", served.tokens["requester"][:-2] + "xx"):
        wrong = served.anonymous.post(
            "/api/batches", files=files, headers={"Authorization": f"Bearer {token}"}
        )
        assert wrong.status_code == 401, token


def _bad_letter(world: Path) -> tuple[str, bytes, str]:
    return ("letter.toml", b"[letter\nagency = ", "application/toml")


@pytest.mark.parametrize(
    ("case", "overrides", "expected"),
    [
        ("empty file", {"requests": ("mine.csv", b"", "text/csv")}, "upload 'requests' (mine.csv)"),
        (
            "garbage bytes",
            {"requests": ("mine.csv", bytes(range(256)) * 8, "text/csv")},
            "binary data",
        ),
        ("missing letter", {"letter": None}, "body field 'letter': Field required"),
        ("malformed letter", {"letter": "bad"}, "upload 'letter' (letter.toml): not valid TOML"),
        ("missing requests", {"requests": None}, "body field 'requests': Field required"),
    ],
)
def test_bad_uploads_are_refused_and_nothing_is_recorded(
    served: Served, case: str, overrides: dict[str, object], expected: str
) -> None:
    if overrides.get("letter") == "bad":
        overrides = {"letter": _bad_letter(served.world)}
    entries, folders = _entries(served), _batch_folders(served)
    response = upload(served.client, served.world, served.auth("requester"), **overrides)
    assert response.status_code == 422, case
    body = response.json()
    assert set(body) == {"error", "message"}
    assert expected in body["message"], body
    assert "Traceback" not in response.text
    assert str(served.workspace) not in body["message"]  # no server paths in messages
    assert _entries(served) == entries
    assert not any((served.workspace / "uploads").iterdir())
    # A file the job refuses leaves its failed job's record and the files as uploaded,
    # nothing read from them; the batch says why, as the upload's answer did.
    for batch_id in _batch_folders(served) - folders:
        left = {path.name for path in (served.workspace / "batches" / batch_id).iterdir()}
        assert left <= {"input", "job.json", "lock"}, left
        progress = served.client.get(f"/api/batches/{batch_id}").json()["progress"]
        assert progress["state"] == "failed"
        assert progress["error"] == body


@pytest.mark.parametrize(
    "path",
    [
        "/api/batches/0000000000000000dead",
        "/api/batches/0000000000000000dead/response.csv",
    ],
)
def test_unknown_batch_is_404(served: Served, path: str) -> None:
    response = served.client.get(path, headers=served.auth())
    assert response.status_code == 404
    assert response.json()["error"] == "NotFoundError"


def test_batch_id_cannot_walk_out_of_the_workspace(served: Served) -> None:
    response = served.client.get("/api/batches/..%2F..%2Fetc", headers=served.auth())
    assert response.status_code in {404, 422}


def _request_row(served: Served, outcome: str) -> dict[str, str]:
    with served.decisions.open(encoding="utf-8", newline="") as stream:
        wanted = next(r for r in csv.DictReader(stream) if r["outcome"] == outcome)
    with (served.world / "requests.csv").open(encoding="utf-8", newline="") as stream:
        return next(r for r in csv.DictReader(stream) if r["request_id"] == wanted["request_id"])


def _lookup_letter(served: Served) -> str:
    return (served.world / "lookup_letter.toml").read_text(encoding="utf-8")


def test_lookup_answers_a_disclosure_under_a_lookup_letter(served: Served) -> None:
    # The world's look-up letter is signed for its scope, not for a file: a row typed at the
    # desk is its own written request under it, and the person is found.
    request = _request_row(served, "disclosed")
    body = {**request, "letter": _lookup_letter(served)}
    assert served.anonymous.post("/api/lookups", json=body).status_code == 401
    entries = _entries(served)
    folders = _batch_folders(served)
    response = served.client.post("/api/lookups", json=body, headers=served.auth("requester"))
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["batch_id"].startswith("lk") and len(answer["letter_id"]) == 16
    assert answer["response"]["request_id"] == request["request_id"]
    assert answer["response"]["outcome"] == "disclosed", answer["response"]
    assert answer["response"]["disclosed_street"]
    assert set(answer["response"]) == set(RESPONSE_COLUMNS)
    assert _entries(served) >= entries + 3  # batch received, row decision, disclosure
    assert _batch_folders(served) == folders  # no batch folder per look-up
    # The letter is on file now: later look-ups name it by its id.
    other = _request_row(served, "no_match")
    again = served.client.post(
        "/api/lookups",
        json={**other, "letter_id": answer["letter_id"]},
        headers=served.auth("requester"),
    )
    assert again.status_code == 200, again.text
    assert again.json()["letter_id"] == answer["letter_id"]
    assert again.json()["response"]["outcome"] != "disclosed"
    assert not again.json()["response"]["disclosed_street"]


def test_lookup_under_a_bulk_letter_is_refused(served: Served) -> None:
    request = _request_row(served, "disclosed")
    bulk = (served.world / "letter.toml").read_text(encoding="utf-8")
    response = served.client.post(
        "/api/lookups", json={**request, "letter": bulk}, headers=served.auth("requester")
    )
    assert response.status_code == 200, response.text
    row = response.json()["response"]
    assert row["outcome"] == "legally_deficient"
    assert "letter_not_for_lookups" in row["reason_codes"]
    assert not row["disclosed_street"]


def test_lookup_with_a_malformed_row_is_refused_naming_the_field(served: Served) -> None:
    body = {"letter": _lookup_letter(served), "first_name": "ANA", "last_name": "DIAZ"}
    response = served.client.post("/api/lookups", json=body, headers=served.auth("requester"))
    assert response.status_code == 422
    assert "street" in response.json()["message"]


def test_lookup_needs_a_known_letter(served: Served) -> None:
    body = {
        "letter_id": "0000000000000000",
        "first_name": "ANA",
        "last_name": "GARCIA",
        "street": "1 MAIN ST",
        "zip": "10001",
    }
    response = served.client.post("/api/lookups", json=body, headers=served.auth("requester"))
    assert response.status_code == 404
